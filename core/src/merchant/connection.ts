/**
 * What every merchant function starts with: the store a screen is opened from, resolved to its
 * connection (refused when it has none or was disconnected), and the store-admin addresses the
 * screens link to.
 */
import { z } from "zod";
import { shopify } from "../channels/index.ts";
import { SyncError } from "../domain/index.ts";
import type { MerchantDeps, StoreRef } from "./types.ts";

/** A connected store as the merchant functions use it. */
export interface MerchantConnection {
  id: string;
  businessId: string;
  platform: StoreRef["platform"];
  storeDomain: string;
  locationId: string;
  status: "active" | "paused" | "needs_attention";
  buffer: number;
  /** Stored JSON: read through domain/settings.ts. */
  settings: unknown;
  authorityMode: "prokip" | "central";
}

const storeRefSchema = z.object({
  platform: z.enum(["shopify", "woocommerce"]),
  storeDomain: z.string().trim().min(1),
});

/** The store's live connection; `store_not_connected` when there is none or it was disconnected. */
export async function connectedStore(deps: Pick<MerchantDeps, "pool">, store: StoreRef): Promise<MerchantConnection> {
  const ref = storeRefSchema.safeParse(store);
  if (!ref.success) throw new SyncError("invalid_input", "The store is not named correctly", issuesOf(ref.error));
  const { rows } = await deps.pool.query<
    Omit<MerchantConnection, "status"> & { status: MerchantConnection["status"] | "disconnected" }
  >(
    `SELECT c."id", c."businessId", c."platform", c."storeDomain", c."locationId", c."status", c."buffer", c."settings", b."authorityMode"
     FROM "Connection" c JOIN "Business" b ON b."id" = c."businessId"
     WHERE c."storeDomain" = $1 AND c."platform" = $2::"Platform"`,
    [ref.data.storeDomain, ref.data.platform],
  );
  const connection = rows[0];
  if (!connection || connection.status === "disconnected")
    throw new SyncError("store_not_connected", "This store is not connected to Prokip Sync");
  return { ...connection, status: connection.status };
}

/** zod issues as the API's error details: one `{path, message}` per field. */
export function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: [...issue.path, key].join("."), message: "is not a known field" }))
      : [{ path: issue.path.join("."), message: issue.message }],
  );
}

/** Where the merchant edits a product in the store's own admin. */
export function productAdminUrl(
  store: Pick<MerchantConnection, "platform" | "storeDomain">,
  externalProductId: string,
): string {
  return store.platform === "shopify"
    ? `https://admin.shopify.com/store/${shopHandle(store.storeDomain)}/products/${shopify.legacyId(externalProductId)}`
    : `${siteUrl(store.storeDomain)}/wp-admin/post.php?post=${encodeURIComponent(externalProductId)}&action=edit`;
}

/** Where the merchant sees an order in the store's own admin. */
export function orderAdminUrl(
  store: Pick<MerchantConnection, "platform" | "storeDomain">,
  externalOrderId: string,
): string {
  return store.platform === "shopify"
    ? `https://admin.shopify.com/store/${shopHandle(store.storeDomain)}/orders/${shopify.legacyId(externalOrderId)}`
    : `${siteUrl(store.storeDomain)}/wp-admin/post.php?post=${encodeURIComponent(externalOrderId)}&action=edit`;
}

/** `my-shop.myshopify.com` -> `my-shop` (the admin's store handle). */
function shopHandle(storeDomain: string): string {
  return storeDomain.replace(/\.myshopify\.com$/u, "");
}

function siteUrl(storeDomain: string): string {
  return storeDomain.replace(/\/+$/u, "");
}

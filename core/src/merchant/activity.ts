/**
 * The Activity screen: one store's timeline, newest first. It holds the store's own entries
 * (ActivityEvent.connectionId) and the business-wide ones that concern it: those about a Prokip
 * product this store lists (an oversell) and those about no product in particular.
 *
 * What is stored as ActivityEvent.type, and the screen's ActivityType it is shown as:
 *   order_received                          order_received      (sync/orders.ts)
 *   order_posted                            order_posted        (sync/prokip-posting.ts, with the invoice number)
 *   posting_failed                          order_not_posted    (retry while the order is still not in Prokip)
 *   order_return_posted                     refund_restocked, or cancellation_restocked for a cancelled order
 *   order_sell_deleted                      cancellation_restocked
 *   stock_pushed, drift, store_edit_accepted, oversell, low_stock   the same name
 *   setup_*                                 setup               (jobs/workers.ts: setup_finished)
 *   connection_*, app_uninstalled, webhooks_repaired   connection  (connections/, jobs/workers.ts)
 *   product_linked/unlinked/excluded/included   product         (merchant/products.ts)
 *   settings_changed                        settings            (merchant/settings.ts)
 *   anything else                           error when its severity is error, else connection
 */
import { z } from "zod";
import { normalizeSku, SyncError } from "../domain/index.ts";
import { connectedStore, issuesOf, orderAdminUrl, type MerchantConnection } from "./connection.ts";
import { withTransaction } from "../store/index.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { variantName } from "./products.ts";
import type { ActivityEntry, ActivityPage, ActivityQuery, ActivityType, MerchantDeps, StoreRef } from "./types.ts";

export const ACTIVITY_TYPES = [
  "order_received",
  "order_posted",
  "order_not_posted",
  "refund_restocked",
  "cancellation_restocked",
  "stock_pushed",
  "drift",
  "store_edit_accepted",
  "oversell",
  "low_stock",
  "setup",
  "connection",
  "product",
  "settings",
  "error",
] as const satisfies readonly ActivityType[];

/** Stored types shown as one ActivityType (order_return_posted, prefixes and the rest are rules below). */
const STORED_TYPES: Partial<Record<ActivityType, readonly string[]>> = {
  order_received: ["order_received"],
  order_posted: ["order_posted"],
  order_not_posted: ["posting_failed"],
  cancellation_restocked: ["order_sell_deleted"],
  stock_pushed: ["stock_pushed"],
  drift: ["drift"],
  store_edit_accepted: ["store_edit_accepted"],
  oversell: ["oversell"],
  low_stock: ["low_stock"],
  connection: ["app_uninstalled", "webhooks_repaired"],
  product: ["product_linked", "product_unlinked", "product_excluded", "product_included"],
  settings: ["settings_changed"],
};
const RETURN_POSTED = "order_return_posted";
const PREFIXES: Partial<Record<ActivityType, string>> = { setup: "setup_", connection: "connection_" };
const KNOWN = [...Object.values(STORED_TYPES).flat(), RETURN_POSTED];
const PRODUCT_EVENTS = STORED_TYPES.product!;

/** The screen's type of a stored entry (see the table at the top). */
export function activityTypeOf(
  type: string,
  severity: ActivityEntry["severity"],
  orderCancelled: boolean | null,
): ActivityType {
  if (type === RETURN_POSTED) return orderCancelled ? "cancellation_restocked" : "refund_restocked";
  for (const [shown, stored] of Object.entries(STORED_TYPES)) if (stored.includes(type)) return shown as ActivityType;
  for (const [shown, prefix] of Object.entries(PREFIXES)) if (type.startsWith(prefix)) return shown as ActivityType;
  return severity === "error" ? "error" : "connection";
}

function isKnown(type: string): boolean {
  return KNOWN.includes(type) || Object.values(PREFIXES).some((prefix) => type.startsWith(prefix));
}

/**
 * The same rule as activityTypeOf, as SQL over `"ActivityEvent" e` joined to `"Order" o`: the
 * entries shown as `type`. Prefixes and unknown types are resolved against the stored types the
 * business has (one index probe per distinct type), so every filter is an indexed list of types.
 */
async function typeCondition(
  pool: MerchantDeps["pool"],
  businessId: string,
  type: ActivityType,
  add: (value: unknown) => string,
): Promise<string> {
  const { rows } = await pool.query<{ type: string }>(
    `WITH RECURSIVE present AS (
       SELECT min("type") AS "type" FROM "ActivityEvent" WHERE "businessId" = $1
       UNION ALL
       SELECT (SELECT min("type") FROM "ActivityEvent" WHERE "businessId" = $1 AND "type" > p."type") FROM present p WHERE p."type" IS NOT NULL
     )
     SELECT "type" FROM present WHERE "type" IS NOT NULL`,
    [businessId],
  );
  const present = rows.map((row) => row.type);
  const shown = present.filter(
    (stored) => stored !== RETURN_POSTED && isKnown(stored) && activityTypeOf(stored, "info", null) === type,
  );
  const unknown = present.filter((stored) => !isKnown(stored));
  const parts: string[] = [];
  if (shown.length > 0) parts.push(`e."type" = ANY(${add(shown)}::text[])`);
  if (type === "refund_restocked") parts.push(`(e."type" = '${RETURN_POSTED}' AND o."cancelled" IS NOT TRUE)`);
  if (type === "cancellation_restocked") parts.push(`(e."type" = '${RETURN_POSTED}' AND o."cancelled")`);
  if (type === "error" && unknown.length > 0)
    parts.push(`(e."type" = ANY(${add(unknown)}::text[]) AND e."severity" = 'error')`);
  if (type === "connection" && unknown.length > 0)
    parts.push(`(e."type" = ANY(${add(unknown)}::text[]) AND e."severity" <> 'error')`);
  return parts.length > 0 ? `(${parts.join(" OR ")})` : "false";
}

const DEFAULT_PAGE_SIZE = 25;
const CURSOR_KIND = "activity";
const cursorKey = z.tuple([z.iso.datetime(), z.string().regex(/^\d+$/u)]);

const activityQuerySchema = z
  .object({
    type: z.enum(ACTIVITY_TYPES).optional(),
    sku: z.string().trim().max(255).optional(),
    after: z.string().min(1).optional(),
    pageSize: z
      .number()
      .int("must be a whole number")
      .min(1, "must be 1 to 100")
      .max(100, "must be 1 to 100")
      .optional(),
  })
  .strict();

interface EventRow {
  id: string;
  createdAt: Date;
  type: string;
  severity: ActivityEntry["severity"];
  message: string;
  data: Record<string, unknown> | null;
  variantId: string | null;
  orderId: string | null;
  orderExternalId: string | null;
  orderNumber: string | null;
  orderInvoiceNo: string | null;
  orderPostingState: string | null;
  orderCancelled: boolean | null;
  listingId: string | null;
  listingSku: string | null;
  listingTitle: string | null;
  variantSku: string | null;
  variantTitle: string | null;
  variantProductTitle: string | null;
}

export async function listActivity(deps: MerchantDeps, store: StoreRef, query: ActivityQuery): Promise<ActivityPage> {
  const parsed = activityQuerySchema.safeParse(query ?? {});
  if (!parsed.success)
    throw new SyncError(
      "invalid_input",
      "The activity was asked for with values it does not take",
      issuesOf(parsed.error),
    );
  const connection = await connectedStore(deps, store);
  const pageSize = parsed.data.pageSize ?? DEFAULT_PAGE_SIZE;
  const key = parsed.data.after ? decodeCursor(CURSOR_KIND, parsed.data.after, cursorKey, "after") : null;

  const values: unknown[] = [connection.businessId, connection.id];
  const add = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const conditions = [
    `e."businessId" = $1::uuid`,
    // This store's entries, and the business's that concern one of its products or none in particular.
    `(e."connectionId" = $2::uuid OR (e."connectionId" IS NULL AND (e."variantId" IS NULL OR EXISTS (
       SELECT 1 FROM "Listing" x WHERE x."businessId" = $1::uuid AND x."connectionId" = $2::uuid AND x."variantId" = e."variantId"))))`,
  ];
  if (parsed.data.type) conditions.push(await typeCondition(deps.pool, connection.businessId, parsed.data.type, add));
  const sku = normalizeSku(parsed.data.sku);
  if (sku !== null) {
    const about = await productOfSku(deps, connection, sku);
    if (about.variantIds.length === 0 && about.listingIds.length === 0) return { entries: [], nextCursor: null };
    const variantIds = add(about.variantIds);
    // Entries about the product: its own (drift, oversell, links), and those of this store's orders that moved its stock.
    // A product in few orders is found through the indexes by variant, order and type; one in
    // many orders is dense in the timeline, so scanning it newest first stops early.
    const ofOrders =
      about.orderIds !== null
        ? `e."orderId" = ANY(${add(about.orderIds)}::uuid[])`
        : `e."orderId" IN (${ordersOfVariants(`${variantIds}::uuid[]`, add(connection.locationId))})`;
    conditions.push(`(e."variantId" = ANY(${variantIds}::uuid[]) OR ${ofOrders}
      OR (e."type" = ANY(${add(PRODUCT_EVENTS)}::text[]) AND e."data"->>'listingId' = ANY(${add(about.listingIds)}::text[])))`);
  }
  if (key) conditions.push(`(e."createdAt", e."id") < (${add(key[0])}::timestamptz, ${add(key[1])}::bigint)`);
  const byOrderState = parsed.data.type === "refund_restocked" || parsed.data.type === "cancellation_restocked";

  // The page is chosen first; only its rows are then joined to their order, product and listing.
  // Planned for these values: the pool's generic plans (store/database.ts) cannot tell a SKU in
  // three orders from one in three thousand, and picked a scan of the whole timeline for both.
  const { rows } = await withTransaction(deps.pool, async (sql) => {
    await sql.query("SET LOCAL plan_cache_mode = force_custom_plan");
    return sql.query<EventRow>(
      `WITH page AS MATERIALIZED (
       SELECT e."id", e."createdAt", e."type", e."severity", e."message", e."data", e."variantId", e."orderId"
       FROM "ActivityEvent" e
       ${byOrderState ? `LEFT JOIN "Order" o ON o."businessId" = e."businessId" AND o."id" = e."orderId"` : ""}
       WHERE ${conditions.join(" AND ")}
       ORDER BY e."createdAt" DESC, e."id" DESC
       LIMIT ${pageSize + 1}
     )
     SELECT p."id"::text AS "id", p."createdAt", p."type", p."severity", p."message", p."data", p."variantId", p."orderId",
            o."externalId" AS "orderExternalId", o."number" AS "orderNumber", o."prokipInvoiceNo" AS "orderInvoiceNo",
            o."postingState" AS "orderPostingState", o."cancelled" AS "orderCancelled",
            COALESCE(ln."id", lv."id") AS "listingId", COALESCE(ln."sku", lv."sku") AS "listingSku", COALESCE(ln."title", lv."title") AS "listingTitle",
            v."sku" AS "variantSku", v."title" AS "variantTitle", v."productTitle" AS "variantProductTitle"
     FROM page p
     LEFT JOIN "Order" o ON o."businessId" = $1::uuid AND o."id" = p."orderId"
     LEFT JOIN "Variant" v ON v."businessId" = $1::uuid AND v."id" = p."variantId"
     -- The store's listing the entry is about: named in the entry (product actions), else the one of its variant.
     LEFT JOIN "Listing" ln ON ln."businessId" = $1::uuid AND ln."connectionId" = $2::uuid
       AND ln."id" = CASE WHEN p."data"->>'listingId' ~ '^[0-9a-f-]{36}$' THEN (p."data"->>'listingId')::uuid END
     LEFT JOIN "Listing" lv ON lv."businessId" = $1::uuid AND lv."connectionId" = $2::uuid AND lv."variantId" = p."variantId" AND NOT (p."data" ? 'listingId')
     ORDER BY p."createdAt" DESC, p."id" DESC`,
      values,
    );
  });
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return {
    entries: page.map((row) => entryOf(connection, row)),
    nextCursor:
      rows.length > pageSize && last ? encodeCursor(CURSOR_KIND, [last.createdAt.toISOString(), last.id]) : null,
  };
}

/** Orders that moved these variants' stock at the location (in SQL; `$1` the business, `$2` the store). */
function ordersOfVariants(variantIds: string, locationId: string): string {
  return `SELECT m."orderId" FROM "StockMovement" m
          WHERE m."businessId" = $1::uuid AND m."locationId" = ${locationId}::uuid AND m."variantId" = ANY(${variantIds})
            AND m."connectionId" = $2::uuid AND m."orderId" IS NOT NULL`;
}

/** Above this many orders a product's order entries are found by scanning, not by listing the orders. */
const LISTED_ORDERS = 5_000;

/**
 * What a SKU names (normalised, as matching does): the Prokip products, this store's listings,
 * and this store's orders that moved their stock (null when there are more than LISTED_ORDERS).
 */
async function productOfSku(
  deps: MerchantDeps,
  connection: MerchantConnection,
  sku: string,
): Promise<{ variantIds: string[]; listingIds: string[]; orderIds: string[] | null }> {
  const { rows } = await deps.pool.query<{ variantIds: string[] | null; listingIds: string[] | null }>(
    `WITH variants AS (
       SELECT "id" FROM "Variant" WHERE "businessId" = $1 AND "normalizedSku" = $3
       UNION
       SELECT "variantId" FROM "Listing" WHERE "businessId" = $1 AND "connectionId" = $2 AND "normalizedSku" = $3 AND "variantId" IS NOT NULL
     )
     SELECT (SELECT array_agg("id"::text) FROM variants) AS "variantIds",
            (SELECT array_agg(l."id"::text) FROM "Listing" l
             WHERE l."businessId" = $1 AND l."connectionId" = $2 AND (l."normalizedSku" = $3 OR l."variantId" IN (SELECT "id" FROM variants))) AS "listingIds"`,
    [connection.businessId, connection.id, sku],
  );
  const variantIds = rows[0]?.variantIds ?? [];
  const listingIds = rows[0]?.listingIds ?? [];
  if (variantIds.length === 0) return { variantIds, listingIds, orderIds: [] };
  const orders = await deps.pool.query<{ orderId: string }>(
    `SELECT DISTINCT o."orderId" FROM (${ordersOfVariants("$3::uuid[]", "$4")}) o LIMIT ${LISTED_ORDERS + 1}`,
    [connection.businessId, connection.id, variantIds, connection.locationId],
  );
  return {
    variantIds,
    listingIds,
    orderIds: orders.rows.length > LISTED_ORDERS ? null : orders.rows.map((row) => row.orderId),
  };
}

function entryOf(connection: MerchantConnection, row: EventRow): ActivityEntry {
  const data = row.data ?? {};
  const invoiceNo = typeof data.invoiceNo === "string" ? data.invoiceNo : null;
  const type = activityTypeOf(row.type, row.severity, row.orderCancelled);
  let product: ActivityEntry["product"] = null;
  if (row.listingId) product = { sku: row.listingSku, title: row.listingTitle, listingId: row.listingId };
  else if (row.variantSku !== null)
    product = { sku: row.variantSku, title: variantName(row.variantProductTitle!, row.variantTitle!), listingId: null };
  else if (typeof data.listingId === "string")
    product = { sku: typeof data.sku === "string" ? data.sku : null, title: null, listingId: null }; // the listing is gone
  const stillNotPosted = row.orderPostingState === "failed" || row.orderPostingState === "needs_attention";
  return {
    id: row.id,
    at: row.createdAt,
    type,
    severity: row.severity,
    message: row.message,
    order: row.orderId
      ? {
          orderId: row.orderId,
          number: row.orderNumber,
          storeAdminUrl: row.orderExternalId ? orderAdminUrl(connection, row.orderExternalId) : null,
          // The sale this entry is about (a second sell has its own number), else the order's first.
          prokipInvoiceNo: invoiceNo ?? row.orderInvoiceNo,
        }
      : null,
    product,
    retry:
      row.type === "posting_failed" && row.orderId && stillNotPosted
        ? { kind: "order_posting", orderId: row.orderId }
        : null,
  };
}

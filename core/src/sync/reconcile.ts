/**
 * Reconciliation: what webhooks may have missed, put right. Per connection, on a schedule and
 * on "Sync now": refresh Prokip's stock for the location (Prokip mode), re-read the store's
 * orders changed since the last cursor (with an overlap) through the same order logic, read the
 * store's quantities and set back any drift, make sure the webhook subscriptions exist (and
 * re-enable WooCommerce's disabled ones; remove shop-scoped ones where the Shopify app's own
 * subscriptions deliver), and list the orders whose Prokip posting should be
 * retried. Every step is convergent, so running it twice changes nothing the second time.
 */
import type pg from "pg";
import {
  keepWebhookSubscriptions,
  type Channel,
  type PosSystem,
  type WebhookSubscriptionsReport,
  type WebhookTarget,
} from "../channels/index.ts";
import type { Logger } from "../log/index.ts";
import { applyOrderState } from "./orders.ts";
import { refreshProkipStock } from "./prokip-stock.ts";
import { checkStoreEdits } from "./store-edits.ts";

/** Orders are re-read from this long before the last cursor: late updates are not lost at the edge. */
const ORDER_OVERLAP_MS = 15 * 60_000;
/** A connection never reconciled before looks this far back. */
const FIRST_LOOK_BACK_MS = 24 * 60 * 60_000;
const READ_BATCH = 250;

export interface ReconcileTarget {
  id: string;
  businessId: string;
  platform: "shopify" | "woocommerce";
  locationId: string;
  orderCursor: Date | null;
  /** Prokip mode: the location in Prokip. */
  prokipLocationId: number | null;
  authorityMode: "prokip" | "central";
  /** Subscriptions kept at each reconciliation; no topics: any to `url` are removed (the app owns them). */
  webhooks: WebhookTarget | null;
}

export interface ReconcileResult {
  prokip: { changed: number; ambiguous: number } | null;
  ordersReread: number;
  storeQuantitiesRead: number;
  drift: number;
  webhooks: WebhookSubscriptionsReport | null;
  /** Orders whose Prokip posting is pending or failed: the caller asks for them to be posted. */
  postingsToRetry: string[];
}

export async function reconcileConnection(
  deps: { pool: pg.Pool; log: Logger },
  target: ReconcileTarget,
  channel: Channel,
  pos: PosSystem | null,
): Promise<ReconcileResult> {
  const startedAt = new Date();
  const result: ReconcileResult = {
    prokip: null,
    ordersReread: 0,
    storeQuantitiesRead: 0,
    drift: 0,
    webhooks: null,
    postingsToRetry: [],
  };

  if (pos && target.authorityMode === "prokip" && target.prokipLocationId !== null) {
    const refresh = await refreshProkipStock(
      { pool: deps.pool, pos, log: deps.log },
      { businessId: target.businessId, locationId: target.locationId, prokipLocationId: target.prokipLocationId },
    );
    result.prokip = { changed: refresh.changed.length, ambiguous: refresh.ambiguous.length };
  }

  const since = new Date(
    (target.orderCursor?.getTime() ?? startedAt.getTime() - FIRST_LOOK_BACK_MS) - ORDER_OVERLAP_MS,
  );
  for await (const page of channel.ordersChangedSince(since)) {
    for (const order of page) {
      await applyOrderState(deps.pool, { ...order, connectionId: target.id });
      result.ordersReread += 1;
    }
  }

  result.storeQuantitiesRead = await readStoreQuantities(deps.pool, target, channel);
  const check = await checkStoreEdits(deps.pool, target, channel, { rereadOrders: false, log: deps.log });
  result.drift = check.drift + check.accepted;

  if (target.webhooks) result.webhooks = await keepWebhookSubscriptions(channel, target.webhooks);

  // 'posting' too: a sell in doubt whose job was lost (a process killed, retries used up) would
  // otherwise wait for ever; posting looks the sell up by invoice number before sending anything.
  const { rows } = await deps.pool.query<{ id: string }>(
    `SELECT "id" FROM "Order" WHERE "businessId" = $1 AND "connectionId" = $2 AND "postingState" IN ('pending', 'posting', 'failed') ORDER BY "updatedAt"`,
    [target.businessId, target.id],
  );
  result.postingsToRetry = rows.map((row) => row.id);

  await deps.pool.query(
    `UPDATE "Connection" SET "orderCursor" = $2, "lastSyncAt" = now(), "lastError" = NULL, "updatedAt" = now() WHERE "id" = $1`,
    [target.id, startedAt],
  );
  return result;
}

/** The store's own figure for every matched listing, recorded as its store quantity. */
async function readStoreQuantities(pool: pg.Pool, target: ReconcileTarget, channel: Channel): Promise<number> {
  const { rows } = await pool.query<{
    id: string;
    externalProductId: string;
    externalVariantId: string;
    externalInventoryItemId: string | null;
  }>(
    `SELECT "id", "externalProductId", "externalVariantId", "externalInventoryItemId" FROM "Listing"
     WHERE "businessId" = $1 AND "connectionId" = $2 AND "matchStatus" = 'matched' ORDER BY "id"`,
    [target.businessId, target.id],
  );
  let read = 0;
  for (let i = 0; i < rows.length; i += READ_BATCH) {
    const batch = rows.slice(i, i + READ_BATCH);
    const quantities = await channel.readQuantities(batch);
    const known = batch.filter((listing) => quantities.has(listing.externalVariantId));
    // Listings are locked in id order (docs/architecture.md, "Lock order").
    await pool.query(
      `WITH locked AS MATERIALIZED (
         SELECT "id" FROM "Listing" WHERE "businessId" = $1 AND "id" = ANY($2::uuid[]) ORDER BY "id" FOR UPDATE
       )
       UPDATE "Listing" AS l SET "storeQuantity" = q."quantity", "updatedAt" = now()
       FROM unnest($2::uuid[], $3::int[]) AS q("id", "quantity"), locked
       WHERE l."businessId" = $1 AND l."id" = q."id" AND locked."id" = q."id"`,
      [
        target.businessId,
        known.map((listing) => listing.id),
        known.map((listing) => quantities.get(listing.externalVariantId) ?? null),
      ],
    );
    read += known.length;
  }
  return read;
}

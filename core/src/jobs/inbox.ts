/**
 * Inbox processing: a connection's stored deliveries, oldest first, into the ledger.
 *
 * Deliveries are handled a batch at a time inside a transaction that holds their rows locked
 * (FOR UPDATE SKIP LOCKED): if the process dies, the locks go with it and the deliveries are
 * simply handled again. That is safe because the ledger is convergent ("orders are state"):
 * handling an order twice changes nothing the second time. The order states of a batch are
 * applied together (sync/orders.ts applyOrderStates), which is what lets one worker keep up
 * with a busy store.
 *
 * Order topics go through the order logic. Inventory notifications (Shopify
 * inventory_levels/update, WooCommerce product.updated) are checked for our own echo; other
 * changes ask for a store-edit check (sync/store-edits.ts). Topics nothing handles yet
 * (products/update, products/delete, product.deleted, ...) are marked ignored: they stay in the
 * inbox, recorded with their payload, but no delivery is left waiting for ever.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { shopify, type Channel, type StoreOrderState } from "../channels/index.ts";
import type { Logger } from "../log/index.ts";
import { markUninstalled } from "../connections/index.ts";
import { withTransaction, type Sql } from "../store/index.ts";
import { applyOrderStates, recordStoreQuantities, type StoreQuantityReport } from "../sync/index.ts";

const HANDLED_TOPICS = {
  shopify: [
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/cancelled",
    "orders/edited",
    "refunds/create",
    "inventory_levels/update",
    "app/uninstalled",
  ],
  woocommerce: ["order.created", "order.updated", "order.deleted", "order.restored", "product.updated"],
} as const;

const INVENTORY_TOPICS = new Set(["inventory_levels/update", "product.updated"]);

/** Give up on a delivery after this many attempts; it stays in the inbox as failed. */
const MAX_ATTEMPTS = 5;

export interface InboxConnection {
  id: string;
  businessId: string;
  platform: "shopify" | "woocommerce";
  /** Shopify: the location we sync; notifications about other locations are not ours. */
  storeLocationId?: string | null;
}

export interface InboxRunResult {
  processed: number;
  ignored: number;
  failed: number;
  /** Orders whose state changed the ledger. */
  ordersChanged: number;
  /** Store quantities that were not our own echo: a store-edit check is needed. */
  storeChanges: number;
  /** Orders whose ledger movements changed (to post to Prokip in Prokip mode). */
  changedOrderIds: string[];
  /** The run stopped at maxRunMs with deliveries still coming. */
  cutShort: boolean;
}

/** Deliveries handled per transaction: the order states among them share one ledger transaction. */
export const INBOX_BATCH_SIZE = 25;

interface Delivery {
  id: string;
  topic: string;
  /** The stored body as text (jsonb keeps numbers exact; node-pg's JSON.parse would not): see payloadOf. */
  payload: string;
  attempts: number;
  triggeredAt: Date | null;
}

interface Handled {
  id: string;
  state: "processed" | "ignored" | "received" | "failed";
  error: string | null;
}

/**
 * Handles the connection's waiting deliveries, a batch at a time, until none is left.
 * `onBatch` hears what each committed batch changed, so drains and postings can start while
 * a long queue is still being worked through.
 */
export interface InboxRunOptions {
  /** Hears what each committed batch changed, so drains and postings can start at once. */
  onBatch?: (batch: InboxRunResult) => Promise<void>;
  /**
   * Once the inbox is empty, keep looking this long (every LINGER_POLL_MS) before returning.
   * Deliveries of a busy store then wait milliseconds for a run that is already going, not a
   * queue poll for the next one.
   */
  lingerMs?: number;
  /** Return after this long even if deliveries keep coming (`cutShort`): the next run goes on. */
  maxRunMs?: number;
}

const LINGER_POLL_MS = 25;

/**
 * Handles the connection's waiting deliveries, a batch at a time, until none is left (and none
 * came for `lingerMs`).
 */
export async function processInbox(
  pool: pg.Pool,
  connection: InboxConnection,
  channel: Channel,
  log: Logger,
  options: InboxRunOptions = {},
): Promise<InboxRunResult> {
  const { onBatch, lingerMs = 0, maxRunMs = Number.POSITIVE_INFINITY } = options;
  const total = emptyResult();
  const skipped: string[] = [];
  const started = Date.now();
  let idleSince: number | null = null;
  for (;;) {
    const batch = emptyResult();
    const handledCount = await withTransaction(pool, async (sql) => {
      const { rows: deliveries } = await sql.query<Delivery>(
        `SELECT "id", "topic", "payload"::text AS "payload", "attempts", "triggeredAt" FROM "WebhookEvent"
         WHERE "businessId" = $1 AND "connectionId" = $2 AND "state" = 'received' AND NOT ("id" = ANY($3::uuid[]))
         ORDER BY "receivedAt", "id" LIMIT $4
         FOR UPDATE SKIP LOCKED`,
        [connection.businessId, connection.id, skipped, INBOX_BATCH_SIZE],
      );
      if (deliveries.length === 0) return 0;
      const handled = await handleDeliveries(pool, sql, connection, channel, deliveries, batch);
      for (const item of handled) {
        if (item.state === "received" || item.state === "failed") {
          skipped.push(item.id);
          const delivery = deliveries.find((d) => d.id === item.id)!;
          log.warn(
            {
              deliveryId: item.id,
              topic: delivery.topic,
              attempt: delivery.attempts + 1,
              giveUp: item.state === "failed",
            },
            `delivery not processed: ${item.error}`,
          );
        }
      }
      await sql.query(
        `UPDATE "WebhookEvent" AS w
         SET "state" = h."state", "attempts" = w."attempts" + 1, "error" = h."error",
             "processedAt" = CASE WHEN h."state" IN ('processed', 'ignored') THEN now() ELSE w."processedAt" END
         FROM unnest($1::uuid[], $2::"WebhookState"[], $3::text[]) AS h("id", "state", "error")
         WHERE w."id" = h."id"`,
        [handled.map((h) => h.id), handled.map((h) => h.state), handled.map((h) => h.error)],
      );
      return deliveries.length;
    });
    const now = Date.now();
    if (now - started >= maxRunMs) {
      total.cutShort = handledCount > 0;
      if (handledCount === 0) return total;
    }
    if (handledCount === 0) {
      idleSince ??= now;
      if (now - idleSince >= lingerMs) return total;
      await sleep(LINGER_POLL_MS);
      continue;
    }
    idleSince = null;
    addTo(total, batch);
    if (onBatch && batch.ordersChanged + batch.storeChanges > 0) await onBatch(batch);
    if (total.cutShort) return total;
  }
}

/**
 * One batch: order states first (one ledger transaction for all of them), then store
 * quantities (so a sale and the store's own notification of it, arriving together, are seen in
 * that order), then the rest.
 */
async function handleDeliveries(
  pool: pg.Pool,
  sql: Sql,
  connection: InboxConnection,
  channel: Channel,
  deliveries: Delivery[],
  result: InboxRunResult,
): Promise<Handled[]> {
  const handled = new Map<string, Handled>();
  const failed = (delivery: Delivery, error: unknown) => {
    result.failed += 1;
    const message = error instanceof Error ? error.message : String(error);
    handled.set(delivery.id, {
      id: delivery.id,
      state: delivery.attempts + 1 >= MAX_ATTEMPTS ? "failed" : "received",
      error: message,
    });
  };
  const done = (delivery: Delivery, state: "processed" | "ignored") => {
    result[state] += 1;
    handled.set(delivery.id, { id: delivery.id, state, error: null });
  };

  const orderDeliveries = deliveries.filter(
    (d) => isHandled(connection, d.topic) && d.topic !== "app/uninstalled" && !INVENTORY_TOPICS.has(d.topic),
  );
  const states = await orderStatesFor(connection.platform, orderDeliveries, channel);
  const toApply: { delivery: Delivery; state: StoreOrderState }[] = [];
  for (const delivery of orderDeliveries) {
    const state = states.get(delivery.id)!;
    if (state instanceof Error) failed(delivery, state);
    else if (state === null) done(delivery, "ignored");
    else toApply.push({ delivery, state });
  }
  const outcomes = await applyOrderStates(
    pool,
    toApply.map(({ state }) => ({ ...state, connectionId: connection.id })),
  );
  outcomes.forEach((outcome, i) => {
    const { delivery } = toApply[i]!;
    if (!outcome.ok) return failed(delivery, outcome.error);
    if (outcome.result.movements.length > 0) {
      result.ordersChanged += 1;
      result.changedOrderIds.push(outcome.result.orderId);
    }
    done(delivery, "processed");
  });

  const quantities: { delivery: Delivery; report: StoreQuantityReport }[] = [];
  for (const delivery of deliveries) {
    if (handled.has(delivery.id)) continue;
    if (!isHandled(connection, delivery.topic)) {
      done(delivery, "ignored");
      continue;
    }
    try {
      if (delivery.topic === "app/uninstalled") {
        // One triggered before the store was connected again is about the earlier installation.
        await markUninstalled(pool, connection.id, { triggeredAt: delivery.triggeredAt });
        done(delivery, "processed");
        continue;
      }
      const report = storeQuantityReport(connection, delivery.topic, payloadOf(connection.platform, delivery));
      if (report) quantities.push({ delivery, report });
      else done(delivery, "ignored");
    } catch (error) {
      failed(delivery, error);
    }
  }
  // Store quantities in one statement, in the batch's transaction.
  const reported = await recordStoreQuantities(
    sql,
    connection,
    quantities.map((q) => q.report),
  );
  quantities.forEach(({ delivery }, i) => {
    if (reported[i] === "changed") result.storeChanges += 1;
    done(delivery, reported[i] === "changed" ? "processed" : "ignored");
  });
  return deliveries.map((delivery) => handled.get(delivery.id)!);
}

/**
 * A stored body as the adapters read it. Shopify's ids go beyond 2^53 (its documented samples carry
 * 18 digits), so its bodies are parsed keeping every number's digits (shopify.parseShopifyWebhookBody).
 */
function payloadOf(platform: InboxConnection["platform"], delivery: Delivery): unknown {
  return platform === "shopify" ? shopify.parseShopifyWebhookBody(delivery.payload) : JSON.parse(delivery.payload);
}

function isHandled(connection: InboxConnection, topic: string): boolean {
  return (HANDLED_TOPICS[connection.platform] as readonly string[]).includes(topic);
}

function emptyResult(): InboxRunResult {
  return {
    processed: 0,
    ignored: 0,
    failed: 0,
    ordersChanged: 0,
    storeChanges: 0,
    changedOrderIds: [],
    cutShort: false,
  };
}

function addTo(total: InboxRunResult, batch: InboxRunResult): void {
  total.processed += batch.processed;
  total.ignored += batch.ignored;
  total.failed += batch.failed;
  total.ordersChanged += batch.ordersChanged;
  total.storeChanges += batch.storeChanges;
  total.changedOrderIds.push(...batch.changedOrderIds);
}

/** What a store quantity notification reports, or null when it is not about a listing we sync. */
function storeQuantityReport(connection: InboxConnection, topic: string, payload: unknown): StoreQuantityReport | null {
  if (topic === "inventory_levels/update") {
    const level = shopify.parseInventoryLevelWebhook(payload);
    if (connection.storeLocationId && level.locationId !== connection.storeLocationId) return null;
    if (level.available === null) return null;
    return { externalInventoryItemId: level.inventoryItemId, quantity: level.available };
  }
  const product = payload as { id?: unknown; manage_stock?: unknown; stock_quantity?: unknown; type?: unknown } | null;
  if (typeof product?.id !== "number" || product.manage_stock !== true || typeof product.stock_quantity !== "number")
    return null;
  return { externalVariantId: String(product.id), quantity: Math.floor(product.stock_quantity) };
}

/**
 * The order state each delivery points at (an Error when it cannot be had now). Shopify's order
 * payloads carry the whole order; `orders/edited` and `refunds/create` only name it, and
 * WooCommerce's lack refund detail, so those are read from the store: once per order in the
 * batch, all at once (the channel paces its own requests). null: the store no longer has the order.
 */
async function orderStatesFor(
  platform: "shopify" | "woocommerce",
  deliveries: Delivery[],
  channel: Channel,
): Promise<Map<string, StoreOrderState | null | Error>> {
  const states = new Map<string, StoreOrderState | null | Error>();
  const reads = new Map<string, Delivery[]>();
  for (const delivery of deliveries) {
    try {
      const payload = payloadOf(platform, delivery);
      if (platform === "shopify" && delivery.topic !== "orders/edited" && delivery.topic !== "refunds/create") {
        states.set(delivery.id, shopify.normalizeShopifyOrderWebhook(payload));
        continue;
      }
      const orderId =
        platform === "shopify" ? shopify.orderIdFromShopifyWebhook(delivery.topic, payload) : wooOrderId(payload);
      if (orderId === null) throw new Error(`The ${delivery.topic} delivery names no order`);
      reads.set(orderId, [...(reads.get(orderId) ?? []), delivery]);
    } catch (error) {
      states.set(delivery.id, error instanceof Error ? error : new Error(String(error)));
    }
  }
  await Promise.all(
    [...reads].map(async ([orderId, waiting]) => {
      const state = await channel
        .readOrder(orderId)
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
      for (const delivery of waiting) states.set(delivery.id, state);
    }),
  );
  return states;
}

function wooOrderId(payload: unknown): string | null {
  const id = (payload as { id?: unknown } | null)?.id;
  return typeof id === "number" || typeof id === "string" ? String(id) : null;
}

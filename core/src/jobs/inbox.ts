/**
 * Inbox processing: a connection's stored deliveries, oldest first, into the ledger.
 *
 * Each delivery is handled inside a transaction that holds its row locked (FOR UPDATE SKIP
 * LOCKED): if the process dies, the lock goes with it and the delivery is simply handled again.
 * That is safe because the ledger is convergent ("orders are state"): handling an order twice
 * changes nothing the second time.
 *
 * Order topics go through the order logic. Inventory notifications (Shopify
 * inventory_levels/update, WooCommerce product.updated) are checked for our own echo; other
 * changes ask for a store-edit check (sync/store-edits.ts). Topics nothing handles yet
 * (products/update, products/delete, product.deleted, ...) are marked ignored: they stay in the
 * inbox, recorded with their payload, but no delivery is left waiting for ever.
 */
import type pg from "pg";
import { shopify, type Channel, type StoreOrderState } from "../channels/index.ts";
import type { Logger } from "../log/index.ts";
import { markUninstalled } from "../connections/index.ts";
import { withTransaction } from "../store/index.ts";
import { applyOrderState, recordStoreQuantity } from "../sync/index.ts";

const HANDLED_TOPICS = {
  shopify: ["orders/create", "orders/paid", "orders/updated", "orders/cancelled", "orders/edited", "refunds/create", "inventory_levels/update", "app/uninstalled"],
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
}

export async function processInbox(pool: pg.Pool, connection: InboxConnection, channel: Channel, log: Logger): Promise<InboxRunResult> {
  const result: InboxRunResult = { processed: 0, ignored: 0, failed: 0, ordersChanged: 0, storeChanges: 0, changedOrderIds: [] };
  const skipped: string[] = [];
  for (;;) {
    const handled = await withTransaction(pool, async (sql) => {
      const { rows } = await sql.query<{ id: string; topic: string; payload: unknown; attempts: number }>(
        `SELECT "id", "topic", "payload", "attempts" FROM "WebhookEvent"
         WHERE "businessId" = $1 AND "connectionId" = $2 AND "state" = 'received' AND NOT ("id" = ANY($3::uuid[]))
         ORDER BY "receivedAt", "id" LIMIT 1
         FOR UPDATE SKIP LOCKED`,
        [connection.businessId, connection.id, skipped],
      );
      const delivery = rows[0];
      if (!delivery) return false;
      if (!(HANDLED_TOPICS[connection.platform] as readonly string[]).includes(delivery.topic)) {
        result.ignored += 1;
        await sql.query(`UPDATE "WebhookEvent" SET "state" = 'ignored', "attempts" = "attempts" + 1, "processedAt" = now() WHERE "id" = $1`, [delivery.id]);
        return true;
      }
      try {
        if (delivery.topic === "app/uninstalled") {
          await markUninstalled(pool, connection.id);
          result.processed += 1;
          await sql.query(`UPDATE "WebhookEvent" SET "state" = 'processed', "attempts" = "attempts" + 1, "processedAt" = now() WHERE "id" = $1`, [delivery.id]);
          return true;
        }
        if (INVENTORY_TOPICS.has(delivery.topic)) {
          const outcome = await handleStoreQuantity(pool, connection, delivery.topic, delivery.payload);
          if (outcome === "changed") result.storeChanges += 1;
          const state = outcome === "changed" ? "processed" : "ignored";
          result[state] += 1;
          await sql.query(`UPDATE "WebhookEvent" SET "state" = $2, "attempts" = "attempts" + 1, "processedAt" = now(), "error" = NULL WHERE "id" = $1`, [delivery.id, state]);
          return true;
        }
        const state = await orderStateFor(connection.platform, delivery.topic, delivery.payload, channel);
        if (state === null) {
          result.ignored += 1;
          await sql.query(`UPDATE "WebhookEvent" SET "state" = 'ignored', "attempts" = "attempts" + 1, "processedAt" = now() WHERE "id" = $1`, [delivery.id]);
          return true;
        }
        const applied = await applyOrderState(pool, { ...state, connectionId: connection.id });
        if (applied.movements.length > 0) {
          result.ordersChanged += 1;
          result.changedOrderIds.push(applied.orderId);
        }
        result.processed += 1;
        await sql.query(`UPDATE "WebhookEvent" SET "state" = 'processed', "attempts" = "attempts" + 1, "processedAt" = now(), "error" = NULL WHERE "id" = $1`, [delivery.id]);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const giveUp = delivery.attempts + 1 >= MAX_ATTEMPTS;
        result.failed += 1;
        skipped.push(delivery.id);
        log.warn({ deliveryId: delivery.id, topic: delivery.topic, attempt: delivery.attempts + 1, giveUp }, `delivery not processed: ${message}`);
        await sql.query(`UPDATE "WebhookEvent" SET "state" = $2, "attempts" = "attempts" + 1, "error" = $3 WHERE "id" = $1`, [delivery.id, giveUp ? "failed" : "received", message]);
      }
      return true;
    });
    if (!handled) return result;
  }
}

/** A store quantity notification: our echo, a change to check, or not about a listing we sync. */
async function handleStoreQuantity(pool: pg.Pool, connection: InboxConnection, topic: string, payload: unknown): Promise<"echo" | "changed" | "unknown"> {
  if (topic === "inventory_levels/update") {
    const level = shopify.parseInventoryLevelWebhook(payload);
    if (connection.storeLocationId && level.locationId !== connection.storeLocationId) return "unknown";
    if (level.available === null) return "unknown";
    return recordStoreQuantity(pool, connection, { externalInventoryItemId: level.inventoryItemId, quantity: level.available });
  }
  const product = payload as { id?: unknown; manage_stock?: unknown; stock_quantity?: unknown; type?: unknown } | null;
  if (typeof product?.id !== "number" || product.manage_stock !== true || typeof product.stock_quantity !== "number") return "unknown";
  return recordStoreQuantity(pool, connection, { externalVariantId: String(product.id), quantity: Math.floor(product.stock_quantity) });
}

/**
 * The order state a delivery points at. Shopify's order payloads carry the whole order;
 * `orders/edited` and `refunds/create` only name it, and WooCommerce's lack refund detail, so
 * those are read from the store. null: the store no longer has the order.
 */
async function orderStateFor(platform: "shopify" | "woocommerce", topic: string, payload: unknown, channel: Channel): Promise<StoreOrderState | null> {
  if (platform === "shopify") {
    if (topic === "orders/edited" || topic === "refunds/create") {
      const orderId = shopify.orderIdFromShopifyWebhook(topic, payload);
      if (orderId === null) throw new Error(`The ${topic} delivery names no order`);
      return channel.readOrder(orderId);
    }
    return shopify.normalizeShopifyOrderWebhook(payload);
  }
  const id = (payload as { id?: unknown } | null)?.id;
  if (typeof id !== "number" && typeof id !== "string") throw new Error("The delivery has no order id");
  return channel.readOrder(String(id));
}


/**
 * The webhook inbox: every verified delivery is stored once, before we answer the platform,
 * and processed later. The unique (businessId, connectionId, deliveryId) constraint makes a
 * redelivery a no-op in the database itself.
 */
import type pg from "pg";
import type { Platform } from "../store/index.ts";
import { storablePayload } from "./payload.ts";

export interface Delivery {
  businessId: string;
  connectionId: string;
  platform: Platform;
  topic: string;
  /**
   * Shopify X-Shopify-Event-Id (the same event delivered again keeps it); WooCommerce
   * `<X-WC-Webhook-Delivery-ID>:<body digest>` (its id is shared by every notification of a
   * webhook within one second: api/webhooks.ts `wooCommerceInboxKey`).
   */
  deliveryId: string;
  webhookId: string | null;
  /** The body's bytes exactly as received (already verified); stored as jsonb once `storablePayload` accepts them. */
  rawBody: Uint8Array;
  triggeredAt: Date | null;
}

/**
 * Stores a delivery; "duplicate" when this delivery id was already stored for the connection.
 * A body PostgreSQL could not keep is refused first (SyncError `invalid_payload`), nothing written.
 */
export async function recordDelivery(
  pool: pg.Pool,
  delivery: Delivery,
): Promise<{ status: "stored" | "duplicate"; id: string | null }> {
  const payload = storablePayload(delivery.rawBody);
  const { rows } = await pool.query<{ id: string }>({
    name: "inbox.record-delivery",
    text: `INSERT INTO "WebhookEvent" ("businessId", "connectionId", "platform", "topic", "deliveryId", "webhookId", "payload", "triggeredAt")
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)
           ON CONFLICT ("businessId", "connectionId", "deliveryId") DO NOTHING
           RETURNING "id"`,
    values: [
      delivery.businessId,
      delivery.connectionId,
      delivery.platform,
      delivery.topic,
      delivery.deliveryId,
      delivery.webhookId,
      payload,
      delivery.triggeredAt,
    ],
  });
  return rows[0] ? { status: "stored", id: rows[0].id } : { status: "duplicate", id: null };
}

export interface ReceivingConnection {
  id: string;
  businessId: string;
  platform: Platform;
  status: string;
  webhookSecret: string | null;
}

/**
 * Whether deliveries for this connection are kept. A disconnected store's are acknowledged and
 * dropped: nothing it sends while disconnected may reach Prokip, then or after a reconnect
 * (an app-installed Shopify shop keeps receiving the app's subscriptions until it uninstalls).
 */
export function keepsDeliveries(connection: Pick<ReceivingConnection, "status">): boolean {
  return connection.status !== "disconnected";
}

const connectionColumns = `"id", "businessId", "platform", "status", "webhookSecret"`;

export async function connectionByStoreDomain(
  pool: pg.Pool,
  platform: Platform,
  storeDomain: string,
): Promise<ReceivingConnection | null> {
  const { rows } = await pool.query<ReceivingConnection>({
    name: "inbox.connection-by-domain",
    text: `SELECT ${connectionColumns} FROM "Connection" WHERE "storeDomain" = $1 AND "platform" = $2`,
    values: [storeDomain, platform],
  });
  return rows[0] ?? null;
}

export async function connectionById(
  pool: pg.Pool,
  platform: Platform,
  id: string,
): Promise<ReceivingConnection | null> {
  const { rows } = await pool.query<ReceivingConnection>({
    name: "inbox.connection-by-id",
    text: `SELECT ${connectionColumns} FROM "Connection" WHERE "id" = $1 AND "platform" = $2`,
    values: [id, platform],
  });
  return rows[0] ?? null;
}

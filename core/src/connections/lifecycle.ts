/**
 * A store connection's lifecycle, as the merchant controls it:
 * - pause: deliveries are still received and recorded (and sales still posted to Prokip), but
 *   nothing is pushed to the store; its listings stay dirty and wait.
 * - resume: back to active; the caller reconciles, then pushes what waited.
 * - disconnect: webhook subscriptions removed, credentials erased, history kept (orders,
 *   ledger, activity). Shopify's app/uninstalled does the same without the webhook removal
 *   (Shopify has already removed them and revoked the token).
 */
import type pg from "pg";
import type { Channel } from "../channels/index.ts";
import { SyncError } from "../domain/index.ts";

type Status = "active" | "paused" | "needs_attention" | "disconnected";

async function transition(pool: pg.Pool, connectionId: string, from: Status[], to: Status, activity: { type: string; message: string }): Promise<Status> {
  const { rows } = await pool.query<{ businessId: string; status: Status }>(
    `UPDATE "Connection" SET "status" = $3::"ConnectionStatus", "updatedAt" = now(),
            "disconnectedAt" = CASE WHEN $3::"ConnectionStatus" = 'disconnected' THEN now() ELSE "disconnectedAt" END
     WHERE "id" = $1 AND "status" = ANY($2::"ConnectionStatus"[])
     RETURNING "businessId", "status"`,
    [connectionId, from, to],
  );
  const updated = rows[0];
  if (!updated) {
    const current = await pool.query<{ status: Status }>(`SELECT "status" FROM "Connection" WHERE "id" = $1`, [connectionId]);
    if (!current.rows[0]) throw new SyncError("unknown_connection", `No connection ${connectionId}`);
    if (current.rows[0].status === to) return to; // already there: asking twice is fine
    throw new SyncError("connection_not_active", `The store is ${current.rows[0].status.replace("_", " ")}; it cannot be set to ${to.replace("_", " ")}`);
  }
  await pool.query(`INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "message") VALUES ($1, $2, $3, $4)`, [updated.businessId, connectionId, activity.type, activity.message]);
  return to;
}

export function pauseConnection(pool: pg.Pool, connectionId: string): Promise<Status> {
  return transition(pool, connectionId, ["active", "needs_attention"], "paused", { type: "connection_paused", message: "Sync paused: orders are still recorded, stock is not sent to the store" });
}

export function resumeConnection(pool: pg.Pool, connectionId: string): Promise<Status> {
  return transition(pool, connectionId, ["paused", "needs_attention"], "active", { type: "connection_resumed", message: "Sync resumed: catching up on what changed while paused" });
}

/** Removes the store's webhooks (best effort: the store may be unreachable), then disconnects. */
export async function disconnectConnection(pool: pg.Pool, connectionId: string, options: { channel: Channel | null; webhookUrl: string | null }): Promise<{ webhooksRemoved: number; webhookError: string | null }> {
  let webhooksRemoved = 0;
  let webhookError: string | null = null;
  if (options.channel && options.webhookUrl) {
    try {
      webhooksRemoved = await options.channel.removeWebhooks(options.webhookUrl);
    } catch (error) {
      webhookError = error instanceof Error ? error.message : String(error);
    }
  }
  await transition(pool, connectionId, ["active", "paused", "needs_attention"], "disconnected", {
    type: "connection_disconnected",
    message: "Store disconnected: its orders, stock history and activity are kept",
  });
  await eraseCredentials(pool, connectionId);
  return { webhooksRemoved, webhookError };
}

/** Shopify's app/uninstalled: the app is gone, so are its webhooks and token. */
export async function markUninstalled(pool: pg.Pool, connectionId: string): Promise<void> {
  await transition(pool, connectionId, ["active", "paused", "needs_attention"], "disconnected", {
    type: "app_uninstalled",
    message: "The app was uninstalled from the store: sync stopped, history kept",
  });
  await eraseCredentials(pool, connectionId);
}

async function eraseCredentials(pool: pg.Pool, connectionId: string): Promise<void> {
  await pool.query(`UPDATE "Connection" SET "credentials" = NULL, "webhookSecret" = NULL, "updatedAt" = now() WHERE "id" = $1`, [connectionId]);
}

/**
 * A store connection's lifecycle, as the merchant controls it:
 * - pause: deliveries are still received and recorded (and sales still posted to Prokip), but
 *   nothing is pushed to the store; its listings stay dirty and wait.
 * - resume: back to active; the caller reconciles, then pushes what waited.
 * - disconnect: webhook subscriptions removed, credentials erased, history kept (orders,
 *   ledger, activity). Shopify's app/uninstalled does the same without the webhook removal
 *   (Shopify has already removed them and revoked the token), unless it is late: see
 *   `markUninstalled`.
 */
import type pg from "pg";
import type { Channel } from "../channels/index.ts";
import { SyncError } from "../domain/index.ts";

type Status = "active" | "paused" | "needs_attention" | "disconnected";

async function transition(
  pool: pg.Pool,
  connectionId: string,
  from: Status[],
  to: Status,
  activity: { type: string; message: string },
): Promise<Status> {
  const { rows } = await pool.query<{ businessId: string; status: Status }>(
    `UPDATE "Connection" SET "status" = $3::"ConnectionStatus", "updatedAt" = now(),
            "disconnectedAt" = CASE WHEN $3::"ConnectionStatus" = 'disconnected' THEN now() ELSE "disconnectedAt" END
     WHERE "id" = $1 AND "status" = ANY($2::"ConnectionStatus"[])
     RETURNING "businessId", "status"`,
    [connectionId, from, to],
  );
  const updated = rows[0];
  if (!updated) {
    const current = await pool.query<{ status: Status }>(`SELECT "status" FROM "Connection" WHERE "id" = $1`, [
      connectionId,
    ]);
    if (!current.rows[0]) throw new SyncError("unknown_connection", `No connection ${connectionId}`);
    if (current.rows[0].status === to) return to; // already there: asking twice is fine
    throw new SyncError(
      "connection_not_active",
      `The store is ${current.rows[0].status.replace("_", " ")}; it cannot be set to ${to.replace("_", " ")}`,
    );
  }
  await pool.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "message") VALUES ($1, $2, $3, $4)`,
    [updated.businessId, connectionId, activity.type, activity.message],
  );
  return to;
}

export function pauseConnection(pool: pg.Pool, connectionId: string): Promise<Status> {
  return transition(pool, connectionId, ["active", "needs_attention"], "paused", {
    type: "connection_paused",
    message: "Sync paused: orders are still recorded, stock is not sent to the store",
  });
}

export function resumeConnection(pool: pg.Pool, connectionId: string): Promise<Status> {
  return transition(pool, connectionId, ["paused", "needs_attention"], "active", {
    type: "connection_resumed",
    message: "Sync resumed: catching up on what changed while paused",
  });
}

/** Removes the store's webhooks (best effort: the store may be unreachable), then disconnects. */
export async function disconnectConnection(
  pool: pg.Pool,
  connectionId: string,
  options: { channel: Channel | null; webhookUrl: string | null },
): Promise<{ webhooksRemoved: number; webhookError: string | null }> {
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

export type UninstallOutcome =
  /** Sync stopped (or had stopped already): disconnected, credentials erased, sign-in forgotten. */
  | "uninstalled"
  /** Triggered before the store's latest connect: it concerns an earlier installation, nothing changed. */
  | "ignored_late";

/**
 * Shopify's app/uninstalled: the app is gone, so are its webhooks and token; the store's Prokip
 * sign-in is forgotten too (a reinstall starts at Connect Prokip). A delivery can arrive late or
 * be retried after the merchant reinstalled and connected again: one triggered before the
 * store's latest connect (`connectedAt`) is ignored, checked in the same statement that
 * disconnects. Without `triggeredAt` it is applied.
 */
export async function markUninstalled(
  pool: pg.Pool,
  connectionId: string,
  options: { triggeredAt?: Date | null } = {},
): Promise<UninstallOutcome> {
  const triggeredAt = options.triggeredAt ?? null;
  const { rows } = await pool.query<{ businessId: string; platform: string; storeDomain: string }>(
    `UPDATE "Connection" SET "status" = 'disconnected', "disconnectedAt" = now(), "credentials" = NULL, "webhookSecret" = NULL, "updatedAt" = now()
     WHERE "id" = $1 AND "status" <> 'disconnected' AND ($2::timestamptz IS NULL OR "connectedAt" IS NULL OR "connectedAt" <= $2::timestamptz)
     RETURNING "businessId", "platform", "storeDomain"`,
    [connectionId, triggeredAt],
  );
  const stopped = rows[0];
  if (stopped) {
    await pool.query(
      `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "message") VALUES ($1, $2, 'app_uninstalled', $3)`,
      [stopped.businessId, connectionId, "The app was uninstalled from the store: sync stopped, history kept"],
    );
    await forgetSignIn(pool, stopped, triggeredAt);
    return "uninstalled";
  }
  const current = await pool.query<{ status: Status; connectedAt: Date | null; platform: string; storeDomain: string }>(
    `SELECT "status", "connectedAt", "platform", "storeDomain" FROM "Connection" WHERE "id" = $1`,
    [connectionId],
  );
  const connection = current.rows[0];
  if (!connection) throw new SyncError("unknown_connection", `No connection ${connectionId}`);
  if (triggeredAt && connection.connectedAt && connection.connectedAt > triggeredAt) return "ignored_late";
  // Disconnected already (a replay, or disconnected from the dashboard before the uninstall).
  await eraseCredentials(pool, connectionId);
  await forgetSignIn(pool, connection, triggeredAt);
  return "uninstalled";
}

/**
 * app/uninstalled for a store named by its domain: its connection as `markUninstalled` does;
 * a store that never connected only has its sign-in forgotten.
 */
export async function uninstallStore(
  pool: pg.Pool,
  store: { platform: "shopify" | "woocommerce"; storeDomain: string; triggeredAt: Date | null },
): Promise<UninstallOutcome | "not_connected"> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT "id" FROM "Connection" WHERE "storeDomain" = $1 AND "platform" = $2::"Platform"`,
    [store.storeDomain, store.platform],
  );
  const connection = rows[0];
  if (connection) return markUninstalled(pool, connection.id, { triggeredAt: store.triggeredAt });
  await forgetSignIn(pool, store, store.triggeredAt);
  return "not_connected";
}

/** A sign-in made after the uninstall was triggered belongs to the new installation and stays. */
async function forgetSignIn(
  pool: pg.Pool,
  store: { platform: string; storeDomain: string },
  triggeredAt: Date | null,
): Promise<void> {
  await pool.query(
    `DELETE FROM "StoreSignIn" WHERE "platform" = $1::"Platform" AND "storeDomain" = $2 AND ($3::timestamptz IS NULL OR "signedInAt" <= $3::timestamptz)`,
    [store.platform, store.storeDomain, triggeredAt],
  );
}

async function eraseCredentials(pool: pg.Pool, connectionId: string): Promise<void> {
  await pool.query(
    `UPDATE "Connection" SET "credentials" = NULL, "webhookSecret" = NULL, "updatedAt" = now() WHERE "id" = $1`,
    [connectionId],
  );
}

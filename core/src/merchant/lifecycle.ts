/**
 * The dashboard's actions on its store: pause, resume, sync now, disconnect, retry orders. Each
 * answers the store's new dashboard, so the screen shows the outcome without another request.
 */
import type { Channel } from "../channels/index.ts";
import {
  channelForConnection,
  disconnectConnection,
  pauseConnection,
  resumeConnection,
  shopifyWebhookUrl,
  webhookTargetFor,
} from "../connections/index.ts";
import { connectedStore } from "./connection.ts";
import { dashboardOf } from "./dashboard.ts";
import type { Dashboard, MerchantDeps, StoreRef } from "./types.ts";

/** Orders, stock and activity keep arriving and being recorded; nothing is sent to the store. */
export async function pauseStore(deps: MerchantDeps, store: StoreRef): Promise<Dashboard> {
  const connection = await connectedStore(deps, store);
  await pauseConnection(deps.pool, connection.id);
  return dashboardOf(deps, connection.id);
}

/** Back to active: a reconciliation catches up, and what waited while paused is sent. */
export async function resumeStore(deps: MerchantDeps, store: StoreRef): Promise<Dashboard> {
  const connection = await connectedStore(deps, store);
  await resumeConnection(deps.pool, connection.id);
  await deps.jobs.reconcile(connection.id);
  await deps.jobs.drain(connection.id);
  return dashboardOf(deps, connection.id);
}

/** A reconciliation now: Prokip's stock, the store's orders and quantities, webhooks, unposted orders. */
export async function syncStoreNow(deps: MerchantDeps, store: StoreRef): Promise<Dashboard> {
  const connection = await connectedStore(deps, store);
  await deps.jobs.reconcile(connection.id);
  await deps.pool.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "message") VALUES ($1, $2, 'sync_requested', $3)`,
    [connection.businessId, connection.id, "Sync now: checking Prokip's stock, the store's orders and its quantities"],
  );
  return dashboardOf(deps, connection.id);
}

export interface DisconnectedStore {
  /** Webhook subscriptions removed from the store. */
  webhooksRemoved: number;
  /** Why they could not be removed (the store unreachable); they stop working anyway, the credentials being erased. */
  webhookError: string | null;
  /** What stays with the business: the store's orders and its product links (history, activity and the stock ledger too). */
  kept: { orders: number; products: number };
  /** The store's card, now `disconnected`. */
  dashboard: Dashboard;
}

/**
 * Stops sync for good: webhook subscriptions removed, store credentials erased. The store's
 * history stays (orders, stock ledger, activity, product links), and so does its Prokip
 * sign-in: connecting again starts at the location step and reuses this connection.
 */
export async function disconnectStore(deps: MerchantDeps, store: StoreRef): Promise<DisconnectedStore> {
  const { id } = await connectedStore(deps, store);
  const connection = await deps.prisma.connection.findUniqueOrThrow({
    where: { id },
    select: {
      id: true,
      businessId: true,
      platform: true,
      storeDomain: true,
      storeLocationId: true,
      credentials: true,
      webhookSecret: true,
    },
  });
  let channel: Channel | null = null;
  let webhookUrl: string | null = null;
  let setupError: string | null = null;
  try {
    channel = connection.credentials ? channelForConnection(connection, deps.channels) : null;
    webhookUrl =
      webhookTargetFor(connection, { publicUrl: deps.publicUrl, encryptionKey: deps.encryptionKey })?.url ??
      (connection.platform === "shopify" ? shopifyWebhookUrl(deps.publicUrl) : null);
  } catch (error) {
    // Credentials that cannot be opened must not keep the merchant from disconnecting.
    setupError = error instanceof Error ? error.message : String(error);
  }
  const outcome = await disconnectConnection(deps.pool, connection.id, { channel, webhookUrl });
  const [orders, products] = await Promise.all([
    deps.prisma.order.count({ where: { businessId: connection.businessId, connectionId: connection.id } }),
    deps.prisma.listing.count({ where: { businessId: connection.businessId, connectionId: connection.id } }),
  ]);
  deps.log.info(
    {
      connectionId: connection.id,
      webhooksRemoved: outcome.webhooksRemoved,
      webhookError: outcome.webhookError ?? setupError,
    },
    "store disconnected",
  );
  return {
    webhooksRemoved: outcome.webhooksRemoved,
    webhookError: outcome.webhookError ?? setupError,
    kept: { orders, products },
    dashboard: await dashboardOf(deps, connection.id),
  };
}

/** Orders Prokip refused (or that ran out of retries) are posted again from the start of their retries. */
export async function retryOrders(deps: MerchantDeps, store: StoreRef): Promise<Dashboard> {
  const connection = await connectedStore(deps, store);
  const { rowCount } = await deps.pool.query(
    // Order rows are locked in id order, as the ledger saves them (docs/architecture.md, "Lock order").
    `WITH locked AS MATERIALIZED (
       SELECT "id" FROM "Order" WHERE "businessId" = $1 AND "connectionId" = $2 AND "postingState" IN ('failed', 'needs_attention')
       ORDER BY "id" FOR UPDATE
     )
     UPDATE "Order" AS o SET "postingState" = 'pending', "postingAttempts" = 0, "postingError" = NULL, "updatedAt" = now()
     FROM locked WHERE o."id" = locked."id" AND o."postingState" IN ('failed', 'needs_attention')`,
    [connection.businessId, connection.id],
  );
  if (rowCount) {
    await deps.pool.query(
      `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "message", "data") VALUES ($1, $2, 'orders_retried', $3, $4::jsonb)`,
      [
        connection.businessId,
        connection.id,
        `Recording ${rowCount === 1 ? "1 order" : `${rowCount} orders`} in Prokip again`,
        JSON.stringify({ orders: rowCount }),
      ],
    );
  }
  await deps.jobs.postings(connection.id);
  return dashboardOf(deps, connection.id);
}

/**
 * The workers: what runs when the queue hands out an inbox or drain job. `npm start` runs them
 * in the web process; `npm run worker` runs them alone (scale out by running more).
 */
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import { channelForConnection, type ChannelEnvironment } from "../connections/index.ts";
import type { Logger } from "../log/index.ts";
import { checkStoreEdits, drainConnection } from "../sync/index.ts";
import { processInbox } from "./inbox.ts";
import { QUEUES, requestRun, type ConnectionJob } from "./queue.ts";

export interface WorkerDependencies {
  pool: pg.Pool;
  boss: PgBoss;
  channels: ChannelEnvironment;
  log: Logger;
}

interface ConnectionRow {
  id: string;
  businessId: string;
  platform: "shopify" | "woocommerce";
  status: "active" | "paused" | "needs_attention" | "disconnected";
  storeDomain: string;
  storeLocationId: string | null;
  credentials: string | null;
}

/** Seconds before a run that left work behind (failures) is tried again. */
const RETRY_AFTER_SECONDS = 30;
/** Seconds a store-side change waits before it is checked: order webhooks usually land first. */
export const STORE_EDIT_CHECK_DELAY_SECONDS = 5;

export async function startWorkers(deps: WorkerDependencies): Promise<void> {
  const handle = (queue: string, run: (connectionId: string, jobId: string) => Promise<void>) =>
    // NOTIFY wakes a worker at once for new jobs; deferred ones (startAfter) and any missed
    // wake-up are found by polling, whose default backstop with NOTIFY on is 30 s.
    deps.boss.work<ConnectionJob>(queue, { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1 }, async ([job]) => {
      if (!job) return;
      try {
        await run(job.data.connectionId, job.id);
      } catch (error) {
        // pg-boss retries the job; the log says why it failed.
        deps.log.error({ err: error, queue, connectionId: job.data.connectionId, retry: job.retryCount }, "job failed");
        throw error;
      }
    });
  await handle(QUEUES.inbox, (connectionId) => runInbox(deps, connectionId));
  await handle(QUEUES.drain, (connectionId, jobId) => runDrain(deps, connectionId, jobId));
  await handle(QUEUES.check, (connectionId) => runStoreEditCheck(deps, connectionId));
  // Deliveries stored while no worker ran (a restart, an outage) are picked up now.
  const { rows } = await deps.pool.query<{ connectionId: string }>(`SELECT DISTINCT "connectionId" FROM "WebhookEvent" WHERE "state" = 'received'`);
  for (const row of rows) await requestRun(deps.boss, QUEUES.inbox, row.connectionId);
}

export async function runInbox(deps: WorkerDependencies, connectionId: string): Promise<void> {
  const connection = await loadConnection(deps.pool, connectionId);
  if (!connection || connection.status === "disconnected") return;
  const log = deps.log.child({ job: "inbox", connectionId });
  const result = await processInbox(deps.pool, connection, channelForConnection(connection, deps.channels), log);
  if (result.processed + result.failed + result.ignored > 0) log.info(result, "inbox processed");
  if (result.ordersChanged > 0) await requestDrains(deps, connection.businessId);
  if (result.storeChanges > 0) await requestRun(deps.boss, QUEUES.check, connectionId, { startAfterSeconds: STORE_EDIT_CHECK_DELAY_SECONDS });
  if (result.failed > 0) await requestRun(deps.boss, QUEUES.inbox, connectionId, { startAfterSeconds: RETRY_AFTER_SECONDS });
}

export async function runDrain(deps: WorkerDependencies, connectionId: string, jobId: string): Promise<void> {
  const connection = await loadConnection(deps.pool, connectionId);
  // Paused stores keep collecting changes (listings stay dirty) and get them all on resume.
  if (!connection || connection.status !== "active") return;
  const log = deps.log.child({ job: "drain", connectionId });
  const result = await drainConnection(deps.pool, connection, channelForConnection(connection, deps.channels), { reference: `drain-${jobId}` }, log);
  if (result.written + result.failed + result.stale > 0) log.info(result, "drain finished");
  if (result.remaining > 0) await requestRun(deps.boss, QUEUES.drain, connectionId, { startAfterSeconds: result.failed > 0 ? RETRY_AFTER_SECONDS : 1 });
}

export async function runStoreEditCheck(deps: WorkerDependencies, connectionId: string): Promise<void> {
  const connection = await loadConnection(deps.pool, connectionId);
  if (!connection || connection.status === "disconnected") return;
  const log = deps.log.child({ job: "check", connectionId });
  const result = await checkStoreEdits(deps.pool, connection, channelForConnection(connection, deps.channels), { log });
  if (result.ordersReread > 0 || result.drift + result.accepted > 0) await requestDrains(deps, connection.businessId);
}

/** Every live store of the business may now have dirty listings. */
export async function requestDrains(deps: Pick<WorkerDependencies, "pool" | "boss">, businessId: string): Promise<void> {
  const { rows } = await deps.pool.query<{ id: string }>(`SELECT "id" FROM "Connection" WHERE "businessId" = $1 AND "status" = 'active'`, [businessId]);
  for (const row of rows) await requestRun(deps.boss, QUEUES.drain, row.id);
}

async function loadConnection(pool: pg.Pool, connectionId: string): Promise<ConnectionRow | null> {
  const { rows } = await pool.query<ConnectionRow>(
    `SELECT "id", "businessId", "platform", "status", "storeDomain", "storeLocationId", "credentials" FROM "Connection" WHERE "id" = $1`,
    [connectionId],
  );
  return rows[0] ?? null;
}

/**
 * The workers: what runs when the queue hands out an inbox or drain job. `npm start` runs them
 * in the web process; `npm run worker` runs them alone (scale out by running more).
 */
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import type { PosSystem } from "../channels/index.ts";
import {
  channelForConnection,
  posForBusiness,
  webhookTargetFor,
  type ChannelEnvironment,
  type ProkipClientConfig,
} from "../connections/index.ts";
import { readConnectionSettings, SyncError } from "../domain/index.ts";
import type { Logger } from "../log/index.ts";
import { executeSetupRun, getSyncRun, type SetupDeps, type SyncRunView } from "../setup/index.ts";
import type { ConnectionModel, PrismaClient } from "../store/index.ts";
import {
  checkStoreEdits,
  drainConnection,
  postOrderToProkip,
  reconcileConnection,
  type ReconcileResult,
} from "../sync/index.ts";
import { processInbox } from "./inbox.ts";
import {
  COALESCE_MS,
  QUEUES,
  requestPosting,
  requestRun,
  requestRunSoon,
  requestSetup,
  untilDatabaseAnswers,
  type ConnectionJob,
  type PostingJob,
  type SetupJob,
} from "./queue.ts";

export interface WorkerDependencies {
  pool: pg.Pool;
  prisma: PrismaClient;
  boss: PgBoss;
  channels: ChannelEnvironment;
  log: Logger;
  /** Where stores deliver webhooks (reconciliation re-registers them there). */
  publicUrl: string;
  /** The Prokip OAuth client of this deployment; null when Prokip is not configured. */
  prokipClient: ProkipClientConfig | null;
}

/** A connection as the workers load it: its own columns, its location's Prokip id and its business's mode. */
type ConnectionRow = Pick<
  ConnectionModel,
  | "id"
  | "businessId"
  | "platform"
  | "status"
  | "storeDomain"
  | "storeLocationId"
  | "credentials"
  | "webhookSecret"
  | "locationId"
  | "orderCursor"
  | "settings"
  | "lastSyncAt"
> & { prokipLocationId: number | null; authorityMode: "prokip" | "central" };

/** A tick every minute decides which connections are due for their scheduled reconciliation. */
const RECONCILE_TICK = "reconcile-tick";

/** Jobs of one queue this process runs at once (each for a different connection or order). */
const WORKERS_PER_QUEUE = 4;
/**
 * Connections the workers' pool needs: an inbox run holds one for its batch and uses a second
 * for the ledger transaction; a posting holds one for the whole Prokip call.
 */
export const WORKER_POOL_SIZE = 20;

/**
 * A stately queue holds one waiting job per connection while one runs, and a worker finds the
 * waiting one only at its next poll (up to a second later). So inbox and drain runs keep looking
 * for new work for a moment after they run out, and a busy store's deliveries and changes are
 * taken within milliseconds by the run already going. A run still busy after MAX_RUN_MS hands
 * over to a new job (well inside the queue's expiry).
 */
const LINGER_MS = 1_000;
const MAX_RUN_MS = 60_000;
// requestRunSoon's safety rests on runs lingering longer than it coalesces requests.
if (COALESCE_MS >= LINGER_MS) throw new Error("COALESCE_MS must be shorter than LINGER_MS");

/** Seconds before a run that left work behind (failures) is tried again. */
const RETRY_AFTER_SECONDS = 30;
/** Seconds a store-side change waits before it is checked: order webhooks usually land first. */
export const STORE_EDIT_CHECK_DELAY_SECONDS = 5;

export async function startWorkers(deps: WorkerDependencies): Promise<void> {
  const handle = (queue: string, run: (connectionId: string, jobId: string) => Promise<void>) =>
    // NOTIFY wakes a worker at once for new jobs; deferred ones (startAfter) and any missed
    // wake-up are found by polling, whose default backstop with NOTIFY on is 30 s.
    // Stately queues run one job per connection at a time; several workers per queue let one
    // busy store's run not hold up another store's.
    deps.boss.work<ConnectionJob>(
      queue,
      { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1, localConcurrency: WORKERS_PER_QUEUE },
      async ([job]) => {
        if (!job) return;
        try {
          await run(job.data.connectionId, job.id);
        } catch (error) {
          // pg-boss retries the job; the log says why it failed.
          deps.log.error(
            { err: error, queue, connectionId: job.data.connectionId, retry: job.retryCount },
            "job failed",
          );
          await untilDatabaseAnswers(deps.pool, error);
          throw error;
        }
      },
    );
  await handle(QUEUES.inbox, (connectionId) => runInbox(deps, connectionId));
  await handle(QUEUES.drain, (connectionId, jobId) => runDrain(deps, connectionId, jobId));
  await handle(QUEUES.check, (connectionId) => runStoreEditCheck(deps, connectionId));
  await handle(QUEUES.reconcile, async (connectionId) => {
    await runReconcile(deps, connectionId);
  });
  await deps.boss.work<PostingJob>(
    QUEUES.posting,
    { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1, localConcurrency: WORKERS_PER_QUEUE },
    async ([job]) => {
      if (!job) return;
      try {
        await runPosting(deps, job.data);
      } catch (error) {
        deps.log.error(
          { err: error, queue: QUEUES.posting, orderId: job.data.orderId, retry: job.retryCount },
          "job failed",
        );
        await untilDatabaseAnswers(deps.pool, error);
        throw error;
      }
    },
  );
  // Setups are long and few: two at a time per process leaves the workers' pool to sync work.
  await deps.boss.work<SetupJob>(
    QUEUES.setup,
    { pollingIntervalSeconds: 1, notifyPollingIntervalSeconds: 1, localConcurrency: 2 },
    async ([job]) => {
      if (!job) return;
      try {
        await runSetupJob(deps, job.data);
      } catch (error) {
        deps.log.error(
          { err: error, queue: QUEUES.setup, syncRunId: job.data.runId, retry: job.retryCount },
          "job failed",
        );
        await untilDatabaseAnswers(deps.pool, error);
        throw error;
      }
    },
  );
  if (!(await deps.boss.getQueue(RECONCILE_TICK))) await deps.boss.createQueue(RECONCILE_TICK, { policy: "stately" });
  await deps.boss.schedule(RECONCILE_TICK, "* * * * *");
  await deps.boss.work(RECONCILE_TICK, { pollingIntervalSeconds: 5 }, async () => {
    await requestDueReconciliations(deps);
  });
  // Work left behind while no worker ran (a restart, an outage, a process killed between a
  // commit and the request that follows it) is asked for now: stored deliveries, listings
  // waiting for a drain, orders waiting to be posted to Prokip.
  const { rows } = await deps.pool.query<{ connectionId: string }>(
    `SELECT DISTINCT "connectionId" FROM "WebhookEvent" WHERE "state" = 'received'`,
  );
  for (const row of rows) await requestRun(deps.boss, QUEUES.inbox, row.connectionId);
  const { rows: dirty } = await deps.pool.query<{ connectionId: string }>(
    `SELECT DISTINCT l."connectionId" FROM "Listing" l JOIN "Connection" c ON c."id" = l."connectionId" WHERE l."dirty" AND c."status" = 'active'`,
  );
  for (const row of dirty) await requestRun(deps.boss, QUEUES.drain, row.connectionId);
  // Only businesses that can post: a signed-out one's orders wait for its next sign-in.
  const { rows: unposted } = await deps.pool.query<{ businessId: string; orderId: string }>(
    `SELECT o."businessId", o."id" AS "orderId" FROM "Order" o JOIN "Business" b ON b."id" = o."businessId"
     WHERE o."postingState" IN ('pending', 'posting', 'failed') AND b."authorityMode" = 'prokip'
       AND b."prokipCredentials" IS NOT NULL AND b."prokipSignedOutAt" IS NULL`,
  );
  for (const order of unposted) await requestPosting(deps.boss, order);
  const { rows: queuedSetups } = await deps.pool.query<SetupJob>(
    `SELECT "connectionId", "id" AS "runId" FROM "SyncRun" WHERE "state" = 'queued' AND NOT "dryRun" AND "kind" IN ('push', 'pull') AND "connectionId" IS NOT NULL`,
  );
  for (const setup of queuedSetups) await requestSetup(deps.boss, setup);
}

export async function runInbox(deps: WorkerDependencies, connectionId: string): Promise<void> {
  const connection = await loadConnection(deps.pool, connectionId);
  if (!connection || connection.status === "disconnected") return;
  const log = deps.log.child({ job: "inbox", connectionId });
  // Each committed batch asks for its drains and postings at once: a long queue of deliveries
  // does not hold back the stores (or Prokip) until its end.
  const result = await processInbox(deps.pool, connection, channelForConnection(connection, deps.channels), log, {
    onBatch: async (batch) => {
      if (batch.ordersChanged > 0) await requestDrains(deps, connection.businessId, { soon: true });
      if (connection.authorityMode === "prokip") {
        for (const orderId of batch.changedOrderIds)
          await requestPosting(deps.boss, { businessId: connection.businessId, orderId });
      }
    },
    lingerMs: LINGER_MS,
    maxRunMs: MAX_RUN_MS,
  });
  if (result.cutShort) await requestRun(deps.boss, QUEUES.inbox, connectionId);
  if (result.processed + result.failed + result.ignored > 0)
    log.info({ ...result, changedOrderIds: result.changedOrderIds.length }, "inbox processed");
  if (result.storeChanges > 0)
    await requestRun(deps.boss, QUEUES.check, connectionId, { startAfterSeconds: STORE_EDIT_CHECK_DELAY_SECONDS });
  if (result.failed > 0)
    await requestRun(deps.boss, QUEUES.inbox, connectionId, { startAfterSeconds: RETRY_AFTER_SECONDS });
}

export async function runDrain(deps: WorkerDependencies, connectionId: string, jobId: string): Promise<void> {
  const connection = await loadConnection(deps.pool, connectionId);
  // Paused stores keep collecting changes (listings stay dirty) and get them all on resume.
  if (!connection || connection.status !== "active") return;
  const log = deps.log.child({ job: "drain", connectionId });
  const result = await drainConnection(
    deps.pool,
    connection,
    channelForConnection(connection, deps.channels),
    { reference: `drain-${jobId}`, lingerMs: LINGER_MS, maxRunMs: MAX_RUN_MS, maxRounds: Number.POSITIVE_INFINITY },
    log,
  );
  if (result.written + result.failed + result.stale > 0) log.info(result, "drain finished");
  if (result.remaining > 0)
    await requestRun(
      deps.boss,
      QUEUES.drain,
      connectionId,
      result.failed > 0 ? { startAfterSeconds: RETRY_AFTER_SECONDS } : {},
    );
}

export async function runStoreEditCheck(deps: WorkerDependencies, connectionId: string): Promise<void> {
  const connection = await loadConnection(deps.pool, connectionId);
  if (!connection || connection.status === "disconnected") return;
  const log = deps.log.child({ job: "check", connectionId });
  const result = await checkStoreEdits(deps.pool, connection, channelForConnection(connection, deps.channels), { log });
  if (result.ordersReread > 0 || result.drift + result.accepted > 0) await requestDrains(deps, connection.businessId);
}

/** Why an order waits when its business cannot post: what the merchant screens show. */
export const WAITING_FOR_SIGN_IN =
  "Waiting for the business to sign in to Prokip again: the order is recorded in Prokip once it has";

/**
 * Posts one order to Prokip; a run that could not finish is asked for again later. A job whose
 * order or business is gone (a sandbox restart erases its old demo business) is dropped, and one
 * whose business is not signed in, or whose sign-in Prokip refused, is parked on the order
 * (`failed`, WAITING_FOR_SIGN_IN) without asking Prokip: neither fails nor comes back, so
 * thousands of them cannot hold up another business's postings. A new sign-in clears
 * `prokipSignedOutAt`; reconciliation and "retry orders" ask for the parked orders again.
 */
export async function runPosting(deps: WorkerDependencies, job: PostingJob): Promise<void> {
  const { rows } = await deps.pool.query<{ authorityMode: "prokip" | "central"; canPost: boolean }>(
    `SELECT b."authorityMode", (b."prokipCredentials" IS NOT NULL AND b."prokipSignedOutAt" IS NULL) AS "canPost"
     FROM "Order" o JOIN "Business" b ON b."id" = o."businessId"
     WHERE o."businessId" = $1 AND o."id" = $2`,
    [job.businessId, job.orderId],
  );
  const standing = rows[0];
  if (!standing || standing.authorityMode !== "prokip") {
    deps.log.info({ queue: QUEUES.posting, ...job }, "posting dropped: no such order in a Prokip-mode business");
    return;
  }
  if (!standing.canPost) {
    await deps.pool.query(
      `UPDATE "Order" SET "postingError" = $3, "updatedAt" = now(),
         "postingState" = CASE WHEN "postingState" = 'pending' THEN 'failed'::"OrderPostingState" ELSE "postingState" END
       WHERE "businessId" = $1 AND "id" = $2 AND "postingState" IN ('pending', 'posting', 'failed')`,
      [job.businessId, job.orderId, WAITING_FOR_SIGN_IN],
    );
    deps.log.debug({ queue: QUEUES.posting, ...job }, "posting parked: the business is not signed in to Prokip");
    return;
  }
  const pos = await prokipFor(deps, job.businessId);
  if (!pos) return;
  const outcome = await postOrderToProkip(
    { pool: deps.pool, pos, log: deps.log.child({ job: "posting", orderId: job.orderId }) },
    job,
  );
  if (outcome.status === "failed" || outcome.status === "in_doubt")
    await requestPosting(deps.boss, job, { startAfterSeconds: RETRY_AFTER_SECONDS });
}

/** Reconciles one connection now; drains and postings it calls for are asked for. */
export async function runReconcile(deps: WorkerDependencies, connectionId: string): Promise<ReconcileResult | null> {
  const connection = await loadConnection(deps.pool, connectionId);
  if (!connection || connection.status === "disconnected") return null;
  const log = deps.log.child({ job: "reconcile", connectionId });
  const pos = connection.authorityMode === "prokip" ? await prokipFor(deps, connection.businessId) : null;
  const webhooks = webhookTargetFor(connection, {
    publicUrl: deps.publicUrl,
    encryptionKey: deps.channels.encryptionKey,
  });
  let result: ReconcileResult;
  try {
    result = await reconcileConnection(
      { pool: deps.pool, log },
      { ...connection, webhooks },
      channelForConnection(connection, deps.channels),
      pos,
    );
  } catch (error) {
    await deps.pool.query(`UPDATE "Connection" SET "lastError" = $2, "updatedAt" = now() WHERE "id" = $1`, [
      connectionId,
      error instanceof Error ? error.message : String(error),
    ]);
    throw error;
  }
  log.info(result, "reconciled");
  const repaired = [...(result.webhooks?.created ?? []), ...(result.webhooks?.reenabled ?? [])];
  if (repaired.length > 0) {
    // The merchant's dashboard says so for a day (a store that drops subscriptions is worth knowing about).
    await deps.pool.query(
      `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "severity", "message", "data") VALUES ($1, $2, 'webhooks_repaired', 'info', $3, $4::jsonb)`,
      [
        connection.businessId,
        connectionId,
        `The store had stopped sending ${repaired.length} kinds of notifications; they were registered again`,
        JSON.stringify({ topics: repaired }),
      ],
    );
  }
  await requestDrains(deps, connection.businessId);
  for (const orderId of result.postingsToRetry)
    await requestPosting(deps.boss, { businessId: connection.businessId, orderId });
  return result;
}

/** Connections whose reconciliation interval has passed since their last sync. */
async function requestDueReconciliations(deps: WorkerDependencies): Promise<void> {
  const { rows } = await deps.pool.query<{ id: string; settings: unknown; lastSyncAt: Date | null }>(
    `SELECT "id", "settings", "lastSyncAt" FROM "Connection" WHERE "status" IN ('active', 'needs_attention')`,
  );
  const now = Date.now();
  for (const row of rows) {
    const interval = readConnectionSettings(row.settings).reconcileIntervalMinutes * 60_000;
    if (!row.lastSyncAt || now - row.lastSyncAt.getTime() >= interval)
      await requestRun(deps.boss, QUEUES.reconcile, row.id);
  }
}

async function prokipFor(deps: WorkerDependencies, businessId: string): Promise<PosSystem | null> {
  if (!deps.prokipClient) return null;
  return posForBusiness(deps.prisma, businessId, {
    client: deps.prokipClient,
    encryptionKey: deps.channels.encryptionKey,
    log: deps.log,
  });
}

/**
 * Carries out a queued product setup run (the merchant's "Set up products"). A run found
 * `running` was taken by a worker that stopped (setups of a store run one at a time): it is
 * failed rather than run again, because products it created in the store would be created
 * twice; the merchant's next preview shows them as matches.
 */
export async function runSetupJob(deps: WorkerDependencies, job: SetupJob): Promise<SyncRunView | null> {
  const log = deps.log.child({ job: "setup", connectionId: job.connectionId, syncRunId: job.runId });
  const before = await getSyncRun(deps, job.runId);
  if (!before || before.connectionId !== job.connectionId) return null;
  if (before.state === "running") {
    await deps.pool.query(
      `UPDATE "SyncRun" SET "state" = 'failed', "finishedAt" = now(), "errors" = "errors" || $2::jsonb WHERE "id" = $1 AND "state" = 'running'`,
      [
        job.runId,
        JSON.stringify([
          {
            sku: null,
            product: null,
            message: "Setup was interrupted. Run it again: products it already created are matched, not created twice.",
          },
        ]),
      ],
    );
    log.warn("setup run found interrupted");
    return getSyncRun(deps, job.runId);
  }
  if (before.state !== "queued") return before;
  const run = await executeSetupRun(setupDependencies(deps), job.runId);
  await recordSetupActivity(deps.pool, run);
  // Store quantities setup could not write are left dirty for the drain.
  if ((run.results?.quantitiesPending ?? 0) > 0) await requestRun(deps.boss, QUEUES.drain, job.connectionId);
  return run;
}

function setupDependencies(deps: WorkerDependencies): SetupDeps {
  return {
    prisma: deps.prisma,
    pool: deps.pool,
    log: deps.log,
    channelFor: (connection) => channelForConnection(connection, deps.channels),
    posFor: async (businessId) => {
      const pos = await prokipFor(deps, businessId);
      if (!pos)
        throw new SyncError(
          "unknown_business",
          "Prokip is not configured on this server (PROKIP_CLIENT_ID / PROKIP_CLIENT_SECRET)",
        );
      return pos;
    },
  };
}

async function recordSetupActivity(pool: pg.Pool, run: SyncRunView): Promise<void> {
  const results = run.results;
  const severity = run.state === "failed" ? "error" : run.failed > 0 ? "warning" : "info";
  const message =
    run.state === "failed"
      ? `Product setup stopped: ${run.errors.at(-1)?.message ?? "unknown error"}`
      : `Products set up: ${results?.listingsMatched ?? 0} linked to Prokip${results?.productsCreated ? `, ${results.productsCreated} created in the store` : ""}` +
        (run.failed > 0 ? `; ${run.failed} could not be set up` : "");
  await pool.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "severity", "message", "data") VALUES ($1, $2, 'setup_finished', $3, $4, $5::jsonb)`,
    [
      run.businessId,
      run.connectionId,
      severity,
      message,
      JSON.stringify({ runId: run.id, strategy: run.kind, state: run.state, failed: run.failed, results }),
    ],
  );
}

/** Every live store of the business may now have dirty listings. */
export async function requestDrains(
  deps: Pick<WorkerDependencies, "pool" | "boss">,
  businessId: string,
  options: { soon?: boolean } = {},
): Promise<void> {
  const { rows } = await deps.pool.query<{ id: string }>(
    `SELECT "id" FROM "Connection" WHERE "businessId" = $1 AND "status" = 'active'`,
    [businessId],
  );
  for (const row of rows)
    await (options.soon
      ? requestRunSoon(deps.boss, QUEUES.drain, row.id)
      : requestRun(deps.boss, QUEUES.drain, row.id));
}

async function loadConnection(pool: pg.Pool, connectionId: string): Promise<ConnectionRow | null> {
  const { rows } = await pool.query<ConnectionRow>(
    `SELECT c."id", c."businessId", c."platform", c."status", c."storeDomain", c."storeLocationId", c."credentials", c."webhookSecret",
            c."locationId", c."orderCursor", c."settings", c."lastSyncAt", l."prokipLocationId", b."authorityMode"
     FROM "Connection" c JOIN "Location" l ON l."id" = c."locationId" JOIN "Business" b ON b."id" = c."businessId"
     WHERE c."id" = $1`,
    [connectionId],
  );
  return rows[0] ?? null;
}

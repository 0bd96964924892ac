/**
 * The job queue lives in PostgreSQL (pg-boss), next to the data it works on. Queues are
 * "stately" with the connection id as singleton key: per connection at most one job runs and
 * one waits, so a burst of deliveries or changes coalesces into one more run.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { PgBoss } from "pg-boss";
import type { Logger } from "../log/index.ts";
import { isDatabaseUnavailable } from "../store/index.ts";

export const QUEUES = {
  /** Turn a connection's stored webhook deliveries into ledger changes. */
  inbox: "inbox",
  /** Push a connection's dirty listings to its store. */
  drain: "drain",
  /** Check store-side quantity changes (after a short delay, so late order webhooks land first). */
  check: "check",
  /** Post one order's sale / return / cancellation to Prokip (singleton key: the order). */
  posting: "posting",
  /** Reconcile one connection: Prokip stock, store orders, store quantities, webhooks, postings. */
  reconcile: "reconcile",
  /** Carry out a queued product setup run (SyncRun) of one connection. */
  setup: "setup",
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface ConnectionJob {
  connectionId: string;
}

export interface SetupJob {
  connectionId: string;
  runId: string;
}

export interface PostingJob {
  businessId: string;
  orderId: string;
}

/**
 * A running job refreshes its heartbeat every half of this; a job whose worker died (killed,
 * out of memory, host lost) is failed and retried once it has been silent this long. Without a
 * heartbeat it would stay `active` until `expireInSeconds`, and since the queues are stately, its
 * connection (or order) would get no other run of that queue until then.
 */
export const HEARTBEAT_SECONDS = 30;
/** How often pg-boss looks for such jobs (its default, 60 s, would double the wait). */
const SUPERVISE_SECONDS = 10;

export async function startQueue(connectionString: string, log: Logger): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString,
    useListenNotify: true,
    max: 4,
    superviseIntervalSeconds: SUPERVISE_SECONDS,
    monitorIntervalSeconds: SUPERVISE_SECONDS,
  });
  // While the database is down every worker's poll fails, every second: one line per few seconds
  // says so (the workers go on polling and resume by themselves); other errors are all logged.
  let outageReportedAt = 0;
  let outageErrors = 0;
  boss.on("error", (error: unknown) => {
    if (!isDatabaseUnavailable(error)) return log.error({ err: error }, "job queue error");
    outageErrors += 1;
    if (Date.now() - outageReportedAt < 5_000) return;
    log.error({ err: error, errors: outageErrors }, "job queue: the database is unavailable; retrying");
    outageReportedAt = Date.now();
    outageErrors = 0;
  });
  await boss.start();
  for (const name of Object.values(QUEUES)) {
    const queue = await boss.getQueue(name);
    if (!queue) {
      // A setup creates a whole catalogue at the store's pace: it may run far longer than a sync job.
      const expireInSeconds = name === QUEUES.setup ? SETUP_EXPIRE_SECONDS : 15 * 60;
      await boss.createQueue(name, {
        policy: "stately",
        notify: true,
        retryLimit: 8,
        retryDelay: 2,
        retryBackoff: true,
        expireInSeconds,
        heartbeatSeconds: HEARTBEAT_SECONDS,
      });
    } else if (queue.heartbeatSeconds !== HEARTBEAT_SECONDS) {
      // Queues created before the heartbeat existed.
      await boss.updateQueue(name, { heartbeatSeconds: HEARTBEAT_SECONDS });
    }
  }
  return boss;
}

/**
 * A job that failed because the database went away cannot be recorded as failed until it is back:
 * pg-boss's fail() fails too, the job stays `active` until its heartbeat lapses (HEARTBEAT_SECONDS
 * plus up to SUPERVISE_SECONDS), and its stately key (the connection, the order) gets no other run
 * meanwhile: measured, a six-second outage held a store's deliveries back 33 s. So a handler
 * whose job failed that way waits for the database to answer (at most a heartbeat) before it
 * gives the failure back to pg-boss, which then records it and retries the job after its delay.
 */
export async function untilDatabaseAnswers(pool: pg.Pool, error: unknown): Promise<void> {
  if (!isDatabaseUnavailable(error)) return;
  const deadline = Date.now() + HEARTBEAT_SECONDS * 1_000;
  while (Date.now() < deadline) {
    await sleep(500);
    const answered = await pool.query("SELECT 1").then(
      () => true,
      () => false,
    );
    if (answered) return;
  }
}

/** The longest a setup run may take before pg-boss gives up on it. */
const SETUP_EXPIRE_SECONDS = 4 * 60 * 60;

/**
 * Asks for a queued setup run to be carried out. Keyed by connection: one setup of a store runs
 * at a time, so a worker that finds its run already `running` knows the one that took it died.
 */
export async function requestSetup(boss: PgBoss, job: SetupJob): Promise<void> {
  await boss.send(QUEUES.setup, job satisfies SetupJob, { singletonKey: job.connectionId });
}

/** Asks for an order to be posted to Prokip; coalesces with a posting of that order already waiting. */
export async function requestPosting(
  boss: PgBoss,
  job: PostingJob,
  options: { startAfterSeconds?: number } = {},
): Promise<void> {
  await boss.send(QUEUES.posting, job satisfies PostingJob, {
    singletonKey: job.orderId,
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}

/** Asks for a run of `queue` for a connection; coalesces with one already waiting. */
export async function requestRun(
  boss: PgBoss,
  queue: QueueName,
  connectionId: string,
  options: { startAfterSeconds?: number } = {},
): Promise<void> {
  await boss.send(queue, { connectionId } satisfies ConnectionJob, {
    singletonKey: connectionId,
    ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
  });
}

/**
 * Asks for a run of `queue` unless this process asked for one in the last COALESCE_MS. Safe for
 * queues whose runs linger for more work longer than that (inbox and drain, see workers.ts): a
 * run asked for at t has not finished before t + its linger, so anything stored after t and
 * before t + COALESCE_MS is found by it. Used where requests come in bursts (a webhook per
 * delivery, a drain per inbox batch): sending each to the queue was measured to cost more than
 * storing the delivery itself (757 against 1,759 deliveries/s).
 */
export async function requestRunSoon(boss: PgBoss, queue: "inbox" | "drain", connectionId: string): Promise<void> {
  const key = `${queue}:${connectionId}`;
  const now = Date.now();
  if (now - (lastRequested.get(key) ?? Number.NEGATIVE_INFINITY) < COALESCE_MS) return;
  await requestRun(boss, queue, connectionId);
  lastRequested.set(key, now);
  if (lastRequested.size > 10_000) lastRequested.clear(); // bounded: forgetting only costs a send
}

export const COALESCE_MS = 250;
const lastRequested = new Map<string, number>();

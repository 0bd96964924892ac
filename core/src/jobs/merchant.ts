/**
 * The job requests the merchant screens make ("Sync now", resume, set up products, retry
 * orders), as pg-boss jobs: the backend host hands this to the merchant functions.
 */
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import type { JobRequests } from "../merchant/types.ts";
import { QUEUES, requestPosting, requestRun, requestRunSoon, requestSetup } from "./queue.ts";

export function merchantJobRequests(deps: { boss: PgBoss; pool: pg.Pool }): JobRequests {
  return {
    reconcile: (connectionId) => requestRun(deps.boss, QUEUES.reconcile, connectionId),
    drain: (connectionId) => requestRun(deps.boss, QUEUES.drain, connectionId),
    setup: (connectionId, runId) => requestSetup(deps.boss, { connectionId, runId }),
    // A delivery the app's webhook routes stored: asked for as core's receiver asks (bursts coalesce).
    inbox: (connectionId) => requestRunSoon(deps.boss, QUEUES.inbox, connectionId),
    async postings(connectionId) {
      const { rows } = await deps.pool.query<{ businessId: string; orderId: string }>(
        `SELECT "businessId", "id" AS "orderId" FROM "Order" WHERE "connectionId" = $1 AND "postingState" IN ('pending', 'posting', 'failed')`,
        [connectionId],
      );
      for (const order of rows) await requestPosting(deps.boss, order);
    },
  };
}

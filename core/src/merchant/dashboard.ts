/**
 * The dashboard's store card: status, Prokip business and location, last sync, counts, and the
 * problems that need the merchant, each with what to do about it. It refreshes every ~10 s, so
 * it costs two statements, each on indexed rows of this one store.
 *
 * Counts (all over this store's rows):
 * - synced / waiting / failed / unlinked / excluded / conflicts: its listings by product status,
 *   the same definition as the Products screen's tabs (PRODUCT_STATUS_SQL, products.ts):
 *   excluded and conflict by match status; unlinked when not linked to a Prokip product; of the
 *   linked ones, failed when the last stock write was refused (`pushFailedAt`), waiting when a
 *   figure is still to be sent (`dirty`: a paused store piles up here), synced otherwise.
 * - ordersNotPosted: orders whose sale Prokip has not accepted yet: posting pending, in flight,
 *   failed (retried automatically) or needing attention (retries used up). Central mode: 0.
 *
 * Problems, from stored state:
 * - prokip_signed_out: Prokip refused the business's saved sign-in (`Business.prokipSignedOutAt`,
 *   set by any Prokip request of the business, cleared by one accepted or by signing in again).
 * - store_unreachable: the last reconciliation failed (`Connection.lastError`) or the store is
 *   `needs_attention`. Not shown while Prokip is signed out: that is then why syncs fail.
 * - sku_conflicts, stock_not_sent: conflict and failed listings (counts above).
 * - orders_not_posted: orders failed or needing attention (pending ones are on their way).
 * - setup_errors: the store's latest setup run failed, or could not set some products up.
 * - webhooks_repaired: reconciliation registered missing notifications again in the last day.
 */
import { SyncError } from "../domain/index.ts";
import { PRODUCT_STATUS_SQL, PRODUCT_STATUSES } from "./products.ts";
import { parseStoreRef, storeConnection } from "./stage.ts";
import type { Dashboard, MerchantDeps, Problem, ProductStatus, StoreRef } from "./types.ts";

/** How long a repaired subscription stays on the dashboard. */
const WEBHOOKS_REPAIRED_SHOWN_HOURS = 24;

export async function storeDashboard(deps: MerchantDeps, store: StoreRef): Promise<Dashboard> {
  const connection = await storeConnection(deps, parseStoreRef(store));
  if (!connection || connection.status === "disconnected")
    throw new SyncError("store_not_connected", "This store is not connected to Prokip Sync");
  return dashboardOf(deps, connection.id);
}

interface Header {
  id: string;
  businessId: string;
  platform: "shopify" | "woocommerce";
  storeDomain: string;
  status: Dashboard["status"];
  setupStrategy: "push" | "pull" | null;
  lastSyncAt: Date | null;
  lastError: string | null;
  prokipLocationId: number | null;
  locationName: string;
  businessName: string;
  prokipSignedOutAt: Date | null;
}

interface Figures {
  listings: { status: ProductStatus; count: number }[] | null;
  lastPushedAt: Date | null;
  ordersNotPosted: number;
  ordersRefused: number;
  lastRun: { id: string; state: string; failed: number; errors: { message?: string }[] } | null;
  webhooksRepairedAt: Date | null;
}

/** The card of one connection, whatever its status (a just-disconnected store's card included). */
export async function dashboardOf(deps: Pick<MerchantDeps, "pool">, connectionId: string): Promise<Dashboard> {
  const { rows: headers } = await deps.pool.query<Header>(
    `SELECT c."id", c."businessId", c."platform", c."storeDomain", c."status", c."setupStrategy", c."lastSyncAt", c."lastError",
            l."prokipLocationId", l."name" AS "locationName", b."name" AS "businessName", b."prokipSignedOutAt"
     FROM "Connection" c JOIN "Location" l ON l."id" = c."locationId" JOIN "Business" b ON b."id" = c."businessId"
     WHERE c."id" = $1`,
    [connectionId],
  );
  const header = headers[0];
  if (!header) throw new SyncError("store_not_connected", "This store is not connected to Prokip Sync");

  // One round trip: listings (Listing's (businessId, connectionId, ...) unique index), orders
  // ((businessId, postingState)), the latest setup run ((connectionId, createdAt)) and repaired
  // webhooks ((businessId, type, createdAt)).
  const { rows } = await deps.pool.query<Figures>(
    `SELECT
       (SELECT json_agg(json_build_object('status', s."status", 'count', s."count")) FROM (
          SELECT ${PRODUCT_STATUS_SQL} AS "status", count(*)::int AS "count" FROM "Listing" l
          WHERE l."businessId" = $1 AND l."connectionId" = $2 GROUP BY 1) s) AS "listings",
       (SELECT max(l."lastPushedAt") FROM "Listing" l WHERE l."businessId" = $1 AND l."connectionId" = $2) AS "lastPushedAt",
       (SELECT count(*)::int FROM "Order" o WHERE o."businessId" = $1 AND o."connectionId" = $2
          AND o."postingState" IN ('pending', 'posting', 'failed', 'needs_attention')) AS "ordersNotPosted",
       (SELECT count(*)::int FROM "Order" o WHERE o."businessId" = $1 AND o."connectionId" = $2
          AND o."postingState" IN ('failed', 'needs_attention')) AS "ordersRefused",
       (SELECT json_build_object('id', r."id", 'state', r."state", 'failed', r."failed", 'errors', r."errors") FROM "SyncRun" r
          WHERE r."connectionId" = $2 AND NOT r."dryRun" AND r."kind" IN ('push', 'pull') AND r."state" IN ('succeeded', 'failed')
          ORDER BY r."createdAt" DESC LIMIT 1) AS "lastRun",
       (SELECT max(a."createdAt") FROM "ActivityEvent" a WHERE a."businessId" = $1 AND a."connectionId" = $2 AND a."type" = 'webhooks_repaired'
          AND a."createdAt" > now() - make_interval(hours => $3::int)) AS "webhooksRepairedAt"`,
    [header.businessId, header.id, WEBHOOKS_REPAIRED_SHOWN_HOURS],
  );
  const figures = rows[0]!;
  const byStatus = Object.fromEntries(PRODUCT_STATUSES.map((s) => [s, 0])) as Record<ProductStatus, number>;
  for (const row of figures.listings ?? []) byStatus[row.status] = row.count;
  const counts: Dashboard["counts"] = {
    synced: byStatus.synced,
    waiting: byStatus.waiting,
    failed: byStatus.failed,
    unlinked: byStatus.unlinked,
    excluded: byStatus.excluded,
    conflicts: byStatus.conflict,
    ordersNotPosted: figures.ordersNotPosted,
  };
  const lastPushedAt = figures.lastPushedAt ? new Date(figures.lastPushedAt) : null;
  return {
    connectionId: header.id,
    platform: header.platform,
    storeDomain: header.storeDomain,
    status: header.status,
    businessName: header.businessName,
    prokipLocation: { prokipLocationId: header.prokipLocationId, name: header.locationName },
    lastSyncAt: latest(header.lastSyncAt, lastPushedAt),
    counts,
    problems: problemsOf(header, figures, counts),
    setup: { strategy: header.setupStrategy, lastRunId: figures.lastRun?.id ?? null },
  };
}

function problemsOf(header: Header, figures: Figures, counts: Dashboard["counts"]): Problem[] {
  const problems: Problem[] = [];
  if (header.prokipSignedOutAt) {
    problems.push({
      code: "prokip_signed_out",
      message:
        "Prokip no longer accepts the saved sign-in: sales are not recorded in Prokip and its stock is not read.",
      fix: { kind: "reconnect_prokip", label: "Sign in to Prokip again" },
    });
  } else if (header.lastError !== null || header.status === "needs_attention") {
    problems.push({
      code: "store_unreachable",
      message: header.lastError
        ? `The last sync did not finish: ${header.lastError}`
        : "The store could not be reached on the last attempts.",
      fix: { kind: "sync_now", label: "Sync now" },
    });
  }
  if (figures.ordersRefused > 0) {
    problems.push({
      code: "orders_not_posted",
      message: `${count(figures.ordersRefused, "order has", "orders have")} not been recorded in Prokip.`,
      fix: { kind: "retry_orders", label: "Retry" },
      count: figures.ordersRefused,
    });
  }
  if (counts.failed > 0) {
    problems.push({
      code: "stock_not_sent",
      message: `Stock could not be sent to the store for ${count(counts.failed, "product", "products")}.`,
      fix: { kind: "open_products", label: "See products", filter: "failed" },
      count: counts.failed,
    });
  }
  if (counts.conflicts > 0) {
    problems.push({
      code: "sku_conflicts",
      message: `${count(counts.conflicts, "product has a SKU", "products have a SKU")} that is blank or shared with another product.`,
      fix: { kind: "open_products", label: "Resolve SKU conflicts", filter: "conflict" },
      count: counts.conflicts,
    });
  }
  const run = figures.lastRun;
  if (run && (run.state === "failed" || run.failed > 0)) {
    problems.push({
      code: "setup_errors",
      message:
        run.state === "failed"
          ? `Product setup stopped: ${run.errors.at(-1)?.message ?? "unknown error"}`
          : `Product setup could not set up ${count(run.failed, "product", "products")}.`,
      fix: { kind: "open_activity", label: "See what happened", type: "setup" },
      ...(run.failed > 0 ? { count: run.failed } : {}),
    });
  }
  if (figures.webhooksRepairedAt) {
    problems.push({
      code: "webhooks_repaired",
      message: "The store had stopped sending some notifications; they were registered again.",
      fix: { kind: "none", label: "Nothing to do" },
    });
  }
  return problems;
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

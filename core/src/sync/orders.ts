/**
 * Store orders into the ledger ("orders are state, not events").
 *
 * Any notification about an order (created, paid, edited, refunded, cancelled; duplicated,
 * late or out of order) carries the order's full current state. Under a per-order lock we
 * compute the stock the order should hold now, compare it with what the ledger already holds
 * for the order, and write only the difference. Replaying any subset of deliveries in any
 * order converges to the same ledger.
 *
 * Cost, because every event pays it: a duplicate or stale delivery is one query. A new state
 * is five round trips: the known-state check; `BEGIN` with the order lock; the read; the ledger
 * write (one statement, see ledger/movements.ts); the order row with `COMMIT`.
 */
import { createHash, randomUUID } from "node:crypto";
import type pg from "pg";
import {
  SyncError,
  normalizedOrderSchema,
  normalizeSku,
  orderSoldBySku,
  planOrderMovements,
  readConnectionSettings,
  type NormalizedOrder,
  type PlannedOrderMovement,
} from "../domain/index.ts";
import { applyMovements, type AppliedMovements } from "../ledger/index.ts";
import { literal, type Sql } from "../store/index.ts";

export type ApplyOrderStatus = "applied" | "unchanged" | "stale";

export interface ApplyOrderResult {
  status: ApplyOrderStatus;
  orderId: string;
  movements: PlannedOrderMovement[];
  ledger: AppliedMovements | null;
  /** Normalised SKUs on the order that match no product in the catalogue. */
  unmatchedSkus: string[];
}

interface ConnectionRow {
  id: string;
  businessId: string;
  locationId: string;
  platform: "shopify" | "woocommerce";
  status: string;
  settings: unknown;
  authorityMode: "prokip" | "central";
  knownOrderId: string | null;
  knownUpdatedAt: Date | null;
  knownDigest: string | null;
}

interface ExistingOrder {
  id: string;
  storeUpdatedAt: Date;
  payloadDigest: string;
  lines: NormalizedOrder["lines"];
  cancelled: boolean;
  paid: boolean;
  recorded: { variantId: string; delta: number; count: number }[];
}

/**
 * Validates `input` as a normalised order and brings the ledger in line with it.
 * Throws SyncError `invalid_order` (nothing written), `unknown_connection` or `connection_not_active`.
 */
export async function applyOrderState(pool: pg.Pool, input: unknown): Promise<ApplyOrderResult> {
  const parsed = normalizedOrderSchema.safeParse(input);
  if (!parsed.success) {
    throw new SyncError("invalid_order", "The order is not valid", parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })));
  }
  const order = parsed.data;
  const digest = orderDigest(order);

  // The connection and, if we have seen this order, its last applied state: duplicates and
  // stale states stop here without a transaction (both only ever move forward).
  const { rows } = await pool.query<ConnectionRow>({
    name: "orders.connection-and-known-state",
    text: `SELECT c."id", c."businessId", c."locationId", c."platform", c."status", c."settings", b."authorityMode",
            o."id" AS "knownOrderId", o."storeUpdatedAt" AS "knownUpdatedAt", o."payloadDigest" AS "knownDigest"
     FROM "Connection" c
     JOIN "Business" b ON b."id" = c."businessId"
     LEFT JOIN "Order" o ON o."businessId" = c."businessId" AND o."connectionId" = c."id" AND o."externalId" = $2
     WHERE c."id" = $1`,
    values: [order.connectionId, order.externalId],
  });
  const connection = rows[0];
  if (!connection) throw new SyncError("unknown_connection", `No connection ${order.connectionId}`);
  if (connection.status === "disconnected") throw new SyncError("connection_not_active", "The store is disconnected");
  if (connection.knownOrderId && connection.knownUpdatedAt && order.updatedAt < connection.knownUpdatedAt) return noChange("stale", connection.knownOrderId);
  if (connection.knownOrderId && connection.knownDigest === digest) return noChange("unchanged", connection.knownOrderId);

  const client = await pool.connect();
  try {
    return await applyLocked(client, connection, order, digest);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Runs the order's transaction on `sql`: opened here, committed here on success. */
async function applyLocked(sql: Sql, connection: ConnectionRow, order: NormalizedOrder, digest: string): Promise<ApplyOrderResult> {
  const { deductOn } = readConnectionSettings(connection.settings);
  const now = orderSoldBySku(order, deductOn);
  const { existing, variantBySku } = await lockAndRead(sql, connection, order, [...now.sold.keys()]);
  if (existing && order.updatedAt < existing.storeUpdatedAt) return finishUnchanged(sql, "stale", existing.id);
  if (existing && existing.payloadDigest === digest) return finishUnchanged(sql, "unchanged", existing.id);

  const before = existing ? orderSoldBySku({ cancelled: existing.cancelled, paid: existing.paid, lines: existing.lines }, deductOn) : null;
  const missingBefore = before ? [...before.restocked.keys()].filter((sku) => !variantBySku.has(sku)) : [];
  if (missingBefore.length > 0) for (const [sku, id] of await variantsForSkus(sql, connection.businessId, missingBefore)) variantBySku.set(sku, id);

  const recorded = existing?.recorded ?? [];
  const planned = planOrderMovements(byVariant(now.sold, variantBySku), new Map(recorded.map((r) => [r.variantId, r.delta])), {
    cancelled: order.cancelled,
    restockedNow: byVariant(now.restocked, variantBySku),
    restockedBefore: before ? byVariant(before.restocked, variantBySku) : new Map(),
  });
  const postsToProkip = connection.authorityMode === "prokip";
  const unmatchedSkus = [...now.sold.keys()].filter((sku) => !variantBySku.has(sku));
  // A new order's id is chosen here so its movements can name it before the row is written.
  const orderId = existing?.id ?? randomUUID();

  const countByVariant = new Map(recorded.map((r) => [r.variantId, r.count]));
  const ledger = await applyMovements(
    sql,
    planned.map((movement) => ({
      businessId: connection.businessId,
      locationId: connection.locationId,
      variantId: movement.variantId,
      delta: movement.delta,
      reason: movement.reason,
      connectionId: connection.id,
      orderId,
      externalRef: order.number ?? order.externalId,
      // The n-th movement of this order for this variant: unique under the order lock, and the
      // database's unique constraint refuses a second copy even without it.
      idempotencyKey: `order:${orderId}:${movement.variantId}:${(countByVariant.get(movement.variantId) ?? 0) + 1}`,
      postingState: postsToProkip ? "pending" : "not_required",
    })),
  );
  await sql.query(`${saveOrderStatement(connection, order, digest, { orderId, needsPosting: postsToProkip && planned.length > 0, isNew: !existing, unmatchedSkus })}; COMMIT`);
  return { status: "applied", orderId, movements: planned, ledger, unmatchedSkus };
}

async function finishUnchanged(sql: Sql, status: "stale" | "unchanged", orderId: string): Promise<ApplyOrderResult> {
  await sql.query("COMMIT");
  return noChange(status, orderId);
}

/**
 * Opens the transaction and takes the order's lock (one round trip), then reads the order as
 * last applied, with what the ledger holds for it, and the variants of its SKUs. The read is a
 * named statement: planned once per connection (planning it per call cost more than running it).
 */
async function lockAndRead(sql: Sql, connection: ConnectionRow, order: NormalizedOrder, skus: string[]) {
  await sql.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtextextended(${literal(`order:${connection.id}:${order.externalId}`)}, 0))`);
  const { rows } = await sql.query<{ existing: (Omit<ExistingOrder, "storeUpdatedAt"> & { storeUpdatedAt: string }) | null; variants: { id: string; sku: string }[] | null }>({
    name: "orders.read-order-and-variants",
    text: `SELECT
       (SELECT json_build_object('id', o."id", 'storeUpdatedAt', o."storeUpdatedAt", 'payloadDigest', o."payloadDigest", 'lines', o."lines",
                                 'cancelled', o."cancelled", 'paid', o."paid",
                                 'recorded', COALESCE((SELECT json_agg(json_build_object('variantId', m."variantId", 'delta', m."delta", 'count', m."count"))
                                                       FROM (SELECT "variantId", sum("delta")::int AS "delta", count(*)::int AS "count"
                                                             FROM "StockMovement" WHERE "businessId" = $1 AND "orderId" = o."id" GROUP BY 1) m), '[]'))
        FROM "Order" o WHERE o."businessId" = $1 AND o."connectionId" = $2 AND o."externalId" = $3) AS "existing",
       (SELECT json_agg(json_build_object('id', v."id", 'sku', v."normalizedSku"))
        FROM "Variant" v WHERE v."businessId" = $1 AND v."normalizedSku" = ANY($4::text[])) AS "variants"`,
    values: [connection.businessId, connection.id, order.externalId, skus],
  });
  const row = rows[0]!;
  const existing: ExistingOrder | null = row.existing ? { ...row.existing, storeUpdatedAt: new Date(row.existing.storeUpdatedAt) } : null;
  return { existing, variantBySku: new Map((row.variants ?? []).map((variant) => [variant.sku, variant.id])) };
}

async function variantsForSkus(sql: Sql, businessId: string, skus: string[]): Promise<Map<string, string>> {
  const { rows } = await sql.query<{ id: string; sku: string }>(
    `SELECT "id", "normalizedSku" AS "sku" FROM "Variant" WHERE "businessId" = $1 AND "normalizedSku" = ANY($2::text[])`,
    [businessId, skus],
  );
  return new Map(rows.map((row) => [row.sku, row.id]));
}

/** The statement that upserts the order row (and, the first time, its "order received" activity). */
function saveOrderStatement(
  connection: ConnectionRow,
  order: NormalizedOrder,
  digest: string,
  context: { orderId: string; needsPosting: boolean; isNew: boolean; unmatchedSkus: string[] },
): string {
  const store = connection.platform === "shopify" ? "Shopify" : "WooCommerce";
  const posting = context.needsPosting ? `'pending'::"OrderPostingState"` : `'not_required'::"OrderPostingState"`;
  const saved = `INSERT INTO "Order" ("id", "businessId", "connectionId", "externalId", "number", "cancelled", "paid", "storeStatus", "lines",
                                "storeUpdatedAt", "payloadDigest", "postingState", "updatedAt")
      VALUES (${literal(context.orderId)}::uuid, ${literal(connection.businessId)}::uuid, ${literal(connection.id)}::uuid, ${literal(order.externalId)},
              ${literal(order.number ?? null)}, ${literal(order.cancelled)}, ${literal(order.paid)}, ${literal(order.storeStatus ?? null)},
              ${literal(JSON.stringify(order.lines))}::jsonb, ${literal(order.updatedAt)}::timestamptz, ${literal(digest)}, ${posting}, now())
      ON CONFLICT ("businessId", "connectionId", "externalId") DO UPDATE SET
        "number" = EXCLUDED."number", "cancelled" = EXCLUDED."cancelled", "paid" = EXCLUDED."paid",
        "storeStatus" = EXCLUDED."storeStatus", "lines" = EXCLUDED."lines", "storeUpdatedAt" = EXCLUDED."storeUpdatedAt",
        "payloadDigest" = EXCLUDED."payloadDigest", "updatedAt" = now()${context.needsPosting ? `, "postingState" = ${posting}` : ""}`;
  if (!context.isNew) return saved;
  const severity = context.unmatchedSkus.length > 0 ? "warning" : "info";
  const data = JSON.stringify({ lines: order.lines.length, unmatchedSkus: context.unmatchedSkus });
  return `${saved};
    INSERT INTO "ActivityEvent" ("businessId", "connectionId", "orderId", "type", "severity", "message", "data")
    VALUES (${literal(connection.businessId)}::uuid, ${literal(connection.id)}::uuid, ${literal(context.orderId)}::uuid, 'order_received',
            '${severity}', ${literal(`Order ${order.number ?? order.externalId} received from ${store}`)}, ${literal(data)}::jsonb)`;
}

function noChange(status: "stale" | "unchanged", orderId: string): ApplyOrderResult {
  return { status, orderId, movements: [], ledger: null, unmatchedSkus: [] };
}

/** A digest of the state that matters for stock, independent of key and line order. */
function orderDigest(order: NormalizedOrder): string {
  const lines = [...order.lines]
    .sort((a, b) => a.lineId.localeCompare(b.lineId))
    .map((line) => [line.lineId, normalizeSku(line.sku), line.quantity, line.refundedQuantity, line.restockedQuantity]);
  return createHash("sha256").update(JSON.stringify([order.paid, order.cancelled, lines])).digest("hex");
}

function byVariant(bySku: ReadonlyMap<string, number>, variantBySku: ReadonlyMap<string, string>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [sku, units] of bySku) {
    const variantId = variantBySku.get(sku);
    if (variantId) result.set(variantId, (result.get(variantId) ?? 0) + units);
  }
  return result;
}

/**
 * Store orders into the ledger ("orders are state, not events").
 *
 * Any notification about an order (created, paid, edited, refunded, cancelled; duplicated,
 * late or out of order) carries the order's full current state. Under a per-order lock we
 * compute the stock the order should hold now, compare it with what the ledger already holds
 * for the order, and write only the difference. Replaying any subset of deliveries in any
 * order converges to the same ledger.
 *
 * Several order states can be applied in one transaction (`applyOrderStates`): a worker that
 * finds a queue of deliveries pays the round trips and the commit once for all of them. The
 * locks of a batch are taken in one statement, in key order, so two batches never wait on each
 * other in a cycle. Two states of the same order in one batch collapse to the newest: by
 * convergence that is what applying both in turn would leave.
 *
 * Cost, because every event pays it: duplicates and stale states stop after one query (for the
 * whole batch). New states cost five round trips per batch: the known-state check; `BEGIN` with
 * the locks; the read; the ledger write (one statement, see ledger/movements.ts); the order rows
 * with `COMMIT`.
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
  isEarlierTiedState,
  type NormalizedOrder,
  type PlannedOrderMovement,
} from "../domain/index.ts";
import { applyMovements, type MovementInput } from "../ledger/index.ts";
import { literal, type Sql } from "../store/index.ts";

/** applied: the ledger moved to this state. unchanged: already applied. stale: an older state than one applied. */
export type ApplyOrderStatus = "applied" | "unchanged" | "stale";

export interface ApplyOrderResult {
  status: ApplyOrderStatus;
  orderId: string;
  movements: PlannedOrderMovement[];
  /** Normalised SKUs on the order that match no product in the catalogue. */
  unmatchedSkus: string[];
}

/** One state's outcome in a batch: its result, or why it was refused (nothing written for it). */
export type OrderStateOutcome = { ok: true; result: ApplyOrderResult } | { ok: false; error: Error };

interface ConnectionRow {
  id: string;
  businessId: string;
  locationId: string;
  platform: "shopify" | "woocommerce";
  settings: unknown;
  authorityMode: "prokip" | "central";
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

/** A state that got past the duplicate check, with what applying it needs. */
interface Candidate {
  index: number;
  order: NormalizedOrder;
  digest: string;
  connection: ConnectionRow;
}

/**
 * Validates `input` as a normalised order and brings the ledger in line with it.
 * Throws SyncError `invalid_order` (nothing written), `unknown_connection` or `connection_not_active`.
 */
export async function applyOrderState(pool: pg.Pool, input: unknown): Promise<ApplyOrderResult> {
  const [outcome] = await applyOrderStates(pool, [input]);
  if (!outcome!.ok) throw outcome!.error;
  return outcome!.result;
}

/**
 * Applies several order states in one transaction and answers one outcome per input, in input
 * order. A refused input (invalid, unknown or disconnected store) never stops the others. If
 * the shared transaction fails, each state is retried on its own so one cannot sink the rest.
 */
export async function applyOrderStates(pool: pg.Pool, inputs: readonly unknown[]): Promise<OrderStateOutcome[]> {
  const outcomes: (OrderStateOutcome | undefined)[] = new Array(inputs.length);
  const parsed: { index: number; order: NormalizedOrder; digest: string }[] = [];
  inputs.forEach((input, index) => {
    const result = normalizedOrderSchema.safeParse(input);
    if (result.success) parsed.push({ index, order: result.data, digest: orderDigest(result.data) });
    else
      outcomes[index] = refused(
        new SyncError(
          "invalid_order",
          "The order is not valid",
          result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
        ),
      );
  });

  const candidates = await checkKnownStates(pool, parsed, outcomes);
  if (candidates.length > 0) {
    const { newest, superseded } = newestPerOrder(candidates);
    try {
      const results = await inTransaction(pool, (sql) => applyLocked(sql, newest));
      newest.forEach((candidate, i) => (outcomes[candidate.index] = { ok: true, result: results[i]! }));
      for (const { candidate, by } of superseded)
        outcomes[candidate.index] = { ok: true, result: noChange("stale", results[newest.indexOf(by)]!.orderId) };
    } catch (error) {
      if (candidates.length === 1)
        outcomes[candidates[0]!.index] = refused(error instanceof Error ? error : new Error(String(error)));
      // One at a time: whatever failed the batch fails only its own state now.
      else
        for (const candidate of candidates) {
          try {
            outcomes[candidate.index] = { ok: true, result: await applyOrderState(pool, inputs[candidate.index]) };
          } catch (single) {
            outcomes[candidate.index] = refused(single instanceof Error ? single : new Error(String(single)));
          }
        }
    }
  }
  return outcomes as OrderStateOutcome[];
}

/**
 * The connection of each state and, if we have seen its order, the last applied state:
 * duplicates and stale states stop here without a transaction (both only ever move forward).
 * Fills `outcomes` for those; answers the states that need applying.
 */
async function checkKnownStates(
  pool: pg.Pool,
  parsed: { index: number; order: NormalizedOrder; digest: string }[],
  outcomes: (OrderStateOutcome | undefined)[],
): Promise<Candidate[]> {
  if (parsed.length === 0) return [];
  const { rows } = await pool.query<
    ConnectionRow & {
      n: number;
      status: string | null;
      knownOrderId: string | null;
      knownUpdatedAt: Date | null;
      knownDigest: string | null;
    }
  >({
    name: "orders.connection-and-known-state",
    text: `SELECT i."n"::int AS "n", c."id", c."businessId", c."locationId", c."platform", c."status", c."settings", b."authorityMode",
            o."id" AS "knownOrderId", o."storeUpdatedAt" AS "knownUpdatedAt", o."payloadDigest" AS "knownDigest"
     FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS i("connectionId", "externalId", "n")
     LEFT JOIN "Connection" c ON c."id" = i."connectionId"
     LEFT JOIN "Business" b ON b."id" = c."businessId"
     -- LATERAL with LIMIT (never flattened into a join): one index lookup per state, never a scan of every order.
     LEFT JOIN LATERAL (SELECT o."id", o."storeUpdatedAt", o."payloadDigest" FROM "Order" o
                        WHERE o."businessId" = c."businessId" AND o."connectionId" = c."id" AND o."externalId" = i."externalId" LIMIT 1) o ON true`,
    values: [parsed.map((p) => p.order.connectionId), parsed.map((p) => p.order.externalId)],
  });
  const candidates: Candidate[] = [];
  for (const row of rows) {
    const { index, order, digest } = parsed[row.n - 1]!;
    if (!row.status)
      outcomes[index] = refused(new SyncError("unknown_connection", `No connection ${order.connectionId}`));
    else if (row.status === "disconnected")
      outcomes[index] = refused(new SyncError("connection_not_active", "The store is disconnected"));
    else if (row.knownOrderId && row.knownUpdatedAt && order.updatedAt < row.knownUpdatedAt)
      outcomes[index] = { ok: true, result: noChange("stale", row.knownOrderId) };
    else if (row.knownOrderId && row.knownDigest === digest)
      outcomes[index] = { ok: true, result: noChange("unchanged", row.knownOrderId) };
    else {
      const connection: ConnectionRow = {
        id: row.id,
        businessId: row.businessId,
        locationId: row.locationId,
        platform: row.platform,
        settings: row.settings,
        authorityMode: row.authorityMode,
      };
      candidates.push({ index, order, digest, connection });
    }
  }
  return candidates;
}

/**
 * Per order, the newest state; on a tied `updatedAt`, the one the other is not behind (see
 * isEarlierTiedState), else the later one in the batch. The others are superseded by it.
 */
function newestPerOrder(candidates: Candidate[]) {
  const byOrder = new Map<string, Candidate>();
  const superseded: { candidate: Candidate; by: Candidate }[] = [];
  const losers: Candidate[] = [];
  for (const candidate of candidates) {
    const key = orderKey(candidate);
    const held = byOrder.get(key);
    const older =
      held &&
      (candidate.order.updatedAt < held.order.updatedAt ||
        (candidate.order.updatedAt.getTime() === held.order.updatedAt.getTime() &&
          isEarlierTiedState(candidate.order, held.order)));
    if (older) losers.push(candidate);
    else {
      if (held) losers.push(held);
      byOrder.set(key, candidate);
    }
  }
  for (const candidate of losers) superseded.push({ candidate, by: byOrder.get(orderKey(candidate))! });
  return { newest: [...byOrder.values()], superseded };
}

/** Runs `work` in a transaction `work` opens itself (see lockAndRead) and commits with its last statement. */
async function inTransaction<T>(pool: pg.Pool, work: (sql: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await work(client);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Runs the batch's transaction on `sql`: opened here, committed here on success. */
async function applyLocked(sql: Sql, candidates: Candidate[]): Promise<ApplyOrderResult[]> {
  const plans = candidates.map((candidate) => ({
    candidate,
    now: orderSoldBySku(candidate.order, readConnectionSettings(candidate.connection.settings).deductOn),
  }));
  const { existing, variantBySku } = await lockAndRead(
    sql,
    plans.map(({ candidate, now }) => ({ candidate, skus: [...now.sold.keys()] })),
  );

  const results: ApplyOrderResult[] = [];
  const movements: MovementInput[] = [];
  const saves: OrderSave[] = [];
  for (const [i, { candidate, now }] of plans.entries()) {
    const { order, digest, connection } = candidate;
    const known = existing[i] ?? null;
    // Re-checked under the lock: another worker may have applied a newer state since the check.
    // A state stamped in the same second as the applied one is older if it is behind it.
    const tiedAndBehind =
      known !== null &&
      order.updatedAt.getTime() === known.storeUpdatedAt.getTime() &&
      isEarlierTiedState(order, known);
    if (known && (order.updatedAt < known.storeUpdatedAt || tiedAndBehind)) {
      results.push(noChange("stale", known.id));
      continue;
    }
    if (known && known.payloadDigest === digest) {
      results.push(noChange("unchanged", known.id));
      continue;
    }
    const variants = variantBySku.get(connection.businessId) ?? new Map<string, string>();
    const { deductOn } = readConnectionSettings(connection.settings);
    const before = known
      ? orderSoldBySku({ cancelled: known.cancelled, paid: known.paid, lines: known.lines }, deductOn)
      : null;
    const missingBefore = before ? [...before.restocked.keys()].filter((sku) => !variants.has(sku)) : [];
    if (missingBefore.length > 0)
      for (const [sku, id] of await variantsForSkus(sql, connection.businessId, missingBefore)) variants.set(sku, id);

    const recorded = known?.recorded ?? [];
    const planned = planOrderMovements(
      byVariant(now.sold, variants),
      new Map(recorded.map((r) => [r.variantId, r.delta])),
      {
        cancelled: order.cancelled,
        restockedNow: byVariant(now.restocked, variants),
        restockedBefore: before ? byVariant(before.restocked, variants) : new Map(),
      },
    );
    const postsToProkip = connection.authorityMode === "prokip";
    const unmatchedSkus = [...now.sold.keys()].filter((sku) => !variants.has(sku));
    // A new order's id is chosen here so its movements can name it before the row is written.
    const orderId = known?.id ?? randomUUID();
    const countByVariant = new Map(recorded.map((r) => [r.variantId, r.count]));
    for (const movement of planned) {
      movements.push({
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
      });
    }
    saves.push({
      connection,
      order,
      digest,
      orderId,
      needsPosting: postsToProkip && planned.length > 0,
      isNew: !known,
      unmatchedSkus,
    });
    results.push({ status: "applied", orderId, movements: planned, unmatchedSkus });
  }

  // The ledger takes one business per statement; a batch nearly always holds one. In id order,
  // like every lock (docs/architecture.md, "Lock order"); so are the order rows saved below.
  const businesses = [...new Set(movements.map((movement) => movement.businessId))].sort();
  saves.sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
  for (const businessId of businesses)
    await applyMovements(
      sql,
      movements.filter((movement) => movement.businessId === businessId),
    );
  const statements = saves.length > 0 ? [saveOrdersStatement(saves), originStoreStatement(movements)] : [];
  await sql.query([...statements.filter(Boolean), "COMMIT"].join(";\n"));
  return results;
}

/**
 * Opens the transaction and takes every order's lock, in key order (one round trip), then reads
 * each order as last applied, with what the ledger holds for it, and the variants of the SKUs.
 * The read is a named statement: planned once per connection (planning it per call cost more
 * than running it).
 */
async function lockAndRead(sql: Sql, batch: { candidate: Candidate; skus: string[] }[]) {
  const keys = [...new Set(batch.map(({ candidate }) => lockKey(orderKey(candidate))))].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  await sql.query(`BEGIN; SELECT ${keys.map((key) => `pg_advisory_xact_lock(${key})`).join(", ")}`);

  const skuPairs = new Map<string, { businessId: string; sku: string }>();
  for (const { candidate, skus } of batch)
    for (const sku of skus)
      skuPairs.set(`${candidate.connection.businessId}\u0000${sku}`, {
        businessId: candidate.connection.businessId,
        sku,
      });
  type ExistingRow = Omit<ExistingOrder, "storeUpdatedAt"> & { n: number; storeUpdatedAt: string };
  const { rows } = await sql.query<{
    existing: ExistingRow[] | null;
    variants: { businessId: string; id: string; sku: string }[] | null;
  }>({
    name: "orders.read-orders-and-variants",
    text: `SELECT
       (SELECT json_agg(json_build_object('n', i."n", 'id', o."id", 'storeUpdatedAt', o."storeUpdatedAt", 'payloadDigest', o."payloadDigest", 'lines', o."lines",
                                 'cancelled', o."cancelled", 'paid', o."paid",
                                 'recorded', COALESCE((SELECT json_agg(json_build_object('variantId', m."variantId", 'delta', m."delta", 'count', m."count"))
                                                       FROM (SELECT "variantId", sum("delta")::int AS "delta", count(*)::int AS "count"
                                                             FROM "StockMovement" WHERE "businessId" = o."businessId" AND "orderId" = o."id" GROUP BY 1) m), '[]')))
        FROM unnest($1::uuid[], $2::uuid[], $3::text[]) WITH ORDINALITY AS i("businessId", "connectionId", "externalId", "n")
        CROSS JOIN LATERAL (SELECT * FROM "Order" o
                            WHERE o."businessId" = i."businessId" AND o."connectionId" = i."connectionId" AND o."externalId" = i."externalId" LIMIT 1) o) AS "existing",
       (SELECT json_agg(json_build_object('businessId', v."businessId", 'id', v."id", 'sku', v."normalizedSku"))
        FROM unnest($4::uuid[], $5::text[]) AS s("businessId", "sku")
        CROSS JOIN LATERAL (SELECT * FROM "Variant" v WHERE v."businessId" = s."businessId" AND v."normalizedSku" = s."sku" LIMIT 1) v) AS "variants"`,
    values: [
      batch.map(({ candidate }) => candidate.connection.businessId),
      batch.map(({ candidate }) => candidate.connection.id),
      batch.map(({ candidate }) => candidate.order.externalId),
      [...skuPairs.values()].map((pair) => pair.businessId),
      [...skuPairs.values()].map((pair) => pair.sku),
    ],
  });
  const existing: (ExistingOrder | undefined)[] = new Array(batch.length);
  for (const { n, ...row } of rows[0]!.existing ?? [])
    existing[n - 1] = { ...row, storeUpdatedAt: new Date(row.storeUpdatedAt) };
  const variantBySku = new Map<string, Map<string, string>>();
  for (const variant of rows[0]!.variants ?? []) {
    const skus = variantBySku.get(variant.businessId) ?? new Map<string, string>();
    skus.set(variant.sku, variant.id);
    variantBySku.set(variant.businessId, skus);
  }
  return { existing, variantBySku };
}

async function variantsForSkus(sql: Sql, businessId: string, skus: string[]): Promise<Map<string, string>> {
  const { rows } = await sql.query<{ id: string; sku: string }>(
    `SELECT "id", "normalizedSku" AS "sku" FROM "Variant" WHERE "businessId" = $1 AND "normalizedSku" = ANY($2::text[])`,
    [businessId, skus],
  );
  return new Map(rows.map((row) => [row.sku, row.id]));
}

interface OrderSave {
  connection: ConnectionRow;
  order: NormalizedOrder;
  digest: string;
  orderId: string;
  needsPosting: boolean;
  isNew: boolean;
  unmatchedSkus: string[];
}

/**
 * The statement that upserts the batch's order rows (and, for orders seen the first time, their
 * "order received" activity). The posting state only ever moves to pending here: an order with
 * nothing new to post keeps whatever the posting worker has made of it.
 */
function saveOrdersStatement(saves: OrderSave[]): string {
  const rows = saves.map(
    ({ connection, order, digest, orderId, needsPosting }) =>
      `(${literal(orderId)}::uuid, ${literal(connection.businessId)}::uuid, ${literal(connection.id)}::uuid, ${literal(order.externalId)},
      ${literal(order.number ?? null)}, ${literal(order.cancelled)}, ${literal(order.paid)}, ${literal(order.storeStatus ?? null)},
      ${literal(JSON.stringify(order.lines))}::jsonb, ${literal(order.updatedAt)}::timestamptz, ${literal(digest)},
      ${needsPosting ? `'pending'` : `'not_required'`}::"OrderPostingState", now())`,
  );
  const saved = `INSERT INTO "Order" ("id", "businessId", "connectionId", "externalId", "number", "cancelled", "paid", "storeStatus", "lines",
                                "storeUpdatedAt", "payloadDigest", "postingState", "updatedAt")
      VALUES ${rows.join(",\n")}
      ON CONFLICT ("businessId", "connectionId", "externalId") DO UPDATE SET
        "number" = EXCLUDED."number", "cancelled" = EXCLUDED."cancelled", "paid" = EXCLUDED."paid",
        "storeStatus" = EXCLUDED."storeStatus", "lines" = EXCLUDED."lines", "storeUpdatedAt" = EXCLUDED."storeUpdatedAt",
        "payloadDigest" = EXCLUDED."payloadDigest", "updatedAt" = now(),
        "postingState" = CASE WHEN EXCLUDED."postingState" = 'pending' THEN EXCLUDED."postingState" ELSE "Order"."postingState" END`;
  const received = saves.filter((save) => save.isNew);
  if (received.length === 0) return saved;
  const events = received.map(({ connection, order, orderId, unmatchedSkus }) => {
    const store = connection.platform === "shopify" ? "Shopify" : "WooCommerce";
    const severity = unmatchedSkus.length > 0 ? "warning" : "info";
    const data = JSON.stringify({ lines: order.lines.length, unmatchedSkus });
    return `(${literal(connection.businessId)}::uuid, ${literal(connection.id)}::uuid, ${literal(orderId)}::uuid, 'order_received',
            '${severity}', ${literal(`Order ${order.number ?? order.externalId} received from ${store}`)}, ${literal(data)}::jsonb)`;
  });
  return `${saved};
    INSERT INTO "ActivityEvent" ("businessId", "connectionId", "orderId", "type", "severity", "message", "data")
    VALUES ${events.join(",\n")}`;
}

/**
 * The store an order came from has already moved its own stock by the order (a store takes its
 * own sales off, and puts restocked units back, by itself). Its listings' expected quantity
 * moves with it, so the drain does not write the same figure back to it and the store's own
 * inventory notification is recognised as expected rather than checked as a hand edit. A store
 * quantity that already differed from what we expected (a notification that came first, or an
 * edit) is left as reported. A wrong guess costs one write: Shopify refuses a write whose
 * compare quantity is stale and the drain re-reads; a WooCommerce figure that differs is
 * reported by its product webhook, and reconciliation reads every store figure. The listings
 * were locked by the ledger statement (ledger/movements.ts), in the one lock order.
 */
function originStoreStatement(movements: MovementInput[]): string {
  const byListing = new Map<string, { businessId: string; connectionId: string; variantId: string; delta: number }>();
  for (const movement of movements) {
    if (!movement.connectionId) continue;
    const key = `${movement.connectionId}:${movement.variantId}`;
    const entry = byListing.get(key) ?? {
      businessId: movement.businessId,
      connectionId: movement.connectionId,
      variantId: movement.variantId,
      delta: 0,
    };
    entry.delta += movement.delta;
    byListing.set(key, entry);
  }
  const rows = [...byListing.values()].filter((entry) => entry.delta !== 0);
  if (rows.length === 0) return "";
  const values = rows.map(
    (row) =>
      `(${literal(row.businessId)}::uuid, ${literal(row.connectionId)}::uuid, ${literal(row.variantId)}::uuid, ${literal(row.delta)})`,
  );
  return `UPDATE "Listing" AS l
    SET "storeQuantity" = CASE WHEN l."storeQuantity" IS NULL OR l."storeQuantity" = l."lastPushedQuantity" THEN l."lastPushedQuantity" + m."delta" ELSE l."storeQuantity" END,
        "lastPushedQuantity" = l."lastPushedQuantity" + m."delta", "updatedAt" = now()
    FROM (VALUES ${values.join(", ")}) AS m("businessId", "connectionId", "variantId", "delta")
    WHERE l."businessId" = m."businessId" AND l."connectionId" = m."connectionId" AND l."variantId" = m."variantId" AND l."lastPushedQuantity" IS NOT NULL`;
}

function noChange(status: "stale" | "unchanged", orderId: string): ApplyOrderResult {
  return { status, orderId, movements: [], unmatchedSkus: [] };
}

function refused(error: Error): OrderStateOutcome {
  return { ok: false, error };
}

function orderKey(candidate: Candidate): string {
  return `order:${candidate.connection.id}:${candidate.order.externalId}`;
}

/** A 64-bit advisory lock key for an order (signed, as PostgreSQL's bigint). */
function lockKey(key: string): bigint {
  return createHash("sha256").update(key).digest().readBigInt64BE(0);
}

/** A digest of the state that matters for stock, independent of key and line order. */
function orderDigest(order: NormalizedOrder): string {
  const lines = [...order.lines]
    .sort((a, b) => a.lineId.localeCompare(b.lineId))
    .map((line) => [line.lineId, normalizeSku(line.sku), line.quantity, line.refundedQuantity, line.restockedQuantity]);
  return createHash("sha256")
    .update(JSON.stringify([order.paid, order.cancelled, lines]))
    .digest("hex");
}

function byVariant(bySku: ReadonlyMap<string, number>, variantBySku: ReadonlyMap<string, string>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [sku, units] of bySku) {
    const variantId = variantBySku.get(sku);
    if (variantId) result.set(variantId, (result.get(variantId) ?? 0) + units);
  }
  return result;
}

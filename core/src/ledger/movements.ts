/**
 * Applying movements to the ledger. Everything happens inside the caller's transaction, in one
 * statement: the movement rows (unique idempotency key: a replay inserts nothing), the stock
 * levels they change, the listings that must be told (dirty), and an activity event when stock
 * goes below zero. Either all of it is committed or none of it.
 */
import type { MovementReason, PostingState, Sql } from "../store/index.ts";

export interface MovementInput {
  businessId: string;
  locationId: string;
  variantId: string;
  delta: number;
  reason: MovementReason;
  idempotencyKey: string;
  postingState: PostingState;
  connectionId?: string | null;
  orderId?: string | null;
  externalRef?: string | null;
}

export interface StockChange {
  locationId: string;
  variantId: string;
  delta: number;
  available: number;
}

export interface AppliedMovements {
  /** Movements written now; replays of earlier ones are left out. */
  inserted: number;
  duplicates: number;
  changes: StockChange[];
  /** Stock levels this batch took below zero. */
  oversold: StockChange[];
}

const APPLY_MOVEMENTS = `
WITH input AS (
  SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::int[], $5::"MovementReason"[], $6::text[], $7::"PostingState"[], $8::uuid[], $9::uuid[], $10::text[])
    AS t("locationId", "variantId", "delta", "reason", "idempotencyKey", "postingState", "connectionId", "orderId", "externalRef")
),
inserted AS (
  INSERT INTO "StockMovement" ("businessId", "locationId", "variantId", "delta", "reason", "idempotencyKey", "postingState", "connectionId", "orderId", "externalRef")
  SELECT $1::uuid, "locationId", "variantId", "delta", "reason", "idempotencyKey", "postingState", "connectionId", "orderId", "externalRef" FROM input
  ON CONFLICT ("businessId", "idempotencyKey") DO NOTHING
  RETURNING "locationId", "variantId", "delta"
),
totals AS (
  SELECT "locationId", "variantId", sum("delta")::int AS "delta" FROM inserted GROUP BY 1, 2 HAVING sum("delta") <> 0
),
levels AS (
  -- Rows are locked in (location, variant) order: two transactions never wait on each other in a cycle.
  INSERT INTO "StockLevel" ("businessId", "locationId", "variantId", "available", "updatedAt")
  SELECT $1::uuid, "locationId", "variantId", "delta", now() FROM totals ORDER BY "locationId", "variantId"
  ON CONFLICT ("businessId", "locationId", "variantId")
  DO UPDATE SET "available" = "StockLevel"."available" + EXCLUDED."available", "updatedAt" = now()
  RETURNING "locationId", "variantId", "available"
),
changes AS (
  SELECT l."locationId", l."variantId", t."delta", l."available" FROM levels l JOIN totals t USING ("locationId", "variantId")
),
listings AS MATERIALIZED (
  -- Listing rows are locked after the stock levels (the count waits for all of them), in id
  -- order, all at once: the listings marked dirty below and the moving stores' own listings,
  -- which the caller may update later in this transaction (sync/orders.ts). The lock order is
  -- in docs/architecture.md ("Lock order").
  SELECT li."id" FROM "Listing" li
  WHERE li."businessId" = $1::uuid AND (SELECT count(*) FROM changes) >= 0 AND li."id" IN (
    SELECT l."id" FROM "Listing" l
    JOIN "Connection" c ON c."id" = l."connectionId" AND c."businessId" = l."businessId"
    JOIN changes ON c."locationId" = changes."locationId" AND l."variantId" = changes."variantId"
    WHERE l."businessId" = $1::uuid AND c."status" <> 'disconnected' AND l."matchStatus" = 'matched' AND NOT l."dirty"
    UNION
    SELECT l."id" FROM "Listing" l
    JOIN (SELECT DISTINCT "connectionId", "variantId" FROM input WHERE "connectionId" IS NOT NULL) o
      ON l."connectionId" = o."connectionId" AND l."variantId" = o."variantId"
    WHERE l."businessId" = $1::uuid)
  ORDER BY li."id"
  FOR UPDATE
),
dirty AS (
  UPDATE "Listing" AS li
  SET "dirty" = true, "dirtySince" = COALESCE(li."dirtySince", now()), "updatedAt" = now()
  FROM listings, "Connection" AS c, changes
  WHERE li."id" = listings."id" AND li."businessId" = $1::uuid AND c."id" = li."connectionId" AND c."businessId" = li."businessId"
    AND c."status" <> 'disconnected' AND c."locationId" = changes."locationId"
    AND li."variantId" = changes."variantId" AND li."matchStatus" = 'matched'
    AND NOT li."dirty" -- already waiting for the drain: a burst on one variant coalesces here
  RETURNING li."id"
),
oversold AS (
  INSERT INTO "ActivityEvent" ("businessId", "variantId", "type", "severity", "message", "data")
  SELECT $1::uuid, "variantId", 'oversell', 'warning',
         'Sold more than was in stock: available is now ' || "available" || '. Stores are shown 0 until stock arrives.',
         jsonb_build_object('locationId', "locationId", 'available', "available", 'delta', "delta")
  FROM changes WHERE "delta" < 0 AND "available" < 0
  RETURNING "id"
)
SELECT (SELECT count(*)::int FROM inserted) AS "inserted",
       COALESCE((SELECT json_agg(json_build_object('locationId', "locationId", 'variantId', "variantId", 'delta', "delta", 'available', "available")) FROM changes), '[]') AS "changes"`;

export async function applyMovements(sql: Sql, movements: readonly MovementInput[]): Promise<AppliedMovements> {
  if (movements.length === 0) return { inserted: 0, duplicates: 0, changes: [], oversold: [] };
  const businessId = movements[0]!.businessId;
  if (movements.some((movement) => movement.businessId !== businessId))
    throw new Error("applyMovements: one business per call");
  const column = <K extends keyof MovementInput>(key: K) => movements.map((movement) => movement[key] ?? null);
  // Named: PostgreSQL parses and plans this statement once per connection, not per call.
  const { rows } = await sql.query<{ inserted: number; changes: StockChange[] }>({
    name: "ledger.apply-movements",
    text: APPLY_MOVEMENTS,
    values: [
      businessId,
      column("locationId"),
      column("variantId"),
      column("delta"),
      column("reason"),
      column("idempotencyKey"),
      column("postingState"),
      column("connectionId"),
      column("orderId"),
      column("externalRef"),
    ],
  });
  const { inserted, changes } = rows[0]!;
  return {
    inserted,
    duplicates: movements.length - inserted,
    changes,
    oversold: changes.filter((change) => change.delta < 0 && change.available < 0),
  };
}

/**
 * Flags every matched listing of the changed variants, on every live connection selling from
 * that location, so the next drain writes them. Call in the transaction that changed them.
 */
export async function markListingsDirty(
  sql: Sql,
  businessId: string,
  changes: readonly { locationId: string; variantId: string }[],
): Promise<number> {
  if (changes.length === 0) return 0;
  // The listings are locked in id order (docs/architecture.md, "Lock order").
  const result = await sql.query(
    `WITH locked AS MATERIALIZED (
       SELECT l."id" FROM "Listing" l
       JOIN "Connection" c ON c."id" = l."connectionId" AND c."businessId" = l."businessId"
       JOIN unnest($2::uuid[], $3::uuid[]) AS changed("locationId", "variantId")
         ON c."locationId" = changed."locationId" AND l."variantId" = changed."variantId"
       WHERE l."businessId" = $1::uuid AND c."status" <> 'disconnected' AND l."matchStatus" = 'matched' AND NOT l."dirty"
       ORDER BY l."id"
       FOR UPDATE OF l
     )
     UPDATE "Listing" AS l
     SET "dirty" = true, "dirtySince" = COALESCE(l."dirtySince", now()), "updatedAt" = now()
     FROM locked
     WHERE l."id" = locked."id" AND NOT l."dirty"`,
    [businessId, changes.map((change) => change.locationId), changes.map((change) => change.variantId)],
  );
  return result.rowCount ?? 0;
}

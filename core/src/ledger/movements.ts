/**
 * Applying movements to the ledger. Everything happens inside the caller's transaction:
 * the movement rows (unique idempotency key: a replay inserts nothing), the stock level they
 * change, the listings that must be told, and an activity event when stock goes below zero.
 * Either all of it is committed or none of it.
 */
import { Prisma } from "../store/index.ts";
import type { MovementReason, PostingState } from "../store/index.ts";

export type Transaction = Prisma.TransactionClient;

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

export async function applyMovements(tx: Transaction, movements: readonly MovementInput[]): Promise<AppliedMovements> {
  if (movements.length === 0) return { inserted: 0, duplicates: 0, changes: [], oversold: [] };
  const businessId = movements[0]!.businessId;
  if (movements.some((movement) => movement.businessId !== businessId)) throw new Error("applyMovements: one business per call");

  // A stable order for every lock this transaction takes (stock levels), so two transactions
  // touching the same variants never wait on each other in a cycle.
  const sorted = [...movements].sort((a, b) => compareKeys(a, b) || a.idempotencyKey.localeCompare(b.idempotencyKey));
  const inserted = await tx.stockMovement.createManyAndReturn({
    data: sorted.map((movement) => ({
      businessId,
      locationId: movement.locationId,
      variantId: movement.variantId,
      delta: movement.delta,
      reason: movement.reason,
      idempotencyKey: movement.idempotencyKey,
      postingState: movement.postingState,
      connectionId: movement.connectionId ?? null,
      orderId: movement.orderId ?? null,
      externalRef: movement.externalRef ?? null,
    })),
    skipDuplicates: true,
    select: { locationId: true, variantId: true, delta: true },
  });

  const totals = new Map<string, { locationId: string; variantId: string; delta: number }>();
  for (const row of inserted) {
    const key = `${row.locationId}/${row.variantId}`;
    const total = totals.get(key) ?? { locationId: row.locationId, variantId: row.variantId, delta: 0 };
    total.delta += row.delta;
    totals.set(key, total);
  }

  const changes: StockChange[] = [];
  for (const total of [...totals.values()].sort(compareKeys)) {
    if (total.delta === 0) continue;
    const available = await bumpStockLevel(tx, businessId, total.locationId, total.variantId, total.delta);
    changes.push({ ...total, available });
  }
  await markListingsDirty(tx, businessId, changes);

  const oversold = changes.filter((change) => change.delta < 0 && change.available < 0);
  if (oversold.length > 0) {
    await tx.activityEvent.createMany({
      data: oversold.map((change) => ({
        businessId,
        variantId: change.variantId,
        type: "oversell",
        severity: "warning" as const,
        message: `Sold more than was in stock: available is now ${change.available}. Stores are shown 0 until stock arrives.`,
        data: { locationId: change.locationId, available: change.available, delta: change.delta },
      })),
    });
  }
  return { inserted: inserted.length, duplicates: movements.length - inserted.length, changes, oversold };
}

/** Adds delta to the materialised `available` of a stock level (creating it) and returns the new figure. */
async function bumpStockLevel(tx: Transaction, businessId: string, locationId: string, variantId: string, delta: number): Promise<number> {
  const rows = await tx.$queryRaw<{ available: number }[]>`
    INSERT INTO "StockLevel" ("businessId", "locationId", "variantId", "available", "updatedAt")
    VALUES (${businessId}::uuid, ${locationId}::uuid, ${variantId}::uuid, ${delta}, now())
    ON CONFLICT ("businessId", "locationId", "variantId")
    DO UPDATE SET "available" = "StockLevel"."available" + EXCLUDED."available", "updatedAt" = now()
    RETURNING "available"`;
  return rows[0]!.available;
}

/**
 * Flags every listing of the changed variants, on every live connection selling from that
 * location, so the next drain writes them. Done in the same transaction as the change: if the
 * change commits, the flag does too.
 */
export async function markListingsDirty(tx: Transaction, businessId: string, changes: readonly { locationId: string; variantId: string }[]): Promise<number> {
  if (changes.length === 0) return 0;
  const locationIds = changes.map((change) => change.locationId);
  const variantIds = changes.map((change) => change.variantId);
  return tx.$executeRaw`
    UPDATE "Listing" AS l
    SET "dirty" = true, "dirtySince" = COALESCE(l."dirtySince", now()), "updatedAt" = now()
    FROM "Connection" AS c, unnest(${locationIds}::uuid[], ${variantIds}::uuid[]) AS changed("locationId", "variantId")
    WHERE l."businessId" = ${businessId}::uuid
      AND c."id" = l."connectionId"
      AND c."businessId" = l."businessId"
      AND c."status" <> 'disconnected'
      AND c."locationId" = changed."locationId"
      AND l."variantId" = changed."variantId"
      AND l."matchStatus" = 'matched'`;
}

function compareKeys(a: { locationId: string; variantId: string }, b: { locationId: string; variantId: string }): number {
  return a.locationId.localeCompare(b.locationId) || a.variantId.localeCompare(b.variantId);
}

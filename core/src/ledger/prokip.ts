/**
 * Prokip authority mode: Prokip's stock is read (polled), store sales are posted to Prokip.
 *
 * available = last Prokip reading + movements not reflected in it (see domain/stock.ts).
 * These functions keep the materialised `StockLevel.available` equal to that rule as readings
 * arrive and postings start and finish, so a sale is counted exactly once whether the read
 * happened before, during or after posting it.
 */
import { isReadingAmbiguous, prokipAvailable, type PostableMovement } from "../domain/index.ts";
import { markListingsDirty, type Transaction } from "./movements.ts";

export interface VariantReading {
  variantId: string;
  quantity: number;
}

export interface ReadingBatch {
  businessId: string;
  locationId: string;
  /** When the request to Prokip was sent and when its answer arrived. */
  startedAt: Date;
  finishedAt: Date;
  readings: readonly VariantReading[];
}

export interface ReadingOutcome {
  /** Readings taken; `available` changed for `changed` of them. */
  accepted: string[];
  changed: { variantId: string; available: number }[];
  /** A posting touching the variant was in flight during the read: not used, read again later. */
  ambiguous: string[];
  /** Older than the reading already held: ignored. */
  stale: string[];
}

/** Records a batch of Prokip readings for one location. Call inside a transaction. */
export async function recordProkipReadings(tx: Transaction, batch: ReadingBatch): Promise<ReadingOutcome> {
  const outcome: ReadingOutcome = { accepted: [], changed: [], ambiguous: [], stale: [] };
  const readings = [...batch.readings].sort((a, b) => a.variantId.localeCompare(b.variantId));
  for (const reading of readings) {
    const level = await lockStockLevel(tx, batch.businessId, batch.locationId, reading.variantId);
    if (level.prokipReadAt !== null && level.prokipReadAt > batch.startedAt) {
      outcome.stale.push(reading.variantId);
      continue;
    }
    const movements = await unreflectedCandidates(tx, batch.businessId, batch.locationId, reading.variantId, level.prokipReadAt);
    if (isReadingAmbiguous(batch, movements)) {
      outcome.ambiguous.push(reading.variantId);
      continue;
    }
    const available = prokipAvailable(reading.quantity, batch.startedAt, movements);
    await tx.stockLevel.update({
      where: { id: level.id },
      data: { prokipQuantity: reading.quantity, prokipReadAt: batch.startedAt, available },
    });
    outcome.accepted.push(reading.variantId);
    if (available !== level.available) outcome.changed.push({ variantId: reading.variantId, available });
  }
  await markListingsDirty(
    tx,
    batch.businessId,
    outcome.changed.map((change) => ({ locationId: batch.locationId, variantId: change.variantId })),
  );
  return outcome;
}

/**
 * The order's pending movements are about to be sent to Prokip. Record the instant first:
 * from now on a read overlapping the request is ambiguous.
 */
export async function markPostingStarted(tx: Transaction, businessId: string, orderId: string, at: Date): Promise<number> {
  const result = await tx.stockMovement.updateMany({
    where: { businessId, orderId, postingState: "pending" },
    data: { postingState: "posting", postingStartedAt: at },
  });
  return result.count;
}

/** Prokip confirmed the order's in-flight movements at `at`. `available` does not change: the next reading absorbs them. */
export async function markPosted(tx: Transaction, businessId: string, orderId: string, at: Date): Promise<number> {
  const result = await tx.stockMovement.updateMany({
    where: { businessId, orderId, postingState: "posting" },
    data: { postingState: "posted", postedAt: at },
  });
  return result.count;
}

/** Prokip definitely did not apply the request (it answered with an error): back to pending. */
export async function markPostingRejected(tx: Transaction, businessId: string, orderId: string): Promise<number> {
  const result = await tx.stockMovement.updateMany({
    where: { businessId, orderId, postingState: "posting" },
    data: { postingState: "pending", postingStartedAt: null },
  });
  return result.count;
}

async function lockStockLevel(tx: Transaction, businessId: string, locationId: string, variantId: string) {
  const rows = await tx.$queryRaw<{ id: string; available: number; prokipReadAt: Date | null }[]>`
    INSERT INTO "StockLevel" ("businessId", "locationId", "variantId", "available", "updatedAt")
    VALUES (${businessId}::uuid, ${locationId}::uuid, ${variantId}::uuid, 0, now())
    ON CONFLICT ("businessId", "locationId", "variantId") DO UPDATE SET "updatedAt" = now()
    RETURNING "id", "available", "prokipReadAt"`;
  return rows[0]!;
}

/**
 * Movements that may not be reflected in a reading: not yet confirmed by Prokip, or confirmed
 * after the previous reading started (older confirmed ones are inside every later reading).
 */
async function unreflectedCandidates(tx: Transaction, businessId: string, locationId: string, variantId: string, previousReadAt: Date | null): Promise<PostableMovement[]> {
  return tx.stockMovement.findMany({
    where: {
      businessId,
      locationId,
      variantId,
      OR: [
        { postingState: { in: ["pending", "posting"] } },
        { postingState: "posted", ...(previousReadAt ? { postedAt: { gte: previousReadAt } } : {}) },
      ],
    },
    select: { delta: true, postingState: true, postingStartedAt: true, postedAt: true },
  });
}

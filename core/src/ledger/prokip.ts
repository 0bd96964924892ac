/**
 * Prokip authority mode: Prokip's stock is read (polled), store sales are posted to Prokip.
 *
 * available = last Prokip reading + movements not reflected in it (see domain/stock.ts).
 * These functions keep the materialised `StockLevel.available` equal to that rule as readings
 * arrive and postings start and finish, so a sale is counted exactly once whether the read
 * happened before, during or after posting it.
 */
import { isReadingAmbiguous, prokipAvailable, type PostableMovement } from "../domain/index.ts";
import type { Sql } from "../store/index.ts";
import { markListingsDirty } from "./movements.ts";

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
export async function recordProkipReadings(sql: Sql, batch: ReadingBatch): Promise<ReadingOutcome> {
  const outcome: ReadingOutcome = { accepted: [], changed: [], ambiguous: [], stale: [] };
  const readings = [...batch.readings].sort((a, b) => a.variantId.localeCompare(b.variantId));
  for (const reading of readings) {
    const level = await lockStockLevel(sql, batch.businessId, batch.locationId, reading.variantId);
    if (level.prokipReadAt !== null && level.prokipReadAt > batch.startedAt) {
      outcome.stale.push(reading.variantId);
      continue;
    }
    const movements = await unreflectedCandidates(
      sql,
      batch.businessId,
      batch.locationId,
      reading.variantId,
      level.prokipReadAt,
    );
    if (isReadingAmbiguous(batch, movements)) {
      outcome.ambiguous.push(reading.variantId);
      continue;
    }
    const available = prokipAvailable(reading.quantity, batch.startedAt, movements);
    await sql.query(
      `UPDATE "StockLevel" SET "prokipQuantity" = $2, "prokipReadAt" = $3, "available" = $4, "updatedAt" = now() WHERE "id" = $1`,
      [level.id, reading.quantity, batch.startedAt, available],
    );
    outcome.accepted.push(reading.variantId);
    if (available !== level.available) outcome.changed.push({ variantId: reading.variantId, available });
  }
  await markListingsDirty(
    sql,
    batch.businessId,
    outcome.changed.map((change) => ({ locationId: batch.locationId, variantId: change.variantId })),
  );
  return outcome;
}

/**
 * The order's pending movements are about to be sent to Prokip. Record the instant first:
 * from now on a read overlapping the request is ambiguous.
 */
export async function markPostingStarted(sql: Sql, businessId: string, orderId: string, at: Date): Promise<number> {
  const result = await sql.query(
    `UPDATE "StockMovement" SET "postingState" = 'posting', "postingStartedAt" = $3
     WHERE "businessId" = $1 AND "orderId" = $2 AND "postingState" = 'pending'`,
    [businessId, orderId, at],
  );
  return result.rowCount ?? 0;
}

/** Prokip confirmed the order's in-flight movements at `at`. `available` does not change: the next reading absorbs them. */
export async function markPosted(sql: Sql, businessId: string, orderId: string, at: Date): Promise<number> {
  const result = await sql.query(
    `UPDATE "StockMovement" SET "postingState" = 'posted', "postedAt" = $3
     WHERE "businessId" = $1 AND "orderId" = $2 AND "postingState" = 'posting'`,
    [businessId, orderId, at],
  );
  return result.rowCount ?? 0;
}

/** Prokip definitely did not apply the request (it answered with an error): back to pending. */
export async function markPostingRejected(sql: Sql, businessId: string, orderId: string): Promise<number> {
  const result = await sql.query(
    `UPDATE "StockMovement" SET "postingState" = 'pending', "postingStartedAt" = NULL
     WHERE "businessId" = $1 AND "orderId" = $2 AND "postingState" = 'posting'`,
    [businessId, orderId],
  );
  return result.rowCount ?? 0;
}

/** The stock level row, created if missing, locked for the rest of the transaction. */
async function lockStockLevel(sql: Sql, businessId: string, locationId: string, variantId: string) {
  const { rows } = await sql.query<{ id: string; available: number; prokipReadAt: Date | null }>(
    `INSERT INTO "StockLevel" ("businessId", "locationId", "variantId", "available", "updatedAt")
     VALUES ($1, $2, $3, 0, now())
     ON CONFLICT ("businessId", "locationId", "variantId") DO UPDATE SET "updatedAt" = now()
     RETURNING "id", "available", "prokipReadAt"`,
    [businessId, locationId, variantId],
  );
  return rows[0]!;
}

/**
 * Movements that may not be reflected in a reading: not yet confirmed by Prokip, or confirmed
 * after the previous reading started (older confirmed ones are inside every later reading).
 */
async function unreflectedCandidates(
  sql: Sql,
  businessId: string,
  locationId: string,
  variantId: string,
  previousReadAt: Date | null,
): Promise<PostableMovement[]> {
  const { rows } = await sql.query<PostableMovement>(
    `SELECT "delta", "postingState", "postingStartedAt", "postedAt" FROM "StockMovement"
     WHERE "businessId" = $1 AND "locationId" = $2 AND "variantId" = $3
       AND ("postingState" IN ('pending', 'posting') OR ("postingState" = 'posted' AND ($4::timestamptz IS NULL OR "postedAt" >= $4)))`,
    [businessId, locationId, variantId, previousReadAt],
  );
  return rows;
}

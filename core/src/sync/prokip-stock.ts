/**
 * Prokip authority mode: stock is read from Prokip (the Connector sends no webhooks and has no
 * "changed since" filter, so reconciliation and a schedule poll it).
 *
 * One timed reading of a Prokip location becomes one batch of readings in the ledger
 * (ledger/prokip.ts decides, per variant, whether the reading can be used: a reading that
 * overlapped a posting in flight is ambiguous and is not, and a reading older than the one
 * held is stale). Listings whose availability changed are marked dirty in the same transaction.
 */
import type pg from "pg";
import type { PosSystem } from "../channels/index.ts";
import { SyncError } from "../domain/index.ts";
import { recordProkipReadings, type VariantReading } from "../ledger/index.ts";
import type { Logger } from "../log/index.ts";
import { withTransaction } from "../store/index.ts";

export interface ProkipStockDependencies {
  pool: pg.Pool;
  pos: PosSystem;
  log: Logger;
}

export interface ProkipStockTarget {
  businessId: string;
  /** Our Location id. */
  locationId: string;
  /** The same location in Prokip. */
  prokipLocationId: number;
}

export interface ProkipStockRefresh {
  /** Variants whose availability changed: their listings are dirty, request drains. */
  changed: string[];
  /** Variants a posting was in flight for during the read: read them again later. */
  ambiguous: string[];
  /** Prokip variations with stock here that no variant of ours is linked to. */
  unknownVariations: number;
}

/**
 * Reads one Prokip location's stock and records it for every linked variant of the business.
 * Throws SyncError `unknown_business` unless the business exists in Prokip authority mode (in
 * central mode the ledger is the truth and a reading would overwrite it).
 */
export async function refreshProkipStock(
  deps: ProkipStockDependencies,
  target: ProkipStockTarget,
): Promise<ProkipStockRefresh> {
  await requireProkipMode(deps.pool, target.businessId);
  const linked = await linkedVariants(deps.pool, target.businessId);
  const reading = await deps.pos.readStock(target.prokipLocationId);

  // Prokip leaves out variations without a stock row at the location: those have 0, so every
  // linked variant gets a reading, present in the answer or not.
  const readings: VariantReading[] = [...linked].map(([variationId, variantId]) => ({
    variantId,
    quantity: reading.quantities.get(variationId) ?? 0,
  }));
  const unknownVariations = [...reading.quantities.keys()].filter((variationId) => !linked.has(variationId)).length;

  const outcome = await withTransaction(deps.pool, (sql) =>
    recordProkipReadings(sql, {
      businessId: target.businessId,
      locationId: target.locationId,
      startedAt: reading.startedAt,
      finishedAt: reading.finishedAt,
      readings,
    }),
  );
  const result = {
    changed: outcome.changed.map((change) => change.variantId),
    ambiguous: outcome.ambiguous,
    unknownVariations,
  };
  deps.log.info(
    {
      businessId: target.businessId,
      locationId: target.locationId,
      read: readings.length,
      changed: result.changed.length,
      ambiguous: result.ambiguous.length,
      stale: outcome.stale.length,
      unknownVariations,
    },
    "prokip stock refreshed",
  );
  return result;
}

async function requireProkipMode(pool: pg.Pool, businessId: string): Promise<void> {
  const { rows } = await pool.query<{ authorityMode: string }>(
    `SELECT "authorityMode" FROM "Business" WHERE "id" = $1`,
    [businessId],
  );
  if (rows[0]?.authorityMode !== "prokip")
    throw new SyncError("unknown_business", `No business ${businessId} in Prokip authority mode`);
}

/** Prokip variation id -> our variant id, for the business's variants linked to Prokip. */
async function linkedVariants(pool: pg.Pool, businessId: string): Promise<Map<number, string>> {
  const { rows } = await pool.query<{ id: string; prokipVariationId: number }>(
    `SELECT "id", "prokipVariationId" FROM "Variant" WHERE "businessId" = $1 AND "prokipVariationId" IS NOT NULL`,
    [businessId],
  );
  return new Map(rows.map((row) => [row.prokipVariationId, row.id]));
}

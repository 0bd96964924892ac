/**
 * Where a linked variant's stock starts. Prokip mode: a timed Prokip reading of the location,
 * recorded like every later poll (ledger/prokip.ts). Central mode: an `import` movement of the
 * opening quantity, only for variants the ledger holds nothing for yet, and once per variant
 * and location (its idempotency key), so running setup again never adds stock twice.
 */
import type { PosSystem } from "../channels/index.ts";
import { applyMovements, recordProkipReadings } from "../ledger/index.ts";
import { withTransaction } from "../store/index.ts";
import type { ProkipImport } from "./catalogue.ts";
import type { SetupContext } from "./context.ts";
import type { SetupDeps } from "./types.ts";

/** Readings per transaction: each locks its stock level row until commit. */
const READINGS_PER_TRANSACTION = 500;

export async function recordOpeningStock(
  deps: Pick<SetupDeps, "pool" | "log">,
  context: SetupContext,
  input: { pos: PosSystem; imported: ProkipImport; opening: ReadonlyMap<string, number>; runId: string },
): Promise<void> {
  if (context.mode === "prokip") await readProkipStock(deps, context, input.pos, input.imported);
  else await importOpeningStock(deps, context, input.imported, input.opening, input.runId);
}

async function readProkipStock(
  deps: Pick<SetupDeps, "pool" | "log">,
  context: SetupContext,
  pos: PosSystem,
  imported: ProkipImport,
): Promise<void> {
  if (context.prokipLocationId === null) {
    deps.log.warn(
      { connectionId: context.connection.id },
      "the connection's location is not a Prokip location: no stock read",
    );
    return;
  }
  const reading = await pos.readStock(context.prokipLocationId);
  // A variation the reading leaves out has nothing at the location.
  const readings = [...imported.variantIdsByVariation].map(([variationId, variantId]) => ({
    variantId,
    quantity: reading.quantities.get(variationId) ?? 0,
  }));
  for (let i = 0; i < readings.length; i += READINGS_PER_TRANSACTION) {
    await withTransaction(deps.pool, (sql) =>
      recordProkipReadings(sql, {
        businessId: context.connection.businessId,
        locationId: context.connection.locationId,
        startedAt: reading.startedAt,
        finishedAt: reading.finishedAt,
        readings: readings.slice(i, i + READINGS_PER_TRANSACTION),
      }),
    );
  }
}

async function importOpeningStock(
  deps: Pick<SetupDeps, "pool">,
  context: SetupContext,
  imported: ProkipImport,
  opening: ReadonlyMap<string, number>,
  runId: string,
): Promise<void> {
  const { businessId, locationId, id: connectionId } = context.connection;
  const wanted = [...opening].flatMap(([sku, quantity]) => {
    const variantId = imported.variantIds.get(sku);
    return variantId ? [{ variantId, quantity }] : [];
  });
  if (wanted.length === 0) return;
  await withTransaction(deps.pool, async (sql) => {
    const { rows } = await sql.query<{ variantId: string }>(
      `SELECT "variantId" FROM "StockLevel" WHERE "businessId" = $1 AND "locationId" = $2 AND "variantId" = ANY($3::uuid[])`,
      [businessId, locationId, wanted.map((w) => w.variantId)],
    );
    const stocked = new Set(rows.map((row) => row.variantId));
    await applyMovements(
      sql,
      wanted
        .filter((w) => !stocked.has(w.variantId))
        .map((w) => ({
          businessId,
          locationId,
          variantId: w.variantId,
          delta: w.quantity,
          reason: "import" as const,
          idempotencyKey: `setup-import:${locationId}:${w.variantId}`,
          postingState: "not_required" as const,
          connectionId,
          externalRef: `sync-run:${runId}`,
        })),
    );
  });
}

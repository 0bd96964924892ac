/**
 * Prokip's catalogue into the central one: one Variant per Prokip variation, keyed by normalised
 * SKU. Variations whose SKU is blank or shared with another are conflicts and are not imported:
 * a Variant must be one sellable thing.
 */
import type { PosSystem, PosVariation } from "../channels/index.ts";
import { matchBySku, type SkuConflict } from "../domain/index.ts";
import { withTransaction } from "../store/index.ts";
import type { SetupDeps } from "./types.ts";

export interface ProkipImport {
  variations: PosVariation[];
  /** Variant ids by normalised SKU, for every variation imported. */
  variantIds: Map<string, string>;
  /** Variant ids by Prokip variation id. */
  variantIdsByVariation: Map<number, string>;
  conflicts: SkuConflict<PosVariation, never>[];
}

/** Reads Prokip's variations and upserts them as Variants of the business. */
export async function importProkipCatalogue(
  deps: Pick<SetupDeps, "pool">,
  businessId: string,
  pos: PosSystem,
): Promise<ProkipImport> {
  return importVariations(deps, businessId, await pos.listVariations({ details: true }));
}

const CHUNK = 1_000;

export async function importVariations(
  deps: Pick<SetupDeps, "pool">,
  businessId: string,
  variations: PosVariation[],
): Promise<ProkipImport> {
  const { prokipOnly, conflicts } = matchBySku<PosVariation, never>(
    variations.map((item) => ({ sku: item.sku, item })),
    [],
  );
  const result: ProkipImport = { variations, variantIds: new Map(), variantIdsByVariation: new Map(), conflicts };
  await withTransaction(deps.pool, async (sql) => {
    for (let i = 0; i < prokipOnly.length; i += CHUNK) {
      const chunk = prokipOnly.slice(i, i + CHUNK);
      const column = <T>(pick: (item: (typeof chunk)[number]) => T) => chunk.map(pick);
      const variationIds = column(({ prokip }) => prokip.variationId);
      const skus = column(({ sku }) => sku);
      // A variation whose SKU changed in Prokip leaves its old Variant: that row keeps its SKU
      // (and listings), the variation moves to the row of its new SKU.
      await sql.query(
        `UPDATE "Variant" v SET "prokipVariationId" = NULL, "prokipProductId" = NULL, "updatedAt" = now()
         FROM unnest($2::int[], $3::text[]) AS i("variationId", "normalizedSku")
         WHERE v."businessId" = $1 AND v."prokipVariationId" = i."variationId" AND v."normalizedSku" <> i."normalizedSku"`,
        [businessId, variationIds, skus],
      );
      const { rows } = await sql.query<{ id: string; normalizedSku: string; prokipVariationId: number }>(
        `INSERT INTO "Variant" ("businessId", "sku", "normalizedSku", "title", "productTitle", "prokipProductId", "prokipVariationId", "price", "imageUrl", "updatedAt")
         SELECT $1::uuid, u.*, now() FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::numeric[], $9::text[]) AS u
         ON CONFLICT ("businessId", "normalizedSku") DO UPDATE SET
           "sku" = EXCLUDED."sku", "title" = EXCLUDED."title", "productTitle" = EXCLUDED."productTitle",
           "prokipProductId" = EXCLUDED."prokipProductId", "prokipVariationId" = EXCLUDED."prokipVariationId",
           "price" = EXCLUDED."price", "imageUrl" = EXCLUDED."imageUrl", "updatedAt" = now()
         RETURNING "id", "normalizedSku", "prokipVariationId"`,
        [
          businessId,
          column(({ prokip }) => prokip.sku!.trim()),
          skus,
          column(({ prokip }) => prokip.variationName),
          column(({ prokip }) => prokip.productName),
          column(({ prokip }) => prokip.productId),
          variationIds,
          column(({ prokip }) => prokip.price),
          column(({ prokip }) => prokip.imageUrl ?? null),
        ],
      );
      for (const row of rows) {
        result.variantIds.set(row.normalizedSku, row.id);
        result.variantIdsByVariation.set(row.prokipVariationId, row.id);
      }
    }
  });
  return result;
}

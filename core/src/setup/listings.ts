/**
 * Listings: the store's variants as setup leaves them, matched to a Variant, unmatched (Prokip
 * lacks them) or in conflict. Written by external variant id, so running setup again updates
 * the same rows. A listing the merchant excluded stays excluded.
 */
import type pg from "pg";
import type { Channel, StoreVariant } from "../channels/index.ts";
import { normalizeSku } from "../domain/index.ts";
import { drainConnection } from "../sync/index.ts";
import { withTransaction } from "../store/index.ts";
import type { SetupContext } from "./context.ts";
import { storeLabel } from "./labels.ts";
import type { SetupDeps } from "./types.ts";

export interface ListingWrite {
  store: StoreVariant;
  matchStatus: "matched" | "unmatched" | "conflict";
  variantId: string | null;
  /** Products this run created: the quantity the store was just given. */
  pushedQuantity: number | null;
}

const UPSERT_LISTINGS = `
INSERT INTO "Listing" ("businessId", "connectionId", "variantId", "externalProductId", "externalVariantId", "externalInventoryItemId",
                       "sku", "normalizedSku", "title", "matchStatus", "storeQuantity", "lastPushedQuantity", "lastPushedAt", "updatedAt")
SELECT $1::uuid, $2::uuid, u."variantId", u."externalProductId", u."externalVariantId", u."externalInventoryItemId",
       u."sku", u."normalizedSku", u."title", u."matchStatus", u."storeQuantity", u."pushed", CASE WHEN u."pushed" IS NULL THEN NULL ELSE now() END, now()
FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::"MatchStatus"[], $11::int[], $12::int[])
  AS u("variantId", "externalProductId", "externalVariantId", "externalInventoryItemId", "sku", "normalizedSku", "title", "matchStatus", "storeQuantity", "pushed")
ON CONFLICT ("businessId", "connectionId", "externalVariantId") DO UPDATE SET
  "variantId" = CASE WHEN "Listing"."matchStatus" = 'excluded' THEN "Listing"."variantId" ELSE EXCLUDED."variantId" END,
  "matchStatus" = CASE WHEN "Listing"."matchStatus" = 'excluded' THEN "Listing"."matchStatus" ELSE EXCLUDED."matchStatus" END,
  "externalProductId" = EXCLUDED."externalProductId",
  "externalInventoryItemId" = EXCLUDED."externalInventoryItemId",
  "sku" = EXCLUDED."sku",
  "normalizedSku" = EXCLUDED."normalizedSku",
  "title" = EXCLUDED."title",
  "storeQuantity" = EXCLUDED."storeQuantity",
  "lastPushedQuantity" = COALESCE(EXCLUDED."lastPushedQuantity", "Listing"."lastPushedQuantity"),
  "lastPushedAt" = COALESCE(EXCLUDED."lastPushedAt", "Listing"."lastPushedAt"),
  "updatedAt" = now()
RETURNING "id", "externalVariantId", "matchStatus"`;

export interface WrittenListing {
  id: string;
  externalVariantId: string;
  /** As stored: an excluded listing stays excluded. */
  matchStatus: "matched" | "unmatched" | "conflict" | "excluded";
}

/** Writes one batch of listings in one transaction. */
export async function writeListings(
  pool: pg.Pool,
  context: SetupContext,
  writes: readonly ListingWrite[],
): Promise<WrittenListing[]> {
  if (writes.length === 0) return [];
  const { businessId, id: connectionId } = context.connection;
  const column = <T>(pick: (write: ListingWrite) => T) => writes.map(pick);
  return withTransaction(pool, async (sql) => {
    // A variant is listed once per store: an older listing of it (a store product since
    // replaced) lets go first. It keeps its row, unmatched, for the Products screen.
    const linked = writes.filter((w) => w.variantId !== null);
    // Every existing listing this transaction writes, locked first in id order
    // (docs/architecture.md, "Lock order"); rows it inserts are its own.
    await sql.query(
      `SELECT l."id" FROM "Listing" l
       WHERE l."businessId" = $1 AND l."connectionId" = $2 AND (l."variantId" = ANY($3::uuid[]) OR l."externalVariantId" = ANY($4::text[]))
       ORDER BY l."id"
       FOR UPDATE`,
      [businessId, connectionId, linked.map((w) => w.variantId), writes.map((w) => w.store.externalVariantId)],
    );
    await sql.query(
      `UPDATE "Listing" l
       SET "variantId" = NULL, "matchStatus" = CASE WHEN l."matchStatus" = 'excluded' THEN 'excluded'::"MatchStatus" ELSE 'unmatched'::"MatchStatus" END,
           "dirty" = false, "dirtySince" = NULL, "updatedAt" = now()
       FROM unnest($3::uuid[], $4::text[]) AS w("variantId", "externalVariantId")
       WHERE l."businessId" = $1 AND l."connectionId" = $2 AND l."variantId" = w."variantId" AND l."externalVariantId" <> w."externalVariantId"`,
      [businessId, connectionId, linked.map((w) => w.variantId), linked.map((w) => w.store.externalVariantId)],
    );
    const { rows } = await sql.query<WrittenListing>(UPSERT_LISTINGS, [
      businessId,
      connectionId,
      column((w) => w.variantId),
      column((w) => w.store.externalProductId),
      column((w) => w.store.externalVariantId),
      column((w) => w.store.externalInventoryItemId),
      column((w) => w.store.sku),
      column((w) => normalizeSku(w.store.sku)),
      column((w) => storeLabel(w.store)),
      column((w) => w.matchStatus),
      column((w) => w.store.quantity),
      column((w) => w.pushedQuantity),
    ]);
    return rows;
  });
}

export interface QuantityAlignment {
  written: number;
  /** Listings whose store quantity is still to be written, with what the merchant knows them by. */
  pending: { sku: string | null; title: string }[];
}

/**
 * Makes the store show each linked listing's target. Listings already showing it are recorded
 * as told; the others are marked dirty and the drain writes them, with the same race handling
 * as every later change (sync/drain.ts). A paused store keeps them dirty until it resumes.
 */
export async function alignStoreQuantities(
  deps: Pick<SetupDeps, "pool" | "log">,
  context: SetupContext,
  channel: Channel,
  listingIds: readonly string[],
  runId: string,
): Promise<QuantityAlignment> {
  const { businessId, id: connectionId } = context.connection;
  if (listingIds.length === 0) return { written: 0, pending: [] };
  await deps.pool.query(
    `WITH targets AS (
       SELECT l."id", GREATEST(0, COALESCE(s."available", 0) - GREATEST(0, c."buffer")) AS "target"
       FROM "Listing" l
       JOIN "Connection" c ON c."id" = l."connectionId" AND c."businessId" = l."businessId"
       LEFT JOIN "StockLevel" s ON s."businessId" = l."businessId" AND s."locationId" = c."locationId" AND s."variantId" = l."variantId"
       WHERE l."businessId" = $1 AND l."connectionId" = $2 AND l."id" = ANY($3::uuid[]) AND l."matchStatus" = 'matched' AND l."variantId" IS NOT NULL
     ),
     locked AS MATERIALIZED (
       -- In id order (docs/architecture.md, "Lock order").
       SELECT l."id" FROM "Listing" l WHERE l."businessId" = $1 AND l."id" IN (SELECT "id" FROM targets) ORDER BY l."id" FOR UPDATE
     )
     UPDATE "Listing" l SET
       "dirty" = l."dirty" OR l."storeQuantity" IS DISTINCT FROM t."target",
       "dirtySince" = CASE WHEN l."dirty" OR l."storeQuantity" IS DISTINCT FROM t."target" THEN COALESCE(l."dirtySince", now()) ELSE l."dirtySince" END,
       "lastPushedQuantity" = CASE WHEN l."storeQuantity" = t."target" THEN t."target" ELSE l."lastPushedQuantity" END,
       "updatedAt" = now()
     FROM targets t JOIN locked ON locked."id" = t."id" WHERE l."id" = t."id"`,
    [businessId, connectionId, listingIds],
  );
  let written = 0;
  if (context.connection.status === "active") {
    const drained = await drainConnection(
      deps.pool,
      { id: connectionId, businessId },
      channel,
      { reference: `setup-${runId}` },
      deps.log,
    );
    written = drained.written;
  }
  const { rows } = await deps.pool.query<{ sku: string | null; title: string }>(
    `SELECT "sku", "title" FROM "Listing" WHERE "businessId" = $1 AND "connectionId" = $2 AND "id" = ANY($3::uuid[]) AND "dirty" ORDER BY "normalizedSku"`,
    [businessId, connectionId, listingIds],
  );
  return { written, pending: rows };
}

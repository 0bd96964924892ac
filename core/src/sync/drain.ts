/**
 * Propagation: push a connection's dirty listings to its store.
 *
 * Availability changes mark listings dirty in the transaction that changes them (ledger).
 * A drain (one at a time per connection, see jobs/) reads the dirty listings with their current
 * availability, writes `max(0, available - buffer)` to the store in batches, and clears the
 * flags. Bursts coalesce: ten sales of one SKU before the drain runs are one write.
 *
 * The race that matters: availability can change while a batch is in flight. A flag is cleared
 * only if the listing's target is still the quantity just written, checked while holding a
 * share lock on the stock level, which every availability change locks exclusively before it
 * marks listings dirty. So a change either lands before the check (the flag stays, the next
 * round writes it) or after the clear (it marks the listing dirty again). The connection's buffer
 * is read the same way, under a share lock on its row, which a buffer change (merchant Settings)
 * holds while it marks the listings dirty.
 *
 * A write the store refuses leaves the listing dirty and marks it failed (`pushFailedAt`,
 * `pushError`) until a later write succeeds: the merchant's Products screen shows it.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import type { Channel, QuantityWrite, QuantityWriteResult } from "../channels/index.ts";
import { fellToLowStock, storeTarget } from "../domain/index.ts";
import type { Logger } from "../log/index.ts";

export interface DrainOptions {
  /** Listings per round (Shopify takes 250 per call; the adapter splits further if needed). */
  batchSize?: number;
  /** Stop after this many rounds even if listings stay dirty (they wait for the next drain). */
  maxRounds?: number;
  /** Names the writes in the store's history (Shopify referenceDocumentUri) and the activity log; shared by every round. */
  reference: string;
  /** Once nothing is dirty, keep looking this long before returning (see jobs/workers.ts). */
  lingerMs?: number;
  /** Stop starting rounds after this long; what is still dirty waits for the next drain. */
  maxRunMs?: number;
}

const LINGER_POLL_MS = 25;

export interface DrainResult {
  written: number;
  /** Listings whose store already showed the target: flag cleared without a write. */
  unchanged: number;
  /** The store had moved since we last saw it: re-read, written in a later round. */
  stale: number;
  failed: number;
  rounds: number;
  /** Listings still dirty when the drain stopped. */
  remaining: number;
}

interface DirtyListing {
  id: string;
  variantId: string;
  externalProductId: string;
  externalVariantId: string;
  externalInventoryItemId: string | null;
  lastPushedQuantity: number | null;
  storeQuantity: number | null;
  available: number;
  buffer: number;
  /** The merchant's low-stock alert level for this store (Settings); null = no alerts. */
  lowStockThreshold: number | null;
}

export async function drainConnection(
  pool: pg.Pool,
  connection: { id: string; businessId: string },
  channel: Channel,
  options: DrainOptions,
  log?: Logger,
): Promise<DrainResult> {
  const batchSize = options.batchSize ?? 250;
  const maxRounds = options.maxRounds ?? 20;
  const result: DrainResult = { written: 0, unchanged: 0, stale: 0, failed: 0, rounds: 0, remaining: 0 };
  const failedIds = new Set<string>();

  const { lingerMs = 0, maxRunMs = Number.POSITIVE_INFINITY } = options;
  const started = Date.now();
  let idleSince: number | null = null;
  let reported = { written: 0, failed: 0 };
  while (result.rounds < maxRounds && Date.now() - started < maxRunMs) {
    const dirty = (await dirtyListings(pool, connection, batchSize + failedIds.size))
      .filter((listing) => !failedIds.has(listing.id))
      .slice(0, batchSize);
    if (dirty.length === 0) {
      if (idleSince === null) {
        // Caught up: say what was sent before waiting for more.
        reported = await reportPushes(pool, connection, result, reported, options.reference);
        idleSince = Date.now();
      }
      if (Date.now() - idleSince >= lingerMs) break;
      await sleep(LINGER_POLL_MS);
      continue;
    }
    idleSince = null;
    result.rounds += 1;

    const writes: (QuantityWrite & { listingId: string })[] = [];
    const alreadyThere: { listingId: string; quantity: number }[] = [];
    for (const listing of dirty) {
      const target = storeTarget(listing.available, listing.buffer);
      const known = listing.storeQuantity ?? listing.lastPushedQuantity;
      if (known === target && listing.lastPushedQuantity === target)
        alreadyThere.push({ listingId: listing.id, quantity: target });
      else writes.push({ ...refOf(listing), listingId: listing.id, quantity: target, expected: known });
    }

    const outcome: QuantityWriteResult =
      writes.length > 0
        ? await channel.writeQuantities(writes, { reference: options.reference })
        : { written: [], stale: [], failed: [] };
    const listingByVariant = new Map(writes.map((write) => [write.externalVariantId, write.listingId]));
    const pushed = [
      ...alreadyThere,
      ...outcome.written.flatMap((w) => {
        const listingId = listingByVariant.get(w.externalVariantId);
        return listingId ? [{ listingId, quantity: w.quantity }] : [];
      }),
    ];
    await recordPushed(pool, connection, pushed);
    await reportLowStock(pool, connection, dirty, pushed);
    result.written += outcome.written.length;
    result.unchanged += alreadyThere.length;

    if (outcome.stale.length > 0) {
      // Learn what the store has now; the next round writes the target against it.
      result.stale += outcome.stale.length;
      const staleRefs = writes.filter((write) =>
        outcome.stale.some((s) => s.externalVariantId === write.externalVariantId),
      );
      const actual = await channel.readQuantities(staleRefs);
      await recordReadQuantities(
        pool,
        connection.businessId,
        staleRefs.map((write) => ({
          listingId: write.listingId,
          quantity: actual.get(write.externalVariantId) ?? null,
        })),
      );
    }
    const failures: { listingId: string; message: string }[] = [];
    for (const failure of outcome.failed) {
      const listingId = listingByVariant.get(failure.externalVariantId);
      if (listingId) {
        failedIds.add(listingId);
        failures.push({ listingId, message: failure.message });
      }
      log?.warn(
        { connectionId: connection.id, externalVariantId: failure.externalVariantId, code: failure.code },
        `stock write failed: ${failure.message}`,
      );
    }
    await recordFailed(pool, connection.businessId, failures);
    result.failed = failedIds.size;
    if (pushed.length === 0 && outcome.stale.length === 0) break; // no progress this round
  }

  result.remaining = await countDirty(pool, connection);
  await reportPushes(pool, connection, result, reported, options.reference);
  return result;
}

/**
 * The merchant's activity entry for what was sent since the last one (`reported`); answers the
 * new reported totals. A drain that waits for more work reports each burst as it catches up.
 */
async function reportPushes(
  pool: pg.Pool,
  connection: { id: string; businessId: string },
  result: DrainResult,
  reported: { written: number; failed: number },
  reference: string,
) {
  const written = result.written - reported.written;
  const failed = result.failed - reported.failed;
  if (written <= 0 && failed <= 0) return reported;
  await pool.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "severity", "message", "data")
     VALUES ($1, $2, 'stock_pushed', $3, $4, $5::jsonb)`,
    [
      connection.businessId,
      connection.id,
      failed > 0 ? "warning" : "info",
      failed > 0
        ? `Stock sent for ${written} products; ${failed} could not be updated`
        : `Stock sent for ${written} products`,
      JSON.stringify({ written, failed, reference }),
    ],
  );
  return { written: result.written, failed: result.failed };
}

/** A `low_stock` activity entry for each listing whose store quantity just fell to the alert level. */
async function reportLowStock(
  pool: pg.Pool,
  connection: { id: string; businessId: string },
  listings: DirtyListing[],
  pushed: { listingId: string; quantity: number }[],
) {
  const byId = new Map(listings.map((listing) => [listing.id, listing]));
  const low = pushed.filter(({ listingId, quantity }) => {
    const listing = byId.get(listingId);
    return listing !== undefined && fellToLowStock(listing.lastPushedQuantity, quantity, listing.lowStockThreshold);
  });
  if (low.length === 0) return;
  await pool.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "variantId", "type", "severity", "message", "data")
     SELECT li."businessId", li."connectionId", li."variantId", 'low_stock', 'warning',
            COALESCE(li."sku", li."title") || ' is low: ' || low."quantity" || ' left for this store (alert level ' || low."threshold" || ')',
            jsonb_build_object('listingId', li."id", 'quantity', low."quantity", 'threshold', low."threshold")
     FROM unnest($3::uuid[], $4::int[], $5::int[]) AS low("listingId", "quantity", "threshold")
     JOIN "Listing" li ON li."id" = low."listingId" AND li."businessId" = $1 AND li."connectionId" = $2`,
    [
      connection.businessId,
      connection.id,
      low.map((l) => l.listingId),
      low.map((l) => l.quantity),
      low.map((l) => byId.get(l.listingId)!.lowStockThreshold),
    ],
  );
}

function refOf(listing: DirtyListing) {
  return {
    externalProductId: listing.externalProductId,
    externalVariantId: listing.externalVariantId,
    externalInventoryItemId: listing.externalInventoryItemId,
  };
}

async function dirtyListings(
  pool: pg.Pool,
  connection: { id: string; businessId: string },
  limit: number,
): Promise<DirtyListing[]> {
  const { rows } = await pool.query<DirtyListing>({
    name: "drain.dirty-listings",
    text: `SELECT l."id", l."variantId", l."externalProductId", l."externalVariantId", l."externalInventoryItemId",
                  l."lastPushedQuantity", l."storeQuantity", COALESCE(s."available", 0) AS "available", c."buffer",
                  CASE WHEN jsonb_typeof(c."settings" -> 'lowStockThreshold') = 'number' THEN (c."settings" ->> 'lowStockThreshold')::int END AS "lowStockThreshold"
           FROM "Listing" l
           JOIN "Connection" c ON c."id" = l."connectionId" AND c."businessId" = l."businessId"
           LEFT JOIN "StockLevel" s ON s."businessId" = l."businessId" AND s."locationId" = c."locationId" AND s."variantId" = l."variantId"
           WHERE l."businessId" = $1 AND l."connectionId" = $2 AND l."dirty" AND l."matchStatus" = 'matched' AND l."variantId" IS NOT NULL
             -- Read every round: a store paused or disconnected while a drain runs gets no further write.
             AND c."status" = 'active'
           ORDER BY l."dirtySince", l."id"
           LIMIT $3`,
    values: [connection.businessId, connection.id, limit],
  });
  return rows;
}

async function countDirty(pool: pg.Pool, connection: { id: string; businessId: string }): Promise<number> {
  const { rows } = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS "count" FROM "Listing" WHERE "businessId" = $1 AND "connectionId" = $2 AND "dirty" AND "matchStatus" = 'matched'`,
    [connection.businessId, connection.id],
  );
  return rows[0]?.count ?? 0;
}

/**
 * Records what the store now shows and clears each flag whose target is still that quantity,
 * in one statement: it share-locks the stock levels behind the listings (in (location, variant)
 * order, as the ledger locks them), so an availability change either committed before (and the
 * locked row is its result: the target differs, the flag stays) or waits until this statement
 * has committed (and finds the listing clean, so marks it dirty again). One round trip keeps the
 * locks for the shortest time: held across several, they made the ledger queue behind drains.
 */
async function recordPushed(
  pool: pg.Pool,
  connection: { id: string; businessId: string },
  pushed: { listingId: string; quantity: number }[],
): Promise<void> {
  if (pushed.length === 0) return;
  await pool.query({
    name: "drain.record-pushed",
    text: `WITH pushed AS (
             SELECT * FROM unnest($3::uuid[], $4::int[]) AS p("id", "quantity")
           ),
           store AS MATERIALIZED (
             -- The buffer as last committed (a buffer change holds this row while it marks the
             -- listings dirty). Locked before the stock levels: "locked" reads it first.
             SELECT c."id", c."locationId", c."buffer" FROM "Connection" c
             WHERE c."businessId" = $1 AND c."id" = $2
             FOR SHARE
           ),
           locked AS MATERIALIZED (
             -- FOR SHARE returns each row as last committed, after waiting for a writer if need be.
             SELECT s."locationId", s."variantId", s."available" FROM "StockLevel" s
             WHERE s."businessId" = $1 AND (s."locationId", s."variantId") IN (
               SELECT c."locationId", l."variantId" FROM "Listing" l
               JOIN store c ON c."id" = l."connectionId"
               WHERE l."businessId" = $1 AND l."id" IN (SELECT "id" FROM pushed))
             ORDER BY s."locationId", s."variantId"
             FOR SHARE OF s
           ),
           listings AS MATERIALIZED (
             -- Then the listings, in id order (docs/architecture.md, "Lock order"); the count
             -- waits for every stock level first.
             SELECT l."id" FROM "Listing" l
             WHERE l."businessId" = $1 AND l."id" IN (SELECT "id" FROM pushed) AND (SELECT count(*) FROM locked) >= 0
             ORDER BY l."id"
             FOR UPDATE
           )
           UPDATE "Listing" AS l
           SET "lastPushedQuantity" = p."quantity", "storeQuantity" = p."quantity", "lastPushedAt" = now(), "updatedAt" = now(),
               "pushFailedAt" = NULL, "pushError" = NULL,
               "dirty" = CASE WHEN t."target" = p."quantity" THEN false ELSE l."dirty" END,
               "dirtySince" = CASE WHEN t."target" = p."quantity" THEN NULL ELSE l."dirtySince" END
           FROM pushed p
           JOIN listings ON listings."id" = p."id"
           JOIN LATERAL (
             -- storeTarget() in domain/stock.ts: max(0, available - max(0, buffer))
             SELECT GREATEST(0, COALESCE(k."available", 0) - GREATEST(0, c."buffer")) AS "target"
             FROM "Listing" li
             JOIN store c ON c."id" = li."connectionId"
             LEFT JOIN locked k ON k."locationId" = c."locationId" AND k."variantId" = li."variantId"
             WHERE li."businessId" = $1 AND li."id" = p."id"
           ) t ON true
           WHERE l."businessId" = $1 AND l."id" = p."id"`,
    values: [connection.businessId, connection.id, pushed.map((p) => p.listingId), pushed.map((p) => p.quantity)],
  });
}

/** Listings the store refused: they stay dirty (tried again later) and show as failed until a write succeeds. */
async function recordFailed(
  pool: pg.Pool,
  businessId: string,
  failures: { listingId: string; message: string }[],
): Promise<void> {
  if (failures.length === 0) return;
  // Listings are locked in id order (docs/architecture.md, "Lock order"), here and below.
  await pool.query(
    `WITH locked AS MATERIALIZED (
       SELECT "id" FROM "Listing" WHERE "businessId" = $1 AND "id" = ANY($2::uuid[]) ORDER BY "id" FOR UPDATE
     )
     UPDATE "Listing" AS l SET "pushFailedAt" = now(), "pushError" = f."message", "updatedAt" = now()
     FROM unnest($2::uuid[], $3::text[]) AS f("id", "message"), locked
     WHERE l."businessId" = $1 AND l."id" = f."id" AND locked."id" = f."id"`,
    [businessId, failures.map((f) => f.listingId), failures.map((f) => f.message)],
  );
}

async function recordReadQuantities(
  pool: pg.Pool,
  businessId: string,
  quantities: { listingId: string; quantity: number | null }[],
): Promise<void> {
  if (quantities.length === 0) return;
  await pool.query(
    `WITH locked AS MATERIALIZED (
       SELECT "id" FROM "Listing" WHERE "businessId" = $1 AND "id" = ANY($2::uuid[]) ORDER BY "id" FOR UPDATE
     )
     UPDATE "Listing" AS l SET "storeQuantity" = q."quantity", "updatedAt" = now()
     FROM unnest($2::uuid[], $3::int[]) AS q("id", "quantity"), locked
     WHERE l."businessId" = $1 AND l."id" = q."id" AND locked."id" = q."id"`,
    [businessId, quantities.map((q) => q.listingId), quantities.map((q) => q.quantity)],
  );
}

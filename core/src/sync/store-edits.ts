/**
 * Store-side stock changes: echoes, sales whose order webhook has not arrived yet, and edits
 * made by hand in the store's admin (or by another app).
 *
 * An inventory notification equal to what we last pushed is our own echo and is ignored.
 * Anything else is recorded as the store's quantity and checked a little later: the store's
 * recent orders are read again first (a sale lowers the store's stock before its order webhook
 * may arrive), then a listing whose store quantity still differs from its target is drift: it
 * is recorded with its likely cause and the target is pushed back. In central mode a connection
 * may instead accept store edits as stock adjustments.
 */
import type pg from "pg";
import type { Channel } from "../channels/index.ts";
import { readConnectionSettings, storeTarget } from "../domain/index.ts";
import { applyMovements } from "../ledger/index.ts";
import type { Logger } from "../log/index.ts";
import { withTransaction, type Sql } from "../store/index.ts";
import { applyOrderStates } from "./orders.ts";

export interface StoreQuantityReport {
  /** The listing, by the store's ids: Shopify reports inventory items, WooCommerce variants. */
  externalInventoryItemId?: string;
  externalVariantId?: string;
  quantity: number;
}

/**
 * Records quantities the store reported, in the caller's transaction if it has one. Answers,
 * per report: "echo" (what we expect the store to show: our write, or its own sale), "changed"
 * (a check is needed) or "unknown" (no such listing on this connection, or a later report of the
 * same listing in the same call supersedes it).
 */
export async function recordStoreQuantities(
  sql: Sql | pg.Pool,
  connection: { id: string; businessId: string },
  reports: readonly StoreQuantityReport[],
): Promise<("echo" | "changed" | "unknown")[]> {
  const outcomes: ("echo" | "changed" | "unknown")[] = reports.map(() => "unknown");
  const latest = new Map<string, number>();
  reports.forEach((report, index) =>
    latest.set(
      report.externalInventoryItemId ? `item:${report.externalInventoryItemId}` : `variant:${report.externalVariantId}`,
      index,
    ),
  );
  const kept = [...latest.values()].sort((a, b) => a - b);
  if (kept.length === 0) return outcomes;
  const { rows } = await sql.query<{ n: number; echo: boolean }>({
    name: "store-edits.record-store-quantities",
    // Shopify reports inventory items, WooCommerce variants: one key or the other per report.
    // The listings are locked first, in id order, as every statement locks them (docs/architecture.md,
    // "Lock order"): in the order of the reports, this deadlocked with drains and ledger writes.
    text: `WITH r AS (
             SELECT * FROM unnest($3::text[], $4::text[], $5::int[], $6::int[]) AS r("inventoryItemId", "variantId", "quantity", "n")
           ),
           locked AS MATERIALIZED (
             SELECT l."id" FROM "Listing" l
             WHERE l."businessId" = $1 AND l."id" IN (
               SELECT l."id" FROM "Listing" l JOIN r
                 ON l."externalInventoryItemId" = r."inventoryItemId" OR (r."inventoryItemId" IS NULL AND l."externalVariantId" = r."variantId")
               WHERE l."businessId" = $1 AND l."connectionId" = $2 AND l."matchStatus" = 'matched')
             ORDER BY l."id"
             FOR UPDATE
           )
           UPDATE "Listing" AS l SET "storeQuantity" = r."quantity", "updatedAt" = now()
           FROM locked, r
           WHERE l."id" = locked."id" AND l."businessId" = $1 AND l."connectionId" = $2 AND l."matchStatus" = 'matched'
             AND (l."externalInventoryItemId" = r."inventoryItemId" OR (r."inventoryItemId" IS NULL AND l."externalVariantId" = r."variantId"))
           RETURNING r."n", (l."lastPushedQuantity" IS NOT DISTINCT FROM r."quantity") AS "echo"`,
    values: [
      connection.businessId,
      connection.id,
      kept.map((i) => reports[i]!.externalInventoryItemId ?? null),
      kept.map((i) => reports[i]!.externalVariantId ?? null),
      kept.map((i) => reports[i]!.quantity),
      kept,
    ],
  });
  // A report can match several listings (one inventory item behind two listings): any of them not an echo is a change.
  for (const row of rows) outcomes[row.n] = row.echo && outcomes[row.n] !== "changed" ? "echo" : "changed";
  return outcomes;
}

export interface StoreEditCheck {
  ordersReread: number;
  /** Listings whose store quantity differed from the target and are being corrected. */
  drift: number;
  /** Store edits taken as stock adjustments (central mode, "accept" policy). */
  accepted: number;
}

/**
 * Checks the listings whose store quantity differs from what we last pushed.
 * @param sinceMinutes how far back store orders are read again first
 */
export async function checkStoreEdits(
  pool: pg.Pool,
  connection: { id: string; businessId: string; platform: "shopify" | "woocommerce" },
  channel: Channel,
  options: { sinceMinutes?: number; rereadOrders?: boolean; log?: Logger } = {},
): Promise<StoreEditCheck> {
  const result: StoreEditCheck = { ordersReread: 0, drift: 0, accepted: 0 };
  // Nothing differs from what we expect the store to show (its own sales are expected, see
  // sync/orders.ts): no need to ask the store for its orders.
  if ((await unexplained(pool, connection)).length === 0) return result;
  if (options.rereadOrders !== false) {
    const since = new Date(Date.now() - (options.sinceMinutes ?? 30) * 60_000);
    for await (const page of channel.ordersChangedSince(since)) {
      const outcomes = await applyOrderStates(
        pool,
        page.map((order) => ({ ...order, connectionId: connection.id })),
      );
      const refused = outcomes.find((outcome) => !outcome.ok);
      if (refused && !refused.ok) throw refused.error;
      result.ordersReread += page.length;
    }
  }

  const rows = await unexplained(pool, connection);
  const store = connection.platform === "shopify" ? "Shopify" : "WooCommerce";
  for (const row of rows) {
    const target = storeTarget(row.available, row.buffer);
    if (row.storeQuantity === target) {
      // The store agrees with us (a sale it counted, now in our ledger too): nothing to fix.
      await pool.query(
        `UPDATE "Listing" SET "lastPushedQuantity" = "storeQuantity", "updatedAt" = now() WHERE "id" = $1`,
        [row.id],
      );
      continue;
    }
    const accept = row.authorityMode === "central" && readConnectionSettings(row.settings).storeEditPolicy === "accept";
    await withTransaction(pool, async (sql) => {
      if (accept) {
        // The merchant's edit in the store becomes the new stock figure everywhere.
        await applyMovements(sql, [
          {
            businessId: connection.businessId,
            locationId: row.locationId,
            variantId: row.variantId,
            delta: row.storeQuantity + row.buffer - row.available,
            reason: "edit",
            connectionId: connection.id,
            idempotencyKey: `store-edit:${row.id}:${Date.now()}`,
            postingState: "not_required",
          },
        ]);
        await sql.query(
          `UPDATE "Listing" SET "lastPushedQuantity" = "storeQuantity", "updatedAt" = now() WHERE "id" = $1`,
          [row.id],
        );
      } else {
        await sql.query(
          `UPDATE "Listing" SET "dirty" = true, "dirtySince" = COALESCE("dirtySince", now()), "updatedAt" = now() WHERE "id" = $1`,
          [row.id],
        );
      }
      await sql.query(
        `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "variantId", "type", "severity", "message", "data")
         VALUES ($1, $2, $3, $4, 'warning', $5, $6::jsonb)`,
        [
          connection.businessId,
          connection.id,
          row.variantId,
          accept ? "store_edit_accepted" : "drift",
          accept
            ? `${row.sku ?? "A product"} was set to ${row.storeQuantity} in ${store}; taken as the new stock figure`
            : `${row.sku ?? "A product"} showed ${row.storeQuantity} in ${store} instead of ${target}; set back to ${target}`,
          JSON.stringify({
            storeQuantity: row.storeQuantity,
            target,
            cause: `changed in ${store} admin or by another app, not by an order`,
          }),
        ],
      );
    });
    if (accept) result.accepted += 1;
    else result.drift += 1;
  }
  if (result.drift + result.accepted > 0)
    options.log?.info({ connectionId: connection.id, ...result }, "store edits checked");
  return result;
}

/** Listings whose store quantity differs from what we expect the store to show. */
async function unexplained(pool: pg.Pool, connection: { id: string; businessId: string }) {
  const { rows } = await pool.query<{
    id: string;
    variantId: string;
    locationId: string;
    sku: string | null;
    storeQuantity: number;
    available: number;
    buffer: number;
    settings: unknown;
    authorityMode: "prokip" | "central";
  }>(
    `SELECT l."id", l."variantId", c."locationId", l."sku", l."storeQuantity", COALESCE(s."available", 0) AS "available", c."buffer", c."settings", b."authorityMode"
     FROM "Listing" l
     JOIN "Connection" c ON c."id" = l."connectionId" AND c."businessId" = l."businessId"
     JOIN "Business" b ON b."id" = l."businessId"
     LEFT JOIN "StockLevel" s ON s."businessId" = l."businessId" AND s."locationId" = c."locationId" AND s."variantId" = l."variantId"
     WHERE l."businessId" = $1 AND l."connectionId" = $2 AND l."matchStatus" = 'matched' AND l."variantId" IS NOT NULL
       AND l."storeQuantity" IS NOT NULL AND l."storeQuantity" IS DISTINCT FROM l."lastPushedQuantity"`,
    [connection.businessId, connection.id],
  );
  return rows;
}

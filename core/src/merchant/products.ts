/**
 * The Products screen: one store's listings (searchable, filtered by status, paged), and the
 * merchant's corrections to them: link to a Prokip product, unlink, exclude, include.
 *
 * A listing's status (PRODUCT_STATUS_SQL, the one definition behind rows, filter and counts):
 * - excluded: the merchant excluded it; sync leaves its stock in the store alone.
 * - conflict: setup could not link it without guessing (blank or shared SKU).
 * - unlinked: not linked to a Prokip product (unmatched, or its Prokip product was removed).
 * - failed: linked, and the drain's last write of its stock failed (`pushFailedAt`); it stays
 *   dirty and is tried again, and the first write that succeeds makes it synced or waiting.
 * - waiting: linked, with a figure not yet sent to the store (dirty): paused stores pile up here.
 * - synced: linked, nothing waiting: the store was sent the current figure (or already had it).
 *
 * Quantities: `prokipQuantity` is what is available at the connection's location (the ledger's
 * StockLevel.available, before the buffer). `sentQuantity` is what the store was last told
 * (`lastPushedQuantity`: after the buffer, and moved by the store's own sales as they are
 * applied, see sync/orders.ts), so a synced listing has sentQuantity = max(0, prokipQuantity - buffer).
 *
 * Pages are in title order, keyset on (title, id) over the Listing index of that name, so a page
 * costs the same on the 400th page as on the first.
 */
import { z } from "zod";
import { normalizeSku, SyncError } from "../domain/index.ts";
import { withTransaction, type Sql } from "../store/index.ts";
import { connectedStore, issuesOf, productAdminUrl, type MerchantConnection } from "./connection.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import type {
  LinkInput,
  MerchantDeps,
  ProductPage,
  ProductQuery,
  ProductRow,
  ProductStatus,
  StoreRef,
} from "./types.ts";

export const PRODUCT_STATUSES = [
  "synced",
  "waiting",
  "failed",
  "unlinked",
  "conflict",
  "excluded",
] as const satisfies readonly ProductStatus[];

/** A listing's ProductStatus, in SQL over `"Listing" l` (see the top of this file). */
export const PRODUCT_STATUS_SQL = `(CASE
  WHEN l."matchStatus" = 'excluded' THEN 'excluded'
  WHEN l."matchStatus" = 'conflict' THEN 'conflict'
  WHEN l."matchStatus" = 'unmatched' OR l."variantId" IS NULL THEN 'unlinked'
  WHEN l."pushFailedAt" IS NOT NULL THEN 'failed'
  WHEN l."dirty" THEN 'waiting'
  ELSE 'synced' END)`;

const DEFAULT_PAGE_SIZE = 25;
const CURSOR_KIND = "products";
const cursorKey = z.tuple([z.string(), z.guid()]);

const productQuerySchema = z
  .object({
    search: z.string().trim().max(200, "must be 200 characters or fewer").optional(),
    status: z.enum(PRODUCT_STATUSES).optional(),
    after: z.string().min(1).optional(),
    before: z.string().min(1).optional(),
    pageSize: z
      .number()
      .int("must be a whole number")
      .min(1, "must be 1 to 100")
      .max(100, "must be 1 to 100")
      .optional(),
  })
  .strict()
  .refine((query) => !(query.after && query.before), { message: "give after or before, not both", path: ["before"] });

const linkInputSchema = z
  .object({
    listingId: z.guid("is not a product id"),
    prokipSku: z.string().trim().min(1, "enter the product's SKU in Prokip").max(255),
  })
  .strict();
const listingIdSchema = z.guid("is not a product id");

// ---------------------------------------------------------------------------------------------
// Reading

export async function listProducts(deps: MerchantDeps, store: StoreRef, query: ProductQuery): Promise<ProductPage> {
  const parsed = productQuerySchema.safeParse(query ?? {});
  if (!parsed.success)
    throw new SyncError(
      "invalid_input",
      "The product list was asked for with values it does not take",
      issuesOf(parsed.error),
    );
  const connection = await connectedStore(deps, store);
  const { search, status, after, before } = parsed.data;
  const pageSize = parsed.data.pageSize ?? DEFAULT_PAGE_SIZE;
  const cursor = after ?? before;
  const key = cursor === undefined ? null : decodeCursor(CURSOR_KIND, cursor, cursorKey, after ? "after" : "before");
  const backwards = before !== undefined;

  const searched = new Filter(connection);
  if (search) searched.search(search);
  const filter = searched.clone();
  if (status) filter.status(status);

  const page = filter.clone();
  if (key) page.beyond(key, backwards ? "<" : ">");
  const direction = backwards ? "DESC" : "ASC";
  const fetched = await selectRows(
    deps.pool,
    connection,
    page,
    `ORDER BY l."title" ${direction}, l."id" ${direction} LIMIT ${pageSize + 1}`,
  );
  const more = fetched.length > pageSize;
  const rows = fetched.slice(0, pageSize);
  if (backwards) rows.reverse();

  // Is there anything the other way? Only a cursor can have left rows behind.
  const first = rows[0];
  const last = rows.at(-1);
  let hasPrevious = backwards ? more : false;
  let hasNext = backwards ? false : more;
  if (key && first && last) {
    const other = filter.clone();
    if (backwards) other.beyond([last.title, last.listingId], ">");
    else other.beyond([first.title, first.listingId], "<");
    const exists = await deps.pool.query<{ exists: boolean }>(
      `SELECT EXISTS (SELECT 1 ${other.from()} WHERE ${other.where()}) AS "exists"`,
      other.values,
    );
    if (backwards) hasNext = exists.rows[0]!.exists;
    else hasPrevious = exists.rows[0]!.exists;
  }

  const { counts, total } = await countByStatus(deps.pool, connection, searched, status ?? null);
  return {
    rows,
    counts,
    total,
    nextCursor: hasNext && last ? encodeCursor(CURSOR_KIND, [last.title, last.listingId]) : null,
    previousCursor: hasPrevious && first ? encodeCursor(CURSOR_KIND, [first.title, first.listingId]) : null,
  };
}

/** Listings per status over the whole connection (the Products tabs; the dashboard's counts). */
export async function countProductsByStatus(
  deps: Pick<MerchantDeps, "pool">,
  connection: Pick<MerchantConnection, "id" | "businessId" | "locationId">,
): Promise<Record<ProductStatus, number>> {
  return (await countByStatus(deps.pool, connection, new Filter(connection), null)).counts;
}

/** Counts per status over the connection, and how many of the `searched` ones have `status` (all when null). */
async function countByStatus(
  pool: MerchantDeps["pool"],
  connection: Pick<MerchantConnection, "id" | "businessId">,
  searched: Filter,
  status: ProductStatus | null,
): Promise<{ counts: Record<ProductStatus, number>; total: number }> {
  const { rows } = await pool.query<{ status: ProductStatus; all: number; matching: number }>(
    `SELECT ${PRODUCT_STATUS_SQL} AS "status", count(*)::int AS "all", count(*) FILTER (WHERE ${searched.conditions()})::int AS "matching"
     FROM "Listing" l LEFT JOIN "Variant" v ON v."businessId" = l."businessId" AND v."id" = l."variantId"
     -- $3 (the location) is not needed to count; typed so the statement takes the Filter's parameters as they are.
     WHERE l."businessId" = $1::uuid AND l."connectionId" = $2::uuid AND $3::uuid IS NOT NULL
     GROUP BY 1`,
    searched.values,
  );
  const counts = Object.fromEntries(PRODUCT_STATUSES.map((s) => [s, 0])) as Record<ProductStatus, number>;
  let total = 0;
  for (const row of rows) {
    counts[row.status] = row.all;
    if (status === null || row.status === status) total += row.matching;
  }
  return { counts, total };
}

/**
 * The WHERE of a product query, with its parameters: $1 business, $2 connection, $3 the
 * connection's location, then whatever the filters add.
 */
class Filter {
  values: unknown[];
  private added: string[] = [];

  constructor(connection: Pick<MerchantConnection, "id" | "businessId" | "locationId">) {
    this.values = [connection.businessId, connection.id, connection.locationId];
  }

  clone(): Filter {
    const copy = Object.create(Filter.prototype) as Filter;
    copy.values = [...this.values];
    copy.added = [...this.added];
    return copy;
  }

  /** SKU (the store's or the linked Prokip product's) or title, case-insensitive. */
  search(text: string): void {
    const pattern = this.add(`%${text.replace(/[\\%_]/gu, (c) => `\\${c}`)}%`);
    this.added.push(`(l."sku" ILIKE ${pattern} OR l."title" ILIKE ${pattern} OR v."sku" ILIKE ${pattern})`);
  }

  status(status: ProductStatus): void {
    this.added.push(`${PRODUCT_STATUS_SQL} = ${this.add(status)}`);
  }

  beyond(key: readonly [string, string], comparison: "<" | ">"): void {
    this.added.push(`(l."title", l."id") ${comparison} (${this.add(key[0])}::text, ${this.add(key[1])}::uuid)`);
  }

  /** Listings by id (one row after an action). */
  ids(ids: readonly string[]): void {
    this.added.push(`l."id" = ANY(${this.add(ids)}::uuid[])`);
  }

  from(): string {
    return `FROM "Listing" l
      LEFT JOIN "Variant" v ON v."businessId" = l."businessId" AND v."id" = l."variantId"
      LEFT JOIN "StockLevel" s ON s."businessId" = l."businessId" AND s."locationId" = $3::uuid AND s."variantId" = l."variantId"`;
  }

  where(): string {
    return [`l."businessId" = $1::uuid`, `l."connectionId" = $2::uuid`, ...this.added].join(" AND ");
  }

  /** What the filters added, without the store ("true" when nothing). */
  conditions(): string {
    return this.added.length > 0 ? this.added.join(" AND ") : "true";
  }

  private add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

interface ListingRow {
  id: string;
  sku: string | null;
  normalizedSku: string | null;
  title: string;
  status: ProductStatus;
  externalProductId: string;
  lastPushedQuantity: number | null;
  storeQuantity: number | null;
  prokipQuantity: number | null;
  variantId: string | null;
  variantSku: string | null;
  variantTitle: string | null;
  variantProductTitle: string | null;
}

async function selectRows(
  pool: MerchantDeps["pool"] | Sql,
  connection: MerchantConnection,
  filter: Filter,
  tail: string,
): Promise<ProductRow[]> {
  const { rows } = await pool.query<ListingRow>(
    `SELECT l."id", l."sku", l."normalizedSku", l."title", ${PRODUCT_STATUS_SQL} AS "status", l."externalProductId",
            l."lastPushedQuantity", l."storeQuantity",
            CASE WHEN v."id" IS NULL THEN NULL ELSE COALESCE(s."available", 0) END AS "prokipQuantity",
            v."id" AS "variantId", v."sku" AS "variantSku", v."title" AS "variantTitle", v."productTitle" AS "variantProductTitle"
     ${filter.from()}
     WHERE ${filter.where()}
     ${tail}`,
    filter.values,
  );
  const reasons = await conflictReasons(
    pool,
    connection,
    rows.filter((row) => row.status === "conflict"),
  );
  return rows.map((row) => ({
    listingId: row.id,
    sku: row.sku,
    title: row.title,
    status: row.status,
    prokipQuantity: row.prokipQuantity,
    sentQuantity: row.lastPushedQuantity,
    storeQuantity: row.storeQuantity,
    linkedTo: row.variantId
      ? {
          variantId: row.variantId,
          sku: row.variantSku!,
          name: variantName(row.variantProductTitle!, row.variantTitle!),
        }
      : null,
    conflictReason: reasons.get(row.id) ?? null,
    storeAdminUrl: productAdminUrl(connection, row.externalProductId),
  }));
}

/** "Denim Jacket - Small", or "Classic Shirt" for a product without variations (as setup names them). */
export function variantName(productTitle: string, title: string): string {
  return title && title !== productTitle ? `${productTitle} - ${title}` : productTitle;
}

/**
 * What to do about each conflict, in the merchant's words. Setup leaves a store product in
 * conflict for a blank SKU, a SKU shared with another product of the store, or a SKU several
 * Prokip products share (those are not imported, so only the first two can be seen here).
 */
async function conflictReasons(
  pool: MerchantDeps["pool"] | Sql,
  connection: MerchantConnection,
  rows: ListingRow[],
): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  if (rows.length === 0) return reasons;
  const skus = [...new Set(rows.flatMap((row) => (row.normalizedSku ? [row.normalizedSku] : [])))];
  const shared = new Map<string, number>();
  if (skus.length > 0) {
    const { rows: counted } = await pool.query<{ sku: string; count: number }>(
      `SELECT "normalizedSku" AS "sku", count(*)::int AS "count" FROM "Listing"
       WHERE "businessId" = $1 AND "connectionId" = $2 AND "normalizedSku" = ANY($3::text[]) GROUP BY 1`,
      [connection.businessId, connection.id, skus],
    );
    for (const row of counted) shared.set(row.sku, row.count);
  }
  for (const row of rows) {
    const others = row.normalizedSku ? (shared.get(row.normalizedSku) ?? 1) : 0;
    reasons.set(
      row.id,
      row.normalizedSku === null
        ? "This product has no SKU. Add the SKU it has in Prokip in your store, or link it to a Prokip product here."
        : others > 1
          ? `${others} products in your store use the SKU "${row.sku}". Give each its own SKU in your store, or link this one to its Prokip product here.`
          : `More than one product in Prokip uses the SKU "${row.sku}". Give each its own SKU in Prokip, then run setup again.`,
    );
  }
  return reasons;
}

// ---------------------------------------------------------------------------------------------
// Actions

/**
 * Links a store listing to the business's Prokip product with that SKU (normalised as
 * everywhere: case, spaces). Refused, with nothing changed, when Prokip has no such product, when
 * it is already linked to another product of this store, or when the listing is linked to a
 * different Prokip product (unlink it first). The listing is marked dirty so the drain sends it
 * its figure.
 *
 * Store orders are matched to Prokip products by the SKU on the order line (sync/orders.ts), not
 * through this link: a listing whose own SKU differs has its stock sent, but its sales count
 * only once its SKU in the store is the Prokip one. The activity entry says so.
 */
export async function linkProduct(deps: MerchantDeps, store: StoreRef, input: LinkInput): Promise<ProductRow> {
  const parsed = linkInputSchema.safeParse(input);
  if (!parsed.success)
    throw new SyncError("invalid_input", "The product could not be linked: check the SKU", issuesOf(parsed.error));
  const connection = await connectedStore(deps, store);
  const sku = normalizeSku(parsed.data.prokipSku)!;
  const changed = await withTransaction(deps.pool, async (sql) => {
    const listing = await lockListing(sql, connection, parsed.data.listingId);
    const { rows: variants } = await sql.query<{ id: string; sku: string; title: string; productTitle: string }>(
      `SELECT "id", "sku", "title", "productTitle" FROM "Variant" WHERE "businessId" = $1 AND "normalizedSku" = $2`,
      [connection.businessId, sku],
    );
    const variant = variants[0];
    if (!variant)
      throw new SyncError("invalid_input", `No product in Prokip has the SKU "${parsed.data.prokipSku}"`, [
        { path: "prokipSku", message: "no Prokip product has this SKU" },
      ]);
    const name = variantName(variant.productTitle, variant.title);
    if (listing.variantId === variant.id && listing.matchStatus === "matched") return false;
    if (listing.variantId !== null && listing.variantId !== variant.id && listing.matchStatus === "matched") {
      throw new SyncError("invalid_input", `"${listing.title}" is linked to another Prokip product: unlink it first`, [
        { path: "listingId", message: "already linked to another Prokip product" },
      ]);
    }
    // Store sales are matched to Prokip products by SKU (sync/orders.ts). A link between different
    // SKUs would send Prokip's stock to the store while its sales were never taken off, and the
    // store lowering its own stock would then look like a hand edit to be set back: refused.
    if (listing.normalizedSku !== sku) {
      throw new SyncError(
        "invalid_input",
        `Sales are matched by SKU: set the SKU of "${listing.title}" in the store to "${variant.sku}" (it is ${listing.sku ? `"${listing.sku}"` : "blank"}), then link it`,
        [{ path: "prokipSku", message: "the store product's SKU differs" }],
      );
    }
    const { rows: holders } = await sql.query<{ title: string }>(
      `SELECT "title" FROM "Listing" WHERE "businessId" = $1 AND "connectionId" = $2 AND "variantId" = $3 AND "id" <> $4`,
      [connection.businessId, connection.id, variant.id, listing.id],
    );
    if (holders[0]) throw alreadyLinked(name, holders[0].title);
    try {
      await sql.query(
        `UPDATE "Listing" SET "variantId" = $2, "matchStatus" = 'matched', "dirty" = true, "dirtySince" = COALESCE("dirtySince", now()),
                "pushFailedAt" = NULL, "pushError" = NULL, "updatedAt" = now()
         WHERE "id" = $1`,
        [listing.id, variant.id],
      );
    } catch (error) {
      // Another link of this store to the same product committed meanwhile (the unique index).
      if ((error as { code?: string }).code === "23505") throw alreadyLinked(name, "another product of this store");
      throw error;
    }
    await addActivity(sql, connection, {
      type: "product_linked",
      variantId: variant.id,
      severity: "info",
      message: `"${listing.title}" linked to Prokip product ${name} (${variant.sku}): its stock follows Prokip`,
      data: { listingId: listing.id, sku: listing.sku, prokipSku: variant.sku },
    });
    return true;
  });
  if (changed) await requestDrain(deps, connection);
  return productRow(deps, connection, parsed.data.listingId);
}

/** The listing no longer follows a Prokip product: unlinked, and its store stock is left as it is. */
export async function unlinkProduct(deps: MerchantDeps, store: StoreRef, listingId: string): Promise<ProductRow> {
  return change(deps, store, listingId, async (sql, connection, listing) => {
    if (listing.variantId === null) return false;
    // An excluded listing stays excluded; anything else linked becomes unlinked.
    await sql.query(
      `UPDATE "Listing" SET "variantId" = NULL, "matchStatus" = CASE WHEN "matchStatus" = 'excluded' THEN 'excluded'::"MatchStatus" ELSE 'unmatched'::"MatchStatus" END,
              "dirty" = false, "dirtySince" = NULL, "pushFailedAt" = NULL, "pushError" = NULL, "updatedAt" = now()
       WHERE "id" = $1`,
      [listing.id],
    );
    await addActivity(sql, connection, {
      type: "product_unlinked",
      variantId: listing.variantId,
      message: `"${listing.title}" unlinked from its Prokip product: its stock in the store is no longer updated`,
      data: { listingId: listing.id, sku: listing.sku },
    });
    return true;
  });
}

/** Sync leaves the listing's stock in the store alone (drain, drift checks and reconciliation skip it). */
export async function excludeProduct(deps: MerchantDeps, store: StoreRef, listingId: string): Promise<ProductRow> {
  return change(deps, store, listingId, async (sql, connection, listing) => {
    if (listing.matchStatus === "excluded") return false;
    await sql.query(
      `UPDATE "Listing" SET "matchStatus" = 'excluded', "dirty" = false, "dirtySince" = NULL, "pushFailedAt" = NULL, "pushError" = NULL, "updatedAt" = now()
       WHERE "id" = $1`,
      [listing.id],
    );
    await addActivity(sql, connection, {
      type: "product_excluded",
      variantId: listing.variantId,
      message: `"${listing.title}" excluded: Prokip Sync no longer changes its stock in the store`,
      data: { listingId: listing.id, sku: listing.sku },
    });
    return false;
  });
}

/** Back in sync: linked again if it still has its Prokip product (and sent its figure), else unlinked. */
export async function includeProduct(deps: MerchantDeps, store: StoreRef, listingId: string): Promise<ProductRow> {
  return change(deps, store, listingId, async (sql, connection, listing) => {
    if (listing.matchStatus !== "excluded") return false;
    const linked = listing.variantId !== null;
    await sql.query(
      `UPDATE "Listing" SET "matchStatus" = $2::"MatchStatus", "dirty" = $3, "dirtySince" = CASE WHEN $3 THEN now() ELSE NULL END, "updatedAt" = now()
       WHERE "id" = $1`,
      [listing.id, linked ? "matched" : "unmatched", linked],
    );
    await addActivity(sql, connection, {
      type: "product_included",
      variantId: listing.variantId,
      message: linked
        ? `"${listing.title}" included again: its stock in the store follows Prokip`
        : `"${listing.title}" included again: link it to a Prokip product to sync its stock`,
      data: { listingId: listing.id, sku: listing.sku },
    });
    return linked;
  });
}

interface LockedListing {
  id: string;
  variantId: string | null;
  matchStatus: "matched" | "unmatched" | "conflict" | "excluded";
  sku: string | null;
  normalizedSku: string | null;
  title: string;
}

/**
 * One action on one listing, in a transaction holding its row. `act` answers whether the
 * listing now waits for the drain; an action that changes nothing writes nothing.
 */
async function change(
  deps: MerchantDeps,
  store: StoreRef,
  listingId: string,
  act: (sql: Sql, connection: MerchantConnection, listing: LockedListing) => Promise<boolean>,
): Promise<ProductRow> {
  const id = listingIdSchema.safeParse(listingId);
  if (!id.success)
    throw new SyncError("invalid_input", "That is not a product of this store", [
      { path: "listingId", message: id.error.issues[0]?.message ?? "invalid" },
    ]);
  const connection = await connectedStore(deps, store);
  const waits = await withTransaction(deps.pool, async (sql) =>
    act(sql, connection, await lockListing(sql, connection, id.data)),
  );
  if (waits) await requestDrain(deps, connection);
  return productRow(deps, connection, id.data);
}

/** The listing, locked, if it belongs to this store; `not_found` otherwise (another store's too). */
async function lockListing(sql: Sql, connection: MerchantConnection, listingId: string): Promise<LockedListing> {
  const { rows } = await sql.query<LockedListing>(
    `SELECT "id", "variantId", "matchStatus", "sku", "normalizedSku", "title" FROM "Listing"
     WHERE "businessId" = $1 AND "connectionId" = $2 AND "id" = $3 FOR UPDATE`,
    [connection.businessId, connection.id, listingId],
  );
  if (!rows[0])
    throw new SyncError("not_found", "That product is not in this store", [
      { path: "listingId", message: "not a product of this store" },
    ]);
  return rows[0];
}

async function productRow(deps: MerchantDeps, connection: MerchantConnection, listingId: string): Promise<ProductRow> {
  const filter = new Filter(connection);
  filter.ids([listingId]);
  const [row] = await selectRows(deps.pool, connection, filter, "");
  if (!row)
    throw new SyncError("not_found", "That product is not in this store", [
      { path: "listingId", message: "not a product of this store" },
    ]);
  return row;
}

function alreadyLinked(prokipName: string, holder: string): SyncError {
  return new SyncError(
    "invalid_input",
    `Prokip product ${prokipName} is already linked to "${holder}" in this store: unlink that one first`,
    [{ path: "prokipSku", message: "already linked to another product of this store" }],
  );
}

async function addActivity(
  sql: Sql,
  connection: MerchantConnection,
  event: { type: string; variantId: string | null; message: string; data: object; severity?: "info" | "warning" },
): Promise<void> {
  await sql.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "variantId", "type", "severity", "message", "data")
     VALUES ($1, $2, $3, $4, $5::"Severity", $6, $7::jsonb)`,
    [
      connection.businessId,
      connection.id,
      event.variantId,
      event.type,
      event.severity ?? "info",
      event.message,
      JSON.stringify(event.data),
    ],
  );
}

/** Asks for the store's drain after a change committed; a paused store's listings wait for resume. */
async function requestDrain(deps: MerchantDeps, connection: MerchantConnection): Promise<void> {
  if (connection.status !== "active") return;
  try {
    await deps.jobs.drain(connection.id);
  } catch (error) {
    // The change is committed and the listing stays dirty: the next drain (or a starting worker) sends it.
    deps.log.warn({ err: error, connectionId: connection.id }, "could not ask for a drain");
  }
}

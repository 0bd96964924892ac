/**
 * Prokip posting, the database side: an order as posting needs it (its record of what Prokip
 * holds, its movements per variant, its business's Prokip settings), and the writes of the
 * record, the posting state and the activity entries. Called on the connection that holds the
 * order's posting lock (sync/prokip-posting.ts).
 */
import { invoiceBaseFor, postingRecordSchema, type PostingRecord, type PostingVariant } from "../domain/index.ts";
import type { Sql } from "../store/index.ts";

export interface VariantInfo extends PostingVariant {
  price: string | null;
}

export interface OrderState {
  orderId: string;
  businessId: string;
  connectionId: string;
  platform: "shopify" | "woocommerce";
  /** What the merchant calls the order (#1001). */
  label: string;
  invoiceBase: string;
  cancelled: boolean;
  lines: { sku: string | null; unitPrice?: string }[];
  authorityMode: "prokip" | "central";
  prokipLocationId: number | null;
  defaultContactId: number | null;
  postingState: string;
  postingError: string | null;
  attempts: number;
  record: PostingRecord;
  /** Units the order holds in the ledger, per variant. */
  held: Map<string, number>;
  variants: Map<string, VariantInfo>;
  pending: number;
  posting: number;
}

export async function loadOrder(sql: Sql, businessId: string, orderId: string): Promise<OrderState | null> {
  const { rows } = await sql.query<{
    connectionId: string;
    platform: "shopify" | "woocommerce";
    number: string | null;
    externalId: string;
    cancelled: boolean;
    lines: OrderState["lines"];
    authorityMode: "prokip" | "central";
    prokipLocationId: number | null;
    defaultContactId: number | null;
    postingState: string;
    postingError: string | null;
    postingAttempts: number;
    prokipPosting: unknown;
  }>(
    `SELECT o."connectionId", c."platform", o."number", o."externalId", o."cancelled", o."lines", b."authorityMode",
            l."prokipLocationId", b."defaultContactId", o."postingState", o."postingError", o."postingAttempts", o."prokipPosting"
     FROM "Order" o
     JOIN "Connection" c ON c."id" = o."connectionId"
     JOIN "Location" l ON l."id" = c."locationId"
     JOIN "Business" b ON b."id" = o."businessId"
     WHERE o."businessId" = $1 AND o."id" = $2`,
    [businessId, orderId],
  );
  const row = rows[0];
  if (!row) return null;
  const movements = await sql.query<VariantInfo & { held: number; pending: number; posting: number }>(
    `SELECT m."variantId", -sum(m."delta")::int AS "held",
            count(*) FILTER (WHERE m."postingState" = 'pending')::int AS "pending",
            count(*) FILTER (WHERE m."postingState" = 'posting')::int AS "posting",
            v."title", v."sku", v."normalizedSku", v."prokipProductId", v."prokipVariationId", v."price"::text AS "price"
     FROM "StockMovement" m
     LEFT JOIN "Variant" v ON v."id" = m."variantId" AND v."businessId" = m."businessId"
     WHERE m."businessId" = $1 AND m."orderId" = $2 AND m."postingState" <> 'not_required'
     GROUP BY m."variantId", v."id"
     ORDER BY m."variantId"`,
    [businessId, orderId],
  );
  const label = row.number ?? row.externalId;
  return {
    orderId,
    businessId,
    connectionId: row.connectionId,
    platform: row.platform,
    label,
    invoiceBase: invoiceBaseFor(row.platform, label),
    cancelled: row.cancelled,
    lines: row.lines,
    authorityMode: row.authorityMode,
    prokipLocationId: row.prokipLocationId,
    defaultContactId: row.defaultContactId,
    postingState: row.postingState,
    postingError: row.postingError,
    attempts: row.postingAttempts,
    record: postingRecordSchema.parse(row.prokipPosting ?? {}),
    held: new Map(movements.rows.map((m) => [m.variantId, m.held])),
    variants: new Map(movements.rows.map((m) => [m.variantId, m])),
    pending: movements.rows.reduce((sum, m) => sum + m.pending, 0),
    posting: movements.rows.reduce((sum, m) => sum + m.posting, 0),
  };
}

// ---- Writing the order ----

export async function saveRecord(sql: Sql, order: OrderState): Promise<void> {
  const first = order.record.sells[0] ?? null;
  await sql.query(
    `UPDATE "Order" SET "prokipPosting" = $3::jsonb, "prokipSellId" = $4, "prokipInvoiceNo" = $5, "updatedAt" = now()
     WHERE "businessId" = $1 AND "id" = $2`,
    [order.businessId, order.orderId, JSON.stringify(order.record), first?.sellId ?? null, first?.invoiceNo ?? null],
  );
}

/**
 * The order's posting state, attempts and error. "posted" becomes "pending" when a new state
 * of the order was applied meanwhile: the order row is locked first, so a concurrent
 * applyOrderState either committed its movements before (and they are seen) or writes its own
 * "pending" after.
 */
export async function saveState(
  sql: Sql,
  order: OrderState,
  state: "posted" | "posting" | "failed" | "needs_attention",
  attempts: number,
  error: string | null,
): Promise<void> {
  await sql.query(`SELECT 1 FROM "Order" WHERE "businessId" = $1 AND "id" = $2 FOR UPDATE`, [
    order.businessId,
    order.orderId,
  ]);
  await sql.query(
    `UPDATE "Order" SET
       "postingState" = (CASE WHEN $3 = 'posted' AND EXISTS (SELECT 1 FROM "StockMovement" m WHERE m."businessId" = $1 AND m."orderId" = $2 AND m."postingState" = 'pending')
                              THEN 'pending' ELSE $3 END)::"OrderPostingState",
       "postingAttempts" = $4, "postingError" = $5, "updatedAt" = now()
     WHERE "businessId" = $1 AND "id" = $2`,
    [order.businessId, order.orderId, state, attempts, error],
  );
}

export async function addActivity(
  sql: Sql,
  order: OrderState,
  type: string,
  severity: "info" | "warning" | "error",
  message: string,
  data: object,
): Promise<void> {
  await sql.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "orderId", "type", "severity", "message", "data")
     VALUES ($1, $2, $3, $4, $5::"Severity", $6, $7::jsonb)`,
    [order.businessId, order.connectionId, order.orderId, type, severity, message, JSON.stringify(data)],
  );
}

/** BEGIN ... COMMIT on the locked connection (the session lock outlives each transaction). */
export async function inTransaction<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
  await sql.query("BEGIN");
  try {
    const result = await work();
    await sql.query("COMMIT");
    return result;
  } catch (error) {
    await sql.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Remembers the business's walk-in customer, asked of Prokip once. */
export async function saveDefaultContact(sql: Sql, businessId: string, contactId: number): Promise<void> {
  await sql.query(`UPDATE "Business" SET "defaultContactId" = $2, "updatedAt" = now() WHERE "id" = $1`, [
    businessId,
    contactId,
  ]);
}

/** Another order of the business already holds this Prokip sell (a store on the same location may reuse a number). */
export async function sellBelongsToAnotherOrder(sql: Sql, order: OrderState, sellId: number): Promise<boolean> {
  const { rowCount } = await sql.query(
    `SELECT 1 FROM "Order" WHERE "businessId" = $1 AND "id" <> $2
       AND ("prokipSellId" = $3 OR "prokipPosting" @> jsonb_build_object('sells', jsonb_build_array(jsonb_build_object('sellId', $3::int))))
     LIMIT 1`,
    [order.businessId, order.orderId, sellId],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * Store orders posted to Prokip (Prokip authority mode).
 *
 * Same idea as the ledger ("orders are state, not events"): what the order holds in the ledger,
 * per variant, is compared with what Prokip holds for it, and only the difference is sent.
 * What Prokip holds is remembered on the order (`Order.prokipPosting`): every sell we created
 * with its sell line ids, quantities and cumulative returned quantities.
 *
 * - The first posting is ONE sell, invoice `SHOP-<number>` / `WOO-<number>`.
 * - The order holds less (refund with restock, edit down, cancellation after a return): a
 *   sell-return with the CUMULATIVE quantity per sell line (Prokip keeps one return per sell
 *   and sets it to what we send, so repeating a return changes nothing).
 * - The order is cancelled and no return was ever posted against the sell: the sell is deleted.
 * - The order holds more than Prokip has (an edit up): an additional sell for the difference,
 *   invoice `SHOP-<number>-2`, `-3`, ... The first sell is never edited: Prokip's sell update
 *   replaces the whole sell and its lines, which is a bigger change to get wrong than a second,
 *   small sell the merchant can read in Prokip as "added later".
 *
 * A sell goes to the connection's Prokip location, against the business's walk-in customer
 * (asked of Prokip once, kept in Business.defaultContactId), at the order line's price (Prokip's
 * own when the store gave none), dated when it is posted: that is when Prokip's stock moves.
 *
 * Prokip has no idempotency: a sell sent twice is recorded twice. So a sell is written into
 * the order's record as "unconfirmed" before it is sent; when its answer is lost (timeout, 5xx
 * after sending) it is looked up by invoice number with `findSells`, at once and again before
 * anything new is created, and created again only when Prokip still does not have it after a
 * grace period (the first request may still be on its way). Returns and deletes are safe to
 * repeat and are simply sent again.
 *
 * Ledger protocol (ledger/prokip.ts), so that a Prokip reading counts every sale exactly once:
 * the order's pending movements are marked `posting` BEFORE the first request of a round
 * (readings overlapping it are ambiguous), `posted` once every request of the round is
 * confirmed, and back to `pending` when Prokip refused the first request (nothing applied).
 * When part of a round was applied and the rest failed or is unknown, the movements cannot be
 * split, so they stay `posting` (readings of those variants are ambiguous and read again) until
 * a later round completes; `mixed` in the record says so.
 *
 * Concurrency: everything for one order happens under a session advisory lock on its id, so two
 * workers never create two sells for it; the second waits and then finds nothing left to do.
 * The lock is held on one pooled connection for the whole posting, Prokip requests included.
 * Store notifications are not blocked by it: a new state of the order applied while a round is
 * being planned is noticed when the round starts (it marks exactly the movements it planned)
 * and the round is planned again.
 */
import type pg from "pg";
import { z } from "zod";
import { ChannelError, type PosResult, type PosSell, type PosSystem, type SellDraft } from "../channels/index.ts";
import { SyncError, normalizeSku } from "../domain/index.ts";
import { markPosted, markPostingRejected, markPostingStarted } from "../ledger/index.ts";
import type { Logger } from "../log/index.ts";
import type { Sql } from "../store/index.ts";

export const DEFAULT_MAX_POSTING_ATTEMPTS = 5;
/** How long a sell whose answer was lost may still reach Prokip: it is not sent again before. */
export const DEFAULT_UNCONFIRMED_GRACE_MS = 120_000;

export interface PostingDependencies {
  pool: pg.Pool;
  pos: PosSystem;
  log: Logger;
}

export interface PostingOptions {
  now?: () => Date;
  /** Failed attempts in a row before the order needs attention (default 5). */
  maxAttempts?: number;
  /** See DEFAULT_UNCONFIRMED_GRACE_MS. */
  unconfirmedGraceMs?: number;
}

export type PostingStatus =
  /** Everything the order holds is now in Prokip. */
  | "posted"
  /** Nothing to send: Prokip already has it all. */
  | "up_to_date"
  /** The business is not in Prokip authority mode. */
  | "not_required"
  /** A sell's answer was lost and Prokip does not show it yet: try again later. */
  | "in_doubt"
  /** Prokip refused or could not be reached: try again later. */
  | "failed"
  /** Retries stopped: the merchant has to look (message says why). */
  | "needs_attention";

export type PostingAction =
  | {
      kind: "sell";
      sellId: number;
      invoiceNo: string;
      lines: { variantId: string; quantity: number }[];
      foundByInvoiceNo: boolean;
    }
  | {
      kind: "return";
      sellId: number;
      invoiceNo: string;
      lines: { variantId: string; sellLineId: number; returned: number }[];
    }
  | { kind: "delete"; sellId: number; invoiceNo: string };

export interface PostingOutcome {
  status: PostingStatus;
  orderId: string;
  /** What changed in Prokip during this call. */
  actions: PostingAction[];
  /** Failed attempts in a row (0 after a success). */
  attempts: number;
  /** Prokip's message (or ours) when not posted. */
  message: string | null;
}

// ---------------------------------------------------------------------------------------------
// What Prokip holds for an order (Order.prokipPosting)
// ---------------------------------------------------------------------------------------------

const sellLineRecordSchema = z.object({
  sellLineId: z.number().int(),
  variantId: z.string(),
  variationId: z.number().int(),
  quantity: z.number(),
  /** Cumulative units returned on this line (what the sell-return says). */
  returned: z.number(),
  /** The price we sent, or null when Prokip used its own. */
  unitPrice: z.string().nullable(),
});

const sellRecordSchema = z.object({
  sellId: z.number().int(),
  invoiceNo: z.string(),
  postedAt: z.string(),
  deleted: z.boolean(),
  /** A return was sent (or may exist): Prokip refuses to delete such a sell. */
  returnPosted: z.boolean(),
  lines: z.array(sellLineRecordSchema),
});

const draftLineSchema = z.object({
  variantId: z.string(),
  productId: z.number().int(),
  variationId: z.number().int(),
  quantity: z.number().int(),
  unitPrice: z.string().nullable(),
});

const unconfirmedSellSchema = z.object({
  invoiceNo: z.string(),
  transactionDate: z.string(),
  sentAt: z.string(),
  lines: z.array(draftLineSchema),
});

const postingRecordSchema = z.object({
  sells: z.array(sellRecordSchema).default([]),
  /** A sell sent (or about to be) whose answer we do not have. */
  unconfirmedSell: unconfirmedSellSchema.nullable().default(null),
  /** The order's `posting` movements may be partly in Prokip: they may only move on to `posted`. */
  mixed: z.boolean().default(false),
  /** A return or delete is on its way; still set at the next attempt means this process died waiting. */
  sending: z.boolean().default(false),
});

type SellRecord = z.infer<typeof sellRecordSchema>;
type DraftLine = z.infer<typeof draftLineSchema>;
type UnconfirmedSell = z.infer<typeof unconfirmedSellSchema>;
type PostingRecord = z.infer<typeof postingRecordSchema>;

// ---------------------------------------------------------------------------------------------
// The plan: from what the order holds and what Prokip has, the requests to send
// ---------------------------------------------------------------------------------------------

type Step =
  | { kind: "delete"; sell: SellRecord }
  /** Cumulative returned quantity per sell line id. */
  | { kind: "return"; sell: SellRecord; returned: Map<number, number> }
  | { kind: "sell"; lines: { variantId: string; quantity: number }[] };

const liveSells = (record: PostingRecord) => record.sells.filter((sell) => !sell.deleted);

/** Units Prokip holds for the order, per variant: sold minus returned on live sells. */
function prokipHolds(record: PostingRecord): Map<string, number> {
  const holds = new Map<string, number>();
  for (const sell of liveSells(record)) {
    for (const line of sell.lines)
      holds.set(line.variantId, (holds.get(line.variantId) ?? 0) + line.quantity - line.returned);
  }
  return holds;
}

/**
 * The requests that bring Prokip to what the order holds. Returns and deletes come first (they
 * give stock back, which a business that forbids overselling needs before a new sell).
 */
function planPosting(held: ReadonlyMap<string, number>, record: PostingRecord, cancelled: boolean): Step[] {
  const holding = (variantId: string) => Math.max(0, held.get(variantId) ?? 0);
  const prokip = prokipHolds(record);
  const holdsNothing = [...held.keys()].every((variantId) => holding(variantId) === 0);

  if (cancelled && holdsNothing) return planCancellation(record);

  const steps: Step[] = [];
  const excess = new Map<string, number>();
  for (const [variantId, units] of prokip)
    if (units > holding(variantId)) excess.set(variantId, units - holding(variantId));
  steps.push(...planReturns(record, excess));

  const more = [...held.keys()]
    .map((variantId) => ({ variantId, quantity: holding(variantId) - (prokip.get(variantId) ?? 0) }))
    .filter((line) => line.quantity > 0);
  if (more.length > 0) steps.push({ kind: "sell", lines: more });
  return steps;
}

/** A cancelled order: each sell is deleted, or, if a return exists against it, fully returned. */
function planCancellation(record: PostingRecord): Step[] {
  return liveSells(record).flatMap((sell): Step[] => {
    if (!sell.returnPosted) return [{ kind: "delete", sell }];
    if (sell.lines.every((line) => line.returned >= line.quantity)) return [];
    return [{ kind: "return", sell, returned: new Map(sell.lines.map((line) => [line.sellLineId, line.quantity])) }];
  });
}

/** Raises the cumulative returns by `excess` units per variant, latest sell first. */
function planReturns(record: PostingRecord, excess: Map<string, number>): Step[] {
  const steps: Step[] = [];
  for (const sell of [...liveSells(record)].reverse()) {
    const returned = new Map(sell.lines.map((line) => [line.sellLineId, line.returned]));
    let changed = false;
    for (const line of sell.lines) {
      const wanted = excess.get(line.variantId) ?? 0;
      const take = Math.min(wanted, line.quantity - line.returned);
      if (take <= 0) continue;
      returned.set(line.sellLineId, line.returned + take);
      excess.set(line.variantId, wanted - take);
      changed = true;
    }
    if (changed) steps.push({ kind: "return", sell, returned });
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Reading the order
// ---------------------------------------------------------------------------------------------

interface VariantInfo {
  variantId: string;
  title: string | null;
  sku: string | null;
  normalizedSku: string | null;
  prokipProductId: number | null;
  prokipVariationId: number | null;
  price: string | null;
}

interface OrderState {
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

async function loadOrder(sql: Sql, businessId: string, orderId: string): Promise<OrderState | null> {
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
    invoiceBase: `${row.platform === "shopify" ? "SHOP" : "WOO"}-${label.replace(/^#/u, "").trim().replace(/\s+/gu, "-")}`,
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

// ---------------------------------------------------------------------------------------------
// Writing the order
// ---------------------------------------------------------------------------------------------

async function saveRecord(sql: Sql, order: OrderState): Promise<void> {
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
async function saveState(
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

async function addActivity(
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
async function inTransaction<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
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

// ---------------------------------------------------------------------------------------------
// Posting
// ---------------------------------------------------------------------------------------------

/**
 * Brings Prokip in line with what the order holds in the ledger (see the top of this file).
 * Throws SyncError `invalid_input` for an unknown order; Prokip's failures are outcomes.
 */
export async function postOrderToProkip(
  deps: PostingDependencies,
  order: { businessId: string; orderId: string },
  options: PostingOptions = {},
): Promise<PostingOutcome> {
  const client = await deps.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`SELECT pg_advisory_lock(hashtextextended($1, 0))`, [`prokip-posting:${order.orderId}`]);
    try {
      return await new OrderPosting(deps, client, options).run(order.businessId, order.orderId);
    } finally {
      // A connection that cannot unlock must not go back to the pool still holding the lock.
      await client
        .query(`SELECT pg_advisory_unlock(hashtextextended($1, 0))`, [`prokip-posting:${order.orderId}`])
        .catch((error: Error) => {
          broken = error;
        });
    }
  } finally {
    client.release(broken);
  }
}

/** Thrown (and the transaction rolled back) when the order's movements changed under a plan. */
class OrderChanged extends Error {
  constructor() {
    super("The order kept changing while it was being posted to Prokip; post it again");
  }
}

/** A request whose outcome is known: applied, or refused without effect. */
type StepResult = { ok: true } | { ok: false; message: string; unknown: boolean };

class OrderPosting {
  private readonly now: () => Date;
  private readonly maxAttempts: number;
  private readonly graceMs: number;
  private readonly log: Logger;
  private readonly actions: PostingAction[] = [];
  /** A request of the current round was applied by Prokip. */
  private applied = false;

  constructor(
    private readonly deps: PostingDependencies,
    private readonly sql: Sql,
    options: PostingOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.maxAttempts = options.maxAttempts ?? DEFAULT_MAX_POSTING_ATTEMPTS;
    this.graceMs = options.unconfirmedGraceMs ?? DEFAULT_UNCONFIRMED_GRACE_MS;
    this.log = deps.log.child({ job: "prokip-posting" });
  }

  async run(businessId: string, orderId: string): Promise<PostingOutcome> {
    // A new state of the order applied between reading it and starting the round: plan again.
    for (let tries = 1; ; tries += 1) {
      try {
        return await this.attempt(businessId, orderId);
      } catch (error) {
        if (!(error instanceof OrderChanged) || tries >= 5) throw error;
      }
    }
  }

  private async attempt(businessId: string, orderId: string): Promise<PostingOutcome> {
    let order = await this.load(businessId, orderId);
    if (order.authorityMode !== "prokip") return this.outcome(order, "not_required", null);
    if (order.pending + order.posting > 0 && order.prokipLocationId === null) {
      return this.needsAttentionNow(
        order,
        "The store's location is not linked to a Prokip location, so its orders cannot be recorded in Prokip",
      );
    }
    if (order.record.sending) {
      // A return or delete was sent and this process never saw the answer: it may be applied.
      order.record.mixed = true;
      order.record.sending = false;
    }

    if (order.record.unconfirmedSell) {
      const settled = await this.settleUnconfirmedSell(order, order.record.unconfirmedSell);
      if (settled) return settled;
      order = await this.load(businessId, orderId);
    }
    if (order.pending === 0 && order.posting === 0)
      return this.outcome(order, this.actions.length > 0 ? "posted" : "up_to_date", null);

    const steps = planPosting(order.held, order.record, order.cancelled);
    const blocker = this.blocker(order, steps);
    if (blocker) return this.needsAttentionNow(order, blocker);

    let contactId: number | null = null;
    if (steps.some((step) => step.kind === "sell")) {
      try {
        contactId = await this.contactFor(order);
      } catch (error) {
        // Nothing was sent: the movements are still pending.
        return this.failed(order, messageOf(error), { status: "failed", sent: false });
      }
    }

    // Recorded before the first request: a reading overlapping it is ambiguous from here on.
    // Exactly the movements the plan was made from may be marked: a movement committed since
    // (a refund arriving now) is not in the plan and must stay pending for the next round.
    this.applied = false;
    await inTransaction(this.sql, async () => {
      const marked = await markPostingStarted(this.sql, order.businessId, order.orderId, this.now());
      if (marked !== order.pending) throw new OrderChanged();
      await saveRecord(this.sql, order);
      await saveState(this.sql, order, "posting", order.attempts, order.postingError);
    });
    for (const step of steps) {
      const result = await this.send(order, step, contactId);
      if (result.ok) {
        this.applied = true;
        continue;
      }
      const status = result.unknown && step.kind === "sell" ? "in_doubt" : "failed";
      return this.failed(order, result.message, { status, sent: true, unknown: result.unknown });
    }
    return this.succeeded(order, steps.length === 0 ? "up_to_date" : "posted");
  }

  private async load(businessId: string, orderId: string): Promise<OrderState> {
    const order = await loadOrder(this.sql, businessId, orderId);
    if (!order) throw new SyncError("invalid_input", `No order ${orderId} in business ${businessId}`);
    return order;
  }

  /** What keeps the order from being posted at all until someone changes something. */
  private blocker(order: OrderState, steps: Step[]): string | null {
    for (const step of steps) {
      if (step.kind !== "sell") continue;
      for (const line of step.lines) {
        const variant = order.variants.get(line.variantId);
        if (variant?.prokipProductId == null || variant.prokipVariationId == null) {
          const name = variant?.title
            ? `"${variant.title}" (SKU ${variant.sku ?? "none"})`
            : `variant ${line.variantId}`;
          return `Product ${name} is not linked to a Prokip product: link it, then post order ${order.label} again`;
        }
      }
    }
    return null;
  }

  /** The walk-in customer sells are recorded against, asked of Prokip once per business. */
  private async contactFor(order: OrderState): Promise<number> {
    if (order.defaultContactId !== null) return order.defaultContactId;
    const contactId = await this.deps.pos.defaultContactId();
    await this.sql.query(`UPDATE "Business" SET "defaultContactId" = $2, "updatedAt" = now() WHERE "id" = $1`, [
      order.businessId,
      contactId,
    ]);
    order.defaultContactId = contactId;
    return contactId;
  }

  // ---- One request ----

  private async send(order: OrderState, step: Step, contactId: number | null): Promise<StepResult> {
    switch (step.kind) {
      case "sell":
        return this.sendSell(order, step.lines, contactId!);
      case "return":
        return this.sendReturn(order, step.sell, step.returned);
      case "delete":
        return this.sendDelete(order, step.sell);
    }
  }

  private async sendSell(
    order: OrderState,
    lines: { variantId: string; quantity: number }[],
    contactId: number,
  ): Promise<StepResult> {
    const transactionDate = this.now();
    const unconfirmed: UnconfirmedSell = {
      // Numbered by the sells already made (deleted ones too), so an invoice number is never reused.
      invoiceNo:
        order.record.sells.length === 0 ? order.invoiceBase : `${order.invoiceBase}-${order.record.sells.length + 1}`,
      transactionDate: transactionDate.toISOString(),
      sentAt: transactionDate.toISOString(),
      lines: this.sellLines(order, lines),
    };
    // Written before sending: if the answer is lost, even with this process, the next attempt
    // looks for this sell in Prokip before it creates anything.
    order.record.unconfirmedSell = unconfirmed;
    await saveRecord(this.sql, order);

    const draft: SellDraft = {
      locationId: order.prokipLocationId!,
      contactId,
      invoiceNo: unconfirmed.invoiceNo,
      transactionDate,
      note: `${order.platform === "shopify" ? "Shopify" : "WooCommerce"} order ${order.label}`,
      lines: unconfirmed.lines.map(({ productId, variationId, quantity, unitPrice }) => ({
        productId,
        variationId,
        quantity,
        unitPrice,
      })),
    };
    let answer: PosResult<PosSell>;
    try {
      answer = await this.deps.pos.createSell(draft);
    } catch (error) {
      if (isRefusal(error)) return this.sellRefused(order, messageOf(error));
      this.log.warn(
        { orderId: order.orderId, invoiceNo: draft.invoiceNo, err: error },
        "prokip sell answer lost; looking it up",
      );
      const found = await this.findSell(order, unconfirmed).catch(() => null);
      if (!found)
        return {
          ok: false,
          unknown: true,
          message: `Prokip did not confirm sale ${draft.invoiceNo} (${messageOf(error)}); it is looked up again before anything is re-sent`,
        };
      await this.adoptSell(order, unconfirmed, found, true);
      return { ok: true };
    }
    if (!answer.ok) return this.sellRefused(order, answer.message);
    await this.adoptSell(order, unconfirmed, answer.value, false);
    return { ok: true };
  }

  private async sellRefused(order: OrderState, message: string): Promise<StepResult> {
    order.record.unconfirmedSell = null;
    await saveRecord(this.sql, order);
    return { ok: false, unknown: false, message };
  }

  /** One line per variant, in the order's own line order; the order's price when it has one. */
  private sellLines(order: OrderState, lines: { variantId: string; quantity: number }[]): DraftLine[] {
    const position = (variantId: string) => {
      const sku = order.variants.get(variantId)?.normalizedSku;
      const index = order.lines.findIndex((line) => normalizeSku(line.sku) === sku);
      return index === -1 ? order.lines.length : index;
    };
    return [...lines]
      .sort((a, b) => position(a.variantId) - position(b.variantId) || a.variantId.localeCompare(b.variantId))
      .map((line) => {
        const variant = order.variants.get(line.variantId)!;
        const priced = order.lines.find(
          (orderLine) => normalizeSku(orderLine.sku) === variant.normalizedSku && orderLine.unitPrice !== undefined,
        );
        return {
          variantId: line.variantId,
          productId: variant.prokipProductId!,
          variationId: variant.prokipVariationId!,
          quantity: line.quantity,
          unitPrice: priced?.unitPrice ?? null,
        };
      });
  }

  /** Records a sell Prokip has (answered, or found by invoice number) and clears the unconfirmed one. */
  private async adoptSell(
    order: OrderState,
    unconfirmed: UnconfirmedSell,
    sell: PosSell,
    foundByInvoiceNo: boolean,
  ): Promise<void> {
    const byVariation = new Map(unconfirmed.lines.map((line) => [line.variationId, line]));
    const record: SellRecord = {
      sellId: sell.sellId,
      invoiceNo: sell.invoiceNo || unconfirmed.invoiceNo,
      postedAt: this.now().toISOString(),
      deleted: false,
      returnPosted: false,
      lines: sell.lines.flatMap((line) => {
        const drafted = byVariation.get(line.variationId);
        if (!drafted) {
          this.log.error(
            { orderId: order.orderId, sellId: sell.sellId, variationId: line.variationId },
            "prokip sell has a line we did not send",
          );
          return [];
        }
        return [
          {
            sellLineId: line.sellLineId,
            variantId: drafted.variantId,
            variationId: line.variationId,
            quantity: line.quantity,
            returned: 0,
            unitPrice: drafted.unitPrice,
          },
        ];
      }),
    };
    order.record.sells.push(record);
    order.record.unconfirmedSell = null;
    const units = record.lines.reduce((sum, line) => sum + line.quantity, 0);
    this.actions.push({
      kind: "sell",
      sellId: record.sellId,
      invoiceNo: record.invoiceNo,
      lines: record.lines.map((l) => ({ variantId: l.variantId, quantity: l.quantity })),
      foundByInvoiceNo,
    });
    const message =
      order.record.sells.length === 1
        ? `Order ${order.label} recorded in Prokip as sale ${record.invoiceNo}`
        : `Order ${order.label}: ${units} more ${units === 1 ? "unit" : "units"} recorded in Prokip as sale ${record.invoiceNo}`;
    await inTransaction(this.sql, async () => {
      await saveRecord(this.sql, order);
      await addActivity(this.sql, order, "order_posted", "info", message, {
        sellId: record.sellId,
        invoiceNo: record.invoiceNo,
      });
    });
  }

  private async sendReturn(order: OrderState, sell: SellRecord, returned: Map<number, number>): Promise<StepResult> {
    // Before sending: once a return may exist, Prokip refuses to delete the sell.
    sell.returnPosted = true;
    const lines = sell.lines
      .filter((line) => (returned.get(line.sellLineId) ?? 0) > 0)
      .map((line) => ({
        sellLineId: line.sellLineId,
        quantity: returned.get(line.sellLineId)!,
        unitPrice: line.unitPrice ?? order.variants.get(line.variantId)?.price ?? "0",
      }));
    const result = await this.repeatable(order, () =>
      this.deps.pos.returnSell({ sellId: sell.sellId, transactionDate: this.now(), lines }),
    );
    if (!result.ok) return result;

    const before = sell.lines.reduce((sum, line) => sum + line.returned, 0);
    for (const line of sell.lines) line.returned = returned.get(line.sellLineId) ?? line.returned;
    const units = sell.lines.reduce((sum, line) => sum + line.returned, 0);
    this.actions.push({
      kind: "return",
      sellId: sell.sellId,
      invoiceNo: sell.invoiceNo,
      lines: sell.lines.map((l) => ({ variantId: l.variantId, sellLineId: l.sellLineId, returned: l.returned })),
    });
    await inTransaction(this.sql, async () => {
      await saveRecord(this.sql, order);
      await addActivity(
        this.sql,
        order,
        "order_return_posted",
        "info",
        `Order ${order.label}: ${units - before} ${units - before === 1 ? "unit" : "units"} returned in Prokip against sale ${sell.invoiceNo} (${units} returned in all)`,
        {
          sellId: sell.sellId,
          invoiceNo: sell.invoiceNo,
          returned: lines.map((l) => ({ sellLineId: l.sellLineId, quantity: l.quantity })),
        },
      );
    });
    return { ok: true };
  }

  private async sendDelete(order: OrderState, sell: SellRecord): Promise<StepResult> {
    const result = await this.repeatable(order, () => this.deps.pos.deleteSell(sell.sellId));
    if (!result.ok) {
      // The one documented reason for a refusal is a return against the sell (one we did not
      // send): from now on the sell is returned in full instead. Saved with the failure.
      if (!result.unknown) sell.returnPosted = true;
      return result;
    }
    sell.deleted = true;
    this.actions.push({ kind: "delete", sellId: sell.sellId, invoiceNo: sell.invoiceNo });
    await inTransaction(this.sql, async () => {
      await saveRecord(this.sql, order);
      await addActivity(
        this.sql,
        order,
        "order_sell_deleted",
        "info",
        `Order ${order.label} cancelled: sale ${sell.invoiceNo} deleted in Prokip`,
        {
          sellId: sell.sellId,
          invoiceNo: sell.invoiceNo,
        },
      );
    });
    return { ok: true };
  }

  /**
   * Returns and deletes: sending them again is harmless, so a lost answer is just "unknown"
   * (sent again next time). `sending` is saved around the request so a crash is noticed.
   */
  private async repeatable(
    order: OrderState,
    request: () => Promise<{ ok: true } | { ok: false; message: string }>,
  ): Promise<StepResult> {
    order.record.sending = true;
    await saveRecord(this.sql, order);
    try {
      const result = await request();
      return result.ok ? { ok: true } : { ok: false, unknown: false, message: result.message };
    } catch (error) {
      return { ok: false, unknown: !isRefusal(error), message: messageOf(error) };
    } finally {
      // Saved with what follows: the step's result, or the failure.
      order.record.sending = false;
    }
  }

  // ---- A sell whose answer was lost ----

  /**
   * Settles the sell a previous attempt sent without an answer. Returns an outcome to stop
   * with, or null to go on (the sell was found and recorded, or is certainly not in Prokip).
   */
  private async settleUnconfirmedSell(order: OrderState, unconfirmed: UnconfirmedSell): Promise<PostingOutcome | null> {
    let found: PosSell | null;
    try {
      found = await this.findSell(order, unconfirmed);
    } catch (error) {
      return this.failed(
        order,
        `Prokip could not be asked whether sale ${unconfirmed.invoiceNo} was recorded: ${messageOf(error)}`,
        { status: "in_doubt", sent: false },
      );
    }
    if (found) {
      await this.adoptSell(order, unconfirmed, found, true);
      // The sell is always the last request of its round: every earlier one was applied.
      await this.succeeded(order, "posted");
      return null;
    }
    const waited = this.now().getTime() - new Date(unconfirmed.sentAt).getTime();
    if (waited < this.graceMs) {
      return this.outcome(
        order,
        "in_doubt",
        `Sale ${unconfirmed.invoiceNo} was sent without an answer and Prokip does not show it yet; it is not sent again before ${this.graceMs / 1000} s have passed`,
      );
    }
    // Long enough: Prokip never recorded it. The movements stay `posting` (they are sent next).
    this.log.info(
      { orderId: order.orderId, invoiceNo: unconfirmed.invoiceNo },
      "unconfirmed prokip sell not found; sending it again",
    );
    order.record.unconfirmedSell = null;
    await saveRecord(this.sql, order);
    return null;
  }

  /** The sell among the location's sells of those days with our invoice number and lines. */
  private async findSell(order: OrderState, unconfirmed: UnconfirmedSell): Promise<PosSell | null> {
    const sells = await this.deps.pos.findSells({
      locationId: order.prokipLocationId!,
      from: new Date(unconfirmed.transactionDate),
      to: this.now(),
    });
    for (const sell of sells) {
      if (sell.invoiceNo !== unconfirmed.invoiceNo || !sameLines(sell, unconfirmed.lines)) continue;
      // Another store on the same location may use the same number: never adopt its sell.
      if (!(await this.belongsToAnotherOrder(order, sell.sellId))) return sell;
    }
    return null;
  }

  private async belongsToAnotherOrder(order: OrderState, sellId: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      `SELECT 1 FROM "Order" WHERE "businessId" = $1 AND "id" <> $2
         AND ("prokipSellId" = $3 OR "prokipPosting" @> jsonb_build_object('sells', jsonb_build_array(jsonb_build_object('sellId', $3::int))))
       LIMIT 1`,
      [order.businessId, order.orderId, sellId],
    );
    return (rowCount ?? 0) > 0;
  }

  // ---- Endings ----

  /** Every request of the round was applied: the movements are in Prokip from now on. */
  private async succeeded(order: OrderState, status: "posted" | "up_to_date"): Promise<PostingOutcome> {
    order.record.mixed = false;
    await inTransaction(this.sql, async () => {
      await markPosted(this.sql, order.businessId, order.orderId, this.now());
      await saveRecord(this.sql, order);
      await saveState(this.sql, order, "posted", 0, null);
    });
    order.attempts = 0;
    order.postingError = null;
    if (status === "posted")
      this.log.info({ orderId: order.orderId, actions: this.actions.length }, "order posted to prokip");
    return this.outcome(order, status, null);
  }

  /**
   * A failed attempt. `sent`: a round had started (movements `posting`). Refused with nothing
   * applied: back to `pending`. Otherwise they stay `posting` until a later round completes.
   */
  private async failed(
    order: OrderState,
    message: string,
    how: { status: "failed" | "in_doubt"; sent: boolean; unknown?: boolean },
  ): Promise<PostingOutcome> {
    const attempts = order.attempts + 1;
    const giveUp = attempts >= this.maxAttempts;
    // Part of the round may be in Prokip when an earlier request of it was applied, or when a
    // return or delete has an unknown outcome (a sell in doubt is tracked by `unconfirmedSell`).
    if (how.sent && (this.applied || (how.unknown === true && order.record.unconfirmedSell === null)))
      order.record.mixed = true;
    const backToPending = how.sent && how.unknown !== true && !order.record.mixed;
    const state = giveUp ? "needs_attention" : how.status === "in_doubt" ? "posting" : "failed";
    await inTransaction(this.sql, async () => {
      if (backToPending) await markPostingRejected(this.sql, order.businessId, order.orderId);
      await saveRecord(this.sql, order);
      await saveState(this.sql, order, state, attempts, message);
      if (giveUp && (order.postingState !== "needs_attention" || order.postingError !== message)) {
        await addActivity(
          this.sql,
          order,
          "posting_failed",
          "error",
          `Order ${order.label} could not be recorded in Prokip after ${attempts} attempts: ${message}`,
          { attempts, message },
        );
      }
    });
    order.attempts = attempts;
    order.postingError = message;
    this.log.warn({ orderId: order.orderId, attempts, message, giveUp }, "prokip posting failed");
    return this.outcome(order, giveUp ? "needs_attention" : how.status, message);
  }

  /** Nothing can be posted until the merchant changes something: no retries meanwhile. */
  private async needsAttentionNow(order: OrderState, message: string): Promise<PostingOutcome> {
    await inTransaction(this.sql, async () => {
      await saveState(this.sql, order, "needs_attention", order.attempts, message);
      if (order.postingState !== "needs_attention" || order.postingError !== message) {
        await addActivity(
          this.sql,
          order,
          "posting_failed",
          "error",
          `Order ${order.label} could not be recorded in Prokip: ${message}`,
          { attempts: order.attempts, message },
        );
      }
    });
    return this.outcome(order, "needs_attention", message);
  }

  private outcome(order: OrderState, status: PostingStatus, message: string | null): PostingOutcome {
    return { status, orderId: order.orderId, actions: this.actions, attempts: order.attempts, message };
  }
}

/** Prokip answered and refused: the request certainly had no effect (a 401 stops before any controller). */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof ChannelError &&
    (error.code === "unauthorized" || error.code === "rejected" || error.code === "not_found")
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Same units per variation as we sent. */
function sameLines(sell: PosSell, lines: readonly DraftLine[]): boolean {
  const units = (entries: readonly { variationId: number; quantity: number }[]) => {
    const map = new Map<number, number>();
    for (const entry of entries) map.set(entry.variationId, (map.get(entry.variationId) ?? 0) + entry.quantity);
    return map;
  };
  const found = units(sell.lines);
  const sent = units(lines);
  return found.size === sent.size && [...sent].every(([variationId, quantity]) => found.get(variationId) === quantity);
}

/**
 * Store orders posted to Prokip (Prokip authority mode).
 *
 * Same idea as the ledger ("orders are state, not events"): what the order holds in the ledger,
 * per variant, is compared with what Prokip holds for it, and only the difference is sent.
 * What Prokip holds is remembered on the order (`Order.prokipPosting`): every sell we created
 * with its sell line ids, quantities and cumulative returned quantities. The plan (sells,
 * cumulative returns, deletes) is pure: domain/posting.ts; the order's rows:
 * prokip-posting-store.ts. This file is the runner that sends the requests.
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
import { ChannelError, type PosResult, type PosSell, type PosSystem, type SellDraft } from "../channels/index.ts";
import {
  SyncError,
  nextInvoiceNo,
  planPosting,
  sameSellLines,
  sellLinesFor,
  unlinkedProduct,
  type PostingStep,
  type SellRecord,
  type UnconfirmedSell,
} from "../domain/index.ts";
import { markPosted, markPostingRejected, markPostingStarted } from "../ledger/index.ts";
import type { Logger } from "../log/index.ts";
import type { Sql } from "../store/index.ts";
import {
  addActivity,
  inTransaction,
  loadOrder,
  saveDefaultContact,
  saveRecord,
  saveState,
  sellBelongsToAnotherOrder,
  type OrderState,
} from "./prokip-posting-store.ts";

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
    const blocker = unlinkedProduct(steps, order.variants, order.label);
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

  /** The walk-in customer sells are recorded against, asked of Prokip once per business. */
  private async contactFor(order: OrderState): Promise<number> {
    if (order.defaultContactId !== null) return order.defaultContactId;
    const contactId = await this.deps.pos.defaultContactId();
    await saveDefaultContact(this.sql, order.businessId, contactId);
    order.defaultContactId = contactId;
    return contactId;
  }

  // ---- One request ----

  private async send(order: OrderState, step: PostingStep, contactId: number | null): Promise<StepResult> {
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
      invoiceNo: nextInvoiceNo(order.record, order.invoiceBase),
      transactionDate: transactionDate.toISOString(),
      sentAt: transactionDate.toISOString(),
      lines: sellLinesFor(lines, order.variants, order.lines),
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
      if (sell.invoiceNo !== unconfirmed.invoiceNo || !sameSellLines(sell.lines, unconfirmed.lines)) continue;
      // Another store on the same location may use the same number: never adopt its sell.
      if (!(await sellBelongsToAnotherOrder(this.sql, order, sell.sellId))) return sell;
    }
    return null;
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

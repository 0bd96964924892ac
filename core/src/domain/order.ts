/**
 * The normalised order: the one shape Shopify and WooCommerce orders are mapped into, and the
 * pure rules that turn an order's current state into its net stock effect.
 *
 * "Orders are state, not events": whatever notification arrives (created, paid, edited,
 * refunded, cancelled; duplicated, late or out of order), the net effect is computed from the
 * order's full current state and only the difference to what is already in the ledger is
 * written.
 */
import { z } from "zod";
import { normalizeSku } from "./sku.ts";

const quantity = z.number().int("must be a whole number").min(0, "must not be negative").max(1_000_000);

export const orderLineSchema = z
  .object({
    /** The store's id for the line; stable across the order's lifetime. */
    lineId: z.string().trim().min(1, "line id is required"),
    sku: z.string().nullable(),
    /** Units ordered, after any order edits (not reduced by refunds). */
    quantity,
    /** Units refunded (money back), with or without restock. */
    refundedQuantity: quantity.default(0),
    /** Units put back into stock by refunds. */
    restockedQuantity: quantity.default(0),
    title: z.string().optional(),
    /** Price per unit paid by the customer, as a decimal string. */
    unitPrice: z
      .string()
      .regex(/^-?\d+(\.\d+)?$/u, "must be a decimal string")
      .optional(),
  })
  .strict()
  .refine((line) => line.restockedQuantity <= line.quantity, {
    message: "restocked quantity exceeds ordered quantity",
    path: ["restockedQuantity"],
  })
  .refine((line) => line.refundedQuantity <= line.quantity, {
    message: "refunded quantity exceeds ordered quantity",
    path: ["refundedQuantity"],
  });

export const normalizedOrderSchema = z
  .object({
    connectionId: z.string().uuid("connection id must be a uuid"),
    /** The store's order id. */
    externalId: z.string().trim().min(1, "order id is required"),
    /** What the merchant calls it (#1001). */
    number: z.string().optional(),
    /** The store's updated_at: the order of states. */
    updatedAt: z.coerce.date(),
    createdAt: z.coerce.date().optional(),
    paid: z.boolean(),
    cancelled: z.boolean(),
    /** The store's own status word, kept for people. */
    storeStatus: z.string().optional(),
    lines: z.array(orderLineSchema).max(1000),
  })
  .strict()
  .refine((order) => new Set(order.lines.map((line) => line.lineId)).size === order.lines.length, {
    message: "line ids must be unique",
    path: ["lines"],
  });

export type OrderLine = z.infer<typeof orderLineSchema>;
export type NormalizedOrder = z.infer<typeof normalizedOrderSchema>;

/**
 * Whether `candidate` is an earlier state than `known` although both carry the same
 * `updatedAt`. Stores stamp orders to the second (Shopify's updated_at), so an order placed
 * and cancelled, or refunded twice, within one second gives states that tie, and their
 * webhooks arrive in any order. Cancellation and refunded or restocked units only move forward,
 * so a tied state that is behind in one of them and ahead in none is the older one. Anything
 * else (ahead in one and behind in another, or differing only otherwise, as an edit does) cannot
 * be ordered: the later arrival is applied and reconciliation reads the order again. `paid` is
 * left out: a store may report a cancelled or refunded order as unpaid.
 */
export function isEarlierTiedState(
  candidate: Pick<NormalizedOrder, "cancelled" | "lines">,
  known: Pick<NormalizedOrder, "cancelled" | "lines">,
): boolean {
  const steps: number[] = [Number(candidate.cancelled) - Number(known.cancelled)];
  const lines = new Map(candidate.lines.map((line) => [line.lineId, line]));
  for (const line of known.lines) {
    const same = lines.get(line.lineId);
    steps.push(
      (same?.refundedQuantity ?? 0) - line.refundedQuantity,
      (same?.restockedQuantity ?? 0) - line.restockedQuantity,
    );
  }
  return steps.some((step) => step < 0) && !steps.some((step) => step > 0);
}

/** When a store order takes stock: as soon as it is placed, or once it is paid. */
export type DeductOn = "created" | "paid";

/**
 * Units the order holds out of stock, per normalised SKU, in its current state.
 * Cancelled orders hold nothing (their stock goes back everywhere); unpaid orders hold nothing
 * when the connection deducts on payment; otherwise ordered minus restocked.
 * Lines without a SKU are returned separately: they cannot be matched to stock.
 * `restocked` (units put back by refunds, per SKU) tells a refund from an order edit.
 */
export function orderSoldBySku(
  order: Pick<NormalizedOrder, "cancelled" | "paid" | "lines">,
  deductOn: DeductOn,
): { sold: Map<string, number>; restocked: Map<string, number>; linesWithoutSku: string[] } {
  const sold = new Map<string, number>();
  const restocked = new Map<string, number>();
  const linesWithoutSku: string[] = [];
  const holdsStock = !order.cancelled && (deductOn === "created" || order.paid);
  for (const line of order.lines) {
    const sku = normalizeSku(line.sku);
    if (sku === null) {
      linesWithoutSku.push(line.lineId);
      continue;
    }
    const units = holdsStock ? line.quantity - line.restockedQuantity : 0;
    sold.set(sku, (sold.get(sku) ?? 0) + units);
    restocked.set(sku, (restocked.get(sku) ?? 0) + line.restockedQuantity);
  }
  return { sold, restocked, linesWithoutSku };
}

export type OrderMovementReason = "sale" | "refund" | "cancel" | "edit";

export interface PlannedOrderMovement {
  variantId: string;
  /** Change to stock: negative takes stock, positive gives it back. */
  delta: number;
  reason: OrderMovementReason;
}

/**
 * The movements that bring the ledger from what it already holds for this order to the
 * order's current target. Pure; the result is empty when the ledger is already there.
 *
 * @param soldByVariant units the order holds now, per variant
 * @param recordedByVariant sum of the order's movements already in the ledger, per variant (negative = taken)
 * @param restockedByVariant units restocked by refunds now and in the last applied state, to tell refunds from edits
 */
export function planOrderMovements(
  soldByVariant: ReadonlyMap<string, number>,
  recordedByVariant: ReadonlyMap<string, number>,
  context: {
    cancelled: boolean;
    restockedNow: ReadonlyMap<string, number>;
    restockedBefore: ReadonlyMap<string, number>;
  },
): PlannedOrderMovement[] {
  const variants = new Set([...soldByVariant.keys(), ...recordedByVariant.keys()]);
  const planned: PlannedOrderMovement[] = [];
  for (const variantId of [...variants].sort()) {
    const delta = -(soldByVariant.get(variantId) ?? 0) - (recordedByVariant.get(variantId) ?? 0);
    if (delta === 0) continue;
    let reason: OrderMovementReason = "sale";
    if (delta > 0) {
      const moreRestocked = (context.restockedNow.get(variantId) ?? 0) > (context.restockedBefore.get(variantId) ?? 0);
      reason = context.cancelled ? "cancel" : moreRestocked ? "refund" : "edit";
    }
    planned.push({ variantId, delta, reason });
  }
  return planned;
}

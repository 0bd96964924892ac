/**
 * Money arithmetic for orders. Amounts are kept as decimal strings (as both Shopify APIs show
 * them) and computed in integer cents to avoid floating-point drift. No taxes, discounts or
 * shipping are emulated, so totals are simply price x quantity.
 */
import type { LineItem, Order } from "./state.ts";

export function toCents(amount: string | number): number {
  return Math.round(Number(amount) * 100);
}

export function fromCents(cents: number): string {
  return (cents / 100).toFixed(2);
}

/** Normalises "1500.0000" or 1500 to "1500.00". */
export function normaliseMoney(amount: string | number): string {
  return fromCents(toCents(amount));
}

export function lineRefundableQuantity(line: LineItem): number {
  return Math.max(0, line.currentQuantity);
}

export interface OrderTotals {
  /** Sum over the original quantities. */
  original: number;
  /** Sum over current quantities (after edits, refunds and cancellation). */
  current: number;
  refunded: number;
  currentQuantity: number;
  originalQuantity: number;
}

export function orderTotals(order: Order): OrderTotals {
  let original = 0;
  let current = 0;
  let currentQuantity = 0;
  let originalQuantity = 0;
  for (const line of order.lineItems) {
    original += toCents(line.price) * line.quantity;
    current += toCents(line.price) * line.currentQuantity;
    currentQuantity += line.currentQuantity;
    originalQuantity += line.quantity;
  }
  let refunded = 0;
  for (const refund of order.refunds) for (const rl of refund.lines) refunded += toCents(rl.subtotal);
  return { original, current, refunded, currentQuantity, originalQuantity };
}

/**
 * WooCommerce order -> normalised order (`StoreOrderState`). Pure: the REST order and its
 * refunds (`GET /orders/{id}/refunds`; the order's own `refunds[]` has no line detail) in, the
 * order's current state out. The ledger derives what the order holds from this, so each figure
 * follows what WooCommerce itself recorded (sources: woocommerce/woocommerce,
 * plugins/woocommerce/includes/):
 *
 * - `quantity`: the line's quantity. Refunds never change it; they are separate refund orders.
 * - `refundedQuantity`: the units of that line on every refund. `wc_create_refund`
 *   (wc-order-functions.php) copies each refunded line with a negative quantity and the meta
 *   `_refunded_item_id` = the original line id, which is how refund lines are matched here.
 * - `restockedQuantity`: the order line's `_restock_refunded_items` meta. `wc_restock_refunded_items`
 *   (same file) is the only code that puts refunded units back into stock, and only for lines
 *   whose stock had been reduced (`_reduced_stock`) and whose product manages stock; it adds
 *   exactly the units it restocked to `_restock_refunded_items` (and lowers `_reduced_stock`).
 *   The refund object itself does not say whether "restock" was ticked (`api_restock` is not
 *   stored), so this meta is the only trustworthy signal. REST shows it: the orders controller's
 *   `get_order_item_data` returns `$item->get_data()['meta_data']` unfiltered (only the data
 *   store's internal keys - `_qty`, `_line_total`, ... - are left out, and these two are not
 *   internal), underscore-prefixed keys included. Stores older than `_restock_refunded_items`
 *   (or plugins that restock some other way) report 0 restocked.
 * - `paid`: WooCommerce takes stock when an order reaches processing, completed or on-hold
 *   (`wc_maybe_reduce_stock_levels`); a refunded order was paid and keeps its stock unless
 *   restocked. Other statuses (plugins add their own, e.g. "shipped") count as paid once
 *   `date_paid` is set. `pending` is never paid: moving back to pending restores the stock
 *   (`wc_maybe_increase_stock_levels`), even when `date_paid` remains from before.
 * - `cancelled` ("holds nothing"): cancelled (stock restored by WooCommerce) and checkout-draft
 *   (an unfinished block checkout, not an order yet).
 * - trash and failed: WooCommerce runs no stock hook for them (the trash bypasses the status
 *   transitions; failed restores nothing), so such an order keeps whatever stock it held, and its
 *   status no longer says what that was. The line meta does: the order is treated as holding
 *   stock (paid, not cancelled) exactly while some line still has `_reduced_stock` > 0, i.e. while
 *   WooCommerce itself still holds units for it, and as cancelled otherwise. The usual failed
 *   order (payment declined at checkout) never took stock, so it holds nothing; a later successful
 *   payment moves it to processing, which maps back to paid. (A trashed or failed order of products
 *   whose stock WooCommerce does not manage has no such meta and counts as holding nothing.)
 * - `updatedAt`: `date_modified_gmt` (WooCommerce's `*_gmt` fields are UTC without an offset).
 */
import { z } from "zod";
import { orderLineSchema as domainLineSchema } from "../../domain/index.ts";
import type { StoreOrderState } from "../types.ts";
import { type WooOrder, type WooRefund, orderSchema, refundSchema } from "./payloads.ts";

export type WooCommerceOrderErrorCode = "invalid_order" | "invalid_refund" | "missing_refunds" | "invalid_line";

/** The order payload cannot be read as a WooCommerce order. Carries no payload data beyond ids. */
export class WooCommerceOrderError extends Error {
  readonly code: WooCommerceOrderErrorCode;
  readonly orderId: string | null;

  constructor(code: WooCommerceOrderErrorCode, message: string, orderId: string | null = null) {
    super(message);
    this.name = "WooCommerceOrderError";
    this.code = code;
    this.orderId = orderId;
  }
}

const PAID_STATUSES = new Set(["processing", "completed", "on-hold", "refunded"]);
const NEVER_PAID_STATUSES = new Set(["pending", "cancelled", "checkout-draft", "auto-draft"]);
const HOLDS_NOTHING_STATUSES = new Set(["cancelled", "checkout-draft", "auto-draft"]);
/** Statuses WooCommerce reaches without touching stock: what the lines still hold tells the state. */
const STOCK_AS_RECORDED_STATUSES = new Set(["trash", "failed"]);

/** A WooCommerce `*_gmt` date ("2025-01-31T10:00:00", UTC without an offset) as a Date. */
export function parseGmtDate(value: string): Date | null {
  const trimmed = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/u.test(trimmed)) return null;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/u.test(trimmed);
  const date = new Date(hasZone ? trimmed : `${trimmed}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A meta value as a whole number (meta comes back from the database as strings). */
function metaNumber(meta: { key: string; value: unknown }[], key: string): number | null {
  const entry = meta.find((m) => m.key === key);
  if (!entry) return null;
  const n =
    typeof entry.value === "number"
      ? entry.value
      : typeof entry.value === "string" && entry.value.trim() !== ""
        ? Number(entry.value)
        : Number.NaN;
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
    .join("; ");
}

function stateOf(order: WooOrder): { paid: boolean; cancelled: boolean } {
  const status = order.status;
  if (STOCK_AS_RECORDED_STATUSES.has(status)) {
    const stillReduced = order.line_items.some((line) => (metaNumber(line.meta_data, "_reduced_stock") ?? 0) > 0);
    return { paid: stillReduced, cancelled: !stillReduced };
  }
  if (HOLDS_NOTHING_STATUSES.has(status)) return { paid: false, cancelled: true };
  const paid = PAID_STATUSES.has(status) || (!NEVER_PAID_STATUSES.has(status) && Boolean(order.date_paid_gmt));
  return { paid, cancelled: false };
}

/** Price per unit the customer paid, tax included, as a decimal string (up to 4 places). */
function unitPrice(line: WooOrder["line_items"][number]): string | undefined {
  if (line.quantity <= 0 || line.total === undefined) return undefined;
  const total = Number(line.total) + Number(line.total_tax ?? 0);
  if (!Number.isFinite(total)) return undefined;
  const fixed = (total / line.quantity).toFixed(4).replace(/\.?0+$/u, "");
  return fixed === "-0" ? "0" : fixed;
}

/**
 * Normalises a WooCommerce order (as `GET /orders/{id}` or a webhook body shows it) together with
 * its refunds (`GET /orders/{id}/refunds`). Throws `WooCommerceOrderError` on input it cannot read.
 */
export function normalizeWooCommerceOrder(order: unknown, refunds: readonly unknown[]): StoreOrderState {
  const parsedOrder = orderSchema.safeParse(order);
  if (!parsedOrder.success)
    throw new WooCommerceOrderError("invalid_order", `Not a WooCommerce order (${describeIssues(parsedOrder.error)})`);
  const o = parsedOrder.data;
  const orderId = String(o.id);

  const refundLines: WooRefund["line_items"] = [];
  const refundIds = new Set<number>();
  for (const raw of refunds) {
    const parsed = refundSchema.safeParse(raw);
    if (!parsed.success)
      throw new WooCommerceOrderError(
        "invalid_refund",
        `Order ${orderId} has an unreadable refund (${describeIssues(parsed.error)})`,
        orderId,
      );
    refundIds.add(parsed.data.id);
    refundLines.push(...parsed.data.line_items);
  }
  // Every refund the order lists must be here, or refunded figures would silently read low
  // (e.g. a webhook body normalised without fetching its refunds).
  const missing = o.refunds.filter((r) => !refundIds.has(r.id)).map((r) => r.id);
  if (missing.length > 0)
    throw new WooCommerceOrderError(
      "missing_refunds",
      `Order ${orderId} lists refunds ${missing.join(", ")} that were not supplied`,
      orderId,
    );
  // Units refunded per original line id (refund lines carry negative quantities).
  const refundedByLine = new Map<number, number>();
  for (const line of refundLines) {
    const original = metaNumber(line.meta_data, "_refunded_item_id");
    if (original === null) continue;
    refundedByLine.set(original, (refundedByLine.get(original) ?? 0) + Math.abs(line.quantity));
  }

  const updatedAt = parseGmtDate(o.date_modified_gmt);
  if (!updatedAt)
    throw new WooCommerceOrderError("invalid_order", `Order ${orderId} has an unreadable date_modified_gmt`, orderId);
  const createdAt = o.date_created_gmt ? parseGmtDate(o.date_created_gmt) : null;

  const lines = o.line_items.map((line) => {
    if (!Number.isInteger(line.quantity) || line.quantity < 0) {
      throw new WooCommerceOrderError(
        "invalid_line",
        `Order ${orderId} line ${line.id} has quantity ${line.quantity}; only whole units are supported`,
        orderId,
      );
    }
    // An order edited after a refund can end up with fewer units than were refunded; the
    // figures are capped at what the line has now, the most it can hold or give back.
    const refunded = Math.min(refundedByLine.get(line.id) ?? 0, line.quantity);
    const restocked = Math.min(Math.max(metaNumber(line.meta_data, "_restock_refunded_items") ?? 0, 0), line.quantity);
    const sku = line.sku?.trim() ? line.sku.trim() : null;
    const normalized = {
      lineId: String(line.id),
      sku,
      quantity: line.quantity,
      refundedQuantity: refunded,
      restockedQuantity: restocked,
      ...(line.name ? { title: line.name } : {}),
      ...(unitPrice(line) !== undefined ? { unitPrice: unitPrice(line) } : {}),
    };
    const checked = domainLineSchema.safeParse(normalized);
    if (!checked.success)
      throw new WooCommerceOrderError(
        "invalid_line",
        `Order ${orderId} line ${line.id}: ${describeIssues(checked.error)}`,
        orderId,
      );
    return checked.data;
  });

  return {
    externalId: orderId,
    number: o.number === undefined ? orderId : String(o.number),
    updatedAt,
    ...(createdAt ? { createdAt } : {}),
    ...stateOf(o),
    storeStatus: o.status,
    lines,
  };
}

/**
 * Orders and what they do to stock, following Shopify's inventory states:
 *
 * - placing an order moves units from `available` to `committed` (on_hand unchanged);
 * - cancelling or refunding unfulfilled units with restock moves them back to `available`
 *   (restock type CANCEL); without restock the units leave `committed` and `on_hand`;
 * - an order edit that removes units behaves like a cancel of those units.
 *
 * Fulfilment is not emulated, so every line stays unfulfilled and restocks are of type CANCEL.
 */
import { defaultLocation } from "./catalog.ts";
import type { Core } from "./events.ts";
import { ControlError } from "./errors.ts";
import { internalId } from "./ids.ts";
import { applyInventoryChanges, findLevel, type InventoryChangeRequest } from "./inventory.ts";
import { fromCents, normaliseMoney, toCents } from "./money.ts";
import { orderEditPayload, orderPayload, refundPayload } from "./payloads.ts";
import { skuOf, type LineItem, type Order, type OrderEdit, type Refund, type RefundLine, type Shop } from "./state.ts";

export interface OrderLineInput {
  sku: string;
  quantity: number;
  /** Defaults to the variant's price. */
  price?: string | number;
}

export interface PlaceOrderInput {
  lines: OrderLineInput[];
  paid?: boolean;
  email?: string;
  locationId?: number;
  /** Sell beyond available stock even for variants whose policy is DENY (POS, races, oversell tests). */
  allowOversell?: boolean;
  sourceName?: string;
  test?: boolean;
}

export function placeOrder(core: Core, shop: Shop, input: PlaceOrderInput): Order {
  const now = core.state.now();
  if (input.lines.length === 0) throw new ControlError("invalid_order", "An order needs at least one line");
  const location = input.locationId === undefined ? defaultLocation(shop) : shop.locations.get(input.locationId);
  if (!location) throw new ControlError("unknown_location", `No location ${input.locationId} in ${shop.domain}`, 404);

  const lines: LineItem[] = [];
  const stock: InventoryChangeRequest[] = [];
  const ordered = new Map<number, number>();
  for (const requested of input.lines) {
    const item = [...shop.inventoryItems.values()].find((i) => i.sku === requested.sku);
    const variant = item ? shop.variants.get(item.variantId) : undefined;
    if (!item || !variant)
      throw new ControlError("unknown_sku", `No variant with SKU ${requested.sku} in ${shop.domain}`, 404);
    const product = shop.products.get(variant.productId);
    if (item.tracked) {
      // Two lines for the same SKU draw on the same stock.
      const left = (findLevel(shop, item.id, location.id)?.quantities.available ?? 0) - (ordered.get(item.id) ?? 0);
      if (variant.inventoryPolicy === "DENY" && !input.allowOversell && left < requested.quantity) {
        throw new ControlError(
          "insufficient_stock",
          `Only ${left} of ${requested.sku} available at ${location.name}`,
          409,
        );
      }
      ordered.set(item.id, (ordered.get(item.id) ?? 0) + requested.quantity);
      stock.push(
        { inventoryItemId: item.id, locationId: location.id, name: "available", delta: -requested.quantity },
        { inventoryItemId: item.id, locationId: location.id, name: "committed", delta: requested.quantity },
      );
    }
    const optionTitle = variant.selectedOptions.map((o) => o.value).join(" / ");
    lines.push({
      id: core.state.ids.take(),
      variantId: variant.id,
      productId: variant.productId,
      inventoryItemId: item.tracked ? item.id : null,
      sku: skuOf(shop, variant),
      title: product?.title ?? requested.sku,
      variantTitle: optionTitle === "Default Title" ? null : optionTitle,
      vendor: product?.vendor ?? null,
      price: normaliseMoney(requested.price ?? variant.price),
      quantity: requested.quantity,
      currentQuantity: requested.quantity,
      refundedQuantity: 0,
    });
  }

  const number = shop.nextOrderNumber++;
  const order: Order = {
    id: core.state.ids.take(),
    number,
    name: `#${number}`,
    email: input.email ?? null,
    customerId: input.email ? core.state.ids.take() : null,
    locationId: location.id,
    currency: shop.currency,
    financialStatus: input.paid === false ? "pending" : "paid",
    lineItems: lines,
    refunds: [],
    edits: [],
    cancelledAt: null,
    cancelReason: null,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
    processedAt: now,
    test: input.test ?? false,
    sourceName: input.sourceName ?? "web",
  };
  shop.orders.set(order.id, order);

  core.events.emit({ shop, topic: "orders/create", payload: orderPayload(shop, order) });
  applyInventoryChanges(shop, stock, now, core.events);
  if (order.financialStatus === "paid")
    core.events.emit({ shop, topic: "orders/paid", payload: orderPayload(shop, order) });
  return order;
}

export function findOrder(shop: Shop, ref: string | number): Order {
  const text = String(ref).trim();
  const byName = [...shop.orders.values()].find((o) => o.name === text || o.name === `#${text}`);
  const numeric = /^gid:\/\/shopify\/Order\/(\d+)$/.exec(text)?.[1] ?? (/^\d+$/.test(text) ? text : undefined);
  const id = numeric !== undefined ? internalId(numeric) : undefined;
  const order = (id !== undefined ? shop.orders.get(id) : undefined) ?? byName;
  if (!order) throw new ControlError("unknown_order", `No order ${text} in ${shop.domain}`, 404);
  return order;
}

export function markPaid(core: Core, shop: Shop, order: Order): Order {
  if (order.financialStatus === "paid") throw new ControlError("already_paid", `${order.name} is already paid`, 409);
  if (order.cancelledAt !== null) throw new ControlError("order_cancelled", `${order.name} is cancelled`, 409);
  order.financialStatus = "paid";
  order.updatedAt = core.state.now();
  core.events.emit({ shop, topic: "orders/paid", payload: orderPayload(shop, order) });
  core.events.emit({ shop, topic: "orders/updated", payload: orderPayload(shop, order) });
  return order;
}

/** Stock movement for removing `quantity` unfulfilled units of a line, with or without restock. */
function removalStock(order: Order, line: LineItem, quantity: number, restock: boolean): InventoryChangeRequest[] {
  if (line.inventoryItemId === null || quantity === 0) return [];
  const base = { inventoryItemId: line.inventoryItemId, locationId: order.locationId };
  return restock
    ? [
        { ...base, name: "committed", delta: -quantity },
        { ...base, name: "available", delta: quantity },
      ]
    : [{ ...base, name: "committed", delta: -quantity }];
}

function refundLine(core: Core, order: Order, line: LineItem, quantity: number, restock: boolean): RefundLine {
  // Money only goes back if money was taken.
  const paid = order.financialStatus === "paid" || order.financialStatus === "partially_refunded";
  return {
    id: core.state.ids.take(),
    lineItemId: line.id,
    quantity,
    restockType: restock ? "CANCEL" : "NO_RESTOCK",
    locationId: restock ? order.locationId : null,
    subtotal: paid ? fromCents(toCents(line.price) * quantity) : "0.00",
  };
}

function updateFinancialStatus(order: Order): void {
  if (order.financialStatus !== "paid" && order.financialStatus !== "partially_refunded") return;
  const refunded = order.refunds.reduce((sum, r) => sum + r.lines.reduce((s, l) => s + toCents(l.subtotal), 0), 0);
  const total = order.lineItems.reduce((sum, l) => sum + toCents(l.price) * l.quantity, 0);
  if (refunded === 0) return;
  order.financialStatus = refunded >= total ? "refunded" : "partially_refunded";
}

export interface CancelInput {
  restock: boolean;
  reason?: Order["cancelReason"];
}

/**
 * Cancelling removes every remaining unit. Shopify records that as a refund whose lines carry
 * the restock decision, so `orders/cancelled` and `refunds/create` both describe it.
 */
export function cancelOrder(core: Core, shop: Shop, order: Order, input: CancelInput): Order {
  if (order.cancelledAt !== null)
    throw new ControlError("already_cancelled", `${order.name} is already cancelled`, 409);
  const now = core.state.now();
  const remaining = order.lineItems.filter((l) => l.currentQuantity > 0);
  const stock: InventoryChangeRequest[] = [];
  let refund: Refund | undefined;
  if (remaining.length > 0) {
    refund = {
      id: core.state.ids.take(),
      orderId: order.id,
      note: "Order canceled",
      restock: input.restock,
      lines: [],
      createdAt: now,
    };
    for (const line of remaining) {
      refund.lines.push(refundLine(core, order, line, line.currentQuantity, input.restock));
      stock.push(...removalStock(order, line, line.currentQuantity, input.restock));
      line.refundedQuantity += line.currentQuantity;
      line.currentQuantity = 0;
    }
    order.refunds.push(refund);
  }
  order.cancelledAt = now;
  order.cancelReason = input.reason ?? "OTHER";
  order.closedAt = now;
  order.updatedAt = now;
  if (order.financialStatus === "pending" || order.financialStatus === "authorized") order.financialStatus = "voided";
  else updateFinancialStatus(order);

  applyInventoryChanges(shop, stock, now, core.events);
  if (refund) core.events.emit({ shop, topic: "refunds/create", payload: refundPayload(shop, order, refund) });
  core.events.emit({ shop, topic: "orders/cancelled", payload: orderPayload(shop, order) });
  core.events.emit({ shop, topic: "orders/updated", payload: orderPayload(shop, order) });
  return order;
}

export interface RefundLineInput {
  lineItemId?: number;
  sku?: string;
  quantity: number;
}

function findLine(order: Order, input: { lineItemId?: number; sku?: string }): LineItem {
  const line =
    input.lineItemId !== undefined
      ? order.lineItems.find((l) => l.id === input.lineItemId)
      : order.lineItems.find((l) => l.sku === input.sku);
  if (!line)
    throw new ControlError("unknown_line_item", `${order.name} has no line ${input.lineItemId ?? input.sku}`, 404);
  return line;
}

export function refundOrder(
  core: Core,
  shop: Shop,
  order: Order,
  input: { lines: RefundLineInput[]; restock: boolean; note?: string },
): Refund {
  const now = core.state.now();
  if (input.lines.length === 0) throw new ControlError("invalid_refund", "A refund needs at least one line");
  const picked = input.lines.map((l) => ({ line: findLine(order, l), quantity: l.quantity }));
  for (const { line, quantity } of picked) {
    const total = picked.filter((p) => p.line === line).reduce((n, p) => n + p.quantity, 0);
    if (quantity <= 0 || total > line.currentQuantity) {
      throw new ControlError(
        "invalid_quantity",
        `Only ${line.currentQuantity} of ${line.sku ?? line.title} can be refunded on ${order.name}`,
        409,
      );
    }
  }
  const refund: Refund = {
    id: core.state.ids.take(),
    orderId: order.id,
    note: input.note ?? null,
    restock: input.restock,
    lines: [],
    createdAt: now,
  };
  const stock: InventoryChangeRequest[] = [];
  for (const { line, quantity } of picked) {
    refund.lines.push(refundLine(core, order, line, quantity, input.restock));
    stock.push(...removalStock(order, line, quantity, input.restock));
    line.currentQuantity -= quantity;
    line.refundedQuantity += quantity;
  }
  order.refunds.push(refund);
  order.updatedAt = now;
  updateFinancialStatus(order);

  applyInventoryChanges(shop, stock, now, core.events);
  core.events.emit({ shop, topic: "refunds/create", payload: refundPayload(shop, order, refund) });
  core.events.emit({ shop, topic: "orders/updated", payload: orderPayload(shop, order) });
  return refund;
}

/** A merchant order edit that lowers a line's quantity (units removed, optionally restocked). */
export function editOrder(
  core: Core,
  shop: Shop,
  order: Order,
  input: { lineItemId?: number; sku?: string; quantity: number; restock?: boolean },
): OrderEdit {
  if (order.cancelledAt !== null) throw new ControlError("order_cancelled", `${order.name} is cancelled`, 409);
  const line = findLine(order, input);
  if (input.quantity < 0 || input.quantity >= line.currentQuantity) {
    throw new ControlError(
      "invalid_quantity",
      `An edit can only lower ${line.sku ?? line.title} below ${line.currentQuantity}`,
      409,
    );
  }
  const now = core.state.now();
  const removed = line.currentQuantity - input.quantity;
  const restock = input.restock ?? true;
  line.currentQuantity = input.quantity;
  const edit: OrderEdit = {
    id: core.state.ids.take(),
    createdAt: now,
    removals: [{ lineItemId: line.id, delta: removed }],
    restock,
  };
  order.edits.push(edit);
  order.updatedAt = now;

  applyInventoryChanges(shop, removalStock(order, line, removed, restock), now, core.events);
  core.events.emit({ shop, topic: "orders/edited", payload: orderEditPayload(shop, order, edit) });
  core.events.emit({ shop, topic: "orders/updated", payload: orderPayload(shop, order) });
  return edit;
}

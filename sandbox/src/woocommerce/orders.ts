/**
 * Orders and refunds: WooCommerce's order REST controller (`save_object`, `prepare_line_items`),
 * `WC_Order::payment_complete`, the status-transition stock hooks in `wc-stock-functions.php`
 * and `wc_create_refund` / `wc_restock_refunded_items`.
 *
 * Stock rules, as in WooCommerce:
 * - `wc_maybe_reduce_stock_levels` runs when an order reaches processing, completed or on-hold
 *   (and on payment); each line remembers what it took in `_reduced_stock`, the order in
 *   `_order_stock_reduced`, so stock is never taken twice.
 * - `wc_maybe_increase_stock_levels` runs when an order goes to cancelled or pending and gives
 *   back exactly what each line still holds.
 * - A refund with `api_restock` (default true) returns the refunded quantities of lines that had
 *   reduced stock and lowers their `_reduced_stock`, so a later cancellation does not restock twice.
 */
import { activePriceCents, changeStock, findBySku } from "./catalog.ts";
import type { ArgSpecs } from "./schema.ts";
import type { Store } from "./state.ts";
import type {
  Address,
  CatalogRecord,
  OrderLineRecord,
  OrderRecord,
  OrderStatus,
  RefundRecord,
  SiteRecord,
} from "./types.ts";
import { WpError, formatCents, toCents } from "./util.ts";

export const orderStatuses = [
  "pending",
  "processing",
  "on-hold",
  "completed",
  "cancelled",
  "refunded",
  "failed",
  "checkout-draft",
] as const;

export const orderArgs: ArgSpecs = {
  status: { type: "string", enum: orderStatuses },
  currency: { type: "string" },
  customer_id: { type: "integer" },
  customer_note: { type: "string" },
  billing: { type: "object" },
  shipping: { type: "object" },
  payment_method: { type: "string" },
  payment_method_title: { type: "string" },
  transaction_id: { type: "string" },
  line_items: { type: "array" },
  shipping_lines: { type: "array" },
  set_paid: { type: "boolean" },
  meta_data: { type: "array" },
};

export const refundArgs: ArgSpecs = {
  amount: { type: "string" },
  reason: { type: "string" },
  refunded_by: { type: "integer" },
  line_items: { type: "array" },
  api_refund: { type: "boolean" },
  api_restock: { type: "boolean" },
  meta_data: { type: "array" },
};

/** Payment gateways a site knows; only some can refund through their API (`supports('refunds')`). */
export const gateways: Record<string, { title: string; refunds: boolean }> = {
  bacs: { title: "Direct bank transfer", refunds: false },
  cheque: { title: "Check payments", refunds: false },
  cod: { title: "Cash on delivery", refunds: false },
  woocommerce_payments: { title: "Credit card / debit card", refunds: true },
  "ppcp-gateway": { title: "PayPal", refunds: true },
  stripe: { title: "Credit Card (Stripe)", refunds: true },
};

const reducingStatuses: OrderStatus[] = ["processing", "completed", "on-hold"];
const restoringStatuses: OrderStatus[] = ["cancelled", "pending"];

export function emptyAddress(withEmail: boolean): Address {
  const base: Address = {
    first_name: "",
    last_name: "",
    company: "",
    address_1: "",
    address_2: "",
    city: "",
    state: "",
    postcode: "",
    country: "",
    phone: "",
  };
  return withEmail ? { ...base, email: "" } : base;
}

function mergeAddress(target: Address, raw: unknown): void {
  if (raw === null || typeof raw !== "object") return;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (k in target && typeof v === "string") (target as unknown as Record<string, string>)[k] = v;
  }
}

export function orderTotalCents(order: OrderRecord): number {
  return (
    order.lineItems.reduce((s, l) => s + l.totalCents, 0) + order.shippingLines.reduce((s, l) => s + l.totalCents, 0)
  );
}

export function refundedCents(site: SiteRecord, order: OrderRecord): number {
  return order.refundIds.reduce((s, id) => s + (site.refunds.get(id)?.amountCents ?? 0), 0);
}

function lineProduct(site: SiteRecord, line: OrderLineRecord): CatalogRecord | undefined {
  return site.catalog.get(line.variationId || line.productId);
}

/** `WC_REST_Orders_V2_Controller::get_product_id`: sku first, then product_id, then variation_id. */
function resolveProduct(
  site: SiteRecord,
  posted: Record<string, unknown>,
  creating: boolean,
): CatalogRecord | undefined | null {
  if (typeof posted.sku === "string" && posted.sku !== "") return findBySku(site, posted.sku) ?? undefined;
  const variationId = Number(posted.variation_id ?? 0);
  const productId = Number(posted.product_id ?? 0);
  if (variationId > 0) return site.catalog.get(variationId);
  if (productId > 0) return site.catalog.get(productId);
  if (!creating) return null;
  throw new WpError("woocommerce_rest_required_product_reference", "Product ID or SKU is required.", 400);
}

function setLineProduct(site: SiteRecord, line: OrderLineRecord, product: CatalogRecord): void {
  line.productId = product.kind === "variation" ? product.parentId : product.id;
  line.variationId = product.kind === "variation" ? product.id : 0;
  line.sku = product.sku;
  const parent = product.kind === "variation" ? site.catalog.get(product.parentId) : undefined;
  line.name =
    product.kind === "variation"
      ? `${parent?.kind === "product" ? parent.name : ""} - ${product.attributes.map((a) => a.option).join(", ")}`
      : product.name;
}

/** `prepare_line_items`: on create the total is price x quantity; on update only what is posted changes. */
function applyLine(
  store: Store,
  site: SiteRecord,
  posted: Record<string, unknown>,
  existing: OrderLineRecord | null,
): OrderLineRecord {
  const creating = existing === null;
  const line: OrderLineRecord = existing ?? {
    id: store.nextItemId(site),
    name: "",
    productId: 0,
    variationId: 0,
    quantity: 1,
    sku: "",
    subtotalCents: 0,
    totalCents: 0,
    taxClass: "",
    reducedStock: null,
    restockedRefunded: 0,
    stockMetaIds: { reducedStock: null, restockedRefunded: null },
    metaData: [],
  };
  const product = resolveProduct(site, posted, creating);
  if (posted.quantity !== undefined) line.quantity = Math.trunc(Number(posted.quantity)) || 0;
  if (product && (creating || product.id !== (line.variationId || line.productId))) {
    setLineProduct(site, line, product);
    if (creating) {
      line.totalCents = activePriceCents(product) * line.quantity;
      line.subtotalCents = line.totalCents;
    }
  }
  if (typeof posted.name === "string") line.name = posted.name;
  if (posted.total !== undefined) line.totalCents = toCents(String(posted.total));
  if (posted.subtotal !== undefined) line.subtotalCents = toCents(String(posted.subtotal));
  else if (posted.total !== undefined && creating) line.subtotalCents = line.totalCents;
  return line;
}

function applyLineItems(store: Store, site: SiteRecord, order: OrderRecord, raw: unknown): void {
  if (!Array.isArray(raw)) return;
  for (const item of raw) {
    if (item === null || typeof item !== "object") continue;
    const posted = item as Record<string, unknown>;
    const id = Number(posted.id ?? 0);
    if (id > 0) {
      const existing = order.lineItems.find((l) => l.id === id);
      if (!existing)
        throw new WpError(
          "woocommerce_rest_invalid_item_id",
          "Order item ID provided is not associated with order.",
          400,
        );
      // `item_is_null_or_zero`: quantity 0 (or null) removes the line.
      if (posted.quantity === 0 || posted.quantity === null)
        order.lineItems = order.lineItems.filter((l) => l.id !== id);
      else applyLine(store, site, posted, existing);
    } else {
      order.lineItems.push(applyLine(store, site, posted, null));
    }
  }
}

function applyShippingLines(store: Store, site: SiteRecord, order: OrderRecord, raw: unknown): void {
  if (!Array.isArray(raw)) return;
  for (const item of raw) {
    if (item === null || typeof item !== "object") continue;
    const p = item as Record<string, unknown>;
    const id = Number(p.id ?? 0);
    const existing = id > 0 ? order.shippingLines.find((l) => l.id === id) : undefined;
    const line = existing ?? { id: store.nextItemId(site), methodTitle: "", methodId: "", totalCents: 0 };
    if (typeof p.method_title === "string") line.methodTitle = p.method_title;
    if (typeof p.method_id === "string") line.methodId = p.method_id;
    if (p.total !== undefined) line.totalCents = toCents(String(p.total));
    if (!existing) order.shippingLines.push(line);
  }
}

function applyOrderProps(store: Store, site: SiteRecord, order: OrderRecord, a: Record<string, unknown>): void {
  if (typeof a.currency === "string") order.currency = a.currency;
  if (typeof a.customer_id === "number") order.customerId = a.customer_id;
  if (typeof a.customer_note === "string") order.customerNote = a.customer_note;
  mergeAddress(order.billing, a.billing);
  mergeAddress(order.shipping, a.shipping);
  if (typeof a.payment_method === "string") {
    order.paymentMethod = a.payment_method;
    order.paymentMethodTitle = gateways[a.payment_method]?.title ?? order.paymentMethodTitle;
  }
  if (typeof a.payment_method_title === "string") order.paymentMethodTitle = a.payment_method_title;
  if (typeof a.transaction_id === "string") order.transactionId = a.transaction_id;
  if (Array.isArray(a.meta_data)) {
    for (const m of a.meta_data as { key?: unknown; value?: unknown }[]) {
      if (typeof m?.key !== "string") continue;
      const existing = order.metaData.find((e) => e.key === m.key);
      if (existing) existing.value = m.value;
      else order.metaData.push({ id: store.nextMetaId(site), key: m.key, value: m.value });
    }
  }
}

/** `wc_reduce_stock_levels`. */
function reduceStock(store: Store, site: SiteRecord, order: OrderRecord): void {
  for (const line of order.lineItems) {
    const product = lineProduct(site, line);
    if (line.reducedStock || !product) continue;
    if (changeStock(store, site, product, -line.quantity) === null) continue;
    line.reducedStock = line.quantity;
    line.stockMetaIds.reducedStock ??= store.nextMetaId(site);
    // wc_update_total_sales_counts counts the line's product_id: the parent of a variation.
    const counted = site.catalog.get(line.productId);
    if (counted) counted.totalSales += line.quantity;
  }
  order.stockReduced = true;
}

/** `wc_increase_stock_levels`: gives back what each line still holds. */
function restoreStock(store: Store, site: SiteRecord, order: OrderRecord): void {
  for (const line of order.lineItems) {
    const product = lineProduct(site, line);
    if (!line.reducedStock || !product) continue;
    changeStock(store, site, product, line.reducedStock);
    // `$item->delete_meta_data( '_reduced_stock' )`: the meta row goes away.
    line.reducedStock = null;
    line.stockMetaIds.reducedStock = null;
  }
  order.stockReduced = false;
}

/** Sets the status and runs WooCommerce's transition hooks (stock, paid/completed dates). */
export function setOrderStatus(store: Store, site: SiteRecord, order: OrderRecord, to: OrderStatus): void {
  const from = order.status;
  if (from === to) return;
  order.status = to;
  const now = store.now();
  if (to === "completed" && order.dateCompleted === null) order.dateCompleted = now;
  if ((to === "processing" || to === "completed") && order.datePaid === null) order.datePaid = now;
  if (reducingStatuses.includes(to) && !order.stockReduced) reduceStock(store, site, order);
  if (restoringStatuses.includes(to) && order.stockReduced) restoreStock(store, site, order);
  if (to === "refunded") fullyRefund(store, site, order);
}

/** `WC_Order::payment_complete`. Returns false when the order is not in a payable status. */
export function paymentComplete(store: Store, site: SiteRecord, order: OrderRecord, transactionId?: string): boolean {
  if (!["on-hold", "pending", "failed", "cancelled"].includes(order.status)) return false;
  if (transactionId) order.transactionId = transactionId;
  if (order.datePaid === null) order.datePaid = store.now();
  setOrderStatus(store, site, order, "processing");
  // `woocommerce_payment_complete` also triggers wc_maybe_reduce_stock_levels.
  if (!order.stockReduced) reduceStock(store, site, order);
  return true;
}

export function saveOrder(store: Store, site: SiteRecord, order: OrderRecord, event: "created" | "updated"): void {
  order.dateModified = store.now();
  site.orders.set(order.id, order);
  store.emit(site, "order", event, order.id);
}

function randomKey(): string {
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from({ length: 13 }, () => chars[Math.floor(Math.random() * chars.length)]).join("");
}

/** REST `POST /orders` (and the checkout, with `createdVia: "checkout"`). */
export function createOrder(
  store: Store,
  site: SiteRecord,
  a: Record<string, unknown>,
  createdVia = "rest-api",
): OrderRecord {
  const now = store.now();
  const order: OrderRecord = {
    id: 0,
    status: "pending",
    statusBeforeTrash: null,
    currency: site.currency,
    orderKey: `wc_order_${randomKey()}`,
    createdVia,
    customerId: 0,
    customerNote: "",
    billing: emptyAddress(true),
    shipping: emptyAddress(false),
    paymentMethod: "",
    paymentMethodTitle: "",
    transactionId: "",
    customerIpAddress: "",
    customerUserAgent: "",
    lineItems: [],
    shippingLines: [],
    stockReduced: false,
    refundIds: [],
    metaData: [],
    dateCreated: now,
    dateModified: now,
    datePaid: null,
    dateCompleted: null,
  };
  applyOrderProps(store, site, order, a);
  applyLineItems(store, site, order, a.line_items);
  applyShippingLines(store, site, order, a.shipping_lines);
  order.id = store.nextPostId(site);
  if (typeof a.status === "string") setOrderStatus(store, site, order, a.status as OrderStatus);
  saveOrder(store, site, order, "created");
  // "Actions for after the order is saved": set_paid runs payment_complete, a second save. An order
  // created straight into a stock-taking status is saved again by that transition's stock
  // reduction. Either way WooCommerce 7.9 delivers order.created and then order.updated (measured
  // with `status: processing, set_paid: true`; /work/shared/reference/woocommerce.md).
  const paid =
    a.set_paid === true &&
    paymentComplete(store, site, order, typeof a.transaction_id === "string" ? a.transaction_id : undefined);
  if (paid || order.stockReduced) saveOrder(store, site, order, "updated");
  return order;
}

/** REST `PUT /orders/{id}`. */
export function updateOrder(store: Store, site: SiteRecord, order: OrderRecord, a: Record<string, unknown>): void {
  applyOrderProps(store, site, order, a);
  applyLineItems(store, site, order, a.line_items);
  applyShippingLines(store, site, order, a.shipping_lines);
  if (typeof a.status === "string") setOrderStatus(store, site, order, a.status as OrderStatus);
  saveOrder(store, site, order, "updated");
  // On update set_paid only acts when the order still needs payment (pending or failed).
  if (a.set_paid === true && ["pending", "failed"].includes(order.status) && orderTotalCents(order) > 0) {
    if (paymentComplete(store, site, order)) saveOrder(store, site, order, "updated");
  }
}

export function trashOrder(store: Store, site: SiteRecord, order: OrderRecord): void {
  order.statusBeforeTrash = order.status;
  order.status = "trash";
  order.dateModified = store.now();
  store.emit(site, "order", "deleted", order.id);
}

export function restoreOrder(store: Store, site: SiteRecord, order: OrderRecord): void {
  if (order.status !== "trash") return;
  order.status = order.statusBeforeTrash ?? "pending";
  order.statusBeforeTrash = null;
  order.dateModified = store.now();
  store.emit(site, "order", "restored", order.id);
}

export interface RefundRequest {
  amount?: string | undefined;
  reason?: string | undefined;
  refundedBy?: number | undefined;
  /** Order line item id -> quantity and amount to refund for it. */
  lines: { itemId: number; quantity: number; refundTotalCents: number | null }[];
  refundPayment: boolean;
  restock: boolean;
}

/** `RestApiUtil::adjust_create_refund_request_parameters`: REST line items to the internal shape. */
export function refundRequestFromArgs(a: Record<string, unknown>): RefundRequest {
  const lines = (Array.isArray(a.line_items) ? a.line_items : [])
    .filter((l): l is Record<string, unknown> => l !== null && typeof l === "object")
    .map((l) => ({
      itemId: Number(l.id ?? 0),
      quantity: Math.trunc(Number(l.quantity ?? 0)) || 0,
      refundTotalCents: l.refund_total === undefined || l.refund_total === "" ? null : toCents(String(l.refund_total)),
    }));
  let amount = typeof a.amount === "string" ? a.amount : undefined;
  // The amount may be left out when every line states its refund_total.
  if (amount === undefined && lines.length > 0 && lines.every((l) => l.refundTotalCents !== null)) {
    amount = formatCents(lines.reduce((s, l) => s + (l.refundTotalCents ?? 0), 0));
  }
  return {
    amount,
    reason: typeof a.reason === "string" && a.reason !== "" ? a.reason : undefined,
    refundedBy: typeof a.refunded_by === "number" ? a.refunded_by : undefined,
    lines,
    refundPayment: a.api_refund !== false,
    restock: a.api_restock !== false,
  };
}

/**
 * `wc_create_refund`. Its errors are turned by the refunds controller into
 * `new WP_Error( 'woocommerce_rest_cannot_create_order_refund', $message, 500 )`, whose `data` is
 * the bare number 500 (measured on 7.9).
 */
export function createRefund(store: Store, site: SiteRecord, order: OrderRecord, req: RefundRequest): RefundRecord {
  const amountCents = req.amount === undefined ? 0 : toCents(req.amount);
  const remaining = orderTotalCents(order) - refundedCents(site, order);
  if (amountCents < 0 || amountCents > remaining) {
    throw new WpError("woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 500, {}, true);
  }
  const refund: RefundRecord = {
    id: store.nextPostId(site),
    orderId: order.id,
    amountCents,
    reason: req.reason ?? "",
    refundedBy: req.refundedBy ?? 1,
    refundedPayment: false,
    lineItems: [],
    metaData: [],
    dateCreated: store.now(),
  };
  for (const line of order.lineItems) {
    const wanted = req.lines.find((l) => l.itemId === line.id);
    if (!wanted || (wanted.quantity === 0 && !wanted.refundTotalCents)) continue;
    refund.lineItems.push({
      id: store.nextItemId(site),
      refundedItemId: line.id,
      name: line.name,
      productId: line.productId,
      variationId: line.variationId,
      sku: line.sku,
      quantity: -wanted.quantity,
      totalCents: -(wanted.refundTotalCents ?? 0),
    });
  }
  if (req.refundPayment) {
    const gateway = gateways[order.paymentMethod];
    // wc_refund_payment fails before any money moves; the refund object is deleted again.
    if (!gateway)
      throw new WpError(
        "woocommerce_rest_cannot_create_order_refund",
        "The payment gateway for this order does not exist.",
        500,
        {},
        true,
      );
    if (!gateway.refunds) {
      throw new WpError(
        "woocommerce_rest_cannot_create_order_refund",
        "The payment gateway for this order does not support automatic refunds.",
        500,
        {},
        true,
      );
    }
    refund.refundedPayment = true;
  }
  site.refunds.set(refund.id, refund);
  order.refundIds.push(refund.id);
  if (req.restock) restockRefunded(store, site, order, req.lines);
  if (remaining - amountCents <= 0 && order.status !== "refunded") {
    // woocommerce_order_fully_refunded -> status "refunded" (no automatic stock change).
    order.status = "refunded";
  }
  // woocommerce_order_refunded is one of the order.updated hooks.
  saveOrder(store, site, order, "updated");
  return refund;
}

/** `wc_restock_refunded_items`: only lines whose stock was reduced, only managed products. */
function restockRefunded(store: Store, site: SiteRecord, order: OrderRecord, lines: RefundRequest["lines"]): void {
  for (const line of order.lineItems) {
    const wanted = lines.find((l) => l.itemId === line.id);
    const product = lineProduct(site, line);
    if (!wanted || !wanted.quantity || !line.reducedStock || !product) continue;
    if (changeStock(store, site, product, wanted.quantity) === null) continue;
    line.reducedStock -= wanted.quantity;
    line.restockedRefunded += wanted.quantity;
    line.stockMetaIds.restockedRefunded ??= store.nextMetaId(site);
  }
}

/** `wc_order_fully_refunded`: marking an order refunded refunds whatever is left, without restocking. */
function fullyRefund(store: Store, site: SiteRecord, order: OrderRecord): void {
  const left = orderTotalCents(order) - refundedCents(site, order);
  if (left <= 0) return;
  const refund: RefundRecord = {
    id: store.nextPostId(site),
    orderId: order.id,
    amountCents: left,
    reason: "Order fully refunded.",
    refundedBy: 1,
    refundedPayment: false,
    lineItems: [],
    metaData: [],
    dateCreated: store.now(),
  };
  site.refunds.set(refund.id, refund);
  order.refundIds.push(refund.id);
}

/** Checkout (control API): validates stock like the cart does, then creates the order. */
export function checkout(
  store: Store,
  site: SiteRecord,
  input: {
    lines: { sku: string; quantity: number }[];
    paid: boolean;
    status?: OrderStatus | undefined;
    paymentMethod?: string | undefined;
    billing?: Partial<Address> | undefined;
  },
): OrderRecord {
  const lineItems = input.lines.map((l) => {
    const product = findBySku(site, l.sku);
    if (!product) throw new WpError("unknown_sku", `No product with SKU "${l.sku}" in this store.`, 400);
    if (product.kind === "product" && product.type === "variable")
      throw new WpError("not_purchasable", `"${l.sku}" is a variable product; pick a variation.`, 400);
    const owner = product.manageStock
      ? product
      : product.kind === "variation"
        ? site.catalog.get(product.parentId)
        : undefined;
    const available = owner?.manageStock ? (owner.stockQuantity ?? 0) : Number.POSITIVE_INFINITY;
    if (owner?.manageStock && owner.backorders === "no" && available < l.quantity) {
      throw new WpError(
        "insufficient_stock",
        `Sorry, we do not have enough "${product.sku}" in stock to fulfill your order (${available} available).`,
        409,
      );
    }
    return { sku: l.sku, quantity: l.quantity };
  });
  const paymentMethod = input.paymentMethod ?? (input.paid ? "woocommerce_payments" : "ppcp-gateway");
  const order = createOrder(
    store,
    site,
    {
      line_items: lineItems,
      payment_method: paymentMethod,
      billing: {
        first_name: "Demo",
        last_name: "Shopper",
        email: "shopper@example.com",
        country: "KE",
        ...input.billing,
      },
      ...(input.status && !input.paid ? { status: input.status } : {}),
    },
    "checkout",
  );
  if (input.paid && paymentComplete(store, site, order, `txn_${order.id}`)) saveOrder(store, site, order, "updated");
  return order;
}

/**
 * Sells, sell updates, deletions and sell returns: the only writes the Connector offers, and
 * the only way stock moves through the API.
 *
 * Each function follows one Connector code path (Modules/Connector/Http/Controllers/Api/
 * SellController.php and App\Utils\TransactionUtil / ProductUtil):
 *
 * - lookups happen first and in the Connector's order (location, contact, then each line's
 *   sell line, product and variation), so the first missing record names the error;
 * - stock moves only for `status: "final"` and only for products with `enable_stock`;
 * - when the business forbids overselling, a sale that needs more than the available stock
 *   fails with "ERROR: NOT ALLOWED: Mismatch between sold and purchase quantity. ...";
 * - every function validates everything before it changes anything, which gives the per-sell
 *   atomicity the Connector gets from DB::beginTransaction / rollBack.
 *
 * The API accepts loosely typed JSON (PHP reads `$request->input(...)`), so inputs are read
 * with small coercion helpers instead of a schema.
 */
import { ConnectorError, ModelNotFound, Models, ServerError } from "./errors.ts";
import { dateTime } from "./format.ts";
import { type ProkipState, round4, toId } from "./state.ts";
import type { Business, Contact, Location, PaymentLine, Product, SellLine, Transaction, Variation } from "./types.ts";

/** The authenticated user a request acts as. */
export interface Actor {
  businessId: number;
  userId: number;
}

type Obj = Record<string, unknown>;

// ---- Reading PHP-ish input ----

/** A PHP array: a JSON array, or an object with (numeric) keys. */
export function phpList(value: unknown): unknown[] | null {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === "object") return Object.values(value);
  return null;
}

function asObj(value: unknown): Obj {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : {};
}

/** A number from a JSON number or numeric string. */
function num(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** PHP's `empty()`: null, "", "0", 0 and missing all count as empty. */
function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "" || value === "0" || value === 0 || value === false;
}

/** Percentage discounts apply to the amount; fixed ones are the amount. */
function discountOf(amount: number, type: string, base: number): number {
  return type === "percentage" ? (base * amount) / 100 : amount;
}

// ---- Preparing a sell (shared by create and update) ----

interface PreparedLine {
  existing: SellLine | undefined;
  product: Product;
  variation: Variation;
  quantity: number;
  unitPriceBeforeDiscount: number;
  lineDiscountType: "fixed" | "percentage";
  lineDiscountAmount: number;
  unitPriceIncTax: number;
  note: string | null;
}

interface PreparedPayment {
  amount: number;
  method: string;
  note: string | null;
}

interface PreparedSell {
  location: Location;
  contact: Contact;
  status: string;
  invoiceNo: string | undefined;
  source: string | null;
  transactionDate: string;
  saleNote: string | null;
  discountType: string;
  discountAmount: number;
  shippingCharges: number;
  lines: PreparedLine[];
  /** undefined: no `payments` key sent (an update then keeps the existing ones). */
  payments: PreparedPayment[] | undefined;
  totalBeforeTax: number;
  finalTotal: number;
}

/**
 * SellController::__formatSellData: resolve every referenced record and compute totals.
 * `existing` is the sell being updated; its values are the defaults for omitted fields.
 */
function prepareSell(state: ProkipState, businessId: number, data: Obj, existing?: Transaction): PreparedSell {
  const location = state.findLocation(businessId, existing ? existing.locationId : data.location_id);
  const contact = state.findCustomer(businessId, data.contact_id ?? existing?.contactId);

  const lines = (phpList(data.products) ?? []).map((raw) => prepareLine(state, businessId, asObj(raw), existing));
  const subtotal = lines.reduce((sum, l) => sum + l.unitPriceIncTax * l.quantity, 0);

  const discountType = text(data.discount_type) ?? existing?.discountType ?? "fixed";
  const discountAmount = num(data.discount_amount) ?? existing?.discountAmount ?? 0;
  const shippingCharges = num(data.shipping_charges) ?? existing?.shippingCharges ?? 0;
  const finalTotal = subtotal - discountOf(discountAmount, discountType, subtotal) + shippingCharges;

  const rawPayments = phpList(data.payments);
  const payments = rawPayments?.flatMap((raw) => {
    const p = asObj(raw);
    const amount = num(p.amount) ?? 0;
    // Zero-amount payment lines are skipped by TransactionUtil::createOrUpdatePaymentLines.
    return amount === 0 ? [] : [{ amount, method: text(p.method) ?? "cash", note: text(p.note) ?? null }];
  });

  return {
    location,
    contact,
    status: text(data.status) ?? existing?.status ?? "final",
    invoiceNo: text(data.invoice_no) ?? existing?.invoiceNo,
    source: text(data.source) ?? existing?.source ?? null,
    transactionDate: text(data.transaction_date) ?? existing?.transactionDate ?? dateTime(state.now()),
    saleNote: text(data.sale_note) ?? existing?.saleNote ?? null,
    discountType,
    discountAmount,
    shippingCharges,
    lines,
    payments,
    totalBeforeTax: round4(subtotal),
    finalTotal: round4(finalTotal),
  };
}

function prepareLine(state: ProkipState, businessId: number, p: Obj, sell?: Transaction): PreparedLine {
  let existing: SellLine | undefined;
  if (!isEmpty(p.sell_line_id)) {
    existing = sell?.sellLines.find((l) => l.id === toId(p.sell_line_id));
    if (!existing) throw new ModelNotFound(Models.sellLine, p.sell_line_id);
  }
  const product = state.findProduct(businessId, p.product_id ?? existing?.productId);
  const variationId = p.variation_id ?? existing?.variationId;
  const variation = product.variations.find((v) => v.id === toId(variationId));
  // The Connector picks the variation out of the product's variations; one that does not belong
  // to the product is reported like any other missing model.
  if (!variation) throw new ModelNotFound(Models.variation, variationId);

  // unit_price defaults to the variation's sell_price_inc_tax.
  const unitPriceBeforeDiscount = num(p.unit_price) ?? existing?.unitPriceBeforeDiscount ?? variation.sellPriceIncTax;
  const lineDiscountType =
    p.discount_type === "percentage" || p.discount_type === "fixed"
      ? p.discount_type
      : (existing?.lineDiscountType ?? "fixed");
  const lineDiscountAmount = num(p.discount_amount) ?? existing?.lineDiscountAmount ?? 0;
  const unitPriceIncTax =
    unitPriceBeforeDiscount - discountOf(lineDiscountAmount, lineDiscountType, unitPriceBeforeDiscount);

  return {
    existing,
    product,
    variation,
    quantity: num(p.quantity) ?? existing?.quantity ?? 0,
    unitPriceBeforeDiscount,
    lineDiscountType,
    lineDiscountAmount,
    unitPriceIncTax: round4(unitPriceIncTax),
    note: text(p.note) ?? existing?.note ?? null,
  };
}

// ---- Stock effects and the overselling rule ----

interface StockDelta {
  product: Product;
  variation: Variation;
  delta: number;
}

/** How a sell moves stock: minus each line's quantity, if final and the product tracks stock. */
function stockEffects(
  lines: { product: Product; variation: Variation; quantity: number }[],
  status: string,
  sign = -1,
): Map<number, StockDelta> {
  const effects = new Map<number, StockDelta>();
  if (status !== "final") return effects;
  for (const line of lines) {
    if (!line.product.enableStock) continue;
    const entry = effects.get(line.variation.id) ?? { product: line.product, variation: line.variation, delta: 0 };
    entry.delta = round4(entry.delta + sign * line.quantity);
    effects.set(line.variation.id, entry);
  }
  return effects;
}

function mergeEffects(a: Map<number, StockDelta>, b: Map<number, StockDelta>): Map<number, StockDelta> {
  const merged = new Map<number, StockDelta>();
  for (const source of [a, b]) {
    for (const [id, entry] of source) {
      const current = merged.get(id);
      merged.set(id, current ? { ...current, delta: round4(current.delta + entry.delta) } : { ...entry });
    }
  }
  return merged;
}

/**
 * TransactionUtil::mapPurchaseSell with overselling disallowed: the quantity that cannot be
 * matched against available stock is reported and the whole sell is rolled back.
 */
function checkOverselling(
  state: ProkipState,
  business: Business,
  locationId: number,
  effects: Map<number, StockDelta>,
): void {
  if (business.allowOverselling) return;
  for (const { product, variation, delta } of effects.values()) {
    if (delta >= 0) continue;
    const available = state.available(variation.id, locationId);
    const shortfall = Math.min(-delta, -(available + delta));
    if (shortfall > 0) {
      throw new ConnectorError(
        `ERROR: NOT ALLOWED: Mismatch between sold and purchase quantity. Product: ${product.name} SKU: ${variation.subSku} Quantity: ${round4(shortfall)}`,
      );
    }
  }
}

function applyEffects(state: ProkipState, locationId: number, effects: Map<number, StockDelta>): void {
  for (const { variation, delta } of effects.values()) state.adjustStock(variation, locationId, delta);
}

// ---- Building records ----

function paymentStatus(finalTotal: number, payments: PaymentLine[]): Transaction["paymentStatus"] {
  const paid = payments.reduce((sum, p) => sum + p.amount, 0);
  if (paid <= 0) return "due";
  return paid >= finalTotal ? "paid" : "partial";
}

function pad4(n: number): string {
  return String(n).padStart(4, "0");
}

function buildPayments(
  state: ProkipState,
  business: Business,
  t: Transaction,
  payments: PreparedPayment[],
  userId: number,
): PaymentLine[] {
  const now = state.now();
  return payments.map((p) => {
    business.counters.payment += 1;
    return {
      id: state.nextId("payment"),
      transactionId: t.id,
      businessId: business.id,
      amount: p.amount,
      method: p.method,
      note: p.note,
      paidOn: now,
      paymentRefNo: `SP${new Date(now).getUTCFullYear()}/${pad4(business.counters.payment)}`,
      createdBy: userId,
      contactId: t.contactId,
      createdAt: now,
    };
  });
}

function buildLines(state: ProkipState, transactionId: number, lines: PreparedLine[]): SellLine[] {
  const now = state.now();
  return lines.map((l) => ({
    id: l.existing?.id ?? state.nextId("sellLine"),
    transactionId,
    productId: l.product.id,
    variationId: l.variation.id,
    quantity: l.quantity,
    quantityReturned: l.existing?.quantityReturned ?? 0,
    unitPriceBeforeDiscount: l.unitPriceBeforeDiscount,
    unitPrice: l.unitPriceIncTax,
    lineDiscountType: l.lineDiscountType,
    lineDiscountAmount: l.lineDiscountAmount,
    unitPriceIncTax: l.unitPriceIncTax,
    note: l.note,
    createdAt: l.existing?.createdAt ?? now,
    updatedAt: now,
  }));
}

function businessOf(state: ProkipState, businessId: number): Business {
  const business = state.businesses.get(businessId);
  if (!business) throw new Error(`business ${businessId} vanished`);
  return business;
}

// ---- The four operations ----

/** One element of `POST /connector/api/sell`. Throws ModelNotFound / ConnectorError. */
export function createSell(state: ProkipState, actor: Actor, raw: unknown): Transaction {
  const business = businessOf(state, actor.businessId);
  const prepared = prepareSell(state, business.id, asObj(raw));
  if (prepared.lines.length === 0) throw new ConnectorError("No products added");

  const effects = stockEffects(prepared.lines, prepared.status);
  checkOverselling(state, business, prepared.location.id, effects);

  // Nothing below can fail: commit.
  let invoiceNo = prepared.invoiceNo;
  if (invoiceNo === undefined) {
    // No idempotency: a given invoice_no is stored as is, even if it already exists; only a
    // missing one is generated from the business's invoice scheme (blank prefix, 4 digits).
    business.counters.invoice += 1;
    invoiceNo = pad4(business.counters.invoice);
  }
  const now = state.now();
  const id = state.nextId("transaction");
  const sell: Transaction = {
    id,
    businessId: business.id,
    locationId: prepared.location.id,
    contactId: prepared.contact.id,
    type: "sell",
    status: prepared.status,
    paymentStatus: "due",
    invoiceNo,
    source: prepared.source,
    transactionDate: prepared.transactionDate,
    totalBeforeTax: prepared.totalBeforeTax,
    discountType: prepared.discountType,
    discountAmount: prepared.discountAmount,
    shippingCharges: prepared.shippingCharges,
    finalTotal: prepared.finalTotal,
    saleNote: prepared.saleNote,
    returnParentId: null,
    createdBy: actor.userId,
    sellLines: buildLines(state, id, prepared.lines),
    paymentLines: [],
    createdAt: now,
    updatedAt: now,
  };
  sell.paymentLines = buildPayments(state, business, sell, prepared.payments ?? [], actor.userId);
  sell.paymentStatus = paymentStatus(sell.finalTotal, sell.paymentLines);
  applyEffects(state, sell.locationId, effects);
  state.transactions.set(id, sell);
  return sell;
}

/**
 * `PUT /connector/api/sell/{id}`: fields are flat, lines with `sell_line_id` update that line,
 * lines without one are added, and existing lines not listed are deleted (as
 * TransactionUtil::createOrUpdateSellLines does). Stock is re-adjusted from the old lines and
 * status to the new ones (ProductUtil::adjustProductStockForInvoice).
 */
export function updateSell(state: ProkipState, actor: Actor, rawId: unknown, raw: unknown): Transaction {
  const business = businessOf(state, actor.businessId);
  const sell = state.findSell(business.id, rawId);
  const prepared = prepareSell(state, business.id, asObj(raw), sell);

  const oldLines = sell.sellLines.flatMap((l) => {
    const product = state.products.get(l.productId);
    const variation = state.variations.get(l.variationId);
    return product && variation ? [{ product, variation, quantity: l.quantity }] : [];
  });
  const effects = mergeEffects(stockEffects(oldLines, sell.status, +1), stockEffects(prepared.lines, prepared.status));
  checkOverselling(state, business, sell.locationId, effects);

  applyEffects(state, sell.locationId, effects);
  sell.contactId = prepared.contact.id;
  sell.status = prepared.status;
  sell.invoiceNo = prepared.invoiceNo ?? sell.invoiceNo;
  sell.source = prepared.source;
  sell.transactionDate = prepared.transactionDate;
  sell.saleNote = prepared.saleNote;
  sell.discountType = prepared.discountType;
  sell.discountAmount = prepared.discountAmount;
  sell.shippingCharges = prepared.shippingCharges;
  sell.totalBeforeTax = prepared.totalBeforeTax;
  sell.finalTotal = prepared.finalTotal;
  sell.sellLines = buildLines(state, sell.id, prepared.lines);
  if (prepared.payments !== undefined)
    sell.paymentLines = buildPayments(state, business, sell, prepared.payments, actor.userId);
  sell.paymentStatus = paymentStatus(sell.finalTotal, sell.paymentLines);
  sell.updatedAt = state.now();
  return sell;
}

/**
 * `DELETE /connector/api/sell/{id}` (TransactionUtil::deleteSale). Always HTTP 200. Refuses when
 * a return exists; restores stock of a final sell. Like the Connector, an unknown id still
 * answers success (deleteSale only acts `if (!empty($transaction))`).
 */
export function deleteSell(state: ProkipState, actor: Actor, rawId: unknown): { success: boolean; msg: string } {
  const id = toId(rawId);
  if (id !== undefined && state.returnOf(id)) {
    return { success: false, msg: "Return exist for the Transaction, edit the return instead." };
  }
  const sell = id === undefined ? undefined : state.transactions.get(id);
  if (sell && sell.businessId === actor.businessId && sell.type === "sell") {
    const lines = sell.sellLines.flatMap((l) => {
      const product = state.products.get(l.productId);
      const variation = state.variations.get(l.variationId);
      return product && variation ? [{ product, variation, quantity: l.quantity }] : [];
    });
    applyEffects(state, sell.locationId, stockEffects(lines, sell.status, +1));
    state.transactions.delete(sell.id);
  }
  return { success: true, msg: "Sale deleted successfully" };
}

/**
 * `POST /connector/api/sell-return` (TransactionUtil::addSellReturn). A sell has at most one
 * return; posting again updates it. Each line's `quantity` is the cumulative total returned,
 * so stock rises by the difference from what was returned before.
 */
export function upsertSellReturn(state: ProkipState, actor: Actor, raw: unknown): Transaction {
  const data = asObj(raw);
  const products = phpList(data.products) ?? [];
  // The Connector only does anything `if (!empty($input['products']))` and then returns an
  // undefined variable: PHP errors out, Laravel answers 500.
  if (products.length === 0) throw new ServerError("sell-return without products");

  const business = businessOf(state, actor.businessId);
  const sell = state.findSell(business.id, data.transaction_id);

  // sell_line_id -> cumulative quantity; lines of other sells are silently ignored, as in PHP.
  const returned = new Map<number, { quantity: number; unitPrice: number }>();
  for (const rawLine of products) {
    const p = asObj(rawLine);
    const lineId = toId(p.sell_line_id);
    if (lineId === undefined) continue;
    returned.set(lineId, { quantity: num(p.quantity) ?? 0, unitPrice: num(p.unit_price_inc_tax) ?? 0 });
  }
  for (const line of sell.sellLines) {
    const r = returned.get(line.id);
    if (!r) continue;
    if (r.quantity < 0 || r.quantity > line.quantity) {
      throw new ConnectorError(
        `Returned quantity (${r.quantity}) for sell line ${line.id} must be between 0 and the sold quantity (${line.quantity}).`,
      );
    }
  }

  const subtotal = [...returned.entries()]
    .filter(([lineId]) => sell.sellLines.some((l) => l.id === lineId))
    .reduce((sum, [, r]) => sum + r.quantity * r.unitPrice, 0);
  const discountType = text(data.discount_type) ?? "fixed";
  const discountAmount = num(data.discount_amount) ?? 0;
  const finalTotal = round4(subtotal - discountOf(discountAmount, discountType, subtotal));

  const now = state.now();
  let sellReturn = state.returnOf(sell.id);
  if (!sellReturn) {
    let invoiceNo = text(data.invoice_no);
    if (invoiceNo === undefined) {
      business.counters.sellReturn += 1;
      invoiceNo = `CN${new Date(now).getUTCFullYear()}/${pad4(business.counters.sellReturn)}`;
    }
    sellReturn = {
      id: state.nextId("transaction"),
      businessId: business.id,
      locationId: sell.locationId,
      contactId: sell.contactId,
      type: "sell_return",
      status: "final",
      paymentStatus: "due",
      invoiceNo,
      source: null,
      transactionDate: text(data.transaction_date) ?? dateTime(now),
      totalBeforeTax: 0,
      discountType,
      discountAmount,
      shippingCharges: 0,
      finalTotal: 0,
      saleNote: null,
      returnParentId: sell.id,
      createdBy: actor.userId,
      sellLines: [],
      paymentLines: [],
      createdAt: now,
      updatedAt: now,
    };
    state.transactions.set(sellReturn.id, sellReturn);
  } else {
    sellReturn.invoiceNo = text(data.invoice_no) ?? sellReturn.invoiceNo;
    sellReturn.transactionDate = text(data.transaction_date) ?? sellReturn.transactionDate;
    sellReturn.discountType = discountType;
    sellReturn.discountAmount = discountAmount;
    sellReturn.updatedAt = now;
  }
  sellReturn.totalBeforeTax = round4(subtotal);
  sellReturn.finalTotal = finalTotal;

  for (const line of sell.sellLines) {
    const r = returned.get(line.id);
    if (!r) continue;
    const difference = round4(r.quantity - line.quantityReturned);
    line.quantityReturned = r.quantity;
    line.updatedAt = now;
    // ProductUtil::updateProductQuantity: only for enable_stock products, by the difference.
    const product = state.products.get(line.productId);
    const variation = state.variations.get(line.variationId);
    if (product?.enableStock && variation) state.adjustStock(variation, sell.locationId, difference);
  }
  return sellReturn;
}

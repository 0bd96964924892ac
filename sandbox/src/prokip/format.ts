/**
 * Renders records as the Connector's JSON. Field names, nesting and value types follow the
 * example responses in the Connector's own API docs (the `@response` blocks in
 * Modules/Connector/Http/Controllers/Api/*.php): DECIMAL columns are strings with four places,
 * TINYINT flags are 0/1 integers, timestamps are "Y-m-d H:i:s".
 *
 * Columns the emulator has no use for are still present (as null or their UltimatePOS default)
 * so a client written against the emulator does not break on the real payload's shape.
 */
import type { ProkipState } from "./state.ts";
import type { Contact, Location, PaymentLine, Product, SellLine, StockRow, Transaction, Variation } from "./types.ts";

/** "20.0000": how Laravel returns a DECIMAL(22,4) column. */
export function dec(n: number, places = 4): string {
  const text = (Math.round(n * 10 ** places) / 10 ** places).toFixed(places);
  return /^-0\.0+$/.test(text) ? text.slice(1) : text;
}

/** "Y-m-d H:i:s" in UTC. */
export function dateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

const flag = (b: boolean): 0 | 1 => (b ? 1 : 0);

/** UltimatePOS stores the margin over the purchase price; 0 when there is no purchase price. */
const profitPercent = (v: Variation): string =>
  dec(v.defaultPurchasePrice > 0 ? ((v.defaultSellPrice - v.defaultPurchasePrice) / v.defaultPurchasePrice) * 100 : 0);

/** Where links in the payload (invoice_url, image_url) point; the request's own origin. */
export interface RenderContext {
  origin: string;
}

// ---- Business locations ----

/** Payment methods UltimatePOS enables for a new location (cash, card, cheque, bank transfer, other). */
const paymentMethods = [
  { name: "cash", label: "Cash", account_id: null },
  { name: "card", label: "Card", account_id: null },
  { name: "cheque", label: "Cheque", account_id: null },
  { name: "bank_transfer", label: "Bank Transfer", account_id: null },
  { name: "other", label: "Other", account_id: null },
];

function locationColumns(l: Location) {
  return {
    id: l.id,
    business_id: l.businessId,
    location_id: l.code,
    name: l.name,
    landmark: null,
    country: l.country,
    state: l.state,
    city: l.city,
    zip_code: l.zipCode,
    invoice_scheme_id: 1,
    invoice_layout_id: 1,
    selling_price_group_id: null,
    print_receipt_on_invoice: 1,
    receipt_printer_type: "browser",
    printer_id: null,
    mobile: null,
    alternate_number: null,
    email: null,
    website: null,
    featured_products: null,
    is_active: flag(l.isActive),
    custom_field1: null,
    custom_field2: null,
    custom_field3: null,
    custom_field4: null,
    deleted_at: null,
    created_at: dateTime(l.createdAt),
    updated_at: dateTime(l.createdAt),
  };
}

export function locationJson(l: Location) {
  return { ...locationColumns(l), payment_methods: paymentMethods };
}

/** A location as it appears in `product_locations` (an Eloquent belongsToMany with its pivot). */
function productLocationJson(l: Location, productId: number) {
  return { ...locationColumns(l), pivot: { product_id: productId, location_id: l.id } };
}

// ---- Products and variations ----

function stockRowJson(row: StockRow) {
  return {
    id: row.id,
    product_id: row.productId,
    product_variation_id: row.productVariationId,
    variation_id: row.variationId,
    location_id: row.locationId,
    qty_available: dec(row.qty),
    created_at: dateTime(row.createdAt),
    updated_at: dateTime(row.updatedAt),
  };
}

/** variation_location_details of one variation, optionally only at one location. */
function stockRowsOf(state: ProkipState, v: Variation, locationId?: number) {
  return [...state.stock.values()]
    .filter((row) => row.variationId === v.id && (locationId === undefined || row.locationId === locationId))
    .map(stockRowJson);
}

const unitJson = (businessId: number) => ({
  id: 1,
  business_id: businessId,
  actual_name: "Pieces",
  short_name: "Pc(s)",
  allow_decimal: 0,
  base_unit_id: null,
  base_unit_multiplier: null,
  created_by: 1,
  deleted_at: null,
});

function productLocations(state: ProkipState, p: Product, locationId?: number) {
  return p.locationIds
    .filter((id) => locationId === undefined || id === locationId)
    .flatMap((id) => {
      const location = state.locations.get(id);
      return location ? [productLocationJson(location, p.id)] : [];
    });
}

/** One row of `GET /connector/api/product` (ProductResource). */
export function productJson(state: ProkipState, p: Product, ctx: RenderContext, locationId?: number) {
  const created = dateTime(p.createdAt);
  return {
    id: p.id,
    name: p.name,
    business_id: p.businessId,
    type: p.type,
    sub_unit_ids: null,
    enable_stock: flag(p.enableStock),
    alert_quantity: null,
    sku: p.sku,
    barcode_type: "C128",
    expiry_period: null,
    expiry_period_type: null,
    enable_sr_no: 0,
    weight: null,
    product_custom_field1: null,
    product_custom_field2: null,
    product_custom_field3: null,
    product_custom_field4: null,
    image: null,
    woocommerce_media_id: null,
    product_description: p.description,
    created_by: 1,
    warranty_id: null,
    is_inactive: flag(p.isInactive),
    repair_model_id: null,
    not_for_selling: flag(p.notForSelling),
    ecom_shipping_class_id: null,
    ecom_active_in_store: 1,
    woocommerce_product_id: null,
    woocommerce_disable_sync: 0,
    image_url: `${ctx.origin}/img/default.png`,
    product_variations: [
      {
        id: p.productVariationId,
        variation_template_id: null,
        name: p.productVariationName,
        product_id: p.id,
        is_dummy: flag(p.type === "single"),
        created_at: created,
        updated_at: created,
        variations: p.variations.map((v) => ({
          id: v.id,
          name: v.name,
          product_id: p.id,
          sub_sku: v.subSku,
          product_variation_id: v.productVariationId,
          woocommerce_variation_id: null,
          variation_value_id: null,
          default_purchase_price: dec(v.defaultPurchasePrice),
          dpp_inc_tax: dec(v.defaultPurchasePrice),
          profit_percent: profitPercent(v),
          default_sell_price: dec(v.defaultSellPrice),
          sell_price_inc_tax: dec(v.sellPriceIncTax),
          created_at: dateTime(v.createdAt),
          updated_at: dateTime(v.createdAt),
          deleted_at: null,
          combo_variations: null,
          variation_location_details: stockRowsOf(state, v, locationId),
          media: [],
          discounts: [],
        })),
      },
    ],
    brand: null,
    unit: unitJson(p.businessId),
    category: null,
    sub_category: null,
    product_tax: null,
    product_locations: productLocations(state, p, locationId),
  };
}

/** One flat row of `GET /connector/api/variation` (VariationResource puts variation_id first). */
export function variationRowJson(
  state: ProkipState,
  p: Product,
  v: Variation,
  ctx: RenderContext,
  locationId?: number,
) {
  const single = p.type === "single";
  return {
    variation_id: v.id,
    // VariationResource blanks both names for single products (their real value is "DUMMY").
    variation_name: single ? "" : v.name,
    sub_sku: v.subSku,
    product_id: p.id,
    product_name: p.name,
    sku: p.sku,
    type: p.type,
    business_id: p.businessId,
    barcode_type: "C128",
    expiry_period: null,
    expiry_period_type: null,
    enable_sr_no: 0,
    weight: null,
    product_custom_field1: null,
    product_custom_field2: null,
    product_custom_field3: null,
    product_custom_field4: null,
    product_image: null,
    product_description: p.description,
    warranty_id: null,
    brand_id: null,
    brand_name: null,
    unit_id: 1,
    enable_stock: flag(p.enableStock),
    not_for_selling: flag(p.notForSelling),
    unit_name: "Pc(s)",
    unit_allow_decimal: 0,
    category_id: null,
    category: null,
    sub_category_id: null,
    sub_category: null,
    tax_id: null,
    tax_type: "exclusive",
    tax_name: null,
    tax_amount: null,
    product_variation_id: v.productVariationId,
    default_purchase_price: dec(v.defaultPurchasePrice),
    dpp_inc_tax: dec(v.defaultPurchasePrice),
    profit_percent: profitPercent(v),
    default_sell_price: dec(v.defaultSellPrice),
    sell_price_inc_tax: dec(v.sellPriceIncTax),
    product_variation_name: single ? "" : p.productVariationName,
    variation_location_details: stockRowsOf(state, v, locationId),
    media: [],
    selling_price_group: [],
    product_image_url: `${ctx.origin}/img/default.png`,
    product_locations: productLocations(state, p, locationId),
    discounts: [],
  };
}

/**
 * One row of `GET /connector/api/product-stock-report` (ProductUtil::getProductStockDetails):
 * a variation at one location, or, when the variation has no stock row anywhere and no
 * location filter is given, a row with null location and null stock (the SQL LEFT JOIN).
 */
export function stockReportRowJson(state: ProkipState, p: Product, v: Variation, row: StockRow | undefined) {
  const location = row ? state.locations.get(row.locationId) : undefined;
  // total_sold = SUM(quantity - quantity_returned) of final sells at that location; NULL if none.
  let sold: number | null = null;
  if (row) {
    for (const t of state.transactions.values()) {
      if (t.type !== "sell" || t.status !== "final" || t.locationId !== row.locationId) continue;
      for (const line of t.sellLines) {
        if (line.variationId === v.id) sold = (sold ?? 0) + line.quantity - line.quantityReturned;
      }
    }
  }
  return {
    total_sold: sold === null ? null : dec(sold),
    total_transfered: null,
    total_adjusted: null,
    stock_price: null,
    stock: row ? dec(row.qty) : null,
    sku: v.subSku,
    product: p.name,
    type: p.type,
    alert_quantity: null,
    product_id: p.id,
    unit: "Pc(s)",
    enable_stock: flag(p.enableStock),
    unit_price: dec(v.sellPriceIncTax),
    product_variation: p.productVariationName,
    variation_name: v.name,
    location_name: location?.name ?? null,
    location_id: location?.id ?? null,
    variation_id: v.id,
    category_name: null,
    product_custom_field1: null,
    product_custom_field2: null,
    product_custom_field3: null,
    product_custom_field4: null,
  };
}

// ---- Contacts ----

export function contactJson(c: Contact) {
  const created = dateTime(c.createdAt);
  return {
    id: c.id,
    business_id: c.businessId,
    type: c.type,
    supplier_business_name: null,
    name: c.name,
    prefix: null,
    first_name: c.name,
    middle_name: null,
    last_name: null,
    email: c.email,
    contact_id: c.code,
    contact_status: "active",
    tax_number: null,
    city: null,
    state: null,
    country: null,
    address_line_1: null,
    address_line_2: null,
    zip_code: null,
    dob: null,
    mobile: c.mobile,
    landline: null,
    alternate_number: null,
    pay_term_number: null,
    pay_term_type: null,
    credit_limit: null,
    created_by: 1,
    balance: dec(0),
    total_rp: 0,
    total_rp_used: 0,
    total_rp_expired: 0,
    is_default: flag(c.isDefault),
    shipping_address: null,
    position: null,
    customer_group_id: null,
    custom_field1: null,
    custom_field2: null,
    custom_field3: null,
    custom_field4: null,
    deleted_at: null,
    created_at: created,
    updated_at: created,
  };
}

// ---- Transactions ----

export function sellLineJson(l: SellLine) {
  return {
    id: l.id,
    transaction_id: l.transactionId,
    product_id: l.productId,
    variation_id: l.variationId,
    // The Connector's documented examples show quantity as a number but quantity_returned as a
    // DECIMAL string; reproduced as documented.
    quantity: l.quantity,
    mfg_waste_percent: dec(0),
    quantity_returned: dec(l.quantityReturned),
    unit_price_before_discount: dec(l.unitPriceBeforeDiscount),
    unit_price: dec(l.unitPrice),
    line_discount_type: l.lineDiscountType,
    line_discount_amount: dec(l.lineDiscountAmount),
    unit_price_inc_tax: dec(l.unitPriceIncTax),
    item_tax: dec(0),
    tax_id: null,
    discount_id: null,
    lot_no_line_id: null,
    sell_line_note: l.note,
    so_line_id: null,
    so_quantity_invoiced: dec(0),
    res_service_staff_id: null,
    res_line_order_status: null,
    parent_sell_line_id: null,
    children_type: "",
    sub_unit_id: null,
    created_at: dateTime(l.createdAt),
    updated_at: dateTime(l.updatedAt),
  };
}

export function paymentLineJson(p: PaymentLine) {
  return {
    id: p.id,
    transaction_id: p.transactionId,
    business_id: p.businessId,
    is_return: 0,
    amount: dec(p.amount),
    method: p.method,
    transaction_no: null,
    card_transaction_number: null,
    card_number: null,
    card_type: "credit",
    card_holder_name: null,
    card_month: null,
    card_year: null,
    card_security: null,
    cheque_number: null,
    bank_account_number: null,
    paid_on: dateTime(p.paidOn),
    created_by: p.createdBy,
    is_advance: 0,
    payment_for: p.contactId,
    parent_id: null,
    note: p.note,
    document: null,
    payment_ref_no: p.paymentRefNo,
    account_id: null,
    created_at: dateTime(p.createdAt),
    updated_at: dateTime(p.createdAt),
  };
}

/** The transaction columns, without relations. */
export function transactionJson(t: Transaction) {
  return {
    id: t.id,
    business_id: t.businessId,
    location_id: t.locationId,
    res_table_id: null,
    res_waiter_id: null,
    res_order_status: null,
    type: t.type,
    sub_type: null,
    status: t.status,
    sub_status: null,
    is_quotation: 0,
    payment_status: t.paymentStatus,
    adjustment_type: null,
    contact_id: t.contactId,
    customer_group_id: null,
    invoice_no: t.invoiceNo,
    ref_no: "",
    source: t.source,
    subscription_no: null,
    subscription_repeat_on: null,
    transaction_date: t.transactionDate,
    total_before_tax: dec(t.totalBeforeTax),
    tax_id: null,
    tax_amount: dec(0),
    discount_type: t.discountType,
    discount_amount: dec(t.discountAmount),
    rp_redeemed: 0,
    rp_redeemed_amount: dec(0),
    shipping_details: null,
    shipping_address: null,
    shipping_status: null,
    delivered_to: null,
    shipping_charges: dec(t.shippingCharges),
    additional_notes: t.saleNote,
    staff_note: null,
    round_off_amount: dec(0),
    final_total: dec(t.finalTotal),
    expense_category_id: null,
    expense_for: null,
    commission_agent: null,
    document: null,
    is_direct_sale: 0,
    is_suspend: 0,
    exchange_rate: dec(1, 3),
    total_amount_recovered: null,
    transfer_parent_id: null,
    return_parent_id: t.returnParentId,
    opening_stock_product_id: null,
    created_by: t.createdBy,
    is_created_from_api: 1,
    rp_earned: 0,
    is_recurring: 0,
    recur_parent_id: null,
    invoice_token: null,
    pay_term_number: null,
    pay_term_type: null,
    selling_price_group_id: null,
    created_at: dateTime(t.createdAt),
    updated_at: dateTime(t.updatedAt),
  };
}

const invoiceLinks = (t: Transaction, ctx: RenderContext) => {
  const token = t.id.toString(16).padStart(32, "0");
  return { invoice_url: `${ctx.origin}/invoice/${token}`, payment_link: `${ctx.origin}/pay/${token}` };
};

/** A sell with its lines and payments, as `POST /sell` returns each created sell. */
export function sellWithLinesJson(t: Transaction, ctx: RenderContext) {
  return {
    ...transactionJson(t),
    ...invoiceLinks(t, ctx),
    sell_lines: t.sellLines.map(sellLineJson),
    payment_lines: t.paymentLines.map(paymentLineJson),
  };
}

/** A sell as `GET /sell` lists it (SellResource: lines, payments and the contact). */
export function sellResourceJson(state: ProkipState, t: Transaction, ctx: RenderContext) {
  const contact = state.contacts.get(t.contactId);
  return {
    ...transactionJson(t),
    sell_lines: t.sellLines.map(sellLineJson),
    payment_lines: t.paymentLines.map(paymentLineJson),
    contact: contact ? contactJson(contact) : null,
    ...invoiceLinks(t, ctx),
  };
}

/** `PUT /sell/{id}` reloads the sell `with(['payment_lines'])` only: no sell_lines in the answer. */
export function updatedSellJson(t: Transaction, ctx: RenderContext) {
  return { ...transactionJson(t), payment_lines: t.paymentLines.map(paymentLineJson), ...invoiceLinks(t, ctx) };
}

/**
 * REST-style webhook payloads, modelled on the example payloads in Shopify's webhook topic
 * reference (https://shopify.dev/docs/api/webhooks?reference=toml). Only the fields an inventory
 * sync can use are filled in with real data; money fields ignore tax, discounts and shipping.
 * Numeric IDs are the legacy IDs; `admin_graphql_api_id` carries the matching gid.
 */
import { externalId, gid, inventoryLevelGid, restId } from "./ids.ts";
import { fromCents, orderTotals, toCents } from "./money.ts";
import {
  PLAN_LIMITS,
  onHand,
  skuOf,
  variantTitle,
  type BulkOperation,
  type InventoryLevel,
  type LineItem,
  type Order,
  type OrderEdit,
  type Product,
  type Refund,
  type Shop,
} from "./state.ts";
import { isoWithOffset } from "./time.ts";

function moneySet(shop: Shop, amount: string): { shop_money: object; presentment_money: object } {
  const money = { amount, currency_code: shop.currency };
  return { shop_money: money, presentment_money: money };
}

function at(shop: Shop, ms: number | null): string | null {
  return ms === null ? null : isoWithOffset(ms, shop.timezoneOffsetMinutes);
}

/** `inventory_levels/update`: `{inventory_item_id, location_id, available, updated_at, admin_graphql_api_id}`. */
export function inventoryLevelPayload(shop: Shop, level: InventoryLevel): object {
  return {
    inventory_item_id: restId(level.inventoryItemId),
    location_id: restId(level.locationId),
    available: level.quantities.available,
    updated_at: at(shop, level.updatedAt),
    admin_graphql_api_id: inventoryLevelGid(level.locationId, level.inventoryItemId),
  };
}

function lineItemPayload(shop: Shop, order: Order, line: LineItem): object {
  const fulfillable = order.cancelledAt === null ? line.currentQuantity : 0;
  return {
    id: restId(line.id),
    admin_graphql_api_id: gid("LineItem", line.id),
    attributed_staffs: [],
    current_quantity: line.currentQuantity,
    fulfillable_quantity: fulfillable,
    fulfillment_service: "manual",
    fulfillment_status: null,
    gift_card: false,
    grams: 0,
    name: line.variantTitle ? `${line.title} - ${line.variantTitle}` : line.title,
    price: line.price,
    price_set: moneySet(shop, line.price),
    product_exists: line.productId !== null && shop.products.has(line.productId),
    product_id: restId(line.productId),
    properties: [],
    quantity: line.quantity,
    requires_shipping: true,
    sku: line.sku,
    taxable: true,
    title: line.title,
    total_discount: "0.00",
    total_discount_set: moneySet(shop, "0.00"),
    variant_id: restId(line.variantId),
    variant_inventory_management: line.inventoryItemId === null ? null : "shopify",
    variant_title: line.variantTitle,
    vendor: line.vendor,
    tax_lines: [],
    duties: [],
    discount_allocations: [],
  };
}

export function refundPayload(shop: Shop, order: Order, refund: Refund): object {
  const subtotal = refund.lines.reduce((sum, l) => sum + toCents(l.subtotal), 0);
  return {
    id: restId(refund.id),
    admin_graphql_api_id: gid("Refund", refund.id),
    order_id: restId(order.id),
    created_at: at(shop, refund.createdAt),
    processed_at: at(shop, refund.createdAt),
    note: refund.note,
    restock: refund.restock,
    user_id: null,
    total_duties_set: moneySet(shop, "0.00"),
    duties: [],
    order_adjustments: [],
    transactions:
      subtotal > 0
        ? [
            {
              id: restId(refund.id),
              order_id: restId(order.id),
              kind: "refund",
              status: "success",
              amount: fromCents(subtotal),
              currency: shop.currency,
              gateway: "manual",
            },
          ]
        : [],
    refund_line_items: refund.lines.map((rl) => {
      const line = order.lineItems.find((l) => l.id === rl.lineItemId);
      return {
        id: restId(rl.id),
        line_item_id: restId(rl.lineItemId),
        location_id: restId(rl.locationId),
        quantity: rl.quantity,
        restock_type: rl.restockType.toLowerCase(),
        subtotal: Number(rl.subtotal),
        subtotal_set: moneySet(shop, rl.subtotal),
        total_tax: 0,
        total_tax_set: moneySet(shop, "0.00"),
        line_item: line ? lineItemPayload(shop, order, line) : null,
      };
    }),
  };
}

/** An address as order payloads carry it (billing, shipping, a customer's default). */
function addressPayload(shop: Shop, order: Order): object {
  const location = shop.locations.get(order.locationId);
  return {
    first_name: "Sandbox",
    address1: location?.address1 ?? "1 Sandbox Street",
    phone: null,
    city: location?.city ?? "Nairobi",
    zip: "00100",
    province: null,
    country: location?.country ?? "Kenya",
    last_name: "Buyer",
    address2: null,
    company: null,
    latitude: null,
    longitude: null,
    name: "Sandbox Buyer",
    country_code: location?.countryCode ?? "KE",
    province_code: null,
  };
}

function customerPayload(shop: Shop, order: Order): object | null {
  if (order.customerId === null) return null;
  return {
    id: restId(order.customerId),
    email: order.email,
    accepts_marketing: false,
    created_at: at(shop, order.createdAt),
    updated_at: at(shop, order.createdAt),
    first_name: "Sandbox",
    last_name: "Buyer",
    state: "disabled",
    note: null,
    verified_email: true,
    multipass_identifier: null,
    tax_exempt: false,
    phone: null,
    email_marketing_consent: { state: "not_subscribed", opt_in_level: "single_opt_in", consent_updated_at: null },
    sms_marketing_consent: null,
    tags: "",
    currency: shop.currency,
    accepts_marketing_updated_at: null,
    marketing_opt_in_level: null,
    tax_exemptions: [],
    admin_graphql_api_id: `gid://shopify/Customer/${externalId(order.customerId)}`,
    default_address: {
      id: restId(order.customerId),
      customer_id: restId(order.customerId),
      ...addressPayload(shop, order),
      country_name: shop.locations.get(order.locationId)?.country ?? "Kenya",
      default: true,
    },
  };
}

/**
 * Order topics (orders/create, paid, updated, cancelled): the documented orders/create example's
 * fields (https://shopify.dev/docs/api/webhooks?reference=toml, orders/create), money sets,
 * addresses and customer included, so a parser that depends on one of them is exercised here.
 * No taxes, discounts or shipping are emulated: those amounts are zero.
 */
export function orderPayload(shop: Shop, order: Order): object {
  const totals = orderTotals(order);
  const money = (cents: number) => fromCents(cents);
  const original = money(totals.original);
  const current = money(totals.current);
  const address = order.email ? addressPayload(shop, order) : null;
  return {
    id: restId(order.id),
    admin_graphql_api_id: gid("Order", order.id),
    app_id: null,
    browser_ip: null,
    buyer_accepts_marketing: false,
    cancel_reason: order.cancelReason?.toLowerCase() ?? null,
    cancelled_at: at(shop, order.cancelledAt),
    cart_token: null,
    checkout_id: null,
    checkout_token: null,
    client_details: null,
    closed_at: at(shop, order.closedAt),
    confirmation_number: `PRK${order.id}`,
    confirmed: true,
    contact_email: order.email,
    created_at: at(shop, order.createdAt),
    currency: shop.currency,
    current_subtotal_price: current,
    current_subtotal_price_set: moneySet(shop, current),
    current_total_additional_fees_set: null,
    current_total_discounts: "0.00",
    current_total_discounts_set: moneySet(shop, "0.00"),
    current_total_duties_set: null,
    current_total_price: current,
    current_total_price_set: moneySet(shop, current),
    current_total_tax: "0.00",
    current_total_tax_set: moneySet(shop, "0.00"),
    customer_locale: "en",
    device_id: null,
    discount_codes: [],
    email: order.email,
    estimated_taxes: false,
    financial_status: order.financialStatus,
    fulfillment_status: null,
    landing_site: null,
    landing_site_ref: null,
    location_id: restId(order.locationId),
    merchant_of_record_app_id: null,
    name: order.name,
    note: null,
    note_attributes: [],
    number: order.number - 1000,
    order_number: order.number,
    order_status_url: `https://${shop.domain}/${externalId(shop.id)}/orders/${order.id}/authenticate?key=sandbox`,
    original_total_additional_fees_set: null,
    original_total_duties_set: null,
    payment_gateway_names: order.financialStatus === "pending" ? [] : ["manual"],
    phone: null,
    presentment_currency: shop.currency,
    processed_at: at(shop, order.processedAt),
    reference: null,
    referring_site: null,
    source_identifier: null,
    source_name: order.sourceName,
    source_url: null,
    subtotal_price: original,
    subtotal_price_set: moneySet(shop, original),
    tags: "",
    tax_lines: [],
    taxes_included: false,
    test: order.test,
    token: `sandbox${order.id}`,
    total_discounts: "0.00",
    total_discounts_set: moneySet(shop, "0.00"),
    total_line_items_price: original,
    total_line_items_price_set: moneySet(shop, original),
    total_outstanding: order.financialStatus === "pending" ? original : "0.00",
    total_price: original,
    total_price_set: moneySet(shop, original),
    total_shipping_price_set: moneySet(shop, "0.00"),
    total_tax: "0.00",
    total_tax_set: moneySet(shop, "0.00"),
    total_tip_received: "0.00",
    total_weight: 0,
    updated_at: at(shop, order.updatedAt),
    user_id: null,
    billing_address: address,
    customer: customerPayload(shop, order),
    discount_applications: [],
    fulfillments: [],
    line_items: order.lineItems.map((line) => lineItemPayload(shop, order, line)),
    payment_terms: null,
    refunds: order.refunds.map((refund) => refundPayload(shop, order, refund)),
    shipping_address: address,
    shipping_lines: [],
  };
}

/** `orders/edited`: describes the edit, not the whole order. */
export function orderEditPayload(shop: Shop, order: Order, edit: OrderEdit): object {
  return {
    order_edit: {
      id: restId(edit.id),
      app_id: null,
      created_at: at(shop, edit.createdAt),
      notify_customer: false,
      order_id: restId(order.id),
      staff_note: "",
      user_id: null,
      line_items: {
        additions: [],
        removals: edit.removals.map((r) => ({ id: restId(r.lineItemId), delta: r.delta })),
      },
      discounts: { line_item: { additions: [], removals: [] } },
      shipping_lines: { additions: [], removals: [] },
    },
  };
}

/** products/create and products/update. */
export function productPayload(shop: Shop, product: Product): object {
  const variants = product.variantIds.flatMap((id) => {
    const v = shop.variants.get(id);
    return v ? [v] : [];
  });
  return {
    id: restId(product.id),
    admin_graphql_api_id: gid("Product", product.id),
    title: product.title,
    body_html: product.descriptionHtml,
    vendor: product.vendor,
    product_type: product.productType,
    handle: product.handle,
    status: product.status.toLowerCase(),
    tags: product.tags.join(", "),
    created_at: at(shop, product.createdAt),
    updated_at: at(shop, product.updatedAt),
    published_at: product.status === "ACTIVE" ? at(shop, product.createdAt) : null,
    published_scope: "global",
    template_suffix: null,
    variants: variants.map((v) => {
      const levels = [...shop.levels.values()].filter((l) => l.inventoryItemId === v.inventoryItemId);
      return {
        id: restId(v.id),
        admin_graphql_api_id: gid("ProductVariant", v.id),
        product_id: restId(product.id),
        title: variantTitle(v),
        price: v.price,
        sku: skuOf(shop, v),
        position: v.position,
        inventory_policy: v.inventoryPolicy.toLowerCase(),
        compare_at_price: v.compareAtPrice,
        option1: v.selectedOptions[0]?.value ?? null,
        option2: v.selectedOptions[1]?.value ?? null,
        option3: v.selectedOptions[2]?.value ?? null,
        created_at: at(shop, v.createdAt),
        updated_at: at(shop, v.updatedAt),
        taxable: v.taxable,
        barcode: v.barcode,
        inventory_item_id: restId(v.inventoryItemId),
        inventory_quantity: levels.reduce((sum, l) => sum + l.quantities.available, 0),
        old_inventory_quantity: levels.reduce((sum, l) => sum + l.quantities.available, 0),
        image_id: null,
      };
    }),
    options: product.options.map((o) => ({
      id: restId(o.id),
      product_id: restId(product.id),
      name: o.name,
      position: o.position,
      values: o.values.map((v) => v.name),
    })),
    images: [],
    image: null,
    media: [],
    variant_gids: variants.map((v) => ({
      admin_graphql_api_id: gid("ProductVariant", v.id),
      updated_at: at(shop, v.updatedAt),
    })),
    has_variants_that_requires_components: false,
    category: null,
  };
}

/** products/delete carries only the id. */
export function productDeletePayload(productId: number): object {
  return { id: restId(productId) };
}

/** app/uninstalled carries the shop resource. */
export function shopPayload(shop: Shop): object {
  const location = [...shop.locations.values()][0];
  return {
    id: restId(shop.id),
    name: shop.name,
    email: shop.email,
    domain: shop.domain,
    myshopify_domain: shop.domain,
    province: null,
    country: location?.countryCode ?? null,
    address1: location?.address1 ?? null,
    city: location?.city ?? null,
    zip: null,
    phone: null,
    latitude: null,
    longitude: null,
    primary_locale: "en",
    created_at: at(shop, shop.createdAt),
    updated_at: at(shop, shop.createdAt),
    country_code: location?.countryCode ?? null,
    country_name: location?.country ?? null,
    currency: shop.currency,
    customer_email: shop.email,
    timezone: shop.ianaTimezone,
    iana_timezone: shop.ianaTimezone,
    shop_owner: shop.name,
    money_format: `${shop.currency} {{amount}}`,
    weight_unit: "kg",
    plan_display_name: PLAN_LIMITS[shop.plan].displayName,
    plan_name: shop.plan === "plus" ? "shopify_plus" : shop.plan === "advanced" ? "unlimited" : "basic",
    has_storefront: true,
    password_enabled: false,
    taxes_included: false,
  };
}

/** bulk_operations/finish. */
export function bulkOperationPayload(shop: Shop, op: BulkOperation): object {
  return {
    admin_graphql_api_id: gid("BulkOperation", op.id),
    completed_at: at(shop, op.completedAt),
    created_at: at(shop, op.createdAt),
    error_code: op.errorCode?.toLowerCase() ?? null,
    status: op.status.toLowerCase(),
    type: "query",
  };
}

/** Used by tests and the control API to show what stock looks like without GraphQL. */
export function levelSummary(level: InventoryLevel): Record<string, number> {
  return { ...level.quantities, on_hand: onHand(level) };
}

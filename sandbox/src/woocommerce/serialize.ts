/**
 * Records -> REST JSON, following the wc/v3 controllers' `prepare_object_for_response`
 * (products, variations, orders, refunds, webhooks, system status). Webhook payloads use the same
 * functions, as WooCommerce builds them with `get_endpoint_data( "/wc/v3/{resource}s/{id}" )`.
 */
import {
  activePriceCents,
  childrenOf,
  effectiveStockQuantity,
  effectiveStockStatus,
  getProduct,
  stockOwner,
} from "./catalog.ts";
import { orderTotalCents } from "./orders.ts";
import type {
  CatalogRecord,
  OrderLineRecord,
  OrderRecord,
  ProductRecord,
  RefundRecord,
  SiteRecord,
  VariationRecord,
  WebhookRecord,
} from "./types.ts";
import { formatCents, wcDate } from "./util.ts";

export interface RenderContext {
  /** The site's home URL without a trailing slash, e.g. `http://127.0.0.1:4000/demo`. */
  siteUrl: string;
  wcVersion: string;
  wpVersion: string;
}

export function restUrl(ctx: RenderContext, path: string): string {
  return `${ctx.siteUrl}/wp-json/wc/v3${path}`;
}

const currencySymbols: Record<string, string> = {
  KES: "KSh",
  USD: "$",
  EUR: "€",
  GBP: "£",
  NGN: "₦",
  ZAR: "R",
  UGX: "UGX",
  TZS: "TSh",
};

function links(ctx: RenderContext, self: string, collection: string, up?: string): Record<string, { href: string }[]> {
  return {
    self: [{ href: restUrl(ctx, self) }],
    collection: [{ href: restUrl(ctx, collection) }],
    ...(up ? { up: [{ href: restUrl(ctx, up) }] } : {}),
  };
}

function dates(prefix: string, ms: number | null): Record<string, string | null> {
  return { [prefix]: wcDate(ms), [`${prefix}_gmt`]: wcDate(ms) };
}

/** `get_price()`: the sale price while on sale, else the regular price, as stored. */
function priceString(record: CatalogRecord): string {
  return record.salePrice !== "" ? record.salePrice : record.regularPrice;
}

/** Purchasable variations, cheapest first: a variable product's price is its cheapest child's. */
function pricedChildren(site: SiteRecord, product: ProductRecord): VariationRecord[] {
  return childrenOf(site, product)
    .filter((v) => v.status === "publish" && priceString(v) !== "")
    .sort((a, b) => activePriceCents(a) - activePriceCents(b));
}

function priceHtml(site: SiteRecord, cents: number[]): string {
  const symbol = currencySymbols[site.currency] ?? site.currency;
  const amount = (c: number) =>
    `<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">${symbol}</span>${(c / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}</bdi></span>`;
  if (cents.length === 0) return "";
  const min = Math.min(...cents);
  const max = Math.max(...cents);
  return min === max ? amount(min) : `${amount(min)} &ndash; ${amount(max)}`;
}

function stockFields(site: SiteRecord, record: CatalogRecord): Record<string, unknown> {
  const owner = stockOwner(site, record);
  const quantity = effectiveStockQuantity(site, record);
  const backorders = owner ? owner.backorders : record.backorders;
  const manage = record.kind === "variation" && !record.manageStock && owner ? "parent" : record.manageStock;
  return {
    manage_stock: manage,
    stock_quantity: quantity,
    backorders,
    backorders_allowed: backorders !== "no",
    backordered: owner !== null && backorders !== "no" && (quantity ?? 0) <= 0,
    low_stock_amount: record.lowStockAmount,
  };
}

/** Variation name as WooCommerce generates it: "Parent - Option, Option". */
export function variationName(site: SiteRecord, variation: VariationRecord): string {
  const parent = getProduct(site, variation.parentId);
  const options = variation.attributes.map((a) => a.option).filter((o) => o !== "");
  return options.length > 0 ? `${parent?.name ?? ""} - ${options.join(", ")}` : (parent?.name ?? "");
}

/** `GET /products/{id}`: products and (when asked by id) variations, as the products controller renders them. */
export function renderProduct(ctx: RenderContext, site: SiteRecord, record: CatalogRecord): Record<string, unknown> {
  if (record.kind === "variation") return renderVariationAsProduct(ctx, site, record);
  const p = record;
  const isVariable = p.type === "variable";
  const children = isVariable ? pricedChildren(site, p) : [];
  const prices = isVariable ? children.map(activePriceCents) : priceString(p) === "" ? [] : [activePriceCents(p)];
  const price = isVariable ? (children[0] ? priceString(children[0]) : "") : priceString(p);
  return {
    id: p.id,
    name: p.name,
    slug: p.slug,
    permalink: `${ctx.siteUrl}/product/${p.slug}/`,
    ...dates("date_created", p.dateCreated),
    ...dates("date_modified", p.dateModified),
    type: p.type,
    status: p.status,
    featured: p.featured,
    catalog_visibility: p.catalogVisibility,
    description: p.description,
    short_description: p.shortDescription,
    sku: p.sku,
    price,
    regular_price: p.regularPrice,
    sale_price: p.salePrice,
    date_on_sale_from: null,
    date_on_sale_from_gmt: null,
    date_on_sale_to: null,
    date_on_sale_to_gmt: null,
    on_sale: !isVariable && p.salePrice !== "",
    purchasable: p.status !== "trash" && (isVariable ? prices.length > 0 : price !== ""),
    total_sales: p.totalSales,
    virtual: p.virtual,
    downloadable: false,
    downloads: [],
    download_limit: -1,
    download_expiry: -1,
    external_url: "",
    button_text: "",
    tax_status: p.taxStatus,
    tax_class: p.taxClass,
    ...stockFields(site, p),
    sold_individually: false,
    weight: p.weight,
    dimensions: { length: "", width: "", height: "" },
    shipping_required: !p.virtual,
    shipping_taxable: !p.virtual,
    shipping_class: "",
    shipping_class_id: 0,
    reviews_allowed: true,
    average_rating: "0.00",
    rating_count: 0,
    upsell_ids: [],
    cross_sell_ids: [],
    parent_id: p.parentId,
    purchase_note: "",
    categories: [{ id: 15, name: "Uncategorized", slug: "uncategorized" }],
    tags: [],
    images: [],
    attributes: p.attributes.map((a) => ({
      id: a.id,
      name: a.name,
      slug: a.name.toLowerCase(),
      position: a.position,
      visible: a.visible,
      variation: a.variation,
      options: a.options,
    })),
    default_attributes: [],
    variations: isVariable ? childrenOf(site, p).map((v) => v.id) : [],
    grouped_products: p.groupedProducts,
    menu_order: p.menuOrder,
    price_html: priceHtml(site, prices),
    related_ids: [],
    meta_data: p.metaData,
    stock_status: effectiveStockStatus(site, p),
    has_options: isVariable,
    post_password: "",
    _links: links(ctx, `/products/${p.id}`, "/products"),
  };
}

function variationCore(ctx: RenderContext, site: SiteRecord, v: VariationRecord): Record<string, unknown> {
  return {
    id: v.id,
    ...dates("date_created", v.dateCreated),
    ...dates("date_modified", v.dateModified),
    description: v.description,
    permalink: `${ctx.siteUrl}/product/${getProduct(site, v.parentId)?.slug ?? ""}/?${v.attributes.map((a) => `attribute_${encodeURIComponent(a.name.toLowerCase())}=${encodeURIComponent(a.option)}`).join("&")}`,
    sku: v.sku,
    price: priceString(v),
    regular_price: v.regularPrice,
    sale_price: v.salePrice,
    date_on_sale_from: null,
    date_on_sale_from_gmt: null,
    date_on_sale_to: null,
    date_on_sale_to_gmt: null,
    on_sale: v.salePrice !== "",
    status: v.status,
    purchasable: v.status === "publish" && priceString(v) !== "",
    virtual: v.virtual,
    downloadable: false,
    downloads: [],
    download_limit: -1,
    download_expiry: -1,
    tax_status: "taxable",
    tax_class: "",
    ...stockFields(site, v),
    weight: v.weight,
    dimensions: { length: "", width: "", height: "" },
    shipping_class: "",
    shipping_class_id: 0,
    image: null,
    attributes: variationAttributes(v),
    menu_order: v.menuOrder,
    meta_data: v.metaData,
    stock_status: effectiveStockStatus(site, v),
  };
}

/** A variation's attributes in 7.9: `{id, name, option}`, no `slug`. */
function variationAttributes(v: VariationRecord): Record<string, unknown>[] {
  return v.attributes.map((a) => ({ id: a.id, name: a.name, option: a.option }));
}

/**
 * `GET /products/{parent}/variations/{id}`: WooCommerce 7.9's variations controller gives no
 * `name` (measured) and no `type` (added in 9.0, woocommerce/woocommerce#47377).
 */
export function renderVariation(ctx: RenderContext, site: SiteRecord, v: VariationRecord): Record<string, unknown> {
  return {
    ...variationCore(ctx, site, v),
    parent_id: v.parentId,
    _links: links(
      ctx,
      `/products/${v.parentId}/variations/${v.id}`,
      `/products/${v.parentId}/variations`,
      `/products/${v.parentId}`,
    ),
  };
}

/**
 * `GET /products/{variation id}`, and the body of a variation's `product.updated`: the products
 * controller's shape for a variation (measured on 7.9: `type: variation`, categories, images,
 * `related_ids`, `price_html`; `total_sales` is the string "0", the variation's default, since
 * WooCommerce counts sales on the parent product).
 */
function renderVariationAsProduct(ctx: RenderContext, site: SiteRecord, v: VariationRecord): Record<string, unknown> {
  const core = variationCore(ctx, site, v);
  const price = priceString(v);
  return {
    id: v.id,
    name: variationName(site, v),
    slug: `${getProduct(site, v.parentId)?.slug ?? "product"}-${v.attributes.map((a) => a.option.toLowerCase()).join("-")}`,
    permalink: core.permalink,
    ...dates("date_created", v.dateCreated),
    ...dates("date_modified", v.dateModified),
    type: "variation",
    status: v.status,
    featured: false,
    catalog_visibility: "visible",
    description: v.description,
    short_description: "",
    sku: v.sku,
    price,
    regular_price: v.regularPrice,
    sale_price: v.salePrice,
    date_on_sale_from: null,
    date_on_sale_from_gmt: null,
    date_on_sale_to: null,
    date_on_sale_to_gmt: null,
    on_sale: v.salePrice !== "",
    purchasable: core.purchasable,
    total_sales: "0",
    virtual: v.virtual,
    downloadable: false,
    downloads: [],
    download_limit: -1,
    download_expiry: -1,
    external_url: "",
    button_text: "",
    tax_status: "taxable",
    tax_class: "",
    ...stockFields(site, v),
    sold_individually: false,
    weight: v.weight,
    dimensions: { length: "", width: "", height: "" },
    shipping_required: !v.virtual,
    shipping_taxable: !v.virtual,
    shipping_class: "",
    shipping_class_id: 0,
    reviews_allowed: true,
    average_rating: "0.00",
    rating_count: 0,
    upsell_ids: [],
    cross_sell_ids: [],
    parent_id: v.parentId,
    purchase_note: "",
    categories: [{ id: 15, name: "Uncategorized", slug: "uncategorized" }],
    tags: [],
    images: [],
    attributes: variationAttributes(v),
    default_attributes: [],
    variations: [],
    grouped_products: [],
    menu_order: v.menuOrder,
    price_html: price === "" ? "" : priceHtml(site, [activePriceCents(v)]),
    related_ids: [],
    meta_data: v.metaData,
    stock_status: effectiveStockStatus(site, v),
    has_options: false,
    post_password: "",
    _links: links(ctx, `/products/${v.id}`, "/products", `/products/${v.parentId}`),
  };
}

/**
 * An order line's `meta_data` as `WC_REST_Orders_V2_Controller::get_order_item_data` builds it:
 * `$item->get_data()['meta_data']`, i.e. every meta row that is not one of the data store's
 * internal keys (`_product_id`, `_qty`, `_line_total`...), underscore-prefixed ones included, each
 * with `display_key`/`display_value`. So WooCommerce's stock bookkeeping, `_reduced_stock`
 * (`wc_reduce_stock_levels`, lowered by `wc_restock_refunded_items`, deleted by
 * `wc_increase_stock_levels`) and `_restock_refunded_items` (`wc_restock_refunded_items`), is
 * visible to REST clients. Values are strings, as read back from the meta table; rows in id order.
 */
function lineMeta(l: OrderLineRecord): Record<string, unknown>[] {
  const rows: { id: number; key: string; value: unknown }[] = [...l.metaData];
  if (l.stockMetaIds.reducedStock !== null && l.reducedStock !== null)
    rows.push({ id: l.stockMetaIds.reducedStock, key: "_reduced_stock", value: String(l.reducedStock) });
  if (l.stockMetaIds.restockedRefunded !== null)
    rows.push({
      id: l.stockMetaIds.restockedRefunded,
      key: "_restock_refunded_items",
      value: String(l.restockedRefunded),
    });
  return rows
    .sort((a, b) => a.id - b.id)
    .map((m) => ({ id: m.id, key: m.key, value: m.value, display_key: m.key, display_value: m.value }));
}

/** `GET /orders/{id}`. */
export function renderOrder(ctx: RenderContext, site: SiteRecord, o: OrderRecord): Record<string, unknown> {
  const total = orderTotalCents(o);
  const shippingTotal = o.shippingLines.reduce((s, l) => s + l.totalCents, 0);
  return {
    id: o.id,
    parent_id: 0,
    status: o.status,
    currency: o.currency,
    version: ctx.wcVersion,
    prices_include_tax: false,
    ...dates("date_created", o.dateCreated),
    ...dates("date_modified", o.dateModified),
    discount_total: "0.00",
    discount_tax: "0.00",
    shipping_total: formatCents(shippingTotal),
    shipping_tax: "0.00",
    cart_tax: "0.00",
    total: formatCents(total),
    total_tax: "0.00",
    customer_id: o.customerId,
    order_key: o.orderKey,
    billing: o.billing,
    shipping: o.shipping,
    payment_method: o.paymentMethod,
    payment_method_title: o.paymentMethodTitle,
    transaction_id: o.transactionId,
    customer_ip_address: o.customerIpAddress,
    customer_user_agent: o.customerUserAgent,
    created_via: o.createdVia,
    customer_note: o.customerNote,
    date_completed: wcDate(o.dateCompleted),
    date_paid: wcDate(o.datePaid),
    cart_hash: "",
    number: String(o.id),
    meta_data: o.metaData,
    line_items: o.lineItems.map((l) => ({
      id: l.id,
      name: l.name,
      product_id: l.productId,
      variation_id: l.variationId,
      quantity: l.quantity,
      tax_class: l.taxClass,
      subtotal: formatCents(l.subtotalCents),
      subtotal_tax: "0.00",
      total: formatCents(l.totalCents),
      total_tax: "0.00",
      taxes: [],
      meta_data: lineMeta(l),
      sku: l.sku,
      price: l.quantity !== 0 ? l.totalCents / 100 / l.quantity : 0,
      image: { id: "", src: "" },
      parent_name: l.variationId ? (getProduct(site, l.productId)?.name ?? null) : null,
    })),
    tax_lines: [],
    shipping_lines: o.shippingLines.map((s) => ({
      id: s.id,
      method_title: s.methodTitle,
      method_id: s.methodId,
      instance_id: "0",
      total: formatCents(s.totalCents),
      total_tax: "0.00",
      taxes: [],
      meta_data: [],
    })),
    fee_lines: [],
    coupon_lines: [],
    // The order only summarises its refunds; line detail lives under /orders/{id}/refunds.
    refunds: o.refundIds
      .map((id) => site.refunds.get(id))
      .filter((r): r is RefundRecord => r !== undefined)
      .map((r) => ({ id: r.id, reason: r.reason, total: `-${formatCents(r.amountCents)}` })),
    payment_url: `${ctx.siteUrl}/checkout/order-pay/${o.id}/?pay_for_order=true&key=${o.orderKey}`,
    is_editable: ["pending", "on-hold", "auto-draft"].includes(o.status),
    needs_payment: ["pending", "failed"].includes(o.status) && total > 0,
    needs_processing: true,
    ...dates("date_completed", o.dateCompleted),
    ...dates("date_paid", o.datePaid),
    currency_symbol: currencySymbols[o.currency] ?? o.currency,
    _links: links(ctx, `/orders/${o.id}`, "/orders"),
  };
}

/** `GET /orders/{order}/refunds/{id}`: refund lines carry negative quantities and totals. */
export function renderRefund(ctx: RenderContext, r: RefundRecord): Record<string, unknown> {
  return {
    id: r.id,
    ...dates("date_created", r.dateCreated),
    amount: formatCents(r.amountCents),
    reason: r.reason,
    refunded_by: r.refundedBy,
    refunded_payment: r.refundedPayment,
    meta_data: r.metaData,
    line_items: r.lineItems.map((l) => ({
      id: l.id,
      name: l.name,
      product_id: l.productId,
      variation_id: l.variationId,
      quantity: l.quantity,
      tax_class: "",
      subtotal: formatCents(l.totalCents),
      subtotal_tax: "0.00",
      total: formatCents(l.totalCents),
      total_tax: "0.00",
      taxes: [],
      meta_data: [
        {
          id: 0,
          key: "_refunded_item_id",
          value: String(l.refundedItemId),
          display_key: "_refunded_item_id",
          display_value: String(l.refundedItemId),
        },
      ],
      sku: l.sku,
      price: l.quantity !== 0 ? l.totalCents / 100 / l.quantity : 0,
      refund_total: -l.totalCents / 100,
    })),
    shipping_lines: [],
    tax_lines: [],
    fee_lines: [],
    _links: {
      self: [{ href: restUrl(ctx, `/orders/${r.orderId}/refunds/${r.id}`) }],
      collection: [{ href: restUrl(ctx, `/orders/${r.orderId}/refunds`) }],
      up: [{ href: restUrl(ctx, `/orders/${r.orderId}`) }],
    },
  };
}

/** The hook names a topic listens to (`WC_Webhook::get_default_topic_hooks`). */
export const topicHooks: Record<string, string[]> = {
  "order.created": ["woocommerce_new_order"],
  "order.updated": ["woocommerce_update_order", "woocommerce_order_refunded", "woocommerce_delete_order_refund"],
  "order.deleted": ["wp_trash_post", "woocommerce_trash_order"],
  "order.restored": ["untrashed_post", "woocommerce_untrash_order"],
  "product.created": [
    "woocommerce_process_product_meta",
    "woocommerce_new_product",
    "woocommerce_new_product_variation",
  ],
  "product.updated": [
    "woocommerce_process_product_meta",
    "woocommerce_update_product",
    "woocommerce_update_product_variation",
  ],
  "product.deleted": ["wp_trash_post"],
  "product.restored": ["untrashed_post"],
  "coupon.created": ["woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"],
  "coupon.updated": ["woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"],
  "coupon.deleted": ["wp_trash_post"],
  "coupon.restored": ["untrashed_post"],
  "customer.created": ["user_register", "woocommerce_created_customer", "woocommerce_new_customer"],
  "customer.updated": ["profile_update", "woocommerce_update_customer"],
  "customer.deleted": ["delete_user"],
};

/** `GET /webhooks/{id}` (v2/v3 shape: no secret, no failure count). */
export function renderWebhook(ctx: RenderContext, w: WebhookRecord): Record<string, unknown> {
  const [resource = "", event = ""] = w.topic.split(".");
  return {
    id: w.id,
    name: w.name,
    status: w.status,
    topic: w.topic,
    resource,
    event,
    hooks: resource === "action" ? [event] : (topicHooks[w.topic] ?? []),
    delivery_url: w.deliveryUrl,
    ...dates("date_created", w.dateCreated),
    ...dates("date_modified", w.dateModified),
    _links: links(ctx, `/webhooks/${w.id}`, "/webhooks"),
  };
}

/** `GET /system_status`: the parts a connection test reads. */
export function renderSystemStatus(ctx: RenderContext, site: SiteRecord, https: boolean): Record<string, unknown> {
  return {
    environment: {
      home_url: ctx.siteUrl,
      site_url: ctx.siteUrl,
      store_id: site.salt.slice(0, 32),
      version: ctx.wcVersion,
      log_directory: "/var/www/html/wp-content/uploads/wc-logs/",
      log_directory_writable: true,
      wp_version: ctx.wpVersion,
      wp_multisite: false,
      wp_memory_limit: 268435456,
      wp_debug_mode: false,
      wp_cron: true,
      language: "en_US",
      external_object_cache: null,
      server_info: "Prokip Sync sandbox (WooCommerce emulator)",
      php_version: "8.2.28",
      php_post_max_size: 67108864,
      php_max_execution_time: 30,
      php_max_input_vars: 1000,
      curl_version: "7.88.1, OpenSSL/3.0.15",
      suhosin_installed: false,
      max_upload_size: 67108864,
      mysql_version: "10.11.11",
      mysql_version_string: "10.11.11-MariaDB",
      default_timezone: "UTC",
      fsockopen_or_curl_enabled: true,
      soapclient_enabled: false,
      domdocument_enabled: true,
      gzip_enabled: true,
      mbstring_enabled: true,
      remote_post_successful: true,
      remote_post_response: 200,
      remote_get_successful: true,
      remote_get_response: 200,
    },
    database: { wc_database_version: ctx.wcVersion, database_prefix: "wp_", database_tables: {}, database_size: {} },
    active_plugins: [
      {
        plugin: "woocommerce/woocommerce.php",
        name: "WooCommerce",
        version: ctx.wcVersion,
        version_latest: ctx.wcVersion,
        url: "https://woocommerce.com/",
        author_name: "Automattic",
        author_url: "https://woocommerce.com",
        network_activated: false,
      },
    ],
    inactive_plugins: [],
    dropins_mu_plugins: { dropins: [], mu_plugins: [] },
    theme: {
      name: "Storefront",
      version: "4.6.1",
      version_latest: "4.6.1",
      author_url: "https://woocommerce.com/",
      is_child_theme: false,
      has_woocommerce_support: true,
    },
    settings: {
      api_enabled: true,
      force_ssl: false,
      currency: site.currency,
      currency_symbol: currencySymbols[site.currency] ?? site.currency,
      currency_position: "left",
      thousand_separator: ",",
      decimal_separator: ".",
      number_of_decimals: 2,
      geolocation_enabled: false,
      taxonomies: { external: "external", grouped: "grouped", simple: "simple", variable: "variable" },
      product_visibility_terms: {},
      woocommerce_com_connected: "no",
      enforce_approved_download_dirs: true,
      order_datastore: "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\OrdersTableDataStore",
      HPOS_enabled: true,
    },
    security: { secure_connection: https, hide_errors: true },
    pages: [],
    post_type_counts: [
      { type: "product", count: [...site.catalog.values()].filter((r) => r.kind === "product").length },
      { type: "product_variation", count: [...site.catalog.values()].filter((r) => r.kind === "variation").length },
    ],
    logging: {
      handler: "Automattic\\WooCommerce\\Internal\\Admin\\Logging\\LogHandlerFileV2",
      level_threshold: "none",
      log_directory_size: "0 B",
    },
    _links: {},
  };
}

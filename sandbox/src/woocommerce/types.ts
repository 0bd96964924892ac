/**
 * In-memory records of one emulated WooCommerce site. They mirror WooCommerce's data model
 * (posts for products/variations, order + order items, refunds as child orders, webhooks and API
 * keys in their own tables) closely enough that the REST shapes can be derived from them.
 */
export type StockStatus = "instock" | "outofstock" | "onbackorder";
export type Backorders = "no" | "notify" | "yes";
export type ProductType = "simple" | "variable" | "grouped" | "external";
export type ProductStatus = "publish" | "draft" | "pending" | "private" | "future" | "trash";
export type OrderStatus =
  "pending" | "processing" | "on-hold" | "completed" | "cancelled" | "refunded" | "failed" | "trash" | "checkout-draft";
export type WebhookStatus = "active" | "paused" | "disabled";
export type KeyPermissions = "read" | "write" | "read_write";

export interface MetaEntry {
  id: number;
  key: string;
  value: unknown;
}

export interface ProductAttribute {
  id: number;
  name: string;
  position: number;
  visible: boolean;
  variation: boolean;
  options: string[];
}

/** Fields products and variations share (both are `WC_Product` objects in WooCommerce). */
interface StockKeepingRecord {
  id: number;
  sku: string;
  description: string;
  regularPrice: string;
  salePrice: string;
  manageStock: boolean;
  /** null when stock is not managed (REST shows `stock_quantity: null`). */
  stockQuantity: number | null;
  stockStatus: StockStatus;
  backorders: Backorders;
  lowStockAmount: number | null;
  totalSales: number;
  menuOrder: number;
  metaData: MetaEntry[];
  dateCreated: number;
  dateModified: number;
}

export interface ProductRecord extends StockKeepingRecord {
  kind: "product";
  type: ProductType;
  name: string;
  slug: string;
  status: ProductStatus;
  /** Status to restore when the product comes back from the trash. */
  statusBeforeTrash: ProductStatus | null;
  shortDescription: string;
  featured: boolean;
  catalogVisibility: "visible" | "catalog" | "search" | "hidden";
  virtual: boolean;
  taxStatus: "taxable" | "shipping" | "none";
  taxClass: string;
  weight: string;
  parentId: number;
  attributes: ProductAttribute[];
  /** Variation ids in menu order. */
  variationIds: number[];
  groupedProducts: number[];
}

export interface VariationRecord extends StockKeepingRecord {
  kind: "variation";
  parentId: number;
  status: "publish" | "private" | "trash";
  statusBeforeTrash: "publish" | "private" | null;
  virtual: boolean;
  weight: string;
  attributes: { id: number; name: string; option: string }[];
}

export type CatalogRecord = ProductRecord | VariationRecord;

export interface Address {
  first_name: string;
  last_name: string;
  company: string;
  address_1: string;
  address_2: string;
  city: string;
  state: string;
  postcode: string;
  country: string;
  email?: string;
  phone: string;
}

export interface OrderLineRecord {
  id: number;
  name: string;
  productId: number;
  variationId: number;
  quantity: number;
  sku: string;
  subtotalCents: number;
  totalCents: number;
  taxClass: string;
  /** The `_reduced_stock` item meta: how much stock this line currently holds back, or null. */
  reducedStock: number | null;
  /** The `_restock_refunded_items` item meta. */
  restockedRefunded: number;
  /**
   * Meta row ids of `_reduced_stock` / `_restock_refunded_items` while they exist. WooCommerce keeps
   * both as ordinary (non-internal) item meta, so REST shows them in `line_items[].meta_data`.
   */
  stockMetaIds: { reducedStock: number | null; restockedRefunded: number | null };
  metaData: MetaEntry[];
}

export interface ShippingLineRecord {
  id: number;
  methodTitle: string;
  methodId: string;
  totalCents: number;
}

export interface OrderRecord {
  id: number;
  status: OrderStatus;
  statusBeforeTrash: OrderStatus | null;
  currency: string;
  orderKey: string;
  createdVia: string;
  customerId: number;
  customerNote: string;
  billing: Address;
  shipping: Address;
  paymentMethod: string;
  paymentMethodTitle: string;
  transactionId: string;
  customerIpAddress: string;
  customerUserAgent: string;
  lineItems: OrderLineRecord[];
  shippingLines: ShippingLineRecord[];
  /** `_order_stock_reduced`: set once WooCommerce has taken the stock for this order. */
  stockReduced: boolean;
  refundIds: number[];
  metaData: MetaEntry[];
  dateCreated: number;
  dateModified: number;
  datePaid: number | null;
  dateCompleted: number | null;
}

export interface RefundLineRecord {
  id: number;
  refundedItemId: number;
  name: string;
  productId: number;
  variationId: number;
  sku: string;
  /** Negative, as WooCommerce stores refund lines. */
  quantity: number;
  /** Negative cents. */
  totalCents: number;
}

export interface RefundRecord {
  id: number;
  orderId: number;
  amountCents: number;
  reason: string;
  refundedBy: number;
  refundedPayment: boolean;
  lineItems: RefundLineRecord[];
  metaData: MetaEntry[];
  dateCreated: number;
}

export interface WebhookRecord {
  id: number;
  name: string;
  status: WebhookStatus;
  topic: string;
  deliveryUrl: string;
  secret: string;
  userId: number;
  apiVersion: number;
  failureCount: number;
  /** True until a ping has been answered with 200 (WC_Webhook::deliver_ping). */
  pendingDelivery: boolean;
  dateCreated: number;
  dateModified: number;
}

export interface ApiKeyRecord {
  keyId: number;
  userId: number;
  description: string;
  permissions: KeyPermissions;
  consumerKey: string;
  consumerSecret: string;
  /** OAuth nonces seen in the last 15 minutes, with their timestamps (seconds). */
  nonces: Map<string, number>;
  lastAccess: number | null;
}

/** One (topic, resource id) pair raised while handling one request; see webhooks.ts. */
export interface SiteEvent {
  resource: "product" | "order";
  event: "created" | "updated" | "deleted" | "restored";
  id: number;
}

export interface SiteRecord {
  slug: string;
  name: string;
  currency: string;
  /** Secret salt for `wp_hash` (webhook delivery ids). */
  salt: string;
  keys: ApiKeyRecord[];
  catalog: Map<number, CatalogRecord>;
  orders: Map<number, OrderRecord>;
  refunds: Map<number, RefundRecord>;
  webhooks: Map<number, WebhookRecord>;
  /** WordPress post ids are shared by products, variations, orders and refunds. */
  nextPostId: number;
  nextItemId: number;
  nextWebhookId: number;
  nextKeyId: number;
  nextMetaId: number;
}

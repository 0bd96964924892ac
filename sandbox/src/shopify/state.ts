/**
 * In-memory state of the emulated Shopify platform: shops (with their catalogue, stock and
 * orders), partner apps, installations and access tokens. Plain data only; the behaviour lives in
 * catalog.ts, inventory.ts, orders.ts and friends so each rule sits next to its explanation.
 */
import { IdSequence } from "./ids.ts";
import type { Clock } from "./time.ts";

export type PlanName = "standard" | "advanced" | "plus";

/** Rate-limit plans (GraphQL Admin API, per app per shop): restore rate and bucket (20x). */
export const PLAN_LIMITS: Record<PlanName, { restoreRate: number; bucketSize: number; displayName: string }> = {
  standard: { restoreRate: 100, bucketSize: 2_000, displayName: "Basic" },
  advanced: { restoreRate: 200, bucketSize: 4_000, displayName: "Advanced" },
  plus: { restoreRate: 1_000, bucketSize: 20_000, displayName: "Shopify Plus" },
};

export interface Location {
  id: number;
  name: string;
  address1: string | null;
  city: string | null;
  country: string | null;
  countryCode: string | null;
  isActive: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ProductOption {
  id: number;
  name: string;
  position: number;
  values: { id: number; name: string }[];
}

export interface Product {
  id: number;
  title: string;
  handle: string;
  descriptionHtml: string;
  vendor: string;
  productType: string;
  status: "ACTIVE" | "ARCHIVED" | "DRAFT" | "UNLISTED";
  tags: string[];
  options: ProductOption[];
  variantIds: number[];
  createdAt: number;
  updatedAt: number;
}

export interface Variant {
  id: number;
  productId: number;
  inventoryItemId: number;
  /** Option values in the product's option order, e.g. [{name:"Size", value:"Small"}]. */
  selectedOptions: { name: string; value: string }[];
  price: string;
  compareAtPrice: string | null;
  barcode: string | null;
  inventoryPolicy: "DENY" | "CONTINUE";
  taxable: boolean;
  position: number;
  createdAt: number;
  updatedAt: number;
}

export interface InventoryItem {
  id: number;
  variantId: number;
  sku: string | null;
  tracked: boolean;
  requiresShipping: boolean;
  cost: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * Stored quantity states. `on_hand` is derived: available + committed + reserved + damaged +
 * safety_stock + quality_control (Shopify's inventory states model); `incoming` is separate.
 */
export const STORED_QUANTITY_NAMES = [
  "available",
  "committed",
  "reserved",
  "damaged",
  "safety_stock",
  "quality_control",
  "incoming",
] as const;
export type StoredQuantityName = (typeof STORED_QUANTITY_NAMES)[number];
export type QuantityName = StoredQuantityName | "on_hand";

export interface InventoryLevel {
  inventoryItemId: number;
  locationId: number;
  quantities: Record<StoredQuantityName, number>;
  /** Per-name update times, shown as `InventoryQuantity.updatedAt`. */
  quantityUpdatedAt: Partial<Record<QuantityName, number>>;
  createdAt: number;
  updatedAt: number;
}

export interface LineItem {
  id: number;
  variantId: number | null;
  productId: number | null;
  inventoryItemId: number | null;
  sku: string | null;
  title: string;
  variantTitle: string | null;
  vendor: string | null;
  price: string;
  quantity: number;
  /** Quantity after order edits and refunds/cancellation removals. */
  currentQuantity: number;
  /** Units removed by refunds so far (refundableQuantity = quantity - refunded - edited away). */
  refundedQuantity: number;
}

export type RestockType = "NO_RESTOCK" | "CANCEL" | "RETURN" | "LEGACY_RESTOCK";

export interface RefundLine {
  id: number;
  lineItemId: number;
  quantity: number;
  restockType: RestockType;
  locationId: number | null;
  subtotal: string;
}

export interface Refund {
  id: number;
  orderId: number;
  note: string | null;
  restock: boolean;
  lines: RefundLine[];
  createdAt: number;
}

export type FinancialStatus =
  "pending" | "authorized" | "paid" | "partially_paid" | "partially_refunded" | "refunded" | "voided";

export interface OrderEdit {
  id: number;
  createdAt: number;
  removals: { lineItemId: number; delta: number }[];
  restock: boolean;
}

export interface Order {
  id: number;
  number: number;
  name: string;
  email: string | null;
  /** The buyer, when the order names one (an email); payloads show a customer built from it. */
  customerId: number | null;
  locationId: number;
  currency: string;
  financialStatus: FinancialStatus;
  lineItems: LineItem[];
  refunds: Refund[];
  edits: OrderEdit[];
  cancelledAt: number | null;
  cancelReason: "CUSTOMER" | "DECLINED" | "FRAUD" | "INVENTORY" | "OTHER" | "STAFF" | null;
  closedAt: number | null;
  createdAt: number;
  updatedAt: number;
  processedAt: number;
  test: boolean;
  sourceName: string;
}

export interface WebhookSubscription {
  id: number;
  apiKey: string;
  topic: string; // GraphQL enum spelling, e.g. ORDERS_CREATE
  uri: string;
  format: "JSON" | "XML";
  includeFields: string[];
  filter: string | null;
  name: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface BulkOperation {
  id: number;
  apiKey: string;
  query: string;
  groupObjects: boolean;
  status: "CREATED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELED" | "CANCELING" | "EXPIRED";
  errorCode: "ACCESS_DENIED" | "INTERNAL_SERVER_ERROR" | "TIMEOUT" | null;
  createdAt: number;
  completedAt: number | null;
  objectCount: number;
  rootObjectCount: number;
  fileSize: number | null;
  url: string | null;
  /** JSONL result, served by the emulator at `url`. */
  result: string | null;
}

/** What an idempotent mutation returned the first time its key was used. */
export interface IdempotencyRecord {
  fingerprint: string;
  payload: unknown;
}

export interface Shop {
  id: number;
  domain: string; // xyz.myshopify.com
  name: string;
  email: string;
  plan: PlanName;
  currency: string;
  ianaTimezone: string;
  timezoneOffsetMinutes: number;
  createdAt: number;
  nextOrderNumber: number;
  locations: Map<number, Location>;
  products: Map<number, Product>;
  variants: Map<number, Variant>;
  inventoryItems: Map<number, InventoryItem>;
  /** Keyed by `${inventoryItemId}:${locationId}`. */
  levels: Map<string, InventoryLevel>;
  orders: Map<number, Order>;
  webhookSubscriptions: Map<number, WebhookSubscription>;
  bulkOperations: Map<number, BulkOperation>;
  /** Keyed by `${apiKey}|${mutation}|${key}`. */
  idempotency: Map<string, IdempotencyRecord>;
}

export interface AppWebhookConfig {
  topics: string[];
  uri: string;
}

export interface App {
  apiKey: string;
  apiSecret: string;
  title: string;
  scopes: string;
  /** App-level subscriptions, like `[[webhooks.subscriptions]]` in shopify.app.toml: every install gets them. */
  webhooks: AppWebhookConfig[];
}

export interface AccessToken {
  token: string;
  shop: string;
  apiKey: string;
  kind: "offline" | "online";
  scope: string;
  expiresAt: number | null;
  refreshToken: string | null;
  refreshTokenExpiresAt: number | null;
  userId: number | null;
}

export interface Installation {
  shop: string;
  apiKey: string;
  installedAt: number;
  /**
   * Whether the app's configured subscriptions (`App.webhooks`) deliver to this shop. Shopify has
   * no such switch (a TOML subscription reaches every installation); the sandbox turns it off for
   * the demo shop only, which core connects with a token of its own and subscribes shop-scoped,
   * so that it does not get every event twice (see installApp's `appSubscriptions`).
   */
  appSubscriptions: boolean;
}

export class PlatformState {
  readonly ids = new IdSequence();
  readonly shops = new Map<string, Shop>();
  readonly apps = new Map<string, App>();
  /** Keyed by `${apiKey}|${shop}`. */
  readonly installations = new Map<string, Installation>();
  readonly tokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, AccessToken>();

  constructor(readonly clock: Clock) {}

  now(): number {
    return this.clock();
  }

  reset(): void {
    this.ids.reset();
    this.shops.clear();
    this.apps.clear();
    this.installations.clear();
    this.tokens.clear();
    this.refreshTokens.clear();
  }

  isInstalled(apiKey: string, shop: string): boolean {
    return this.installations.has(`${apiKey}|${shop}`);
  }

  installedApps(shop: string): App[] {
    return this.installationsOf(shop).map(({ app }) => app);
  }

  /** The apps installed on a shop, each with its installation. */
  installationsOf(shop: string): { app: App; installation: Installation }[] {
    const result: { app: App; installation: Installation }[] = [];
    for (const installation of this.installations.values()) {
      const app = installation.shop === shop ? this.apps.get(installation.apiKey) : undefined;
      if (app) result.push({ app, installation });
    }
    return result;
  }
}

export function levelKey(inventoryItemId: number, locationId: number): string {
  return `${inventoryItemId}:${locationId}`;
}

export function emptyQuantities(): Record<StoredQuantityName, number> {
  return { available: 0, committed: 0, reserved: 0, damaged: 0, safety_stock: 0, quality_control: 0, incoming: 0 };
}

export function onHand(level: InventoryLevel): number {
  const q = level.quantities;
  return q.available + q.committed + q.reserved + q.damaged + q.safety_stock + q.quality_control;
}

export function quantityOf(level: InventoryLevel, name: QuantityName): number {
  return name === "on_hand" ? onHand(level) : level.quantities[name];
}

export function skuOf(shop: Shop, variant: Variant): string | null {
  return shop.inventoryItems.get(variant.inventoryItemId)?.sku ?? null;
}

export function variantTitle(variant: Variant): string {
  return variant.selectedOptions.map((o) => o.value).join(" / ") || "Default Title";
}

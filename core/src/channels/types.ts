/**
 * The two interfaces every outside system is reached through: `Channel` for a store (Shopify,
 * WooCommerce) and `PosSystem` for the point of sale (Prokip). Sync code only ever sees these;
 * each adapter owns its HTTP client, pacing, retries, webhook verification and the mapping of
 * the platform's shapes into these.
 */
import type { NormalizedOrder } from "../domain/index.ts";

// ---------------------------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------------------------

export type StorePlatform = "shopify" | "woocommerce";

/** One sellable variant as a store shows it (a simple product is one variant). */
export interface StoreVariant {
  externalProductId: string;
  externalVariantId: string;
  /** Shopify's inventory item (quantities are written per item); null for WooCommerce. */
  externalInventoryItemId: string | null;
  sku: string | null;
  productTitle: string;
  /** The variant's own title ("Small"), or the product title for a simple product. */
  title: string;
  /** Decimal string in the store's currency. */
  price: string | null;
  /** Units at the connection's store location; null when the store does not track this variant's stock. */
  quantity: number | null;
}

/** Where a variant's quantity lives in the store. */
export interface StoreVariantRef {
  externalProductId: string;
  externalVariantId: string;
  externalInventoryItemId: string | null;
}

export interface QuantityWrite extends StoreVariantRef {
  quantity: number;
  /**
   * What we believe the store has now (Shopify's changeFromQuantity): the write fails as
   * `stale` if the store has something else. null writes unconditionally.
   */
  expected: number | null;
}

export interface QuantityWriteResult {
  written: { externalVariantId: string; quantity: number }[];
  /** The store did not have `expected`: read again and decide again. */
  stale: { externalVariantId: string }[];
  failed: { externalVariantId: string; code: string; message: string }[];
}

/** A product to create in a store (push). */
export interface ProductDraft {
  title: string;
  descriptionHtml: string | null;
  imageUrls: string[];
  status: "active" | "draft";
  /** Set for variable products ("Size"); absent for simple products. */
  optionName: string | null;
  variants: { sku: string; optionValue: string | null; price: string; quantity: number }[];
}

export interface CreatedProduct {
  title: string;
  externalProductId: string;
  variants: (StoreVariantRef & { sku: string })[];
}

export interface CreateProductsResult {
  created: CreatedProduct[];
  failed: { title: string; code: string; message: string }[];
}

/** An order as the store says it is now, without our connection id. */
export type StoreOrderState = Omit<NormalizedOrder, "connectionId">;

export interface StoreInfo {
  name: string;
  /** Shopify: the myshopify domain; WooCommerce: the site URL. */
  domain: string;
  currency: string | null;
  /** Stock locations (Shopify); WooCommerce has one implicit location. */
  locations: { id: string; name: string }[];
}

/** What `ensureWebhooks` found and did. */
export interface WebhookReport {
  /** Topics that were already subscribed and healthy. */
  healthy: string[];
  created: string[];
  /** WooCommerce webhooks found disabled (after delivery failures) and set active again. */
  reenabled: string[];
}

export interface Channel {
  readonly platform: StorePlatform;
  /** Checks the credentials against the store; throws ChannelError `unauthorized` when they are wrong. */
  describeStore(): Promise<StoreInfo>;
  /** The whole catalogue, a page at a time. */
  listVariants(): AsyncIterable<StoreVariant[]>;
  /** Current quantities; a variant the store no longer has is absent from the map. */
  readQuantities(variants: StoreVariantRef[]): Promise<Map<string, number | null>>;
  /**
   * Sets quantities in batches (Shopify: 250 per call; WooCommerce: 100 per batch request). Every
   * call is a new write, even with the same figures; `reference` names it in the store's history.
   */
  writeQuantities(writes: QuantityWrite[], context: { reference: string }): Promise<QuantityWriteResult>;
  createProducts(drafts: ProductDraft[]): Promise<CreateProductsResult>;
  /** One order's current state, or null when the store no longer has it. */
  readOrder(externalId: string): Promise<StoreOrderState | null>;
  /** Orders changed at or after `since`, a page at a time (reconciliation). */
  ordersChangedSince(since: Date): AsyncIterable<StoreOrderState[]>;
  /** Makes sure `url` receives `topics`; re-creates missing and re-enables disabled subscriptions. */
  ensureWebhooks(target: { url: string; topics: readonly string[]; secret: string }): Promise<WebhookReport>;
  /** Removes every subscription pointing at `url`. */
  removeWebhooks(url: string): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Point of sale
// ---------------------------------------------------------------------------------------------

/** What this POS's API can do; sync code checks these instead of the adapter's name. */
export interface PosCapabilities {
  createProducts: boolean;
  setStock: boolean;
  webhooks: boolean;
}

export interface PosLocation {
  id: number;
  /** The business's own code for it (Prokip: "BL0001"). */
  code: string;
  name: string;
  active: boolean;
}

export interface PosVariation {
  productId: number;
  variationId: number;
  productName: string;
  /** "DUMMY" variations of single products are reported with the product name. */
  variationName: string;
  sku: string | null;
  type: "single" | "variable" | "combo";
  /** Selling price including tax, decimal string. */
  price: string | null;
  managesStock: boolean;
  /** Whole units per location id (fractions are rounded down). */
  stockByLocation: Map<number, number>;
  // Filled when asked for with `listVariations({ details: true })`.
  /** Variable products: the name of the variation template ("Size"); null for single products. */
  optionName?: string | null;
  /** The product's own image; null when it has none (Prokip's placeholder picture is not one). */
  imageUrl?: string | null;
  /** The product description as entered in the POS (HTML). */
  description?: string | null;
}

/** A read of stock at one location, timed so the ledger can tell what it reflects. */
export interface PosStockReading {
  locationId: number;
  startedAt: Date;
  finishedAt: Date;
  /** Whole units by variation id; a variation absent here has 0. */
  quantities: Map<number, number>;
}

export interface SellDraft {
  locationId: number;
  contactId: number;
  /** Our reference for the order (idempotency is ours: the POS accepts duplicates). */
  invoiceNo: string;
  transactionDate: Date;
  note: string | null;
  lines: { productId: number; variationId: number; quantity: number; unitPrice: string | null }[];
}

export interface PosSell {
  sellId: number;
  invoiceNo: string;
  lines: { sellLineId: number; variationId: number; quantity: number }[];
}

export type PosResult<T> = { ok: true; value: T } | { ok: false; code: "rejected" | "not_found"; message: string };

export interface PosSystem {
  readonly capabilities: PosCapabilities;
  listLocations(): Promise<PosLocation[]>;
  /**
   * Every variation with its stock, in as few calls as the API allows. With `details`, also the
   * option name, image and description a store product is created from (product setup).
   */
  listVariations(options?: { details?: boolean }): Promise<PosVariation[]>;
  readStock(locationId: number): Promise<PosStockReading>;
  /** The walk-in customer sells are recorded against. */
  defaultContactId(): Promise<number>;
  createSell(draft: SellDraft): Promise<PosResult<PosSell>>;
  /** Sets the returned quantities of a sell; quantities are cumulative per sell line, not increments. */
  returnSell(input: {
    sellId: number;
    transactionDate: Date;
    lines: { sellLineId: number; quantity: number; unitPrice: string }[];
  }): Promise<PosResult<{ returnId: number }>>;
  deleteSell(sellId: number): Promise<PosResult<null>>;
  /** Sells at a location within a date range (to settle a posting whose answer was lost). */
  findSells(input: { locationId: number; from: Date; to: Date }): Promise<PosSell[]>;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type ChannelErrorCode =
  /** Credentials refused (after one token refresh where the platform has one): needs the merchant. */
  | "unauthorized"
  /** The platform kept answering 429/THROTTLED or 5xx after the retries. */
  | "unavailable"
  /** The platform refused the request as invalid. */
  | "rejected"
  | "not_found";

/** A failure talking to an outside system, with a code sync code can act on. Never carries secrets. */
export class ChannelError extends Error {
  readonly code: ChannelErrorCode;
  readonly status: number | null;

  constructor(code: ChannelErrorCode, message: string, options: { status?: number | null; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "ChannelError";
    this.code = code;
    this.status = options.status ?? null;
  }
}

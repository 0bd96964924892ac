/**
 * What the merchant screens (the Shopify app, later the WooCommerce plugin) see and send: one
 * store's view of Prokip Sync, in the merchant's words. The screens' loaders and actions call
 * the functions in index.ts with these shapes; nothing here knows about Remix or WordPress.
 *
 * A store is named by its platform and domain (the myshopify domain, or the WooCommerce site
 * URL): a merchant screen only ever acts on the store it is opened from.
 */
import type pg from "pg";
import type { ChannelEnvironment, ProkipClientConfig, StoreCredentials } from "../connections/index.ts";
import type { Logger } from "../log/index.ts";
import type { SetupPreview, SyncRunView } from "../setup/index.ts";
import type { PrismaClient } from "../store/index.ts";

export interface StoreRef {
  platform: "shopify" | "woocommerce";
  /** Shopify: `shop.myshopify.com`; WooCommerce: the site URL. */
  storeDomain: string;
}

/** Asks the job queue for work; the backend host provides it (pg-boss in production). */
export interface JobRequests {
  /** Reconcile a connection now ("Sync now", resume). */
  reconcile(connectionId: string): Promise<void>;
  /** Push a connection's waiting listings. */
  drain(connectionId: string): Promise<void>;
  /** Run a queued setup run (SyncRun) in a worker. */
  setup(connectionId: string, runId: string): Promise<void>;
  /** Post a connection's unposted orders to Prokip again. */
  postings(connectionId: string): Promise<void>;
  /** Process a connection's stored webhook deliveries (the app's webhook routes ask after storing one, as core's receiver does). */
  inbox(connectionId: string): Promise<void>;
}

export interface MerchantDeps {
  prisma: PrismaClient;
  pool: pg.Pool;
  log: Logger;
  encryptionKey: Buffer;
  channels: ChannelEnvironment;
  /** This deployment's Prokip: API base URL and OAuth client (merchants bring only username and password). */
  prokip: { baseUrl: string; client: ProkipClientConfig };
  /** Sandbox only: the emulated Prokip's demo sign-in behind "Try with sample data"; null in production. */
  sampleData: { username: string; password: string } | null;
  /** Where stores deliver webhooks to this backend. */
  publicUrl: string;
  jobs: JobRequests;
}

// ---------------------------------------------------------------------------------------------
// Where a store stands: which screen the app opens on.

export interface ProkipLocationChoice {
  prokipLocationId: number;
  name: string;
  /** Already chosen by another store of this business (it can still be chosen again). */
  usedBy: string[];
}

export type StoreStage =
  /** Nobody has signed in to Prokip for this store yet: show Connect Prokip. */
  | { stage: "connect_prokip"; sampleDataAvailable: boolean }
  /** Signed in, no location chosen yet: show the location step of Connect Prokip. */
  | { stage: "choose_location"; businessName: string; locations: ProkipLocationChoice[] }
  /** Connected, products not set up yet (or a setup run still going / failed): show the wizard. */
  | { stage: "set_up_products"; connectionId: string; activeRun: SyncRunView | null; lastRun: SyncRunView | null }
  /** Connected and set up: show the dashboard. */
  | { stage: "ready"; connectionId: string };

// ---------------------------------------------------------------------------------------------
// Connect Prokip

export type SignInInput = { username: string; password: string } | { sampleData: true };

export interface SignedIn {
  businessName: string;
  locations: ProkipLocationChoice[];
}

export interface ChooseLocationInput {
  prokipLocationId: number;
  /** How core reaches the store: for an app-installed Shopify shop, its app session. */
  credentials: StoreCredentials;
}

// ---------------------------------------------------------------------------------------------
// Dashboard

export type ConnectionStatus = "active" | "paused" | "needs_attention" | "disconnected";

export type ProblemCode =
  /** Prokip refused the stored sign-in: the merchant signs in again. */
  | "prokip_signed_out"
  /** The store refused our credentials or could not be reached on the last attempts. */
  | "store_unreachable"
  /** Listings whose SKU is blank, shared or ambiguous: fixed in Products. */
  | "sku_conflicts"
  /** Orders Prokip has not accepted (after retries): retry, or see Activity. */
  | "orders_not_posted"
  /** Stock that could not be written to the store after retries. */
  | "stock_not_sent"
  /** A webhook subscription was missing and has been registered again (informational). */
  | "webhooks_repaired"
  /** Setup ended with errors. */
  | "setup_errors";

/** What the merchant can do about a problem; the screen turns it into a button or a link. */
export type ProblemFix =
  | { kind: "reconnect_prokip"; label: string }
  | { kind: "open_products"; label: string; filter: ProductStatus }
  | { kind: "retry_orders"; label: string }
  | { kind: "sync_now"; label: string }
  | { kind: "open_activity"; label: string; type?: ActivityType }
  | { kind: "none"; label: string };

export interface Problem {
  code: ProblemCode;
  /** One sentence, in the merchant's words: "3 products share a SKU with another product". */
  message: string;
  fix: ProblemFix;
  /** How many things are affected (products, orders), when that is meaningful. */
  count?: number;
}

export interface Dashboard {
  connectionId: string;
  platform: StoreRef["platform"];
  storeDomain: string;
  status: ConnectionStatus;
  businessName: string;
  prokipLocation: { prokipLocationId: number | null; name: string };
  /** The last time stock was checked or sent end to end (reconciliation or a drain); null if never. */
  lastSyncAt: Date | null;
  counts: {
    /** Linked listings whose store quantity is what we last sent. */
    synced: number;
    /** Linked listings with a change not yet sent (paused stores pile up here). */
    waiting: number;
    /** Linked listings whose last write failed. */
    failed: number;
    /** Store products not linked to a Prokip product. */
    unlinked: number;
    excluded: number;
    conflicts: number;
    /** Orders received and not yet accepted by Prokip. */
    ordersNotPosted: number;
  };
  problems: Problem[];
  setup: { strategy: "push" | "pull" | null; lastRunId: string | null };
}

// ---------------------------------------------------------------------------------------------
// Products

export type ProductStatus = "synced" | "waiting" | "failed" | "unlinked" | "conflict" | "excluded";

export interface ProductQuery {
  /** Matches SKU or title, case-insensitive. */
  search?: string;
  status?: ProductStatus;
  /** Opaque cursor from a previous page. */
  after?: string;
  before?: string;
  /** 1..100, default 25. */
  pageSize?: number;
}

export interface ProductRow {
  listingId: string;
  sku: string | null;
  title: string;
  status: ProductStatus;
  /** Available at the connection's Prokip location; null when unlinked. */
  prokipQuantity: number | null;
  /** What the store was last told; null before the first write. */
  sentQuantity: number | null;
  storeQuantity: number | null;
  /** The linked Prokip product, when linked. */
  linkedTo: { variantId: string; sku: string; name: string } | null;
  conflictReason: string | null;
  /** Where the merchant edits it in the store's own admin. */
  storeAdminUrl: string | null;
}

export interface ProductPage {
  rows: ProductRow[];
  /** Per status over the whole connection (not the page), for the filter tabs. */
  counts: Record<ProductStatus, number>;
  total: number;
  nextCursor: string | null;
  previousCursor: string | null;
}

/** Link a store listing to a Prokip product, named by its SKU in Prokip. */
export interface LinkInput {
  listingId: string;
  prokipSku: string;
}

// ---------------------------------------------------------------------------------------------
// Activity

export type ActivityType =
  | "order_received"
  | "order_posted"
  | "order_not_posted"
  | "refund_restocked"
  | "cancellation_restocked"
  | "stock_pushed"
  | "drift"
  | "store_edit_accepted"
  | "oversell"
  | "low_stock"
  | "setup"
  | "connection"
  /** The merchant linked, unlinked, excluded or included a product (Products screen). */
  | "product"
  /** The merchant changed the store's settings. */
  | "settings"
  | "error";

export interface ActivityQuery {
  type?: ActivityType;
  /** Entries about this SKU only. */
  sku?: string;
  after?: string;
  pageSize?: number;
}

export interface ActivityEntry {
  id: string;
  at: Date;
  type: ActivityType;
  severity: "info" | "warning" | "error";
  message: string;
  order: {
    orderId: string;
    number: string | null;
    storeAdminUrl: string | null;
    prokipInvoiceNo: string | null;
  } | null;
  product: { sku: string | null; title: string | null; listingId: string | null } | null;
  /** Set on failures that can be retried from the screen. */
  retry: { kind: "order_posting"; orderId: string } | null;
}

export interface ActivityPage {
  entries: ActivityEntry[];
  nextCursor: string | null;
}

// ---------------------------------------------------------------------------------------------
// Settings

export interface StoreSettings {
  /** Units held back from the store. */
  buffer: number;
  reconcileIntervalMinutes: number;
  deductOn: "created" | "paid";
  lowStockThreshold: number | null;
  /** Only meaningful (and only shown) when the business keeps stock centrally. */
  storeEditPolicy: "correct" | "accept";
  /** Whether the store-edit policy applies (central mode). */
  centralMode: boolean;
}

export type SettingsInput = Partial<Omit<StoreSettings, "centralMode">>;

// ---------------------------------------------------------------------------------------------
// Setup (wraps core/src/setup for one store)

export type { SetupPreview, SyncRunView };

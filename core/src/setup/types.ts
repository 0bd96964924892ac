/**
 * The shapes product setup works with: what it needs from the rest of the system, the preview
 * rows the merchant sees, and the run they can follow.
 */
import type pg from "pg";
import type { Channel, PosSystem } from "../channels/index.ts";
import type { SkuConflictReason } from "../domain/index.ts";
import type { Logger } from "../log/index.ts";
import type { ConnectionModel, PrismaClient } from "../store/index.ts";

export type SetupStrategy = "push" | "pull";

/** A connection as setup reads it (the columns `channelForConnection` needs, and more). */
export type SetupConnection = Pick<
  ConnectionModel,
  | "id"
  | "businessId"
  | "platform"
  | "status"
  | "storeDomain"
  | "storeLocationId"
  | "credentials"
  | "locationId"
  | "buffer"
>;

export interface SetupDeps {
  prisma: PrismaClient;
  pool: pg.Pool;
  log: Logger;
  /** The store behind a connection; in production `channelForConnection(connection, environment)`. */
  channelFor(connection: SetupConnection): Channel;
  /** Prokip for a business, signed in with its stored tokens. */
  posFor(businessId: string): Promise<PosSystem>;
}

/** What setup will do with one SKU. */
export type SetupAction = "match" | "create_in_store" | "missing_in_prokip" | "conflict";

export const SETUP_ACTIONS: readonly SetupAction[] = ["match", "create_in_store", "missing_in_prokip", "conflict"];

/**
 * Why a SKU cannot be handled automatically. Besides blank and shared SKUs: a Prokip product
 * that is only partly in the store (a push cannot add variants to an existing store product),
 * and a Prokip variation without a selling price (a store product needs one).
 */
export type ConflictReason = SkuConflictReason | "partly_in_store" | "missing_price";

export interface PreviewRow {
  /** The SKU as the merchant typed it; null when it is blank. */
  sku: string | null;
  product: string;
  storeQuantity: number | null;
  /** Units at the connection's Prokip location. */
  prokipQuantity: number | null;
  action: SetupAction;
  /** What the store will be told: max(0, available - buffer); null when nothing is written. */
  quantityToWrite: number | null;
  /** The price a product created in the store gets (push); null otherwise. */
  price: string | null;
  conflictReason?: ConflictReason;
  /** How to fix a conflict, in the merchant's words. */
  fix?: string;
}

export type ActionCounts = Record<SetupAction, number>;

/** One item a run could not handle, shown with its SKU on the summary. */
export interface SetupItemError {
  sku: string | null;
  product: string | null;
  message: string;
}

/** What a finished run did, beyond the counts per action. */
export interface SetupResults {
  variantsImported: number;
  productsCreated: number;
  listingsMatched: number;
  listingsUnmatched: number;
  listingsInConflict: number;
  quantitiesWritten: number;
  /** Store quantities still to be written (the store refused or was not reachable; sync retries). */
  quantitiesPending: number;
}

export interface SyncRunView {
  id: string;
  businessId: string;
  connectionId: string | null;
  kind: "pull" | "push" | "reconcile" | "manual";
  dryRun: boolean;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  total: number;
  /** Items handled so far, failed ones included: the progress bar is done / total. */
  done: number;
  /** Items among `done` that could not be handled; each has an entry in `errors`. */
  failed: number;
  progress: number;
  options: unknown;
  counts: ActionCounts | null;
  results: SetupResults | null;
  errors: SetupItemError[];
  /** Dry runs: the preview rows, so the wizard can show the preview again. */
  preview: PreviewRow[] | null;
  /** Pull runs: the products Prokip lacks, as an UltimatePOS product import file. */
  missingInProkipCsv: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
}

export interface SetupPreview {
  runId: string;
  connectionId: string;
  strategy: SetupStrategy;
  rows: PreviewRow[];
  counts: ActionCounts;
}

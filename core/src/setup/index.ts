/**
 * Initial product setup, the "Set up products" wizard's backend: a dry-run preview of pull (use
 * my store's products) or push (use my Prokip products), then the run itself as a SyncRun with
 * progress and per-item errors.
 */
export { previewSetup } from "./preview.ts";
export { runSetup, createSetupRun, executeSetupRun } from "./execute.ts";
export { getSyncRun } from "./runs.ts";
export { importProkipCatalogue, type ProkipImport } from "./catalogue.ts";
export {
  missingInProkipCsv,
  toCsv,
  csvField,
  ULTIMATEPOS_IMPORT_COLUMNS,
  type MissingProductsFileOptions,
} from "./csv.ts";
export { planSetup, type SetupPlan, type PlanInput } from "./plan.ts";
export { adjustedPrice } from "./prices.ts";
export {
  setupRequestSchema,
  pushOptionsSchema,
  pullOptionsSchema,
  parseSetupRequest,
  type SetupRequest,
  type SetupRequestInput,
  type PushOptions,
  type PullOptions,
} from "./options.ts";
export {
  SETUP_ACTIONS,
  type SetupDeps,
  type SetupConnection,
  type SetupStrategy,
  type SetupAction,
  type ConflictReason,
  type PreviewRow,
  type ActionCounts,
  type SetupItemError,
  type SetupResults,
  type SetupPreview,
  type SyncRunView,
} from "./types.ts";

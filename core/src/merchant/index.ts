/**
 * The merchant screens' backend: what the Shopify app (and later the WooCommerce plugin) calls,
 * always for the one store a screen is opened from. Shapes are in types.ts.
 */
export { storeStage } from "./stage.ts";
export { signInToProkip, chooseLocation } from "./connect.ts";
export {
  previewStoreSetup,
  startStoreSetup,
  storeSetupRun,
  missingInProkipFile,
  type StoreSetupRequest,
} from "./setup.ts";
export { storeDashboard } from "./dashboard.ts";
export {
  pauseStore,
  resumeStore,
  syncStoreNow,
  disconnectStore,
  retryOrders,
  type DisconnectedStore,
} from "./lifecycle.ts";
export {
  listProducts,
  linkProduct,
  unlinkProduct,
  excludeProduct,
  includeProduct,
  countProductsByStatus,
} from "./products.ts";
export { listActivity } from "./activity.ts";
export { storeSettings, updateStoreSettings } from "./settings.ts";

/**
 * What other workspaces (the Shopify app) use of core: re-exports only, no code of its own.
 * Everything else stays reachable through each folder's own index.ts.
 */
export { connectDatabase, isDatabaseUnavailable, PrismaClient, type Database } from "./store/index.ts";
export {
  recordDelivery,
  connectionByStoreDomain,
  keepsDeliveries,
  type Delivery,
  type ReceivingConnection,
} from "./inbox/index.ts";
export {
  markUninstalled,
  uninstallStore,
  redactShop,
  customerDataReport,
  redactCustomer,
  type CustomerDataReport,
  type UninstallOutcome,
} from "./connections/index.ts";
export { shopify } from "./channels/index.ts";
export type * from "./merchant/types.ts";
export * from "./merchant/index.ts";
// The Shopify app's session storage: the same sealing, key and token refresh as core's channels.
export {
  ShopifySessions,
  offlineSessionId,
  sealSessionToken,
  openSessionToken,
  REFRESH_MARGIN_MS,
  type ShopifyAppCredentials,
  type SessionTokenDependencies,
} from "./connections/index.ts";
export { ChannelError } from "./channels/index.ts";
export { loadEncryptionKey } from "./security/index.ts";
export { defaultDataDir } from "./store/index.ts";
export { createLogger, type Logger } from "./log/index.ts";
// The merchant screens answer core's errors as the backend API does: `{error:{code, message, details}}` with httpStatusFor(code).
export { SyncError, isSyncError, httpStatusFor, type ErrorCode } from "./domain/index.ts";
// The backend process, for a host that serves more on the same server (shopify-app/server.ts).
export {
  startBackend,
  buildMerchantDeps,
  exitIfStartupRefused,
  type Backend,
  type BackendContext,
  type BackendOptions,
  type HostedShopifyApp,
  type ReadyBackend,
  type SandboxContext,
  type SandboxFactory,
  type SandboxProvider,
  type SandboxRequest,
} from "./host/index.ts";

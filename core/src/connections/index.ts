export {
  storeCredentialsSchema,
  sealStoreCredentials,
  openStoreCredentials,
  type StoreCredentials,
} from "./credentials.ts";
export { channelForConnection, type ChannelEnvironment, type ConnectionForChannel } from "./channels.ts";
export {
  signInBusiness,
  signInToProkipAccount,
  sealProkipCredentials,
  posForBusiness,
  type ProkipClientConfig,
  type ProkipAccount,
} from "./prokip.ts";
export {
  pauseConnection,
  resumeConnection,
  disconnectConnection,
  markUninstalled,
  uninstallStore,
  type UninstallOutcome,
} from "./lifecycle.ts";
export { appOwnsWebhooks, webhookTargetFor, shopifyWebhookUrl, wooCommerceWebhookUrl } from "./webhooks.ts";
export { customerDataReport, redactCustomer, type CustomerDataReport } from "./customers.ts";
export { connectStore, redactShop, type ConnectResult } from "./connect.ts";
export {
  ShopifySessions,
  offlineSessionId,
  sealSessionToken,
  openSessionToken,
  REFRESH_MARGIN_MS,
  type ShopifyAppCredentials,
  type SessionTokenDependencies,
} from "./shopify-sessions.ts";
export {
  registerPluginSite,
  revokePluginSite,
  pairedSite,
  recordSiteNonce,
  attachSiteConnection,
  type PairedSite,
  type VerifiableSite,
} from "./plugin-sites.ts";
export { pairSite, type PairingDependencies, type PairingRequest } from "./pairing.ts";

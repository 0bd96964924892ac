/**
 * The WooCommerce adapter: a `Channel` over the WooCommerce REST API (wc/v3), plus webhook
 * verification and order normalisation for the HTTP layer and the sync engine.
 */
export { createWooCommerceChannel, type WooCommerceChannelOptions } from "./channel.ts";
export { WooCommerceClient, type RetryOptions, type WooCommerceClientOptions } from "./client.ts";
export {
  normalizeWooCommerceOrder,
  parseGmtDate,
  WooCommerceOrderError,
  type WooCommerceOrderErrorCode,
} from "./orders.ts";
export {
  ensureWebhooks,
  isWooCommercePing,
  removeWebhooks,
  verifyWooCommerceWebhook,
  WOOCOMMERCE_WEBHOOK_TOPICS,
} from "./webhooks.ts";

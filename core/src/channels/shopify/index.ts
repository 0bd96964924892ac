/**
 * The Shopify adapter: a `Channel` over the Admin GraphQL API (2026-10), webhook verification
 * and the normalisation of Shopify orders and webhook payloads.
 */
export { createShopifyChannel, SHOPIFY_API_VERSION, type ShopifyChannelOptions } from "./channel.ts";
export {
  ShopifyGraphqlClient,
  routeShopifyFetch,
  DEFAULT_RETRY_POLICY,
  type AccessTokenProvider,
  type FetchLike,
  type RetryPolicy,
  type ShopifyClientOptions,
  type RequestOptions,
} from "./client.ts";
export { CostBudget, budgetFor, type ThrottleStatus, type Clock } from "./pacing.ts";
export { ShopifyPayloadError, type ShopifyPayloadErrorCode } from "./errors.ts";
export {
  normalizeShopifyOrder,
  normalizeShopifyOrderWebhook,
  type ShopifyGraphqlOrder,
  type ShopifyOrderWebhookPayload,
} from "./orders.ts";
export {
  verifyShopifyWebhook,
  orderIdFromShopifyWebhook,
  parseInventoryLevelWebhook,
  toSubscriptionTopic,
  SHOPIFY_WEBHOOK_TOPICS,
  type InventoryLevelUpdate,
} from "./webhooks.ts";
export { toStoreVariant } from "./catalogue.ts";
export { newIdempotencyKey, referenceDocumentUri, MAX_QUANTITIES_PER_CALL } from "./quantities.ts";
export { toGid, legacyId } from "./ids.ts";
export { parseShopifyWebhookBody, restIdSchema } from "./json.ts";

export * from "./types.ts";
export * as shopify from "./shopify/index.ts";
export * as woocommerce from "./woocommerce/index.ts";
export * as prokip from "./prokip/index.ts";
export {
  keepWebhookSubscriptions,
  type WebhookTarget,
  type WebhookSubscriptionsReport,
} from "./webhook-subscriptions.ts";

/**
 * A store's webhook subscriptions to one address of this backend, kept equal to the topics
 * wanted there. The wanted set may be empty: a Shopify shop that installed the app gets every
 * topic through the app's own subscriptions (shopify.app.toml), so a shop-scoped subscription
 * to the same backend would deliver each event twice, and any left from before is removed.
 */
import type { Channel, WebhookReport } from "./types.ts";

export interface WebhookTarget {
  url: string;
  /** Topics the store's own (shop-scoped) subscriptions deliver to `url`; empty: none. */
  topics: readonly string[];
  /** WooCommerce signs with it; Shopify signs with the app's secret instead. */
  secret: string;
}

export interface WebhookSubscriptionsReport extends WebhookReport {
  /** Subscriptions to `url` removed because no topic is wanted there. */
  removed: number;
}

export async function keepWebhookSubscriptions(
  channel: Channel,
  target: WebhookTarget,
): Promise<WebhookSubscriptionsReport> {
  if (target.topics.length === 0)
    return { healthy: [], created: [], reenabled: [], removed: await channel.removeWebhooks(target.url) };
  return { ...(await channel.ensureWebhooks(target)), removed: 0 };
}

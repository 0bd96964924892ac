/**
 * Where a connection's store delivers webhooks to this backend, and which topics core itself
 * subscribes there.
 *
 * Ownership: a Shopify shop that installed the app (credentials `tokenSource: "app_session"`)
 * receives every topic through the app's own subscriptions, declared in shopify.app.toml and
 * made by Shopify for each installation. Core subscribing the same topics shop-scoped doubled
 * every delivery, so for those shops the set core keeps is empty (and any left from before is
 * removed, at connect and at each reconciliation). Stores core reaches with a token of their
 * own (the sandbox demo shop, custom apps, tests) and WooCommerce sites keep core's own
 * subscriptions.
 */
import { shopify, woocommerce, type WebhookTarget } from "../channels/index.ts";
import { decryptSecret } from "../security/index.ts";
import { openStoreCredentials, type StoreCredentials } from "./credentials.ts";

/** Shopify signs with the app's API secret; the adapter ignores this value. */
const SHOPIFY_SECRET_PLACEHOLDER = "signed-with-the-app-secret";

/** True when the Shopify app's own subscriptions deliver this store's webhooks. */
export function appOwnsWebhooks(credentials: StoreCredentials): boolean {
  return (
    credentials.platform === "shopify" && "tokenSource" in credentials && credentials.tokenSource === "app_session"
  );
}

export function shopifyWebhookUrl(publicUrl: string): string {
  return `${publicUrl}/webhooks/shopify`;
}

export function wooCommerceWebhookUrl(publicUrl: string, connectionId: string): string {
  return `${publicUrl}/webhooks/woocommerce/${connectionId}`;
}

/**
 * The target for a connection as stored: null when it cannot have one (no credentials, or a
 * WooCommerce site without its signing secret).
 */
export function webhookTargetFor(
  connection: {
    id: string;
    platform: "shopify" | "woocommerce";
    credentials: string | null;
    webhookSecret: string | null;
  },
  environment: { publicUrl: string; encryptionKey: Buffer },
): WebhookTarget | null {
  if (!connection.credentials) return null;
  if (connection.platform === "shopify") {
    const credentials = openStoreCredentials(connection.credentials, environment.encryptionKey);
    return {
      url: shopifyWebhookUrl(environment.publicUrl),
      topics: appOwnsWebhooks(credentials) ? [] : shopify.SHOPIFY_WEBHOOK_TOPICS,
      secret: SHOPIFY_SECRET_PLACEHOLDER,
    };
  }
  if (!connection.webhookSecret) return null;
  return {
    url: wooCommerceWebhookUrl(environment.publicUrl, connection.id),
    topics: woocommerce.WOOCOMMERCE_WEBHOOK_TOPICS,
    secret: decryptSecret(connection.webhookSecret, environment.encryptionKey),
  };
}

/**
 * The Channel for a connection: its credentials opened, the right adapter built. In sandbox
 * mode and tests Shopify's requests are routed to the emulator (`shopifyFetch`); WooCommerce's
 * site URL already points at wherever the site is.
 */
import { shopify, woocommerce, type Channel } from "../channels/index.ts";
import type { FetchLike } from "../channels/shopify/index.ts";
import { SyncError } from "../domain/index.ts";
import type { Logger } from "../log/index.ts";
import { openStoreCredentials } from "./credentials.ts";

export interface ChannelEnvironment {
  encryptionKey: Buffer;
  log: Logger;
  /** Replaces fetch for Shopify (sandbox mode: the emulator). */
  shopifyFetch?: FetchLike;
}

export interface ConnectionForChannel {
  id: string;
  platform: "shopify" | "woocommerce";
  storeDomain: string;
  storeLocationId: string | null;
  credentials: string | null;
}

export function channelForConnection(connection: ConnectionForChannel, environment: ChannelEnvironment): Channel {
  if (!connection.credentials) throw new SyncError("connection_not_active", "The store has no credentials");
  const credentials = openStoreCredentials(connection.credentials, environment.encryptionKey);
  const log = environment.log.child({ connectionId: connection.id, platform: connection.platform });
  if (credentials.platform === "shopify") {
    return shopify.createShopifyChannel({
      shop: connection.storeDomain,
      accessToken: credentials.accessToken,
      log,
      ...(connection.storeLocationId ? { locationId: connection.storeLocationId } : {}),
      ...(environment.shopifyFetch ? { fetch: environment.shopifyFetch } : {}),
    });
  }
  return woocommerce.createWooCommerceChannel({ siteUrl: connection.storeDomain, consumerKey: credentials.consumerKey, consumerSecret: credentials.consumerSecret, log });
}

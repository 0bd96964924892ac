/**
 * The Channel for a connection: its credentials opened, the right adapter built. In sandbox
 * mode and tests Shopify's requests are routed to the emulator (`shopifyFetch`); WooCommerce's
 * site URL already points at wherever the site is.
 *
 * A Shopify connection holds either its own token, or (`tokenSource: "app_session"`, a shop that
 * installed the app) none: its token is the shop's offline app session, asked for before each
 * request and refreshed when it is about to expire or Shopify refuses it (shopify-sessions.ts).
 */
import { shopify, woocommerce, type Channel } from "../channels/index.ts";
import type { FetchLike } from "../channels/shopify/index.ts";
import { SyncError } from "../domain/index.ts";
import type { Logger } from "../log/index.ts";
import { openStoreCredentials } from "./credentials.ts";
import type { ShopifyAppCredentials, ShopifySessions } from "./shopify-sessions.ts";

export interface ChannelEnvironment {
  encryptionKey: Buffer;
  log: Logger;
  /** Replaces fetch for Shopify (sandbox mode: the emulator), the token endpoint included. */
  shopifyFetch?: FetchLike;
  /**
   * The Shopify app's client credentials, for refreshing app-installed shops' tokens: the host
   * fills them from SHOPIFY_API_KEY / SHOPIFY_API_SECRET, or the sandbox's demo app.
   */
  shopifyApp?: ShopifyAppCredentials;
  /** App-installed shops' offline sessions in the central store (`new ShopifySessions(pool)`, one per process). */
  shopifySessions?: ShopifySessions;
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
    let accessToken: shopify.ShopifyChannelOptions["accessToken"];
    if ("tokenSource" in credentials) {
      const { shopifySessions, shopifyApp } = environment;
      // A deployment fault, not the merchant's: fail loudly rather than mark the store unreachable.
      if (!shopifySessions || !shopifyApp) {
        throw new Error(
          "An app-installed Shopify shop needs ChannelEnvironment.shopifySessions and shopifyApp (SHOPIFY_API_KEY / SHOPIFY_API_SECRET)",
        );
      }
      accessToken = shopifySessions.tokenProvider(connection.storeDomain, {
        encryptionKey: environment.encryptionKey,
        app: shopifyApp,
        log,
        ...(environment.shopifyFetch ? { fetch: environment.shopifyFetch } : {}),
      });
    } else {
      accessToken = credentials.accessToken;
    }
    return shopify.createShopifyChannel({
      shop: connection.storeDomain,
      accessToken,
      log,
      ...(connection.storeLocationId ? { locationId: connection.storeLocationId } : {}),
      ...(environment.shopifyFetch ? { fetch: environment.shopifyFetch } : {}),
    });
  }
  return woocommerce.createWooCommerceChannel({
    siteUrl: connection.storeDomain,
    consumerKey: credentials.consumerKey,
    consumerSecret: credentials.consumerSecret,
    log,
  });
}

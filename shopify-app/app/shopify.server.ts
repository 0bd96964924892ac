/**
 * The Shopify app's configuration, as in Shopify's Remix template: App Store distribution, the
 * embedded auth strategy (session tokens exchanged for access tokens, no OAuth redirects),
 * expiring offline tokens, sessions in the central store, sealed (their tokens encrypted with
 * core's key) and refreshed through core, which refreshes the same offline session for its
 * workers (sealed-session-storage.server.ts).
 *
 * SHOPIFY_API_KEY, SHOPIFY_API_SECRET, SHOPIFY_APP_URL (and SCOPES) are what `shopify app dev`
 * sets; a deployment sets them itself.
 */
import "@shopify/shopify-app-remix/adapters/node";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import { database } from "./db.server.ts";
import { createAppSessionStorage } from "./sealed-session-storage.server.ts";

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set (the Shopify app needs SHOPIFY_API_KEY, SHOPIFY_API_SECRET and SHOPIFY_APP_URL)`,
    );
  return value;
}

/** One API version everywhere: here, shopify.app.toml's [webhooks] and core's adapter. */
export const API_VERSION = ApiVersion.October26;

const apiKey = required("SHOPIFY_API_KEY");
const apiSecretKey = required("SHOPIFY_API_SECRET");

const shopify = shopifyApp({
  apiKey,
  apiSecretKey,
  appUrl: required("SHOPIFY_APP_URL"),
  scopes: process.env.SCOPES?.split(",")
    .map((scope) => scope.trim())
    .filter(Boolean),
  apiVersion: API_VERSION,
  authPathPrefix: "/auth",
  sessionStorage: createAppSessionStorage(new PrismaSessionStorage(database.prisma), {
    pool: database.pool,
    app: { apiKey, apiSecret: apiSecretKey },
  }),
  distribution: AppDistribution.AppStore,
  future: {
    unstable_newEmbeddedAuthStrategy: true,
    expiringOfflineAccessTokens: true,
  },
  ...(process.env.SHOP_CUSTOM_DOMAIN ? { customShopDomains: [process.env.SHOP_CUSTOM_DOMAIN] } : {}),
});

export default shopify;
export const apiVersion = API_VERSION;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;

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
import { AsyncLocalStorage } from "node:async_hooks";
import { InvalidShopError, ShopifyError } from "@shopify/shopify-api";
import { abstractFetch, setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
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

/** A refusal in the error shape every app answer uses (`errors.server.ts`), with a 4xx status. */
function refusal(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/**
 * What Shopify answered the token exchange of the request being authenticated. The library turns
 * every refused exchange but `invalid_subject_token` into a bare 500; this is how we know it was
 * Shopify saying no (a 4xx) rather than failing.
 */
const tokenExchange = new AsyncLocalStorage<{ refusedWith?: number }>();
const OBSERVED = Symbol("prokip-sync.observed-fetch");
type ShopifyFetch = typeof abstractFetch & { [OBSERVED]?: true };

/**
 * Wraps whichever fetch the library uses now (its node adapter's, the sandbox's emulator set by
 * the host, a test's): set after this module loads, so it is wrapped at the first request.
 */
function observeTokenExchanges(): void {
  const inner = abstractFetch as ShopifyFetch;
  if (inner[OBSERVED]) return;
  const observed: ShopifyFetch = async (input, init) => {
    const response = await inner(input, init);
    const context = tokenExchange.getStore();
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (context && response.status >= 400 && response.status < 500 && url.endsWith("/admin/oauth/access_token"))
      context.refusedWith = response.status;
    return response;
  };
  observed[OBSERVED] = true;
  setAbstractFetchFunc(observed);
}

/** True when the request carries a readable session token (bearer or `id_token`) whose `dest` is no URL. */
function tokenDestIsNoUrl(request: Request): boolean {
  const bearer = /^Bearer (.+)$/u.exec(request.headers.get("authorization") ?? "")?.[1];
  const token = bearer ?? new URL(request.url).searchParams.get("id_token");
  try {
    const claims = JSON.parse(Buffer.from(token?.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      dest?: unknown;
    };
    return !(typeof claims.dest === "string" && URL.canParse(claims.dest));
  } catch {
    return false; // no readable token: the TypeError is something else
  }
}

/**
 * `authenticate.admin`, with the library's 500s for requests that are wrong, not failures, answered
 * as what they are: a session token (or `?shop=`) naming no Shopify shop domain, 400 `invalid_shop`;
 * an exit-iframe destination the library refuses, 400 `invalid_destination`; a correctly signed
 * token whose shop Shopify will not give a token for (the app is not installed there), 403
 * `app_not_installed`. Anything else goes on as the library threw it.
 */
async function authenticateAdmin(request: Request): ReturnType<typeof shopify.authenticate.admin> {
  observeTokenExchanges();
  const context: { refusedWith?: number } = {};
  try {
    return await tokenExchange.run(context, () => shopify.authenticate.admin(request));
  } catch (thrown) {
    // A signed token whose `dest` is no URL at all fails in the library's `new URL(dest)`.
    if (thrown instanceof InvalidShopError || (thrown instanceof TypeError && tokenDestIsNoUrl(request)))
      throw refusal(400, "invalid_shop", "The request names no Shopify shop domain (*.myshopify.com)");
    if (thrown instanceof ShopifyError && new URL(request.url).pathname === "/auth/exit-iframe")
      throw refusal(400, "invalid_destination", "The app does not send the browser to that destination");
    if (thrown instanceof Response && thrown.status === 500 && context.refusedWith)
      throw refusal(
        403,
        "app_not_installed",
        "Shopify did not accept this session: the app is not installed on the shop",
      );
    throw thrown;
  }
}

export default shopify;
export const apiVersion = API_VERSION;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = { ...shopify.authenticate, admin: authenticateAdmin };
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;

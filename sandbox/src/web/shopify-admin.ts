/**
 * "Open the Shopify app" in the sandbox: /sandbox/shopify-admin stands in for Shopify admin, so
 * anyone can use the embedded app without a Shopify account. Only registered when a host serves
 * the app in this process (shopify-app/server.ts).
 *
 * The page frames the app as admin does: `/app?embedded=1&shop=...&host=<base64 of
 * admin.shopify.com/store/<handle>>&id_token=<session token>&locale=en`. Session tokens are
 * minted here, signed with the emulated app's secret (what Shopify admin hands App Bridge), for
 * shops opened through this page only. The app loads the App Bridge stand-in
 * (app-bridge.js) from /sandbox/shopify-admin/app-bridge.js, which asks this page for
 * tokens and reports its navigation menu, title bar, save bar, toasts and loading state, which
 * the page draws as admin would.
 *
 * Two kinds of shop: the demo shop (core connects it to the demo business at start-up, so the app
 * opens on its dashboard) and new shops made on request (an emulated shop with a few products and
 * the app installed: the app starts at Connect Prokip). New shops are named
 * `sandbox-<hex>.myshopify.com`: the emulators start empty at every start while the database
 * keeps its rows, so a fresh name never meets a previous run's sessions or connection.
 *
 * The page is shopify-admin.html with shopify-admin.css and shopify-admin.js inlined.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { demoCatalogue } from "../shared/demo-catalogue.ts";
import type { Sandbox, SandboxCredentials } from "../sandbox.ts";
import { Html, html, readAsset, render } from "./html.ts";

const PAGE = readAsset(import.meta.url, "shopify-admin.html");
const ERROR_PAGE = readAsset(import.meta.url, "shopify-admin-error.html");
const STYLE = new Html(readAsset(import.meta.url, "shopify-admin.css"));
const SCRIPT = new Html(readAsset(import.meta.url, "shopify-admin.js"));
const APP_BRIDGE_STAND_IN = readAsset(import.meta.url, "app-bridge.js");

/** What the hosted app is: its key (session tokens are issued for it) and how admin names it. */
export interface ShopifyAdminOptions {
  /** The API key the app runs with; tokens can only be minted when it is the emulated app's. */
  appApiKey: string;
  /** shopify.app.toml `name`: the app's name in the sidebar. */
  appName: string;
}

export const SHOPIFY_ADMIN_PATH = "/sandbox/shopify-admin";
export const APP_BRIDGE_STAND_IN_PATH = `${SHOPIFY_ADMIN_PATH}/app-bridge.js`;

/** Shops made by "Open a new shop" are recognised by this pattern (and only they, with the demo shop, are the sandbox's own). */
export const SANDBOX_SHOP_PATTERN = /^sandbox-[0-9a-f]{6}\.myshopify\.com$/u;

interface AdminShop {
  domain: string;
  name: string;
  kind: "demo" | "new";
}

const shopRequest = z.object({ shop: z.string().min(1).max(255) }).strict();
const SESSION_TOKEN_SECONDS = 60;

/**
 * A new shop's catalogue: three of the demo catalogue's products (their SKUs match Prokip's, with
 * the store's own quantities) and one that Prokip lacks, so setup has matches, stock differences
 * and a product to import into Prokip.
 */
const NEW_SHOP_PRODUCTS: { sku: string; stock: number[] }[] = [
  { sku: "shirt1", stock: [12] },
  { sku: "jacket-denim", stock: [3, 5, 0] },
  { sku: "mug-ceramic", stock: [20] },
];
const STORE_ONLY_PRODUCT = { title: "Gift Wrap", sku: "gift-wrap", price: "150.00", stock: 40 };

export function registerShopifyAdmin(
  app: FastifyInstance,
  sandbox: Sandbox,
  credentials: SandboxCredentials,
  options: ShopifyAdminOptions,
): void {
  const control = sandbox.shopify.control;
  const demo: AdminShop = { domain: credentials.shopify.shop, name: "Prokip Demo Store", kind: "demo" };
  const shops = new Map<string, AdminShop>([[demo.domain, demo]]);
  const appKeyMatches = options.appApiKey === credentials.shopify.apiKey;

  const mint = (shop: string) =>
    control.mintSessionToken({ shop, apiKey: credentials.shopify.apiKey, ttlSeconds: SESSION_TOKEN_SECONDS });

  app.get(APP_BRIDGE_STAND_IN_PATH, async (_request, reply) =>
    // Not cached: a restarted sandbox may serve a newer stand-in.
    reply.type("text/javascript; charset=utf-8").header("cache-control", "no-cache").send(APP_BRIDGE_STAND_IN),
  );

  app.get<{ Querystring: { shop?: string; path?: string } }>(SHOPIFY_ADMIN_PATH, async (request, reply) => {
    const shop = shops.get(request.query.shop ?? demo.domain);
    if (!shop) {
      return sendHtml(
        reply.code(404),
        errorPage(
          "No such shop in this sandbox",
          "The sandbox starts afresh each time it runs, so shops opened before a restart are gone. Open the demo shop or a new shop.",
        ),
      );
    }
    if (!appKeyMatches) {
      return sendHtml(
        reply.code(409),
        errorPage(
          "The app is configured for another Shopify app",
          `SHOPIFY_API_KEY is set to a key the sandbox does not know, so the sandbox cannot sign session tokens for it. Unset SHOPIFY_API_KEY and SHOPIFY_API_SECRET to use the sandbox's demo app (${credentials.shopify.apiKey}).`,
        ),
      );
    }
    const frameUrl = appFrameUrl(shop.domain, appPath(request.query.path), mint(shop.domain));
    return sendHtml(
      reply.header("cache-control", "no-store"),
      adminPage({ shop, shops: [...shops.values()], frameUrl, appName: options.appName }),
    );
  });

  app.post(`${SHOPIFY_ADMIN_PATH}/api/session-token`, async (request, reply) => {
    const input = shopRequest.safeParse(request.body);
    if (!input.success)
      return reply.code(400).send({
        error: { code: "invalid_input", message: 'Give the shop, e.g. {"shop": "prokip-demo.myshopify.com"}' },
      });
    if (!shops.has(input.data.shop))
      return reply
        .code(404)
        .send({ error: { code: "unknown_shop", message: `${input.data.shop} is not a shop of this sandbox's admin` } });
    if (!appKeyMatches)
      return reply
        .code(409)
        .send({ error: { code: "foreign_app", message: "The app runs with an API key the sandbox cannot sign for" } });
    return reply.header("cache-control", "no-store").send({ token: mint(input.data.shop) });
  });

  app.post(`${SHOPIFY_ADMIN_PATH}/api/shops`, async (request, reply) => {
    const shop = createShop(sandbox, credentials.shopify.apiKey, shops.size);
    shops.set(shop.domain, shop);
    request.log.info({ shop: shop.domain }, "sandbox: new shop with the Shopify app installed");
    return reply.code(201).send({
      shop: shop.domain,
      name: shop.name,
      adminUrl: `${SHOPIFY_ADMIN_PATH}?shop=${encodeURIComponent(shop.domain)}`,
    });
  });
}

/** An emulated shop with a few products and the app installed, as a merchant who just installed it. */
function createShop(sandbox: Sandbox, apiKey: string, count: number): AdminShop {
  const control = sandbox.shopify.control;
  const domain = `sandbox-${randomBytes(3).toString("hex")}.myshopify.com`;
  const name = `Sandbox shop ${count}`;
  control.createShop({
    domain,
    name,
    plan: "standard",
    currency: "KES",
    ianaTimezone: "Africa/Nairobi",
    timezoneOffsetMinutes: 180,
    locations: [{ name: "Main store", city: "Nairobi", country: "Kenya", countryCode: "KE" }],
  });
  for (const { sku, stock } of NEW_SHOP_PRODUCTS) {
    const product = demoCatalogue.find((p) => p.variants.some((v) => v.sku === sku || v.sku.startsWith(`${sku}-`)));
    if (!product) throw new Error(`The demo catalogue has no ${sku}`);
    control.createProduct({
      shop: domain,
      title: product.name,
      descriptionHtml: `<p>${product.description}</p>`,
      vendor: "Sandbox",
      ...(product.optionName ? { optionName: product.optionName } : {}),
      variants: product.variants.map((v, i) => ({
        sku: v.sku,
        price: v.price,
        ...(v.option ? { option: v.option } : {}),
        stock: stock[i] ?? 0,
      })),
    });
  }
  control.createProduct({
    shop: domain,
    title: STORE_ONLY_PRODUCT.title,
    vendor: "Sandbox",
    variants: [{ sku: STORE_ONLY_PRODUCT.sku, price: STORE_ONLY_PRODUCT.price, stock: STORE_ONLY_PRODUCT.stock }],
  });
  // Installing gives the app's configured subscriptions to the shop; the app's first load
  // exchanges a session token for its own access token (the one returned here is not used).
  control.installApp({ shop: domain, apiKey });
  return { domain, name, kind: "new" };
}

/** Where admin loads the embedded app: the app URL's path with admin's parameters. */
export function appFrameUrl(shop: string, path: string, idToken: string): string {
  const handle = shop.replace(/\.myshopify\.com$/u, "");
  const query = new URLSearchParams({
    embedded: "1",
    shop,
    host: Buffer.from(`admin.shopify.com/store/${handle}`).toString("base64"),
    id_token: idToken,
    locale: "en",
  });
  return `${path}?${query.toString()}`;
}

/** Only the app's own pages can be reopened in the frame (a reload keeps the page the app was on). */
function appPath(path: string | undefined): string {
  return path && /^\/app(\/[\w\-./]*)?$/u.test(path) && !path.includes("..") ? path : "/app";
}

function sendHtml(reply: FastifyReply, body: string) {
  return reply.type("text/html; charset=utf-8").send(body);
}

function errorPage(title: string, message: string): string {
  return render(ERROR_PAGE, { title, message, style: STYLE, adminPath: SHOPIFY_ADMIN_PATH });
}

function adminPage(input: { shop: AdminShop; shops: AdminShop[]; frameUrl: string; appName: string }): string {
  const { shop, shops, frameUrl, appName } = input;
  return render(PAGE, {
    appName,
    shopName: shop.name,
    shop: shop.domain,
    adminPath: SHOPIFY_ADMIN_PATH,
    shopOptions: shops.map((s) =>
      s.domain === shop.domain
        ? html`<option value="${s.domain}" selected>${s.name} (${s.domain})</option>`
        : html`<option value="${s.domain}">${s.name} (${s.domain})</option>`,
    ),
    frameUrl,
    style: STYLE,
    script: SCRIPT,
  });
}

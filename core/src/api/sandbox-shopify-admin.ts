/**
 * "Open the Shopify app" in the sandbox: /sandbox/shopify-admin stands in for Shopify admin, so
 * anyone can use the embedded app without a Shopify account. Only registered when a host serves
 * the app in this process (shopify-app/server.ts).
 *
 * The page frames the app as admin does: `/app?embedded=1&shop=...&host=<base64 of
 * admin.shopify.com/store/<handle>>&id_token=<session token>&locale=en`. Session tokens are
 * minted here, signed with the emulated app's secret (what Shopify admin hands App Bridge), for
 * shops opened through this page only. The app loads the App Bridge stand-in
 * (app-bridge-stand-in.ts) from /sandbox/shopify-admin/app-bridge.js, which asks this page for
 * tokens and reports its navigation menu, title bar, save bar, toasts and loading state, which
 * the page draws as admin would.
 *
 * Two kinds of shop: the demo shop (core connects it to the demo business at start-up, so the app
 * opens on its dashboard) and new shops made on request (an emulated shop with a few products and
 * the app installed: the app starts at Connect Prokip). New shops are named
 * `sandbox-<hex>.myshopify.com`: the emulators start empty at every start while the database
 * keeps its rows, so a fresh name never meets a previous run's sessions or connection.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { demoCatalogue, type Sandbox, type SandboxCredentials } from "@prokip-sync/sandbox";
import { APP_BRIDGE_STAND_IN } from "./app-bridge-stand-in.ts";

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
      return html(
        reply.code(404),
        errorPage(
          "No such shop in this sandbox",
          "The sandbox starts afresh each time it runs, so shops opened before a restart are gone. Open the demo shop or a new shop.",
        ),
      );
    }
    if (!appKeyMatches) {
      return html(
        reply.code(409),
        errorPage(
          "The app is configured for another Shopify app",
          `SHOPIFY_API_KEY is set to a key the sandbox does not know, so the sandbox cannot sign session tokens for it. Unset SHOPIFY_API_KEY and SHOPIFY_API_SECRET to use the sandbox's demo app (${credentials.shopify.apiKey}).`,
        ),
      );
    }
    const frameUrl = appFrameUrl(shop.domain, appPath(request.query.path), mint(shop.domain));
    return html(
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

function html(reply: FastifyReply, body: string) {
  return reply.type("text/html; charset=utf-8").send(body);
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/gu,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/** JSON for an inline script: `<` escaped so no value can close the script element. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value).replace(/</gu, "\\u003c");
}

function errorPage(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} - Sandbox</title><style>${STYLE}</style></head>
<body><div class="banner" role="note"><strong class="pill">Sandbox</strong> <span>An emulated Shopify admin for trying the Prokip Sync app. No real store is involved.</span><a href="/sandbox">Back to the sandbox console</a></div>
<main class="message"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="${SHOPIFY_ADMIN_PATH}">Open the demo shop</a></p></main></body></html>`;
}

function adminPage(input: { shop: AdminShop; shops: AdminShop[]; frameUrl: string; appName: string }): string {
  const { shop, shops, frameUrl, appName } = input;
  const options = shops
    .map(
      (s) =>
        `<option value="${escapeHtml(s.domain)}"${s.domain === shop.domain ? " selected" : ""}>${escapeHtml(s.name)} (${escapeHtml(s.domain)})</option>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(appName)} - ${escapeHtml(shop.name)} - Sandbox Shopify admin</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body class="admin">
<div class="banner" role="note"><strong class="pill">Sandbox</strong> <span>This is not Shopify: an emulated Shopify admin for trying the ${escapeHtml(appName)} app. No real store, account or money is involved.</span><a href="/sandbox">Back to the sandbox console</a></div>
<div class="admin-grid">
  <nav class="sidebar" aria-label="Shopify admin">
    <form class="shop-picker" method="get" action="${SHOPIFY_ADMIN_PATH}">
      <label for="shop">Shop</label>
      <select id="shop" name="shop">${options}</select>
      <noscript><button type="submit">Open</button></noscript>
    </form>
    <button type="button" id="new-shop" class="secondary">Open a new shop</button>
    <p id="new-shop-result" class="result" role="status" aria-live="polite"></p>
    <h2 class="apps-heading">Apps</h2>
    <ul class="app-nav" id="app-nav">
      <li><a href="/app" data-href="/app" class="app-name">${escapeHtml(appName)}</a></li>
    </ul>
  </nav>
  <section class="workspace" aria-label="${escapeHtml(appName)}">
    <div class="loading-bar" id="loading-bar" hidden></div>
    <header class="title-bar" id="title-bar" hidden><h1 id="title-text"></h1><div class="title-actions" id="title-actions"></div></header>
    <div class="save-bar" id="save-bar" hidden role="region" aria-label="Unsaved changes"><span>Unsaved changes</span><div id="save-actions"></div></div>
    <iframe id="app-frame" title="${escapeHtml(appName)}" src="${escapeHtml(frameUrl)}"></iframe>
  </section>
</div>
<ol class="toasts" id="toasts" aria-live="polite"></ol>
<script>var SANDBOX_ADMIN = ${inlineJson({ shop: shop.domain, adminPath: SHOPIFY_ADMIN_PATH })};</script>
<script>${SCRIPT}</script>
</body>
</html>`;
}

const STYLE = `
  :root { --ink: #1c1d1f; --muted: #5c5f62; --line: #e1e3e5; --bg: #f1f1f1; --side: #ebebeb; --accent: #1f5fbf; --bad: #b3261e; }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  html, body { height: 100%; }
  body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: var(--ink); background: var(--bg); }
  body.admin { display: flex; flex-direction: column; }
  .banner { background: #ffd79d; padding: 8px 16px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
  .banner a { margin-left: auto; color: var(--ink); }
  .pill { background: var(--ink); color: #fff; border-radius: 999px; padding: 1px 10px; font-size: 13px; }
  .admin-grid { flex: 1; display: grid; grid-template-columns: 240px 1fr; min-height: 0; }
  .sidebar { background: var(--side); border-right: 1px solid var(--line); padding: 14px 12px; overflow: auto; }
  .shop-picker { display: flex; flex-direction: column; gap: 4px; }
  .shop-picker label { font-size: 12px; font-weight: 600; color: var(--muted); }
  select, button { font: inherit; }
  select { padding: 5px 6px; border: 1px solid #8c9196; border-radius: 6px; background: #fff; width: 100%; }
  button { padding: 5px 12px; border-radius: 8px; border: 1px solid #303030; background: #303030; color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: var(--ink); border-color: #c9cccf; margin-top: 8px; width: 100%; }
  button:disabled { opacity: .55; cursor: default; }
  :focus-visible { outline: 3px solid #79a8f0; outline-offset: 2px; }
  .result { min-height: 1.2em; margin: 4px 0 0; font-size: 13px; } .result.error { color: var(--bad); }
  .apps-heading { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 18px 0 6px; }
  .app-nav { list-style: none; margin: 0; padding: 0; }
  .app-nav a { display: block; padding: 4px 8px; border-radius: 6px; color: var(--ink); text-decoration: none; }
  .app-nav a.app-name { font-weight: 600; }
  .app-nav li li a { padding-left: 20px; }
  .app-nav ul { list-style: none; margin: 0; padding: 0; }
  .app-nav a:hover { background: #e0e0e0; }
  .app-nav a[aria-current=page] { background: #fff; font-weight: 600; }
  .workspace { position: relative; display: flex; flex-direction: column; min-width: 0; min-height: 0; }
  .loading-bar { position: absolute; top: 0; left: 0; height: 3px; width: 40%; background: var(--accent); animation: load 1.2s ease-in-out infinite; z-index: 2; }
  @keyframes load { from { left: -40%; } to { left: 100%; } }
  .title-bar { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: var(--bg); }
  .title-bar h1 { font-size: 18px; margin: 0; flex: 1; }
  .title-actions, #save-actions { display: flex; gap: 8px; }
  .title-actions button { background: #fff; color: var(--ink); border-color: #c9cccf; }
  .title-actions button.primary { background: #303030; color: #fff; border-color: #303030; }
  .save-bar { display: flex; align-items: center; gap: 12px; padding: 8px 20px; background: #303030; color: #fff; }
  .save-bar span { flex: 1; font-weight: 600; }
  .save-bar button { background: #fff; color: var(--ink); }
  .save-bar button.primary { background: #2e9d5b; color: #fff; border-color: #2e9d5b; }
  iframe { flex: 1; border: 0; width: 100%; min-height: 0; background: var(--bg); }
  .toasts { position: fixed; bottom: 20px; left: 50%; transform: translateX(-50%); list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; align-items: center; z-index: 10; }
  .toast { background: #303030; color: #fff; border-radius: 10px; padding: 10px 14px; display: flex; gap: 12px; align-items: center; box-shadow: 0 4px 16px rgba(0,0,0,.25); max-width: 520px; }
  .toast.error { background: var(--bad); }
  .toast button { background: transparent; border-color: rgba(255,255,255,.6); padding: 2px 8px; }
  .message { max-width: 640px; margin: 40px auto; padding: 0 16px; }
  @media (max-width: 720px) { .admin-grid { grid-template-columns: 1fr; grid-template-rows: auto 1fr; } .sidebar { border-right: 0; border-bottom: 1px solid var(--line); } }
`;

/*
 * The admin page's script: answers the app's App Bridge stand-in (session tokens, toasts,
 * loading, navigation menu, title bar, save bar) and opens shops. Plain ES2017.
 */
const SCRIPT = String.raw`
"use strict";
(function () {
  var FROM_APP = "prokip-sandbox-app-bridge";
  var FROM_ADMIN = "prokip-sandbox-admin";
  var frame = document.getElementById("app-frame");
  var nav = document.getElementById("app-nav");
  var currentPath = "/app";
  var navItems = [];
  var titleButtons = [];
  var saveBarKey = null;
  var baseTitle = document.title;

  function send(message) {
    message.source = FROM_ADMIN;
    if (frame.contentWindow) frame.contentWindow.postMessage(message, location.origin);
  }

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  async function sessionToken() {
    var response = await fetch(SANDBOX_ADMIN.adminPath + "/api/session-token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ shop: SANDBOX_ADMIN.shop }), cache: "no-store" });
    var body = await response.json().catch(function () { return null; });
    if (!response.ok || !body || !body.token) throw new Error((body && body.error && body.error.message) || "The sandbox answered " + response.status);
    return body.token;
  }

  /** Reopens the app at a path, as admin does when it loads an app page: with a fresh token. */
  async function reloadFrame(path) {
    var token = await sessionToken();
    var handle = SANDBOX_ADMIN.shop.replace(/\.myshopify\.com$/, "");
    var query = new URLSearchParams({ embedded: "1", shop: SANDBOX_ADMIN.shop, host: btoa("admin.shopify.com/store/" + handle), id_token: token, locale: "en" });
    frame.src = path + "?" + query.toString();
  }

  // ---- The sidebar: the app's name (its home link) and its navigation menu -----------------

  function renderNav() {
    var home = navItems.find(function (item) { return item.home; });
    var homeHref = home ? home.href : "/app";
    var entries = navItems.filter(function (item) { return !item.home; });
    // The entry for the page the app is on (a page under an entry counts, except under home);
    // a page no entry stands for marks the app itself.
    var active = entries.filter(function (item) { return currentPath === item.href || (item.href !== homeHref && currentPath.indexOf(item.href + "/") === 0); })
      .sort(function (a, b) { return b.href.length - a.href.length; })[0];
    nav.innerHTML = "<li><a href=\"" + esc(homeHref) + "\" data-href=\"" + esc(homeHref) + "\" class=\"app-name\"" + (!active ? " aria-current=\"page\"" : "") + ">" + esc(document.querySelector(".app-name").textContent) + "</a>" +
      (entries.length ? "<ul>" + entries.map(function (item) {
        return "<li><a href=\"" + esc(item.href) + "\" data-href=\"" + esc(item.href) + "\"" + (item === active ? " aria-current=\"page\"" : "") + ">" + esc(item.label) + "</a></li>";
      }).join("") + "</ul>" : "") + "</li>";
  }

  nav.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-href]");
    if (!link) return;
    event.preventDefault();
    var href = link.getAttribute("data-href");
    if (navItems.length) send({ type: "navigate", href: href });
    else reloadFrame(href).catch(showError);
  });

  // ---- Toasts, loading, title bar, save bar -------------------------------------------------

  var toasts = document.getElementById("toasts");
  function showToast(data) {
    var item = document.createElement("li");
    item.className = "toast" + (data.isError ? " error" : "");
    item.dataset.id = data.id;
    item.setAttribute("role", data.isError ? "alert" : "status");
    item.innerHTML = "<span>" + esc(data.message) + "</span>" + (data.action ? "<button type=\"button\" class=\"action\">" + esc(data.action) + "</button>" : "") + "<button type=\"button\" class=\"dismiss\" aria-label=\"Dismiss\">\u00d7</button>";
    var timer = setTimeout(function () { item.remove(); }, Math.max(1000, data.duration || 5000));
    item.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      clearTimeout(timer);
      item.remove();
      send({ type: button.classList.contains("action") ? "toast-action" : "toast-dismiss", id: data.id });
    });
    toasts.appendChild(item);
  }
  function showError(error) {
    showToast({ id: "admin-error", message: error.message, isError: true, duration: 8000 });
  }

  function buttonsHtml(buttons) {
    return buttons.map(function (button, index) {
      return "<button type=\"button\" data-index=\"" + index + "\" class=\"" + (button.variant === "primary" ? "primary" : "") + "\"" + (button.disabled || button.loading ? " disabled" : "") + ">" + esc(button.label) + "</button>";
    }).join("");
  }

  function showTitleBar(data) {
    titleButtons = data.buttons || [];
    document.getElementById("title-text").textContent = data.title || "";
    document.getElementById("title-actions").innerHTML = buttonsHtml(titleButtons);
    document.getElementById("title-bar").hidden = !data.title && !titleButtons.length;
    document.title = data.title ? data.title + " - " + baseTitle : baseTitle;
  }
  document.getElementById("title-actions").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-index]");
    if (button) send({ type: "title-bar-click", index: Number(button.dataset.index) });
  });

  function showSaveBar(data) {
    if (!data.visible && data.key !== saveBarKey) return;
    saveBarKey = data.visible ? data.key : null;
    // Save (variant primary) last, as admin shows it.
    var buttons = (data.buttons || []).map(function (button, index) { return Object.assign({}, button, { index: index }); })
      .sort(function (a, b) { return (a.variant === "primary") - (b.variant === "primary"); });
    document.getElementById("save-actions").innerHTML = buttons.map(function (button) {
      return "<button type=\"button\" data-index=\"" + button.index + "\" class=\"" + (button.variant === "primary" ? "primary" : "") + "\"" + (button.disabled || button.loading ? " disabled" : "") + ">" + esc(button.label || (button.variant === "primary" ? "Save" : "Discard")) + "</button>";
    }).join("");
    document.getElementById("save-bar").hidden = !data.visible;
  }
  document.getElementById("save-actions").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-index]");
    if (button && saveBarKey) send({ type: "save-bar-click", key: saveBarKey, index: Number(button.dataset.index) });
  });

  // ---- Messages from the app ---------------------------------------------------------------

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== frame.contentWindow || event.origin !== location.origin || !data || data.source !== FROM_APP) return;
    switch (data.type) {
      case "id-token-request":
        sessionToken().then(
          function (token) { send({ type: "id-token", id: data.id, token: token }); },
          function (error) { send({ type: "id-token", id: data.id, error: error.message }); }
        );
        break;
      case "toast": showToast(data); break;
      case "toast-hide":
        Array.prototype.forEach.call(toasts.querySelectorAll(".toast"), function (item) { if (item.dataset.id === data.id) item.remove(); });
        break;
      case "loading": document.getElementById("loading-bar").hidden = !data.on; break;
      case "nav-menu": navItems = data.items || []; renderNav(); break;
      case "title-bar": showTitleBar(data); break;
      case "save-bar": showSaveBar(data); break;
      case "location":
        currentPath = data.path || "/app";
        renderNav();
        // The admin's address follows the app, so a reload reopens the same page.
        var url = new URL(location.href);
        url.searchParams.set("shop", SANDBOX_ADMIN.shop);
        url.searchParams.set("path", currentPath);
        history.replaceState(null, "", url.pathname + url.search);
        break;
      case "reload-frame": reloadFrame(data.path).catch(showError); break;
    }
  });

  // A frame (re)loaded: its App Bridge reports everything again.
  frame.addEventListener("load", function () {
    document.getElementById("loading-bar").hidden = true;
    document.getElementById("save-bar").hidden = true;
    saveBarKey = null;
    send({ type: "sync" });
  });

  // ---- Shops -------------------------------------------------------------------------------

  document.getElementById("shop").addEventListener("change", function (event) {
    location.href = SANDBOX_ADMIN.adminPath + "?shop=" + encodeURIComponent(event.target.value);
  });

  document.getElementById("new-shop").addEventListener("click", async function (event) {
    var button = event.currentTarget;
    var result = document.getElementById("new-shop-result");
    button.disabled = true;
    result.className = "result";
    result.textContent = "Creating a shop with a few products...";
    try {
      var response = await fetch(SANDBOX_ADMIN.adminPath + "/api/shops", { method: "POST" });
      var body = await response.json().catch(function () { return null; });
      if (!response.ok || !body) throw new Error((body && body.error && body.error.message) || "The sandbox answered " + response.status);
      location.href = body.adminUrl;
    } catch (error) {
      result.className = "result error";
      result.textContent = error.message;
      button.disabled = false;
    }
  });
})();
`;

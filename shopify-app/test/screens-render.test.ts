/**
 * Every merchant screen rendered as Shopify admin loads it (a signed document request), through
 * Remix's request handler and the app's real route modules compiled by Vite (in memory: the
 * build directory is build.test.ts's), while a store goes from Connect Prokip to set up. Checks
 * that each screen renders (200) with the merchant's copy and data, that a refused loader shows
 * the screen's error banner, and that App Bridge's script comes from APP_BRIDGE_URL when set.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import { createLogger, createServer, type ViteDevServer } from "vite";
import { chooseLocation, signInToProkip, startStoreSetup } from "@prokip-sync/core";
import {
  CBD,
  deps,
  installApp,
  page,
  previewRun,
  prokip,
  runRequestedSetups,
  stopAll,
  store,
  STORE_ONLY,
} from "./support/screens.ts";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let vite: ViteDevServer;
let handle: (request: Request) => Promise<Response>;
/** What Vite logged as an error (it is printed as well). */
const viteErrors: string[] = [];
const viteLogger = createLogger("warn");
const logError = viteLogger.error;
viteLogger.error = (message, options) => {
  viteErrors.push(message);
  logError(message, options);
};

before(async () => {
  // Core stays the one this process loaded (one database pool, the same error classes).
  vite = await createServer({
    root: appDir,
    configFile: path.join(appDir, "vite.config.ts"),
    server: { middlewareMode: true, hmr: false },
    appType: "custom",
    ssr: { external: ["@prokip-sync/core"] },
    // No browser loads this server's client modules, so the client's dependency optimizer has
    // nothing to find. Left on, it pre-bundles server-only packages for the browser: Remix's dev
    // style collection walks the SSR module graph through Vite's mixed graph, whose
    // getModuleByUrl resolves every SSR import in the client environment too, and each bare one
    // becomes a "new dependency". @shopify/shopify-app-session-storage-prisma then pulls in
    // @prisma/client's browser entry, which needs a client generated into node_modules/.prisma
    // (ours is in core/src/store/generated): "Could not resolve .prisma/client/index-browser".
    optimizeDeps: { noDiscovery: true },
    customLogger: viteLogger,
  });
  const build = (await vite.ssrLoadModule("virtual:remix/server-build")) as ServerBuild;
  handle = createRequestHandler(build, "development");
  await installApp();
});
after(async () => {
  await vite?.close();
  await stopAll();
});

/** A screen as admin loads it: its status and its text (markup, scripts and styles left out). */
async function screen(url: string): Promise<{ status: number; text: string; html: string }> {
  const response = await handle(await page(url));
  const html = await response.text();
  const text = html
    .replace(/<script[\s\S]*?<\/script>/gu, " ")
    .replace(/<style[\s\S]*?<\/style>/gu, " ")
    .replace(/<[^>]+>/gu, " ")
    .replace(/&#x27;/gu, "'")
    .replace(/&amp;/gu, "&")
    .replace(/\s+/gu, " ");
  return { status: response.status, text, html };
}

function shows(text: string, ...phrases: string[]) {
  for (const phrase of phrases) assert.ok(text.includes(phrase), `expected "${phrase}" in: ${text.slice(0, 2000)}`);
}

describe("the merchant screens render", () => {
  it("Connect Prokip: the sign-in with sample data (labelled sandbox), then the location choice", async () => {
    const signIn = await screen("/app/connect");
    assert.equal(signIn.status, 200);
    shows(
      signIn.text,
      "Connect Prokip",
      "Sign in to Prokip",
      "Username",
      "Password",
      "Try with sample data",
      "Sandbox",
    );
    assert.match(signIn.html, /type="password"/u);

    await signInToProkip(deps, store, { username: prokip.demo.username, password: prokip.demo.password });
    const location = await screen("/app/connect");
    shows(
      location.text,
      "Choose the Prokip location this store sells from",
      ...prokip.demo.locations.map((l) => l.name),
      "Connect store",
    );
  });

  it("Set up products: the first step, a preview with its tabs and counts, a queued run, the summary with the file", async () => {
    await chooseLocation(deps, store, {
      prokipLocationId: CBD.id,
      credentials: { platform: "shopify", tokenSource: "app_session" },
    });
    const first = await screen("/app/setup");
    assert.equal(first.status, 200);
    shows(
      first.text,
      "Set up products",
      "Step 1 of 4: Choose products",
      "Use my store's products",
      "Use my Prokip products",
      "Preview",
    );

    const preview = await screen(`/app/setup?run=${await previewRun("pull")}`);
    shows(
      preview.text,
      "Step 2 of 4: Preview",
      "SKU",
      "Store quantity",
      "Prokip quantity",
      "What will happen",
      "Missing in Prokip",
      STORE_ONLY.sku,
      "Continue",
    );

    const run = await startStoreSetup(deps, store, { strategy: "pull" });
    shows((await screen(`/app/setup?run=${run.id}`)).text, "Setup is about to start", "You can leave this page");
    await runRequestedSetups();
    const summary = await screen(`/app/setup?run=${run.id}`);
    shows(
      summary.text,
      "Your products are set up",
      "Summary",
      "Linked to Prokip",
      "Products Prokip doesn't have",
      "1 product in your store is not in Prokip",
      "Download products file",
      "Go to dashboard",
    );
  });

  it("Dashboard: the store card with its status, location, counts and actions", async () => {
    const dashboard = await screen("/app");
    assert.equal(dashboard.status, 200);
    shows(
      dashboard.text,
      "Dashboard",
      "test-shop.myshopify.com",
      "Active",
      `Prokip location: ${CBD.name}`,
      "Last sync",
      "Products synced",
      "Waiting to sync",
      "Failed",
      "Pause sync",
      "Sync now",
      "Disconnect store",
    );
  });

  it("Products: the table with statuses and row actions", async () => {
    const products = await screen("/app/products");
    assert.equal(products.status, 200);
    shows(
      products.text,
      "Products",
      "All",
      "Synced",
      "Not linked",
      "Classic Shirt",
      "Synced",
      STORE_ONLY.title,
      "Link",
      "Unlink",
      "Exclude",
    );
    shows((await screen("/app/products?q=nothing-like-this")).text, "No products match");
  });

  it("Activity: entries with their type, and the filters", async () => {
    const activity = await screen("/app/activity");
    assert.equal(activity.status, 200);
    shows(activity.text, "Activity", "Type", "Product SKU", "Setup", "Connection");
    shows((await screen("/app/activity?type=oversell")).text, "Nothing matches these filters");
  });

  it("Settings: the fields, without the store-edit policy outside central mode", async () => {
    const settings = await screen("/app/settings");
    assert.equal(settings.status, 200);
    shows(
      settings.text,
      "Settings",
      "Safety buffer",
      "Low-stock alert",
      "Deduct stock when an order is",
      "Check every",
      "Save",
    );
    assert.ok(!settings.text.includes("Stock edited in the store"));
  });

  it("a loader's refusal is shown in the screen's error banner", async () => {
    const refused = await screen("/app/products?status=lost");
    assert.equal(refused.status, 400);
    shows(refused.text, "This page could not be loaded", "Some fields need attention", "Try again");
  });

  it("App Bridge comes from APP_BRIDGE_URL when it is set, from Shopify's CDN otherwise", async () => {
    assert.match(
      (await screen("/app/settings")).html,
      /<script src="https:\/\/cdn\.shopify\.com\/shopifycloud\/app-bridge\.js"/u,
    );
    process.env.APP_BRIDGE_URL = "http://127.0.0.1:3000/sandbox/shopify-admin/app-bridge.js";
    try {
      const html = (await screen("/app/settings")).html;
      assert.match(html, /<script src="http:\/\/127\.0\.0\.1:3000\/sandbox\/shopify-admin\/app-bridge\.js"/u);
      assert.doesNotMatch(html, /cdn\.shopify\.com\/shopifycloud\/app-bridge\.js/u);
    } finally {
      delete process.env.APP_BRIDGE_URL;
    }
  });

  it("rendering the screens pre-bundles no server-only package for the browser, and Vite reports no error", async () => {
    assert.equal((await screen("/app/products")).status, 200);
    const metadata = vite.environments.client.depsOptimizer?.metadata;
    const forTheBrowser = [...Object.keys(metadata?.optimized ?? {}), ...Object.keys(metadata?.discovered ?? {})];
    for (const serverOnly of [
      "@shopify/shopify-app-session-storage-prisma",
      "@shopify/shopify-app-remix/adapters/node",
      "@prisma/client",
      "zod",
    ])
      assert.ok(!forTheBrowser.includes(serverOnly), `${serverOnly} is pre-bundled for the browser`);
    assert.deepEqual(viteErrors, []);
  });
});

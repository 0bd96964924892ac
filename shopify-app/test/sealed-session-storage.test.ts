/**
 * The app's session storage (sealed-session-storage.server.ts), as shopify.server.ts builds it,
 * hosted the way the backend hosts the app (`globalThis.prokipSyncMerchant` with core's
 * channels), against a real PostgreSQL and the Shopify emulator over HTTP: the library's token
 * exchange and core's refreshes both reach the emulator, which rotates refresh tokens strictly.
 *
 * - tokens are sealed at rest and opened on load;
 * - a row that does not open (plaintext from before sealing) is absent, and opening the app
 *   replaces it;
 * - an offline session about to expire is refreshed once through core's locked refresh when the
 *   library loads it (here: for webhooks), and the library never refreshes by itself;
 * - the library's invalidation of a refused token cannot put a spent refresh token back;
 * - a refresh Shopify refuses (uninstalled) leaves webhooks working without an admin context.
 */
import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import type { MerchantDeps } from "@prokip-sync/core";
import { shopify } from "../../core/src/channels/index.ts";
import { offlineSessionId, openSessionToken, ShopifySessions } from "../../core/src/connections/index.ts";
import { createLogger } from "../../core/src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../../core/src/security/index.ts";
import { API_KEY, API_SECRET_KEY, APP_URL, call, database, webhookRequest } from "./support/app.ts";

const { prisma, pool } = database;
const log = createLogger({ level: "silent" });
const encryptionKey = parseEncryptionKey(generateEncryptionKey());

// The emulator's clock runs ahead of ours by `ahead`: how its tokens are made to expire. Session
// tokens are minted with ahead = 0 (the library checks them against our clock).
let ahead = 0;
const started = await shopifyEmulator.startShopifyEmulator({ port: 0, clock: () => Date.now() + ahead });
after(() => started.close());
const { control } = started.emulator;
control.registerApp({ apiKey: API_KEY, apiSecret: API_SECRET_KEY });

/**
 * Every request to Shopify's token endpoint, from the library or from core, by grant. Refreshes
 * are held for `refreshDelayMs`, so concurrent loads of a session really overlap.
 */
let grants: { shop: string; grant: string; status: number }[] = [];
let refreshDelayMs = 0;
const shopifyFetch = shopify.routeShopifyFetch(started.url, async (url, init) => {
  const token = /\/([^/]+)\/admin\/oauth\/access_token$/u.exec(new URL(url).pathname);
  const grant =
    token && typeof init?.body === "string" ? (JSON.parse(init.body) as { grant_type: string }).grant_type : null;
  if (grant === "refresh_token" && refreshDelayMs > 0) await sleep(refreshDelayMs);
  const response = await fetch(url, init);
  if (token && grant) grants.push({ shop: token[1]!, grant, status: response.status });
  return response;
});

// Hosted as the backend hosts the app: the key and core's channels come from the host. The job
// requests are part of the contract but nothing here asks for a job.
globalThis.prokipSyncMerchant = {
  prisma,
  pool,
  log,
  encryptionKey,
  channels: {
    encryptionKey,
    log,
    shopifyFetch,
    shopifyApp: { apiKey: API_KEY, apiSecret: API_SECRET_KEY },
    shopifySessions: new ShopifySessions(pool),
  },
  prokip: { baseUrl: "http://127.0.0.1:9", client: { clientId: "unused", clientSecret: "unused" } },
  sampleData: null,
  publicUrl: "http://127.0.0.1:9",
  jobs: {
    reconcile: async () => assert.fail("no job is asked for here"),
    drain: async () => assert.fail("no job is asked for here"),
    setup: async () => assert.fail("no job is asked for here"),
    postings: async () => assert.fail("no job is asked for here"),
    inbox: async () => assert.fail("no job is asked for here"),
  },
} as MerchantDeps;

const { sessionStorage } = await import("../app/shopify.server.ts");
const { Session } = await import("@shopify/shopify-app-remix/server");
const appRoute = await import("../app/routes/app.tsx");
const syncWebhooks = await import("../app/routes/webhooks.sync.tsx");
// The library's own requests (token exchange, and refreshes, should it make any) go the same way.
// Set after the app's modules are loaded: their Node adapter sets the library's fetch on import.
setAbstractFetchFunc(async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!new URL(url).hostname.endsWith(".myshopify.com")) throw new Error(`unexpected request to ${url}`);
  return shopifyFetch(url, init);
});

beforeEach(() => {
  ahead = 0;
  grants = [];
  refreshDelayMs = 0;
});

let shops = 0;

/** A shop in the emulator; the merchant has not opened the app yet. */
function newShop(): string {
  const domain = `sealed-${process.pid}-${++shops}.myshopify.com`;
  control.createShop({ domain });
  return domain;
}

/** The merchant opening the app: App Bridge's session token exchanged by the library at the emulator. */
async function openApp(shop: string): Promise<void> {
  const token = control.mintSessionToken({ shop, apiKey: API_KEY });
  const result = await call(
    appRoute.loader,
    new Request(`${APP_URL}/app`, { headers: { authorization: `Bearer ${token}` } }),
  );
  assert.equal(result.response, null, `opening the app answered ${result.response?.status}`);
}

async function rawSession(shop: string) {
  const { rows } = await pool.query<{ accessToken: string; refreshToken: string | null; expires: Date | null }>(
    `SELECT "accessToken", "refreshToken", "expires" FROM "Session" WHERE "id" = $1`,
    [offlineSessionId(shop)],
  );
  return rows[0];
}

const open = (sealed: string) => openSessionToken(sealed, encryptionKey);

/** Shopify no longer takes the token, and the row says it expires now. */
async function expire(shop: string): Promise<void> {
  ahead = 61 * 60_000;
  await pool.query(`UPDATE "Session" SET "expires" = now() - interval '1 minute' WHERE "id" = $1`, [
    offlineSessionId(shop),
  ]);
}

function delivery(shop: string): Request {
  return webhookRequest("/webhooks/sync", {
    shop,
    topic: "orders/create",
    body: { id: 1, name: "#1001", updated_at: "2026-11-21T10:00:00Z" },
  });
}

describe("the app's session storage", () => {
  it("seals both tokens before they reach the database and opens them on load", async () => {
    const shop = newShop();
    const session = new Session({
      id: offlineSessionId(shop),
      shop,
      state: "",
      isOnline: false,
      scope: "read_products",
      expires: new Date(Date.now() + 3_600_000),
      accessToken: "shpat_plain_access",
      refreshToken: "shprt_plain_refresh",
      refreshTokenExpires: new Date(Date.now() + 86_400_000),
    });
    assert.ok(await sessionStorage.storeSession(session));
    assert.equal(session.accessToken, "shpat_plain_access", "the caller's session is not changed");

    const raw = (await rawSession(shop))!;
    assert.match(raw.accessToken, /^v1\./u);
    assert.match(raw.refreshToken!, /^v1\./u);
    const { rows } = await pool.query<{ found: number }>(
      `SELECT count(*)::int AS found FROM "Session" WHERE "Session"::text LIKE '%plain%'`,
    );
    assert.equal(rows[0]!.found, 0, "no token in any column");
    assert.equal(open(raw.accessToken), "shpat_plain_access", "sealed with core's key (the host's)");

    const loaded = await sessionStorage.loadSession(offlineSessionId(shop));
    assert.equal(loaded?.accessToken, "shpat_plain_access");
    assert.equal(loaded?.refreshToken, "shprt_plain_refresh");
    assert.equal(loaded?.scope, "read_products");
    const byShop = await sessionStorage.findSessionsByShop(shop);
    assert.deepEqual(
      byShop.map((s) => s.accessToken),
      ["shpat_plain_access"],
    );
    assert.deepEqual(grants, [], "a fresh session is not refreshed");
  });

  it("treats a row that does not open (plaintext, from before sealing) as absent; opening the app replaces it, sealed", async () => {
    const shop = newShop();
    await prisma.session.create({
      data: {
        id: offlineSessionId(shop),
        shop,
        state: "",
        accessToken: "shpat_from_before",
        expires: new Date(Date.now() + 3_600_000),
      },
    });
    assert.equal(await sessionStorage.loadSession(offlineSessionId(shop)), undefined);
    assert.deepEqual(await sessionStorage.findSessionsByShop(shop), []);

    await openApp(shop);
    assert.deepEqual(grants, [{ shop, grant: "urn:ietf:params:oauth:grant-type:token-exchange", status: 200 }]);
    const raw = (await rawSession(shop))!;
    assert.ok(open(raw.accessToken).startsWith("shpat_"));
    assert.ok(open(raw.refreshToken!).startsWith("shprt_"), "an expiring offline token, with its refresh token");
    assert.equal((await sessionStorage.loadSession(offlineSessionId(shop)))?.accessToken, open(raw.accessToken));
  });

  it("refreshes an expiring offline session once through core when webhooks load it, however many at once; the library does not refresh", async () => {
    const shop = newShop();
    await openApp(shop);
    const before = (await rawSession(shop))!;
    await expire(shop);
    grants = [];
    refreshDelayMs = 300; // every delivery has loaded the session before the refresh is answered

    const answers = await Promise.all([1, 2, 3].map(() => call(syncWebhooks.action, delivery(shop))));
    for (const answer of answers)
      assert.deepEqual(answer.data ?? (await answer.response?.json()), { status: "not_connected" });

    assert.deepEqual(grants, [{ shop, grant: "refresh_token", status: 200 }]);
    const after = (await rawSession(shop))!;
    assert.notEqual(open(after.accessToken), open(before.accessToken));
    assert.notEqual(open(after.refreshToken!), open(before.refreshToken!));
    assert.ok(after.expires && after.expires.getTime() > Date.now() + 55 * 60_000);
    const loaded = await sessionStorage.loadSession(offlineSessionId(shop));
    assert.equal(loaded?.accessToken, open(after.accessToken));
    assert.ok(!loaded?.isExpired(5 * 60_000), "the library finds nothing to refresh");
    assert.equal(grants.length, 1);
  });

  it("does not store the library's invalidation of a token core has replaced meanwhile (it would put the spent refresh token back)", async () => {
    const shop = newShop();
    await openApp(shop);
    const held = (await sessionStorage.loadSession(offlineSessionId(shop)))!;
    // Core's worker refreshes meanwhile (Shopify refused the token: 401), which spends the
    // refresh token the app's copy still holds.
    ahead = 61 * 60_000;
    const { shopifySessions, shopifyApp } = globalThis.prokipSyncMerchant!.channels;
    const renewed = await shopifySessions!.accessToken(
      shop,
      { encryptionKey, app: shopifyApp!, fetch: shopifyFetch, log },
      held.accessToken,
    );
    const rotated = (await rawSession(shop))!;
    assert.equal(open(rotated.accessToken), renewed);
    grants = [];

    // What the library's invalidateAccessToken does after a 401 with the session it holds.
    held.accessToken = undefined;
    assert.ok(await sessionStorage.storeSession(held));
    const raw = (await rawSession(shop))!;
    assert.equal(open(raw.accessToken), renewed, "core's pair stays");
    assert.equal(open(raw.refreshToken!), open(rotated.refreshToken!));
    assert.deepEqual(grants, [], "the newer row is adopted without another refresh");
    assert.equal((await sessionStorage.loadSession(offlineSessionId(shop)))?.accessToken, renewed);
  });

  it("after the app is uninstalled, a refused refresh makes the session absent: webhooks are still answered, not failed with 500", async () => {
    const shop = newShop();
    await openApp(shop);
    control.uninstallApp({ shop, apiKey: API_KEY });
    await expire(shop);
    grants = [];

    const answer = await call(syncWebhooks.action, delivery(shop));
    assert.deepEqual(answer.data ?? (await answer.response?.json()), { status: "not_connected" });
    assert.deepEqual(
      grants,
      [{ shop, grant: "refresh_token", status: 400 }],
      "refused once (invalid_grant), not tried again by the library",
    );
    assert.equal(await sessionStorage.loadSession(offlineSessionId(shop)), undefined);
  });
});

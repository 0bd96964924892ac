/**
 * App-installed Shopify shops (`tokenSource: "app_session"`): the channel's token is the shop's
 * offline app session in the central `Session` table, sealed, refreshed by core when it is about
 * to expire or Shopify refuses it, with one refresh however many workers ask at once. Against a
 * real PostgreSQL and the Shopify emulator over HTTP: tokens are obtained the way the app obtains
 * them (token exchange of a session token), and the emulator rotates refresh tokens strictly,
 * so a refresh token spent twice is refused there.
 */
import assert from "node:assert/strict";
import { after, beforeEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import { ChannelError, shopify, type Channel, type StoreVariantRef } from "../src/channels/index.ts";
import {
  channelForConnection,
  offlineSessionId,
  openSessionToken,
  openStoreCredentials,
  sealSessionToken,
  sealStoreCredentials,
  ShopifySessions,
  type ChannelEnvironment,
} from "../src/connections/index.ts";
import { createLogger } from "../src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { testDatabase } from "./support/database.ts";

const { prisma, pool } = await testDatabase({ poolSize: 8 });
const log = createLogger({ level: "silent" });
const encryptionKey = parseEncryptionKey(generateEncryptionKey());
const APP = { apiKey: "session-tokens-test-app", apiSecret: "session-tokens-test-secret-0123456789abcdef" };

// The emulator's clock runs ahead of ours by `ahead`: how its tokens are made to expire.
let ahead = 0;
const store = await shopifyEmulator.startShopifyEmulator({ port: 0, clock: () => Date.now() + ahead });
after(() => store.close());
const { control } = store.emulator;
control.registerApp({ apiKey: APP.apiKey, apiSecret: APP.apiSecret });

/**
 * What core sent to the token endpoint, and what it got back, seen on the wire to the emulator.
 * Refreshes are held for `refreshDelayMs`, so concurrent workers really overlap.
 */
let refreshes: {
  shop: string;
  refreshToken: string;
  status: number;
  issued: { access_token: string; refresh_token: string } | null;
}[] = [];
let refreshDelayMs = 0;
const shopifyFetch = shopify.routeShopifyFetch(store.url, async (url, init) => {
  const match = /\/([^/]+)\/admin\/oauth\/access_token$/u.exec(new URL(url).pathname);
  const body = match && typeof init?.body === "string" ? (JSON.parse(init.body) as Record<string, string>) : null;
  if (!match || body?.grant_type !== "refresh_token") return fetch(url, init);
  if (refreshDelayMs > 0) await sleep(refreshDelayMs);
  const response = await fetch(url, init);
  const issued = response.ok
    ? ((await response.clone().json()) as { access_token: string; refresh_token: string })
    : null;
  refreshes.push({ shop: match[1]!, refreshToken: body.refresh_token!, status: response.status, issued });
  return response;
});

beforeEach(() => {
  ahead = 0;
  refreshes = [];
  refreshDelayMs = 0;
});

/** One worker process's channel environment: its own `ShopifySessions` (cache), the shared database. */
function environment(): ChannelEnvironment {
  return { encryptionKey, log, shopifyFetch, shopifyApp: APP, shopifySessions: new ShopifySessions(pool) };
}

let shops = 0;

/**
 * A shop with one stocked variant that installed the app: its expiring offline token pair
 * obtained by token exchange over HTTP (as the app's library does), stored sealed in the
 * `Session` row (as the app's storage does), and a connection that names the app session.
 */
async function installedShop(stock = 7) {
  const domain = `session-tokens-${process.pid}-${++shops}.myshopify.com`;
  const created = control.createShop({ domain });
  const product = control.createProduct({
    shop: domain,
    title: "Tee",
    variants: [{ sku: `TEE-${shops}`, price: "10.00", stock }],
  });
  const response = await fetch(`${store.url}/${domain}/admin/oauth/access_token`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({
      client_id: APP.apiKey,
      client_secret: APP.apiSecret,
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: control.mintSessionToken({ shop: domain, apiKey: APP.apiKey }),
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
      expiring: "1",
    }),
  });
  assert.equal(response.status, 200);
  const pair = (await response.json()) as {
    access_token: string;
    refresh_token: string;
    scope: string;
    expires_in: number;
    refresh_token_expires_in: number;
  };
  await prisma.session.create({
    data: {
      id: offlineSessionId(domain),
      shop: domain,
      state: "",
      isOnline: false,
      scope: pair.scope,
      expires: new Date(Date.now() + pair.expires_in * 1000),
      accessToken: sealSessionToken(pair.access_token, encryptionKey),
      refreshToken: sealSessionToken(pair.refresh_token, encryptionKey),
      refreshTokenExpires: new Date(Date.now() + pair.refresh_token_expires_in * 1000),
    },
  });
  const business = await prisma.business.create({ data: { name: `Session tokens ${shops}` } });
  const location = await prisma.location.create({ data: { businessId: business.id, name: "Main" } });
  const connection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: "shopify",
      storeDomain: domain,
      locationId: location.id,
      storeLocationId: created.locations[0]!.id,
      credentials: sealStoreCredentials({ platform: "shopify", tokenSource: "app_session" }, encryptionKey),
    },
  });
  const variant = product.variants[0]!;
  const ref: StoreVariantRef = {
    externalProductId: product.id,
    externalVariantId: variant.id,
    externalInventoryItemId: variant.inventoryItemId,
  };
  return {
    domain,
    connection,
    ref,
    pair,
    channel: (env: ChannelEnvironment = environment()): Channel => channelForConnection(connection, env),
  };
}

/** The session row as stored, and its tokens opened. */
async function storedSession(domain: string) {
  const { rows } = await pool.query<{ accessToken: string; refreshToken: string | null; expires: Date | null }>(
    `SELECT "accessToken", "refreshToken", "expires" FROM "Session" WHERE "id" = $1`,
    [offlineSessionId(domain)],
  );
  const row = rows[0]!;
  return {
    raw: row,
    accessToken: openSessionToken(row.accessToken, encryptionKey),
    refreshToken: row.refreshToken && openSessionToken(row.refreshToken, encryptionKey),
  };
}

/** The row says the token expires in `ms` (negative: expired), whatever Shopify thinks. */
async function setExpiry(domain: string, ms: number): Promise<void> {
  await pool.query(`UPDATE "Session" SET "expires" = $2 WHERE "id" = $1`, [
    offlineSessionId(domain),
    new Date(Date.now() + ms),
  ]);
}

const unauthorized = (error: unknown) => error instanceof ChannelError && error.code === "unauthorized";

describe("app_session credentials", () => {
  it("are exactly { platform: shopify, tokenSource: app_session } and hold no token", async () => {
    const { connection } = await installedShop();
    assert.ok(connection.credentials);
    assert.deepEqual(openStoreCredentials(connection.credentials, encryptionKey), {
      platform: "shopify",
      tokenSource: "app_session",
    });
  });
});

describe("a channel for an app-installed shop", () => {
  it("reads inventory with the session's token and does not refresh a fresh one", async () => {
    const shop = await installedShop(7);
    const quantities = await shop.channel().readQuantities([shop.ref]);
    assert.equal(quantities.get(shop.ref.externalVariantId), 7);
    assert.deepEqual(refreshes, []);
    const stored = await storedSession(shop.domain);
    assert.equal(stored.accessToken, shop.pair.access_token);
  });

  it("refreshes an expired token once, writes the new pair back sealed, and uses it", async () => {
    const shop = await installedShop(5);
    ahead = 61 * 60_000; // the token is dead at Shopify
    await setExpiry(shop.domain, -60_000);
    const channel = shop.channel();
    assert.equal((await channel.readQuantities([shop.ref])).get(shop.ref.externalVariantId), 5);
    assert.equal(
      (await channel.readQuantities([shop.ref])).get(shop.ref.externalVariantId),
      5,
      "the refreshed token is kept for the next request",
    );

    assert.equal(refreshes.length, 1);
    assert.equal(refreshes[0]!.shop, shop.domain);
    assert.equal(refreshes[0]!.refreshToken, shop.pair.refresh_token);
    const issued = refreshes[0]!.issued!;
    const stored = await storedSession(shop.domain);
    assert.equal(stored.accessToken, issued.access_token);
    assert.equal(stored.refreshToken, issued.refresh_token);
    // At rest: sealed, never the token itself.
    for (const [raw, token] of [
      [stored.raw.accessToken, issued.access_token],
      [stored.raw.refreshToken!, issued.refresh_token],
    ] as const) {
      assert.match(raw, /^v1\./u);
      assert.ok(!raw.includes(token));
    }
    assert.ok(
      stored.raw.expires && stored.raw.expires.getTime() > Date.now() + 55 * 60_000,
      "expires an hour after the refresh",
    );
    // Another worker process finds the new pair in the row and needs no refresh of its own.
    assert.equal((await shop.channel().readQuantities([shop.ref])).get(shop.ref.externalVariantId), 5);
    assert.equal(refreshes.length, 1);
  });

  it("refreshes once when Shopify answers 401 to a token the row calls fresh, and sends the request again", async () => {
    const shop = await installedShop(3);
    ahead = 61 * 60_000; // Shopify's clock says expired; ours (and the row) do not
    assert.equal((await shop.channel().readQuantities([shop.ref])).get(shop.ref.externalVariantId), 3);
    assert.equal(refreshes.length, 1);
    assert.equal((await storedSession(shop.domain)).accessToken, refreshes[0]!.issued!.access_token);
  });

  it("two workers on an expired token cause one refresh: the second waits on the row and takes the new pair", async () => {
    const shop = await installedShop(9);
    ahead = 61 * 60_000;
    await setExpiry(shop.domain, -60_000);
    refreshDelayMs = 300; // the first refresh is still in flight when the second worker asks
    const [first, second] = await Promise.all([
      shop.channel().readQuantities([shop.ref]),
      shop.channel().readQuantities([shop.ref]),
    ]);
    assert.equal(first.get(shop.ref.externalVariantId), 9);
    assert.equal(second.get(shop.ref.externalVariantId), 9);
    // Strict rotation: a second refresh with the same refresh token would have been refused.
    assert.equal(refreshes.length, 1);
    assert.equal(refreshes[0]!.status, 200);
    assert.equal((await storedSession(shop.domain)).refreshToken, refreshes[0]!.issued!.refresh_token);
  });

  it("several requests of one worker on an expired token share one refresh too", async () => {
    const shop = await installedShop(4);
    ahead = 61 * 60_000;
    await setExpiry(shop.domain, -60_000);
    refreshDelayMs = 100;
    const channel = shop.channel();
    const results = await Promise.all([1, 2, 3].map(() => channel.readQuantities([shop.ref])));
    assert.deepEqual(
      results.map((r) => r.get(shop.ref.externalVariantId)),
      [4, 4, 4],
    );
    assert.equal(refreshes.length, 1);
  });

  it("is unauthorized when Shopify refuses the refresh (app uninstalled: tokens revoked), and leaves the row to the app", async () => {
    const shop = await installedShop();
    control.uninstallApp({ shop: shop.domain, apiKey: APP.apiKey });
    await assert.rejects(shop.channel().readQuantities([shop.ref]), unauthorized);
    assert.equal(refreshes.length, 1);
    assert.equal(refreshes[0]!.status, 400, "invalid_grant");
    const stored = await storedSession(shop.domain);
    assert.equal(stored.accessToken, shop.pair.access_token, "nothing written back");

    // Expired in the row as well: the refresh is tried up front, refused the same way.
    refreshes = [];
    await setExpiry(shop.domain, -60_000);
    await assert.rejects(shop.channel().readQuantities([shop.ref]), unauthorized);
    assert.equal(refreshes.length, 1);
  });

  it("is unauthorized when the shop has no offline session (the app deletes it on app/uninstalled)", async () => {
    const shop = await installedShop();
    await prisma.session.delete({ where: { id: offlineSessionId(shop.domain) } });
    await assert.rejects(shop.channel().readQuantities([shop.ref]), unauthorized);
    assert.deepEqual(refreshes, []);
  });

  it("is unauthorized when the row cannot be opened (plaintext from before sealing): opening the app replaces it", async () => {
    const shop = await installedShop();
    await pool.query(`UPDATE "Session" SET "accessToken" = $2 WHERE "id" = $1`, [
      offlineSessionId(shop.domain),
      shop.pair.access_token,
    ]);
    await assert.rejects(shop.channel().readQuantities([shop.ref]), unauthorized);
  });

  it("cannot be built without the sessions and the app's credentials (a deployment fault, said loudly)", async () => {
    const shop = await installedShop();
    assert.throws(
      () => channelForConnection(shop.connection, { encryptionKey, log, shopifyFetch }),
      /shopifySessions and shopifyApp/u,
    );
  });
});

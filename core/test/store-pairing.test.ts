/**
 * Pairing (`POST /api/v1/store/pairing`) over real HTTP on a real PostgreSQL, the site being the
 * WooCommerce emulator with its stand-in for the plugin's pairing route: a site that began
 * pairing is paired and its secret signs store API calls; a stranger announcing a site it does
 * not control, a callback elsewhere, a used or expired nonce and malformed bodies pair nothing.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { woocommerce as wooEmulator } from "@prokip-sync/sandbox";
import { buildServer, Health, Metrics } from "../src/api/index.ts";
import { registerApiV1 } from "../src/api/v1.ts";
import type { MerchantDeps } from "../src/merchant/types.ts";
import { decryptSecret, signSiteRequest } from "../src/security/index.ts";
import { recordedJobs } from "./support/merchant-deps.ts";
import { merchantWorld } from "./support/merchant.ts";

const world = await merchantWorld();
const { pool } = world;
const deps: MerchantDeps = world.deps({ jobs: recordedJobs() });
let clock = Date.now();
const woo = await wooEmulator.startWooCommerceEmulator({ port: 0, now: () => clock });
const pairing = woo.emulator.pluginPairing;

async function backend(options: { allowPrivateAddresses: boolean; httpsOnly: boolean }) {
  const app = buildServer({ log: world.log, health: new Health("test"), metrics: new Metrics() });
  await registerApiV1(app, {
    version: "test",
    encryptionKey: world.encryptionKey,
    merchant: () => deps,
    pairing: { ...options, callbackTimeoutMs: 2_000 },
  });
  return { app, base: await app.listen({ port: 0, host: "127.0.0.1" }) };
}
// The tests' sites are on this machine, as the sandbox's are.
const sandboxed = await backend({ allowPrivateAddresses: true, httpsOnly: false });
const strict = await backend({ allowPrivateAddresses: false, httpsOnly: false });
const production = await backend({ allowPrivateAddresses: false, httpsOnly: true });
after(async () => {
  for (const { app } of [sandboxed, strict, production]) await app.close();
  await woo.close();
});

function newSite() {
  const slug = `pair-${randomUUID().slice(0, 8)}`;
  const { url } = woo.emulator.control.createSite({ slug });
  return { slug, siteUrl: url, callbackUrl: `${url}/wp-json/prokip-sync/v1/pairing` };
}

async function post(base: string, body: unknown, raw?: string) {
  const response = await fetch(`${base}/api/v1/store/pairing`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

async function siteRows(siteUrl: string) {
  const { rows } = await pool.query<{ id: string; secret: string; revokedAt: Date | null }>(
    `SELECT "id", "secret", "revokedAt" FROM "PluginSite" WHERE "siteUrl" = $1`,
    [siteUrl],
  );
  return rows;
}

async function signedStage(siteId: string, secret: string) {
  const path = "/api/v1/store/stage";
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString("base64url");
  const signature = signSiteRequest(secret, { method: "GET", pathWithQuery: path, timestamp, nonce, siteId, body: "" });
  const response = await fetch(`${sandboxed.base}${path}`, {
    headers: {
      "x-prokip-site": siteId,
      "x-prokip-timestamp": timestamp,
      "x-prokip-nonce": nonce,
      "x-prokip-signature": signature,
    },
  });
  return { status: response.status, body: (await response.json()) as { stage?: string } };
}

describe("pairing a WordPress site", () => {
  it("pairs a site whose plugin proves it asked, and hands the secret to the site, which then signs store API calls", async () => {
    const site = newSite();
    const nonce = pairing.begin(site.slug);
    const answer = await post(sandboxed.base, { siteUrl: site.siteUrl, callbackUrl: site.callbackUrl, nonce });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body), ["siteId"], "the secret is not in the answer");
    const kept = pairing.paired(site.slug);
    assert.ok(kept, "the plugin's route got the secret");
    assert.equal(kept.siteId, answer.body.siteId);
    const rows = await siteRows(site.siteUrl);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.revokedAt, null);
    assert.equal(decryptSecret(rows[0]!.secret, world.encryptionKey), kept.secret);
    const stage = await signedStage(kept.siteId, kept.secret);
    assert.equal(stage.status, 200);
    assert.equal(stage.body.stage, "connect_prokip");
  });

  it("refuses a stranger announcing a site that is not pairing, and stores nothing", async () => {
    const site = newSite();
    const nonce = randomBytes(24).toString("base64url");
    const answer = await post(sandboxed.base, { siteUrl: site.siteUrl, callbackUrl: site.callbackUrl, nonce });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, "pairing_unconfirmed");
    assert.deepEqual(await siteRows(site.siteUrl), []);
    assert.equal(pairing.paired(site.slug), null);
  });

  it("refuses a stranger with a nonce of its own while the site is pairing, and the site can still pair", async () => {
    const site = newSite();
    const nonce = pairing.begin(site.slug);
    const stranger = randomBytes(24).toString("base64url");
    const answer = await post(sandboxed.base, {
      siteUrl: site.siteUrl,
      callbackUrl: site.callbackUrl,
      nonce: stranger,
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, "pairing_unconfirmed");
    assert.deepEqual(await siteRows(site.siteUrl), []);
    const own = await post(sandboxed.base, { siteUrl: site.siteUrl, callbackUrl: site.callbackUrl, nonce });
    assert.equal(own.status, 201);
  });

  it("refuses a site that does not answer the call back (no such plugin route), and stores nothing", async () => {
    const site = newSite();
    const nonce = pairing.begin(site.slug);
    const callbackUrl = `${site.siteUrl}/wp-json/prokip-sync/v1/nowhere`;
    const answer = await post(sandboxed.base, { siteUrl: site.siteUrl, callbackUrl, nonce });
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error.code, "pairing_unconfirmed");
    assert.deepEqual(answer.body.error.details, { status: 404 });
    assert.deepEqual(await siteRows(site.siteUrl), []);
  });

  it("refuses a callback URL on another origin or outside the plugin's routes without calling it", async () => {
    const site = newSite();
    const other = newSite();
    const nonce = pairing.begin(other.slug);
    for (const callbackUrl of [
      site.callbackUrl.replace("127.0.0.1", "localhost"),
      `${other.callbackUrl.replace(/:\d+\//u, ":1/")}`,
      `${site.siteUrl}/wp-json/wc/v3/pairing`,
      `${site.callbackUrl}?redirect=elsewhere`,
      other.callbackUrl,
    ]) {
      const answer = await post(sandboxed.base, { siteUrl: site.siteUrl, callbackUrl, nonce });
      assert.equal(answer.status, 400, callbackUrl);
      assert.equal(answer.body.error.code, "pairing_callback_refused", callbackUrl);
    }
    assert.deepEqual(await siteRows(site.siteUrl), []);
    assert.equal(pairing.paired(other.slug), null);
  });

  it("refuses private addresses and unresolvable hosts outside the sandbox, and http in production", async () => {
    const site = newSite();
    const nonce = pairing.begin(site.slug);
    for (const base of [strict.base, production.base]) {
      const answer = await post(base, { siteUrl: site.siteUrl, callbackUrl: site.callbackUrl, nonce });
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error.code, "pairing_callback_refused");
    }
    assert.deepEqual(await siteRows(site.siteUrl), []);
    const unresolvable = "http://shop.example.invalid";
    const answer = await post(strict.base, {
      siteUrl: unresolvable,
      callbackUrl: `${unresolvable}/wp-json/prokip-sync/v1/pairing`,
      nonce,
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, "pairing_callback_refused");
  });

  it("does not pair twice with one nonce: the second attempt is refused and the secret stays", async () => {
    const site = newSite();
    const nonce = pairing.begin(site.slug);
    const body = { siteUrl: site.siteUrl, callbackUrl: site.callbackUrl, nonce };
    assert.equal((await post(sandboxed.base, body)).status, 201);
    const secret = (await siteRows(site.siteUrl))[0]!.secret;
    const again = await post(sandboxed.base, body);
    assert.equal(again.status, 403);
    assert.equal(again.body.error.code, "pairing_unconfirmed");
    const rows = await siteRows(site.siteUrl);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.secret, secret);
  });

  it("does not pair with a nonce the plugin let expire", async () => {
    const site = newSite();
    const nonce = pairing.begin(site.slug);
    clock += 6 * 60_000;
    const answer = await post(sandboxed.base, { siteUrl: site.siteUrl, callbackUrl: site.callbackUrl, nonce });
    assert.equal(answer.status, 403);
    assert.deepEqual(await siteRows(site.siteUrl), []);
  });

  it("answers malformed bodies 4xx with a code and pairs nothing", async () => {
    const site = newSite();
    const nonce = pairing.begin(site.slug);
    const good = { siteUrl: site.siteUrl, callbackUrl: site.callbackUrl, nonce };
    const bodies: unknown[] = [
      {},
      { ...good, nonce: "short" },
      { ...good, nonce: 12 },
      { ...good, siteUrl: "ftp://example.com" },
      { ...good, callbackUrl: "javascript:alert(1)" },
      { ...good, extra: true },
      { ...good, siteUrl: `${site.siteUrl}?x=1` },
      [good],
      null,
      "text",
    ];
    for (const body of bodies) {
      const answer = await post(sandboxed.base, body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error.code, "invalid_input", JSON.stringify(body));
    }
    const notJson = await post(sandboxed.base, undefined, "{nope");
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, "invalid_input");
    assert.deepEqual(await siteRows(site.siteUrl), []);
    assert.equal(pairing.paired(site.slug), null);
  });
});

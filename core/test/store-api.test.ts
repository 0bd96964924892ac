/**
 * The store API the WooCommerce plugin calls (`/api/v1/store/*`), over real HTTP on a real
 * PostgreSQL, with the emulated Prokip and WooCommerce sites over HTTP: every route refuses an
 * unsigned call, a bad signature, a stale timestamp and a replayed nonce; a correctly signed call
 * gets core's real answer for the site's own store only; generated malformed bodies are refused
 * with a code and change nothing; every route is in the OpenAPI 3.1 document.
 */
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { PgBoss } from "pg-boss";
import { Validator } from "@seriousme/openapi-schema-validator";
import { seededRandom, woocommerce as wooEmulator } from "@prokip-sync/sandbox";
import type { RouteOptions } from "fastify";
import { buildServer, Health, Metrics } from "../src/api/index.ts";
import { registerApiV1 } from "../src/api/v1.ts";
import { registerPluginSite, revokePluginSite, type PairedSite } from "../src/connections/index.ts";
import { runSetupJob, startQueue, type WorkerDependencies } from "../src/jobs/index.ts";
import type { MerchantDeps } from "../src/merchant/types.ts";
import { isSyncError } from "../src/domain/index.ts";
import { decryptSecret, signSiteRequest, siteCanonicalString, sha256Hex } from "../src/security/index.ts";
import type { z } from "zod";
import { chooseLocationBodySchema, signInBodySchema } from "../src/api/store/connect/schema.ts";
import { linkBodySchema } from "../src/api/store/products/schema.ts";
import { settingsBodySchema } from "../src/api/store/settings/schema.ts";
import { setupRequestBodySchema } from "../src/api/store/setup/schema.ts";
import { emptyBody } from "../src/api/store/shared-schema.ts";
import { recordedJobs } from "./support/merchant-deps.ts";
import { merchantWorld } from "./support/merchant.ts";

const world = await merchantWorld();
const { prisma, pool, demo } = world;
const cbd = demo.locations[0]!;
const jobs = recordedJobs();
const deps: MerchantDeps = world.deps({ jobs });
const woo = await wooEmulator.startWooCommerceEmulator({ port: 0 });

const routes: RouteOptions[] = [];
const app = buildServer({ log: world.log, health: new Health("test"), metrics: new Metrics() });
app.addHook("onRoute", (route) => void routes.push(route));
await registerApiV1(app, { version: "test", encryptionKey: world.encryptionKey, merchant: () => deps });
const base = await app.listen({ port: 0, host: "127.0.0.1" });
let boss: PgBoss;
let workers: WorkerDependencies;

before(async () => {
  boss = await startQueue(world.database.url, world.log);
  workers = {
    pool,
    prisma,
    boss,
    log: world.log,
    publicUrl: world.publicUrl,
    prokipClient: { clientId: demo.clientId, clientSecret: demo.clientSecret },
    channels: deps.channels,
  };
});
after(async () => {
  await app.close();
  await boss?.stop({ graceful: false, timeout: 2_000 });
  await woo.close();
});

// ---------------------------------------------------------------------------------------------
// A signing client, as the plugin's PHP will be

interface CallOptions {
  /** An object is sent as JSON; a string as it is (content type application/json unless given). */
  body?: unknown;
  raw?: string;
  contentType?: string;
  timestamp?: number;
  nonce?: string;
  /** Sign with this secret instead of the site's. */
  secret?: string;
  unsigned?: boolean;
}

interface ProductRowBody {
  listingId: string;
  sku: string | null;
  status: string;
  linkedTo: { sku: string } | null;
}

interface Answer {
  status: number;
  body: { error?: { code: string; message: string; details?: unknown } } & Record<string, unknown>;
}

async function call(site: PairedSite, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const request = signedRequest(site, method, path, options);
  return send(request);
}

function signedRequest(site: PairedSite, method: string, path: string, options: CallOptions = {}) {
  const body = options.raw ?? (options.body === undefined ? "" : JSON.stringify(options.body));
  const headers: Record<string, string> = {};
  if (body !== "") headers["content-type"] = options.contentType ?? "application/json";
  if (!options.unsigned) {
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const nonce = options.nonce ?? randomBytes(16).toString("base64url");
    Object.assign(headers, {
      "x-prokip-site": site.siteId,
      "x-prokip-timestamp": timestamp,
      "x-prokip-nonce": nonce,
      "x-prokip-signature": signSiteRequest(options.secret ?? site.secret, {
        method,
        pathWithQuery: path,
        timestamp,
        nonce,
        siteId: site.siteId,
        body,
      }),
    });
  }
  return { method, path, headers, body };
}

async function send(request: ReturnType<typeof signedRequest>): Promise<Answer> {
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== "" ? { body: request.body } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** A WooCommerce site on the emulator (some of the demo catalogue, and a product Prokip lacks), paired. */
async function pairedWooSite(): Promise<{ site: PairedSite; consumerKey: string; consumerSecret: string }> {
  const credentials = woo.emulator.control.createSite({ slug: `shop-${randomUUID().slice(0, 8)}` });
  const control = woo.emulator.control;
  control.createProduct(credentials.site, { name: "Classic Shirt", sku: "shirt1", price: "1500.00", stock: 7 });
  control.createProduct(credentials.site, { name: "Coffee Mug", sku: "mug-ceramic", price: "450.00", stock: 3 });
  control.createProduct(credentials.site, { name: "Handmade Soap", sku: "soap-01", price: "350.00", stock: 12 });
  const site = await registerPluginSite({ prisma, encryptionKey: world.encryptionKey }, { siteUrl: credentials.url });
  return { site, consumerKey: credentials.consumerKey, consumerSecret: credentials.consumerSecret };
}

/** Signs in with the sample data, chooses CBD and runs a pull setup to the end: a store ready for its dashboard. */
async function connectedSite() {
  const paired = await pairedWooSite();
  const { site } = paired;
  assert.equal((await call(site, "POST", "/api/v1/store/prokip/sign-in", { body: { sampleData: true } })).status, 200);
  const location = await call(site, "POST", "/api/v1/store/prokip/location", {
    body: { prokipLocationId: cbd.id, consumerKey: paired.consumerKey, consumerSecret: paired.consumerSecret },
  });
  assert.equal(location.status, 200, JSON.stringify(location.body));
  const connectionId = location.body.connectionId as string;
  const started = await call(site, "POST", "/api/v1/store/setup/runs", { body: { strategy: "pull" } });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const runId = started.body.id as string;
  await runSetupJob(workers, { connectionId, runId });
  return { ...paired, connectionId, runId };
}

// ---------------------------------------------------------------------------------------------
// Every route, with what a correct request to it sends

interface RouteCase {
  method: "GET" | "POST" | "PATCH";
  /** As registered, `:param` included. */
  route: string;
  body?: unknown;
  query?: string;
}

const ROUTES: RouteCase[] = [
  { method: "GET", route: "/api/v1/store/stage" },
  { method: "POST", route: "/api/v1/store/prokip/sign-in", body: { sampleData: true } },
  {
    method: "POST",
    route: "/api/v1/store/prokip/location",
    body: { prokipLocationId: 1, consumerKey: "ck_a", consumerSecret: "cs_a" },
  },
  { method: "POST", route: "/api/v1/store/setup/preview", body: { strategy: "pull" } },
  { method: "POST", route: "/api/v1/store/setup/runs", body: { strategy: "pull" } },
  { method: "GET", route: "/api/v1/store/setup/runs/:runId" },
  { method: "GET", route: "/api/v1/store/setup/runs/:runId/missing-in-prokip" },
  { method: "GET", route: "/api/v1/store/dashboard" },
  { method: "POST", route: "/api/v1/store/pause" },
  { method: "POST", route: "/api/v1/store/resume" },
  { method: "POST", route: "/api/v1/store/sync-now" },
  { method: "POST", route: "/api/v1/store/retry-orders" },
  { method: "POST", route: "/api/v1/store/disconnect" },
  { method: "GET", route: "/api/v1/store/products", query: "?status=unlinked&pageSize=10" },
  { method: "POST", route: "/api/v1/store/products/:listingId/link", body: { prokipSku: "mat-yoga" } },
  { method: "POST", route: "/api/v1/store/products/:listingId/unlink" },
  { method: "POST", route: "/api/v1/store/products/:listingId/exclude" },
  { method: "POST", route: "/api/v1/store/products/:listingId/include" },
  { method: "GET", route: "/api/v1/store/activity", query: "?pageSize=5" },
  { method: "GET", route: "/api/v1/store/settings" },
  { method: "PATCH", route: "/api/v1/store/settings", body: { buffer: 1 } },
];

function pathOf(route: RouteCase, ids: { runId?: string; listingId?: string } = {}): string {
  return (
    route.route.replace(":runId", ids.runId ?? randomUUID()).replace(":listingId", ids.listingId ?? randomUUID()) +
    (route.query ?? "")
  );
}

const storeRoutes = () =>
  routes
    .filter((r) => String(r.url).startsWith("/api/v1/store/"))
    .flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).map((m) => `${m} ${r.url}`))
    .filter((r) => !r.startsWith("HEAD "));

/** Every table's rows except the nonces (a signed request's nonce is recorded before its body is read). */
async function databaseFingerprint(): Promise<Record<string, string>> {
  const { rows: tables } = await pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('_prisma_migrations', 'PluginSiteNonce')
     ORDER BY table_name`,
  );
  const fingerprint: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await pool.query<{ count: string; sum: string }>(
      `SELECT count(*)::text AS count, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM "${name}" t`,
    );
    fingerprint[name] = `${rows[0]!.count}:${rows[0]!.sum}`;
  }
  return fingerprint;
}

// ---------------------------------------------------------------------------------------------

describe("the site signature", () => {
  const fixture = JSON.parse(
    readFileSync(new URL("./fixtures/site-signature-vectors.json", import.meta.url), "utf8"),
  ) as {
    vectors: {
      secret: string;
      siteId: string;
      method: string;
      pathWithQuery: string;
      timestamp: string;
      nonce: string;
      body: string;
      bodySha256: string;
      canonical: string;
      signature: string;
    }[];
  };

  it("reproduces every shared test vector: body hash, canonical string and signature", () => {
    assert.ok(fixture.vectors.length >= 4);
    for (const v of fixture.vectors) {
      const parts = { ...v };
      assert.equal(sha256Hex(v.body), v.bodySha256);
      assert.equal(createHash("sha256").update(Buffer.from(v.body, "utf8")).digest("hex"), v.bodySha256);
      // The canonical string as docs/woocommerce.md spells it, built here by hand.
      const canonical = [
        "PROKIP-SYNC-SITE-V1",
        v.method,
        v.pathWithQuery,
        v.timestamp,
        v.nonce,
        v.siteId,
        v.bodySha256,
      ].join("\n");
      assert.equal(siteCanonicalString(parts), canonical);
      assert.equal(v.canonical, canonical);
      assert.equal(createHmac("sha256", v.secret).update(canonical).digest("hex"), v.signature);
      assert.equal(signSiteRequest(v.secret, parts), v.signature);
    }
  });
});

describe("registering a paired site", () => {
  it("returns the secret once and keeps it only sealed; pairing again replaces it, so the old secret stops working", async () => {
    const { site } = await pairedWooSite();
    const row = await prisma.pluginSite.findUniqueOrThrow({ where: { id: site.siteId } });
    assert.equal(row.siteUrl, site.siteUrl);
    assert.ok(site.secret.length >= 43);
    assert.ok(!row.secret.includes(site.secret), "the stored secret is sealed");
    assert.equal(decryptSecret(row.secret, world.encryptionKey), site.secret);
    assert.deepEqual([row.businessId, row.connectionId, row.revokedAt], [null, null, null]);
    assert.equal((await call(site, "GET", "/api/v1/store/stage")).status, 200);

    const again = await registerPluginSite({ prisma, encryptionKey: world.encryptionKey }, { siteUrl: site.siteUrl });
    assert.equal(again.siteId, site.siteId);
    assert.notEqual(again.secret, site.secret);
    const old = await call(site, "GET", "/api/v1/store/stage");
    assert.deepEqual([old.status, old.body.error?.code], [401, "signature_invalid"]);
    assert.equal((await call(again, "GET", "/api/v1/store/stage")).status, 200);
  });

  it("refuses what is not a site URL", async () => {
    for (const siteUrl of [
      "",
      "shop.example",
      "ftp://shop.example/",
      "https://user:pw@shop.example/",
      "https://shop.example/?a=1",
      42,
    ]) {
      await assert.rejects(
        registerPluginSite({ prisma, encryptionKey: world.encryptionKey }, { siteUrl } as { siteUrl: string }),
        (error: unknown) => isSyncError(error) && error.code === "invalid_input",
        String(siteUrl),
      );
    }
  });

  it("drops a site's nonces once a replay of them would be refused by its timestamp anyway", async () => {
    const { site } = await pairedWooSite();
    await pool.query(
      `INSERT INTO "PluginSiteNonce" ("siteId", "nonce", "seenAt") VALUES ($1, 'old-nonce-0123456789', now() - interval '11 minutes'), ($1, 'recent-nonce-0123456789', now() - interval '9 minutes')`,
      [site.siteId],
    );
    assert.equal((await call(site, "GET", "/api/v1/store/stage", { nonce: "fresh-nonce-0123456789" })).status, 200);
    const { rows } = await pool.query<{ nonce: string }>(
      `SELECT "nonce" FROM "PluginSiteNonce" WHERE "siteId" = $1 ORDER BY "nonce"`,
      [site.siteId],
    );
    assert.deepEqual(
      rows.map((r) => r.nonce),
      ["fresh-nonce-0123456789", "recent-nonce-0123456789"],
    );
    const replay = await call(site, "GET", "/api/v1/store/stage", { nonce: "recent-nonce-0123456789" });
    assert.deepEqual([replay.status, replay.body.error?.code], [401, "nonce_replayed"]);
  });
});

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document listing every store route with its method", async () => {
    const response = await fetch(`${base}/api/v1/openapi.json`);
    assert.equal(response.status, 200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(document.openapi, /^3\.1\./);
    const validator = new Validator();
    const result = await validator.validate(document as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
    assert.equal(validator.version, "3.1");

    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/gu, ":$1")}`),
    );
    const registered = storeRoutes();
    assert.ok(registered.length >= 21, registered.join(", "));
    for (const route of registered) assert.ok(documented.includes(route), `${route} is not in the OpenAPI document`);
  });

  it("covers every registered signed store route in this file's route table", () => {
    // Pairing is the one unsigned route (a site has no secret before it pairs): store-pairing.test.ts.
    const signed = storeRoutes().filter((route) => route !== "POST /api/v1/store/pairing");
    assert.deepEqual(signed.sort(), ROUTES.map((r) => `${r.method} ${r.route}`).sort());
  });
});

describe("site authentication, on every route", () => {
  let site: PairedSite;
  before(async () => {
    ({ site } = await pairedWooSite());
  });

  for (const route of ROUTES) {
    const name = `${route.method} ${route.route}`;
    it(`${name}: refuses unsigned, badly signed, stale and replayed calls, each with its own code`, async () => {
      const path = pathOf(route);
      const body = route.body;
      const unsigned = await call(site, route.method, path, { body, unsigned: true });
      assert.deepEqual([unsigned.status, unsigned.body.error?.code], [401, "signature_missing"]);

      const wrongSecret = await call(site, route.method, path, { body, secret: "not-the-site-secret" });
      assert.deepEqual([wrongSecret.status, wrongSecret.body.error?.code], [401, "signature_invalid"]);

      // Signed for one body, sent with another: the body hash is part of what is signed.
      if (route.method !== "GET") {
        const tampered = signedRequest(site, route.method, path, { body: { ...(body as object), extra: 1 } });
        const altered = await send({
          ...tampered,
          body: JSON.stringify(body ?? {}),
          headers: { ...tampered.headers, "content-type": "application/json" },
        });
        assert.deepEqual([altered.status, altered.body.error?.code], [401, "signature_invalid"]);
      }

      const forOtherPath = signedRequest(site, route.method, `${path}x`, { body });
      const movedPath = await send({ ...forOtherPath, path });
      assert.deepEqual([movedPath.status, movedPath.body.error?.code], [401, "signature_invalid"]);

      for (const skew of [-301, 301]) {
        const stale = await call(site, route.method, path, { body, timestamp: Math.floor(Date.now() / 1000) + skew });
        assert.deepEqual([stale.status, stale.body.error?.code], [401, "timestamp_out_of_window"], `skew ${skew}`);
      }

      const once = signedRequest(site, route.method, path, { body });
      const first = await send(once);
      assert.notEqual(first.status, 401, JSON.stringify(first.body));
      const replay = await send(once);
      assert.deepEqual([replay.status, replay.body.error?.code], [401, "nonce_replayed"]);
    });
  }

  it("refuses a body over 64 KiB with 413 and closes the connection rather than wait for the rest of it", async () => {
    const request = signedRequest(site, "PATCH", "/api/v1/store/settings", { body: { huge: "z".repeat(300_000) } });
    const response = await fetch(`${base}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    assert.equal(response.status, 413);
    assert.equal(response.headers.get("connection"), "close");
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "body_too_large");
  });

  it("refuses a site that was unpaired, and a site id nobody paired", async () => {
    const { site: gone } = await pairedWooSite();
    assert.equal((await call(gone, "GET", "/api/v1/store/stage")).status, 200);
    await revokePluginSite(pool, gone.siteId);
    const revoked = await call(gone, "GET", "/api/v1/store/stage");
    assert.deepEqual([revoked.status, revoked.body.error?.code], [401, "signature_invalid"]);
    const unknown = await call({ ...gone, siteId: randomUUID() }, "GET", "/api/v1/store/stage");
    assert.deepEqual([unknown.status, unknown.body.error?.code], [401, "signature_invalid"]);
  });
});

describe("a correctly signed site, through Connect Prokip, setup, products, activity and settings", () => {
  let paired: Awaited<ReturnType<typeof pairedWooSite>>;
  let site: PairedSite;
  let connectionId: string;
  let runId: string;
  let soapListingId: string;
  before(async () => {
    paired = await pairedWooSite();
    site = paired.site;
  });

  it("opens on Connect Prokip, signs in with the sample data and lists the business's locations", async () => {
    const stage = await call(site, "GET", "/api/v1/store/stage");
    assert.deepEqual([stage.status, stage.body], [200, { stage: "connect_prokip", sampleDataAvailable: true }]);
    const wrong = await call(site, "POST", "/api/v1/store/prokip/sign-in", {
      body: { username: demo.username, password: "wrong password" },
    });
    assert.deepEqual([wrong.status, wrong.body.error?.code], [400, "prokip_rejected_credentials"]);
    const signedIn = await call(site, "POST", "/api/v1/store/prokip/sign-in", { body: { sampleData: true } });
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    const locations = signedIn.body.locations as { prokipLocationId: number; name: string }[];
    assert.ok(locations.some((l) => l.prokipLocationId === cbd.id && l.name === cbd.name));
    assert.equal((await call(site, "GET", "/api/v1/store/stage")).body.stage, "choose_location");
  });

  it("connects the site's own store at the chosen location with its REST key, and the site remembers the connection", async () => {
    const location = await call(site, "POST", "/api/v1/store/prokip/location", {
      body: { prokipLocationId: cbd.id, consumerKey: paired.consumerKey, consumerSecret: paired.consumerSecret },
    });
    assert.equal(location.status, 200, JSON.stringify(location.body));
    connectionId = location.body.connectionId as string;
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    assert.deepEqual([connection.platform, connection.storeDomain], ["woocommerce", site.siteUrl]);
    const row = await prisma.pluginSite.findUniqueOrThrow({ where: { id: site.siteId } });
    assert.deepEqual([row.connectionId, row.businessId], [connectionId, connection.businessId]);
    const stage = await call(site, "GET", "/api/v1/store/stage");
    assert.deepEqual([stage.body.stage, stage.body.connectionId], ["set_up_products", connectionId]);
  });

  it("previews a pull (nothing written), starts the run, follows it to the end and serves the missing-in-Prokip file", async () => {
    const listingsBefore = await prisma.listing.count({ where: { connectionId } });
    const preview = await call(site, "POST", "/api/v1/store/setup/preview", { body: { strategy: "pull" } });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.deepEqual(preview.body.counts, { match: 2, create_in_store: 0, missing_in_prokip: 1, conflict: 0 });
    assert.equal(await prisma.listing.count({ where: { connectionId } }), listingsBefore);

    const started = await call(site, "POST", "/api/v1/store/setup/runs", { body: { strategy: "pull" } });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    runId = started.body.id as string;
    assert.equal(started.body.state, "queued");
    assert.deepEqual(jobs.requested.at(-1), { job: "setup", connectionId });
    await runSetupJob(workers, { connectionId, runId });

    const run = await call(site, "GET", `/api/v1/store/setup/runs/${runId}`);
    assert.deepEqual([run.status, run.body.state, run.body.done, run.body.total], [200, "succeeded", 3, 3]);
    assert.equal(typeof run.body.createdAt, "string");
    const file = await call(site, "GET", `/api/v1/store/setup/runs/${runId}/missing-in-prokip`);
    assert.equal(file.status, 200, JSON.stringify(file.body));
    assert.match(file.body.csv as string, /soap-01/u);
    assert.match(file.body.filename as string, /^products-missing-in-prokip-.*\.csv$/u);
    assert.equal((await call(site, "GET", "/api/v1/store/stage")).body.stage, "ready");
  });

  it("shows the dashboard counts equal to the store's listings", async () => {
    const dashboard = await call(site, "GET", "/api/v1/store/dashboard");
    assert.equal(dashboard.status, 200, JSON.stringify(dashboard.body));
    const counts = dashboard.body.counts as { synced: number; waiting: number; unlinked: number };
    assert.equal(counts.unlinked, 1);
    assert.equal(counts.synced + counts.waiting, 2);
    assert.deepEqual([dashboard.body.storeDomain, dashboard.body.status], [site.siteUrl, "active"]);
  });

  it("lists, links, unlinks, excludes and includes the site's products", async () => {
    const page = await call(site, "GET", "/api/v1/store/products?status=unlinked&pageSize=10");
    assert.equal(page.status, 200, JSON.stringify(page.body));
    const rows = page.body.rows as ProductRowBody[];
    assert.deepEqual(
      rows.map((r) => r.sku),
      ["soap-01"],
    );
    soapListingId = rows[0]!.listingId;
    assert.equal((page.body.counts as Record<string, number>).unlinked, 1);

    const shirt = (await call(site, "GET", "/api/v1/store/products?search=shirt")).body.rows as ProductRowBody[];
    assert.deepEqual(
      shirt.map((r) => [r.sku, r.linkedTo?.sku]),
      [["shirt1", "shirt1"]],
    );
    const shirtId = shirt[0]!.listingId;
    const unlinked = await call(site, "POST", `/api/v1/store/products/${shirtId}/unlink`);
    assert.deepEqual([unlinked.status, unlinked.body.status, unlinked.body.linkedTo], [200, "unlinked", null]);
    assert.equal((await prisma.listing.findUniqueOrThrow({ where: { id: shirtId } })).variantId, null);
    const linked = await call(site, "POST", `/api/v1/store/products/${shirtId}/link`, {
      body: { prokipSku: "shirt1" },
    });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.equal((linked.body.linkedTo as { sku: string }).sku, "shirt1");
    assert.equal((await prisma.listing.findUniqueOrThrow({ where: { id: shirtId } })).matchStatus, "matched");
    const refused = await call(site, "POST", `/api/v1/store/products/${soapListingId}/link`, {
      body: { prokipSku: "mat-yoga" },
    });
    assert.deepEqual([refused.status, refused.body.error?.code], [400, "invalid_input"]);

    const excluded = await call(site, "POST", `/api/v1/store/products/${soapListingId}/exclude`, { body: {} });
    assert.deepEqual([excluded.status, excluded.body.status], [200, "excluded"]);
    const included = await call(site, "POST", `/api/v1/store/products/${soapListingId}/include`);
    assert.deepEqual([included.status, included.body.status], [200, "unlinked"]);
  });

  it("lists the store's activity, newest first, and reads and changes its settings", async () => {
    const activity = await call(site, "GET", "/api/v1/store/activity?pageSize=5");
    assert.equal(activity.status, 200, JSON.stringify(activity.body));
    const entries = activity.body.entries as { type: string; at: string }[];
    assert.ok(entries.length > 0 && entries.some((e) => e.type === "product"), JSON.stringify(entries));
    assert.deepEqual(
      entries.map((e) => e.at),
      entries
        .map((e) => e.at)
        .sort()
        .reverse(),
    );
    const product = await call(site, "GET", "/api/v1/store/activity?type=product");
    const productEntries = product.body.entries as { type: string }[];
    assert.ok(productEntries.length >= 4 && productEntries.every((e) => e.type === "product"));

    const settings = await call(site, "GET", "/api/v1/store/settings");
    assert.deepEqual([settings.status, settings.body.buffer, settings.body.deductOn], [200, 0, "created"]);
    const changed = await call(site, "PATCH", "/api/v1/store/settings", { body: { buffer: 2, deductOn: "paid" } });
    assert.deepEqual([changed.status, changed.body.buffer, changed.body.deductOn], [200, 2, "paid"]);
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } })).buffer, 2);
    const invalid = await call(site, "PATCH", "/api/v1/store/settings", {
      body: { buffer: -1, reconcileIntervalMinutes: 0 },
    });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.body.error?.code, "invalid_input");
    const paths = (invalid.body.error?.details as { path: string }[]).map((d) => d.path).sort();
    assert.deepEqual(paths, ["buffer", "reconcileIntervalMinutes"]);
  });

  describe("another site's ids", () => {
    let other: Awaited<ReturnType<typeof connectedSite>>;
    before(async () => {
      other = await connectedSite();
    });

    it("are not_found: the other store's setup run, its file and its products, and nothing of theirs changes", async () => {
      const before = await databaseFingerprint();
      const theirs = await call(other.site, "GET", "/api/v1/store/products?status=unlinked");
      const theirListing = (theirs.body.rows as { listingId: string }[])[0]!.listingId;
      const attempts: [string, string, unknown][] = [
        ["GET", `/api/v1/store/setup/runs/${other.runId}`, undefined],
        ["GET", `/api/v1/store/setup/runs/${other.runId}/missing-in-prokip`, undefined],
        ["POST", `/api/v1/store/products/${theirListing}/link`, { prokipSku: "mat-yoga" }],
        ["POST", `/api/v1/store/products/${theirListing}/unlink`, undefined],
        ["POST", `/api/v1/store/products/${theirListing}/exclude`, undefined],
        ["POST", `/api/v1/store/products/${theirListing}/include`, undefined],
      ];
      for (const [method, path, body] of attempts) {
        const answer = await call(site, method, path, { body });
        assert.deepEqual([answer.status, answer.body.error?.code], [404, "not_found"], `${method} ${path}`);
      }
      // And the other way round: this store's ids from the other site.
      const mine = await call(other.site, "GET", `/api/v1/store/setup/runs/${runId}`);
      assert.deepEqual([mine.status, mine.body.error?.code], [404, "not_found"]);
      const mineListing = await call(other.site, "POST", `/api/v1/store/products/${soapListingId}/exclude`);
      assert.deepEqual([mineListing.status, mineListing.body.error?.code], [404, "not_found"]);
      assert.deepEqual(await databaseFingerprint(), before);
    });

    it("cannot be chosen by a parameter: a store named in the query or body is refused, the site's own store is used", async () => {
      const query = await call(
        site,
        "GET",
        `/api/v1/store/products?storeDomain=${encodeURIComponent(other.site.siteUrl)}`,
      );
      assert.deepEqual([query.status, query.body.error?.code], [400, "invalid_input"]);
      const body = await call(site, "PATCH", "/api/v1/store/settings", {
        body: { buffer: 3, storeDomain: other.site.siteUrl },
      });
      assert.deepEqual([body.status, body.body.error?.code], [400, "invalid_input"]);
      assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: other.connectionId } })).buffer, 0);
    });
  });

  describe("malformed bodies (a generated corpus per write route)", () => {
    const writeRoutes = ROUTES.filter((r) => r.method !== "GET");
    for (const route of writeRoutes) {
      it(`${route.method} ${route.route}: at least 200 malformed bodies, each a 4xx with a code, the database unchanged`, async () => {
        const schema = bodySchemaOf(route);
        const corpus = malformedBodies(route, schema);
        assert.ok(corpus.length >= 200, `only ${corpus.length} bodies`);
        const before = await databaseFingerprint();
        const path = pathOf(route, { runId, listingId: soapListingId });
        const answers = new Map<string, number>();
        for (const sample of corpus) {
          const answer = await call(site, route.method, path, { raw: sample.raw, contentType: sample.contentType });
          const label = `${sample.label}: ${sample.raw.slice(0, 80)}`;
          assert.ok(
            answer.status >= 400 && answer.status < 500,
            `${label} -> ${answer.status} ${JSON.stringify(answer.body)}`,
          );
          assert.equal(typeof answer.body.error?.code, "string", label);
          assert.notEqual(answer.status, 401, label);
          answers.set(answer.body.error!.code, (answers.get(answer.body.error!.code) ?? 0) + 1);
        }
        assert.deepEqual(await databaseFingerprint(), before);
        assert.ok((answers.get("invalid_input") ?? 0) > corpus.length / 2, JSON.stringify([...answers]));
      });
    }
  });

  describe("lifecycle actions", () => {
    it("pauses, resumes, syncs now and retries orders, answering the dashboard each time", async () => {
      const paused = await call(site, "POST", "/api/v1/store/pause");
      assert.deepEqual([paused.status, paused.body.status], [200, "paused"]);
      const resumed = await call(site, "POST", "/api/v1/store/resume", { body: {} });
      assert.deepEqual([resumed.status, resumed.body.status], [200, "active"]);
      const requested = jobs.requested.length;
      const synced = await call(site, "POST", "/api/v1/store/sync-now");
      assert.equal(synced.status, 200, JSON.stringify(synced.body));
      assert.ok(jobs.requested.slice(requested).some((j) => j.job === "reconcile" && j.connectionId === connectionId));
      const retried = await call(site, "POST", "/api/v1/store/retry-orders");
      assert.deepEqual([retried.status, retried.body.connectionId], [200, connectionId]);
    });

    it("disconnects the site's store: its webhooks removed, what is kept counted, the dashboard disconnected", async () => {
      const disconnected = await call(site, "POST", "/api/v1/store/disconnect");
      assert.equal(disconnected.status, 200, JSON.stringify(disconnected.body));
      assert.equal((disconnected.body.dashboard as { status: string }).status, "disconnected");
      assert.deepEqual(disconnected.body.kept, { orders: 0, products: 3 });
      assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } })).credentials, null);
      const again = await call(site, "POST", "/api/v1/store/pause");
      assert.deepEqual([again.status, again.body.error?.code], [409, "store_not_connected"]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The malformed corpus

function bodySchemaOf(route: RouteCase): z.ZodType {
  const byRoute: Record<string, z.ZodType> = {
    "/api/v1/store/prokip/sign-in": signInBodySchema,
    "/api/v1/store/prokip/location": chooseLocationBodySchema,
    "/api/v1/store/setup/preview": setupRequestBodySchema,
    "/api/v1/store/setup/runs": setupRequestBodySchema,
    "/api/v1/store/products/:listingId/link": linkBodySchema,
    "/api/v1/store/settings": settingsBodySchema,
  };
  return byRoute[route.route] ?? emptyBody;
}

interface Sample {
  label: string;
  raw: string;
  contentType?: string;
}

/**
 * Deterministic (seeded) bodies the route's schema refuses: not JSON at all, JSON of the wrong
 * kind, a correct body with each field given a wrong type or removed, extra fields, huge strings,
 * deep nesting and unicode junk. A generated body the schema would accept is left out.
 */
function malformedBodies(route: RouteCase, schema: z.ZodType): Sample[] {
  const random = seededRandom(route.route.length * 7919 + route.method.length);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const junk = () =>
    Array.from({ length: 1 + Math.floor(random() * 24) }, () =>
      pick(["\u0000", "\u202e", "\ud83d\ude00", "\uffff", "é", "\u200b", "<script>", "'\"", "\\", "%00", "ﷺ", "\t"]),
    ).join("");
  const valid = (route.body ?? {}) as Record<string, unknown>;
  const wrongValues: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    "",
    "x",
    [],
    [1, 2],
    {},
    { nested: { deeper: [] } },
    "9".repeat(400),
    "a".repeat(10_000),
  ];
  const samples: Sample[] = [];
  const add = (label: string, raw: string, contentType?: string) =>
    samples.push({ label, raw, ...(contentType ? { contentType } : {}) });
  const addJson = (label: string, value: unknown) => {
    if (value !== undefined && schema.safeParse(value).success) return;
    add(label, JSON.stringify(value));
  };

  // Not JSON, or not sent as JSON.
  for (const raw of [
    "{",
    "}",
    '{"a":',
    "[1,2",
    "nul",
    "tru",
    "{'a':1}",
    "{a:1}",
    '{"a":1,}',
    "\u0000",
    "undefined",
    "NaN",
    "--",
    '{"a":1}}',
  ])
    add("not JSON", raw);
  for (let i = 0; i < 10; i += 1) add("random bytes", randomText(random, 1 + Math.floor(random() * 200)));
  add("truncated body", JSON.stringify(valid).slice(0, -1) || "{");
  add("form encoded", "a=1&b=2", "application/x-www-form-urlencoded");
  add("plain text", JSON.stringify(valid), "text/plain");
  add("xml", "<a>1</a>", "application/xml");
  add("multipart", "--x\r\n\r\n--x--", "multipart/form-data; boundary=x");
  add("proto pollution", '{"__proto__":{"admin":true}}');
  add("constructor pollution", '{"constructor":{"prototype":{"admin":true}}}');

  // JSON of the wrong kind at the top.
  for (const value of [null, 0, 1, -5, 3.14, "", "body", true, false, [], [valid], [[[]]], "{}"])
    addJson("wrong top-level type", value);

  // Each field of a correct body with a wrong value, and each removed.
  for (const field of Object.keys(valid)) {
    for (const value of wrongValues)
      addJson(`${field} = ${JSON.stringify(value).slice(0, 20)}`, { ...valid, [field]: value });
    for (let i = 0; i < 6; i += 1) addJson(`${field} junk`, { ...valid, [field]: junk() });
    const { [field]: _removed, ...rest } = valid;
    addJson(`without ${field}`, rest);
  }
  // Extra fields (a parameter naming another store among them).
  for (const extra of [
    "storeDomain",
    "siteId",
    "connectionId",
    "businessId",
    "platform",
    "id",
    "admin",
    junk(),
    "__proto__x",
  ])
    for (const value of [1, "x", null, { a: 1 }]) addJson(`extra ${extra}`, { ...valid, [extra]: value });
  // Huge strings, deep nesting, unicode keys.
  for (const size of [1_000, 30_000, 60_000, 70_000, 200_000])
    addJson(`huge string ${size}`, { ...valid, huge: "z".repeat(size) });
  for (const depth of [10, 100, 1_000, 5_000]) {
    add(`nested arrays ${depth}`, "[".repeat(depth) + "]".repeat(depth));
    add(`nested objects ${depth}`, '{"a":'.repeat(depth) + "1" + "}".repeat(depth));
  }
  // Fill up to well over 200 with seeded random documents.
  while (samples.length < 240) {
    const shape: Record<string, unknown> = {};
    for (let i = 0; i < 1 + Math.floor(random() * 5); i += 1) {
      const key = random() < 0.5 ? pick([...Object.keys(valid), "strategy", "options", "prokipSku", "buffer"]) : junk();
      shape[key] = random() < 0.3 ? junk() : pick(wrongValues);
    }
    addJson("random document", shape);
  }
  return samples;
}

function randomText(random: () => number, length: number): string {
  return Array.from({ length }, () => String.fromCharCode(1 + Math.floor(random() * 0xd7fe))).join("");
}

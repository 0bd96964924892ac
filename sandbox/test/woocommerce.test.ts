/**
 * Conformance tests for the WooCommerce emulator, over real HTTP, against documented WooCommerce
 * behaviour (/work/shared/reference/woocommerce.md and the WooCommerce sources cited in
 * src/woocommerce/README.md). The emulator is mounted under a prefix, as the product's server does.
 */
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { type IncomingHttpHeaders, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { after, before, beforeEach, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import type WooCommerceRestApiModule from "@woocommerce/woocommerce-rest-api";
import { seededRandom } from "../src/shared/faults.ts";
import { type WooCommerceEmulator, createWooCommerceEmulator } from "../src/woocommerce/index.ts";

// Under ESM the package's default import is not a constructor; use the CommonJS export.
const WooCommerceRestApi = (
  createRequire(import.meta.url)("@woocommerce/woocommerce-rest-api") as typeof WooCommerceRestApiModule
).default;

const PREFIX = "/sandbox/woocommerce";

interface Harness {
  app: FastifyInstance;
  emulator: WooCommerceEmulator;
  base: string;
  siteUrl: string;
  key: string;
  secret: string;
}

async function startHarness(options: Parameters<typeof createWooCommerceEmulator>[0] = {}): Promise<Harness> {
  const emulator = createWooCommerceEmulator(options);
  const app = Fastify();
  await app.register(emulator.routes, { prefix: PREFIX });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}${PREFIX}`;
  emulator.setPublicUrl(base);
  const creds = emulator.control.createSite({ slug: "shop", name: "Test Shop" });
  return { app, emulator, base, siteUrl: creds.url, key: creds.consumerKey, secret: creds.consumerSecret };
}

async function stopHarness(h: Harness): Promise<void> {
  await h.emulator.close();
  await h.app.close();
}

// Answers under test are untyped JSON, checked field by field: a static type would claim the very
// shape these tests exist to check at run time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON under test, see above
type Json = any;

/** Basic auth over "https" (the emulator trusts X-Forwarded-Proto, as WordPress behind a proxy does). */
async function api(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; json: Json }> {
  const res = await fetch(`${h.siteUrl}/wp-json/wc/v3${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${h.key}:${h.secret}`).toString("base64")}`,
      "x-forwarded-proto": "https",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  // Faults answered by the "proxy" (502/503) are HTML, as they would be in production.
  const json = res.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : null;
  return { status: res.status, headers: res.headers, json };
}

async function wpError(res: Response): Promise<{ code: string; message: string; data: { status: number } }> {
  return (await res.json()) as { code: string; message: string; data: { status: number } };
}

/** An independent RFC 5849 signer (one-legged, query-string parameters), for crafted requests. */
function signedUrl(
  url: string,
  method: string,
  key: string,
  secret: string,
  opts: { timestamp?: number; nonce?: string; algorithm?: "sha1" | "sha256" } = {},
): string {
  const u = new URL(url);
  const enc = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const params: [string, string][] = [...u.searchParams.entries()];
  params.push(
    ["oauth_consumer_key", key],
    ["oauth_nonce", opts.nonce ?? randomBytes(16).toString("hex")],
    ["oauth_signature_method", opts.algorithm === "sha1" ? "HMAC-SHA1" : "HMAC-SHA256"],
    ["oauth_timestamp", String(opts.timestamp ?? Math.floor(Date.now() / 1000))],
  );
  const normalized = params
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const baseString = `${method.toUpperCase()}&${enc(`${u.origin}${u.pathname}`)}&${enc(normalized)}`;
  const signature = createHmac(opts.algorithm ?? "sha256", `${enc(secret)}&`)
    .update(baseString)
    .digest("base64");
  const out = new URL(`${u.origin}${u.pathname}`);
  for (const [k, v] of params) out.searchParams.append(k, v);
  out.searchParams.append("oauth_signature", signature);
  return out.toString();
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver; `respond` decides the status code per request. */
async function startReceiver(respond: (r: Received) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      received.push(r);
      res.statusCode = respond(r);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    url,
    received,
    deliveries: () => received.filter((r) => r.headers["x-wc-webhook-topic"] !== undefined),
    pings: () => received.filter((r) => r.headers["x-wc-webhook-topic"] === undefined),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("WooCommerce emulator: authentication", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.emulator.control.createProduct("shop", { name: "Widget", sku: "w-1", price: "10", stock: 5 });
  });
  after(() => stopHarness(h));

  it("accepts the real npm client over http (one-legged OAuth 1.0a, HMAC-SHA256)", async () => {
    const client = new WooCommerceRestApi({
      url: h.siteUrl,
      consumerKey: h.key,
      consumerSecret: h.secret,
      version: "wc/v3",
    });
    const res = await client.get("products", { sku: "w-1", per_page: 5 });
    assert.equal(res.status, 200);
    assert.equal(res.data.length, 1);
    assert.equal(res.data[0].sku, "w-1");
    const created = await client.post("products", { name: "Client made", sku: "c-1", regular_price: "5.50" });
    assert.equal(created.status, 201);
    const updated = await client.put(`products/${created.data.id}`, { manage_stock: true, stock_quantity: 3 });
    assert.equal(updated.data.stock_quantity, 3);
  });

  it("rejects a signature made with the wrong secret", async () => {
    const client = new WooCommerceRestApi({
      url: h.siteUrl,
      consumerKey: h.key,
      consumerSecret: "cs_wrong",
      version: "wc/v3",
    });
    await assert.rejects(client.get("products"), (error: unknown) => {
      const { response } = error as { response: { status: number; data: { code: string; message: string } } };
      assert.equal(response.status, 401);
      assert.equal(response.data.code, "woocommerce_rest_authentication_error");
      assert.equal(response.data.message, "Invalid signature - provided signature does not match.");
      return true;
    });
  });

  it("rejects a tampered request, a stale timestamp and a replayed nonce", async () => {
    const url = signedUrl(`${h.siteUrl}/wp-json/wc/v3/products?per_page=2`, "GET", h.key, h.secret);
    assert.equal((await fetch(url)).status, 200);

    const replay = await fetch(url);
    assert.equal(replay.status, 401);
    assert.equal((await wpError(replay)).message, "Invalid nonce - nonce has already been used.");

    const tampered = signedUrl(`${h.siteUrl}/wp-json/wc/v3/products?per_page=2`, "GET", h.key, h.secret).replace(
      "per_page=2",
      "per_page=3",
    );
    const t = await fetch(tampered);
    assert.equal(t.status, 401);
    assert.equal((await wpError(t)).message, "Invalid signature - provided signature does not match.");

    const stale = await fetch(
      signedUrl(`${h.siteUrl}/wp-json/wc/v3/products`, "GET", h.key, h.secret, {
        timestamp: Math.floor(Date.now() / 1000) - 16 * 60,
      }),
    );
    assert.equal(stale.status, 401);
    assert.equal((await wpError(stale)).message, "Invalid timestamp.");

    // The same parameters in an `Authorization: OAuth` header instead of the query string.
    const signed = new URL(signedUrl(`${h.siteUrl}/wp-json/wc/v3/products`, "GET", h.key, h.secret));
    const header = `OAuth ${[...signed.searchParams.entries()].map(([k, v]) => `${k}="${encodeURIComponent(v)}"`).join(", ")}`;
    const viaHeader = await fetch(`${signed.origin}${signed.pathname}`, { headers: { authorization: header } });
    assert.equal(viaHeader.status, 200);

    const sha1 = await fetch(
      signedUrl(`${h.siteUrl}/wp-json/wc/v3/products`, "GET", h.key, h.secret, { algorithm: "sha1" }),
    );
    assert.equal(sha1.status, 200, "HMAC-SHA1 is accepted too");
  });

  it("reports missing OAuth parameters and unknown keys", async () => {
    const partial = await fetch(`${h.siteUrl}/wp-json/wc/v3/products?oauth_consumer_key=${h.key}`);
    assert.equal(partial.status, 401);
    assert.equal((await wpError(partial)).code, "woocommerce_rest_authentication_missing_parameter");
    const unknown = await fetch(signedUrl(`${h.siteUrl}/wp-json/wc/v3/products`, "GET", "ck_nobody", h.secret));
    assert.deepEqual(await unknown.json(), {
      code: "woocommerce_rest_authentication_error",
      message: "Consumer key is invalid.",
      data: { status: 401 },
    });
  });

  it("ignores Basic auth over plain http but accepts it over https", async () => {
    const basic = `Basic ${Buffer.from(`${h.key}:${h.secret}`).toString("base64")}`;
    const plain = await fetch(`${h.siteUrl}/wp-json/wc/v3/products`, { headers: { authorization: basic } });
    assert.equal(plain.status, 401);
    assert.deepEqual(await plain.json(), {
      code: "woocommerce_rest_cannot_view",
      message: "Sorry, you cannot list resources.",
      data: { status: 401 },
    });

    const secure = await fetch(`${h.siteUrl}/wp-json/wc/v3/products`, {
      headers: { authorization: basic, "x-forwarded-proto": "https" },
    });
    assert.equal(secure.status, 200);

    const query = await fetch(`${h.siteUrl}/wp-json/wc/v3/products?consumer_key=${h.key}&consumer_secret=${h.secret}`, {
      headers: { "x-forwarded-proto": "https" },
    });
    assert.equal(query.status, 200, "query-string credentials work over https");

    const wrong = await fetch(`${h.siteUrl}/wp-json/wc/v3/products`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${h.key}:cs_nope`).toString("base64")}`,
        "x-forwarded-proto": "https",
      },
    });
    assert.equal(wrong.status, 401);
    assert.equal((await wpError(wrong)).message, "Consumer secret is invalid.");
  });

  it("enforces read-only keys and answers unknown routes with rest_no_route", async () => {
    const readOnly = h.emulator.control.createApiKey("shop", { permissions: "read" });
    const headers = {
      authorization: `Basic ${Buffer.from(`${readOnly.consumerKey}:${readOnly.consumerSecret}`).toString("base64")}`,
      "x-forwarded-proto": "https",
      "content-type": "application/json",
    };
    const write = await fetch(`${h.siteUrl}/wp-json/wc/v3/products`, { method: "POST", headers, body: "{}" });
    assert.equal(write.status, 401);
    assert.equal((await wpError(write)).message, "The API key provided does not have write permissions.");
    const missing = await api(h, "GET", "/nothing-here");
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, "rest_no_route");
  });
});

describe("WooCommerce emulator: products, pagination and batches", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => stopHarness(h));

  it("paginates with X-WP-Total / X-WP-TotalPages and rejects per_page over 100", async () => {
    for (let i = 1; i <= 12; i += 1)
      h.emulator.control.createProduct("shop", { name: `P${i}`, sku: `p-${i}`, price: "1", stock: i });
    const page = await api(h, "GET", "/products?per_page=5&page=3");
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("x-wp-total"), "12");
    assert.equal(page.headers.get("x-wp-totalpages"), "3");
    assert.equal(page.json.length, 2);
    assert.match(page.headers.get("link") ?? "", /rel="prev"/);
    const first = await api(h, "GET", "/products?per_page=5");
    assert.match(first.headers.get("link") ?? "", /page=2>; rel="next"/);

    const tooMany = await api(h, "GET", "/products?per_page=101");
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json.code, "rest_invalid_param");
    assert.equal(tooMany.json.data.params.per_page, "per_page must be between 1 (inclusive) and 100 (inclusive)");
    assert.equal((await api(h, "GET", "/products?per_page=100")).status, 200);
    assert.equal((await api(h, "GET", "/products")).json.length, 10, "per_page defaults to 10");
  });

  it("limits batches to 100 objects (413) and reports per-item errors", async () => {
    const tooBig = await api(h, "POST", "/products/batch", {
      create: Array.from({ length: 101 }, (_, i) => ({ name: `B${i}` })),
    });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.json.code, "woocommerce_rest_request_entity_too_large");

    const mixed = await api(h, "POST", "/products/batch", {
      create: [
        { name: "Batch A", sku: "batch-a", regular_price: 12 },
        { name: "Dup", sku: "p-1" },
      ],
      update: [{ id: 999999, name: "ghost" }],
    });
    assert.equal(mixed.status, 200);
    assert.equal(mixed.json.create[0].sku, "batch-a");
    assert.equal(mixed.json.create[0].regular_price, "12", "batch items are loosely typed, as in PHP");
    assert.equal(mixed.json.create[1].error.code, "product_invalid_sku");
    assert.equal(mixed.json.update[0].error.code, "woocommerce_rest_product_invalid_id");
    const hundred = await api(h, "POST", "/products/batch", {
      update: Array.from({ length: 100 }, () => ({ id: mixed.json.create[0].id, menu_order: 1 })),
    });
    assert.equal(hundred.status, 200);
  });

  it("enforces unique SKUs (case-insensitively) and validates types like WordPress", async () => {
    const dup = await api(h, "POST", "/products", { name: "Again", sku: "P-1" });
    assert.equal(dup.status, 400);
    assert.equal(dup.json.code, "product_invalid_sku");
    assert.equal(dup.json.message, "Invalid or duplicated SKU.");
    const badType = await api(h, "POST", "/products", { name: "Typed", regular_price: 10 });
    assert.equal(badType.status, 400);
    assert.equal(badType.json.data.params.regular_price, "regular_price is not of type string.");
    const notFound = await api(h, "GET", "/products/987654");
    assert.deepEqual(notFound.json, {
      code: "woocommerce_rest_product_invalid_id",
      message: "Invalid ID.",
      data: { status: 404 },
    });
  });

  it("derives stock_status from quantity, filters by sku (variations included) and modified_after", async () => {
    const product = await api(h, "POST", "/products", {
      name: "Stocky",
      sku: "stocky",
      regular_price: "3",
      manage_stock: true,
      stock_quantity: 0,
    });
    assert.equal(product.json.stock_status, "outofstock");
    const unmanaged = await api(h, "PUT", `/products/${product.json.id}`, { manage_stock: false, stock_quantity: 50 });
    assert.equal(unmanaged.json.stock_quantity, null, "quantity is discarded when stock is not managed");

    const variable = h.emulator.control.createProduct("shop", {
      name: "Tee",
      optionName: "Size",
      variations: [
        { sku: "tee-s", option: "S", price: "5", stock: 2 },
        { sku: "tee-m", option: "M", price: "6", stock: 0 },
      ],
    });
    assert.equal(variable.type, "variable");
    assert.equal((variable.variations as number[]).length, 2);
    const bySku = await api(h, "GET", "/products?sku=tee-m");
    assert.equal(bySku.json.length, 1);
    assert.equal(bySku.json[0].type, "variation");
    assert.equal(bySku.json[0].stock_status, "outofstock");
    const variations = await api(h, "GET", `/products/${variable.id}/variations`);
    assert.equal(variations.headers.get("x-wp-total"), "2");

    const since = new Date(Date.now() + 1000).toISOString().slice(0, 19);
    await new Promise((r) => setTimeout(r, 2100));
    h.emulator.control.setStock("shop", { sku: "p-3", quantity: 33 });
    const changed = await api(h, "GET", `/products?modified_after=${since}`);
    assert.deepEqual(
      changed.json.map((p: { sku: string }) => p.sku),
      ["p-3"],
    );
  });
});

describe("WooCommerce emulator: orders, stock and refunds", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.emulator.control.createProduct("shop", { name: "Shirt", sku: "shirt1", price: "1500", stock: 10 });
  });
  const stockOf = async (sku: string) => (await api(h, "GET", `/products?sku=${sku}`)).json[0].stock_quantity as number;

  it("reduces stock when set_paid makes an order processing, and restores it on cancellation", async () => {
    try {
      const order = await api(h, "POST", "/orders", {
        payment_method: "bacs",
        set_paid: true,
        line_items: [{ sku: "shirt1", quantity: 3 }],
      });
      assert.equal(order.status, 201);
      assert.equal(order.json.status, "processing");
      assert.equal(order.json.total, "4500.00");
      assert.equal(order.json.line_items[0].sku, "shirt1");
      assert.equal(await stockOf("shirt1"), 7);

      const again = await api(h, "PUT", `/orders/${order.json.id}`, { status: "completed" });
      assert.equal(again.json.status, "completed");
      assert.equal(await stockOf("shirt1"), 7, "stock is only taken once");

      const cancelled = await api(h, "PUT", `/orders/${order.json.id}`, { status: "cancelled" });
      assert.equal(cancelled.json.status, "cancelled");
      assert.equal(await stockOf("shirt1"), 10);

      const pending = await api(h, "POST", "/orders", { line_items: [{ sku: "shirt1", quantity: 2 }] });
      assert.equal(pending.json.status, "pending");
      assert.equal(await stockOf("shirt1"), 10, "a pending order holds no stock");
      await api(h, "PUT", `/orders/${pending.json.id}`, { status: "on-hold" });
      assert.equal(await stockOf("shirt1"), 8, "on-hold takes stock");
    } finally {
      await stopHarness(h);
    }
  });

  it("restocks refunded items when api_restock is true (the default) and not when false", async () => {
    try {
      const order = await api(h, "POST", "/orders", {
        payment_method: "bacs",
        set_paid: true,
        line_items: [{ sku: "shirt1", quantity: 4 }],
      });
      const lineId = order.json.line_items[0].id;
      assert.equal(await stockOf("shirt1"), 6);
      // WooCommerce's stock bookkeeping is ordinary line item meta, so REST shows it (values as stored: strings).
      const stockMeta = async () =>
        (
          (await api(h, "GET", `/orders/${order.json.id}`)).json.line_items[0].meta_data as {
            key: string;
            value: unknown;
            display_key: string;
          }[]
        )
          .filter((m) => m.key === "_reduced_stock" || m.key === "_restock_refunded_items")
          .map((m) => [m.key, m.value, m.display_key === m.key]);
      assert.deepEqual(await stockMeta(), [["_reduced_stock", "4", true]]);

      const gateway = await api(h, "POST", `/orders/${order.json.id}/refunds`, {
        amount: "1500",
        line_items: [{ id: lineId, quantity: 1, refund_total: 1500 }],
      });
      assert.equal(gateway.status, 500, "api_refund defaults to true and bank transfers cannot refund automatically");
      assert.equal(gateway.json.code, "woocommerce_rest_cannot_create_order_refund");

      const restocked = await api(h, "POST", `/orders/${order.json.id}/refunds`, {
        api_refund: false,
        reason: "damaged",
        line_items: [{ id: lineId, quantity: 1, refund_total: 1500 }],
      });
      assert.equal(restocked.status, 201);
      assert.equal(restocked.json.amount, "1500.00", "amount is computed from refund_total");
      assert.equal(restocked.json.line_items[0].quantity, -1);
      assert.equal(await stockOf("shirt1"), 7);
      assert.deepEqual(await stockMeta(), [
        ["_reduced_stock", "3", true],
        ["_restock_refunded_items", "1", true],
      ]);

      const kept = await api(h, "POST", `/orders/${order.json.id}/refunds`, {
        api_refund: false,
        api_restock: false,
        line_items: [{ id: lineId, quantity: 1, refund_total: 1500 }],
      });
      assert.equal(kept.status, 201);
      assert.equal(await stockOf("shirt1"), 7);
      assert.deepEqual(
        await stockMeta(),
        [
          ["_reduced_stock", "3", true],
          ["_restock_refunded_items", "1", true],
        ],
        "no restock, no bookkeeping",
      );

      const full = await api(h, "GET", `/orders/${order.json.id}`);
      assert.deepEqual(
        full.json.refunds,
        [
          { id: kept.json.id, reason: "", total: "-1500.00" },
          { id: restocked.json.id, reason: "damaged", total: "-1500.00" },
        ].sort((a, b) => a.id - b.id),
      );
      const list = await api(h, "GET", `/orders/${order.json.id}/refunds`);
      assert.equal(list.json.length, 2);

      // Cancelling afterwards gives back only what the lines still hold (4 taken, 1 restocked).
      await api(h, "PUT", `/orders/${order.json.id}`, { status: "cancelled" });
      assert.equal(await stockOf("shirt1"), 10);
      assert.deepEqual(
        await stockMeta(),
        [["_restock_refunded_items", "1", true]],
        "wc_increase_stock_levels deletes _reduced_stock",
      );
    } finally {
      await stopHarness(h);
    }
  });
});

describe("WooCommerce emulator: webhooks", () => {
  it("delivers signed JSON with WooCommerce's headers after an unsigned form-encoded ping", async () => {
    const h = await startHarness();
    const receiver = await startReceiver();
    try {
      const created = await api(h, "POST", "/webhooks", {
        name: "orders",
        topic: "order.created",
        delivery_url: receiver.url,
        secret: "s3cret/+=",
      });
      assert.equal(created.status, 201);
      assert.equal(created.json.status, "active");
      assert.equal(created.json.secret, undefined, "the REST API never returns the secret");

      const [ping] = receiver.pings();
      assert.ok(ping, "ping is sent before the create call returns");
      assert.equal(ping.body, `webhook_id=${created.json.id}`);
      assert.equal(ping.headers["content-type"], "application/x-www-form-urlencoded");
      assert.equal(ping.headers["x-wc-webhook-signature"], undefined);
      assert.match(ping.headers["user-agent"] ?? "", /^WooCommerce\/[\d.]+ Hookshot \(WordPress\/[\d.]+\)$/);

      h.emulator.control.createProduct("shop", { name: "Cap", sku: "cap", price: "7", stock: 4 });
      const order = h.emulator.control.placeOrder("shop", { lines: [{ sku: "cap", quantity: 1 }], paid: true });
      await h.emulator.control.flushWebhooks();

      const [delivery] = receiver.deliveries();
      assert.ok(delivery);
      assert.equal(receiver.deliveries().length, 1);
      const expected = createHmac("sha256", "s3cret/+=").update(delivery.body).digest("base64");
      assert.equal(delivery.headers["x-wc-webhook-signature"], expected);
      assert.equal(delivery.headers["x-wc-webhook-topic"], "order.created");
      assert.equal(delivery.headers["x-wc-webhook-resource"], "order");
      assert.equal(delivery.headers["x-wc-webhook-event"], "created");
      assert.equal(delivery.headers["x-wc-webhook-id"], String(created.json.id));
      assert.equal(delivery.headers["x-wc-webhook-source"], `${h.siteUrl}/`);
      assert.match(String(delivery.headers["x-wc-webhook-delivery-id"]), /^[0-9a-f]{32}$/);
      assert.equal(delivery.headers["content-type"], "application/json");
      const payload = JSON.parse(delivery.body);
      assert.equal(payload.id, order.id);
      assert.equal(payload.line_items[0].sku, "cap");
      assert.ok(delivery.body.includes("\\/"), "bodies are wp_json_encode'd (escaped slashes), sign the raw bytes");
    } finally {
      await receiver.close();
      await stopHarness(h);
    }
  });

  it("never retries, disables after more than 5 consecutive failures, and a success resets the count", async () => {
    const h = await startHarness();
    let failing = true;
    // Pings succeed; deliveries fail while `failing` is set.
    const receiver = await startReceiver((r) => (r.headers["x-wc-webhook-topic"] && failing ? 500 : 200));
    try {
      const { control } = h.emulator;
      control.createProduct("shop", { name: "Mug", sku: "mug", price: "4", stock: 100 });
      const hook = await control.createWebhook("shop", {
        topic: "product.updated",
        deliveryUrl: receiver.url,
        secret: "k",
      });
      const change = async (qty: number) => {
        control.setStock("shop", { sku: "mug", quantity: qty });
        await control.flushWebhooks();
      };
      const state = () => control.listWebhooks("shop").find((w) => w.id === hook.id);

      for (let i = 1; i <= 3; i += 1) await change(100 - i);
      assert.equal(state()?.failureCount, 3);
      failing = false;
      await change(90);
      assert.equal(state()?.failureCount, 0, "a 2xx resets failure_count");
      failing = true;

      // WC_Webhook::failed_delivery: failures 1..6 increment the count; the next failure, with the
      // count already above 5, disables the webhook.
      for (let i = 1; i <= 6; i += 1) await change(80 - i);
      assert.equal(state()?.failureCount, 6);
      assert.equal(state()?.status, "active");
      await change(70);
      assert.equal(state()?.status, "disabled");
      const sent = receiver.deliveries().length;
      assert.equal(sent, 3 + 1 + 6 + 1, "one request per change: nothing is retried");

      await change(60);
      assert.equal(receiver.deliveries().length, sent, "a disabled webhook receives nothing");
      const rest = await api(h, "GET", `/webhooks/${hook.id}`);
      assert.equal(rest.json.status, "disabled");

      failing = false;
      const reactivated = await api(h, "PUT", `/webhooks/${hook.id}`, { status: "active" });
      assert.equal(reactivated.json.status, "active");
      await change(50);
      assert.equal(receiver.deliveries().length, sent + 1);
      assert.equal(state()?.failureCount, 0);
    } finally {
      await receiver.close();
      await stopHarness(h);
    }
  });
});

describe("WooCommerce emulator: which changes fire which webhooks", () => {
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const topics = [
    "product.created",
    "product.updated",
    "product.deleted",
    "product.restored",
    "order.created",
    "order.updated",
    "order.deleted",
  ];
  before(async () => {
    h = await startHarness();
    receiver = await startReceiver();
    for (const topic of topics)
      await h.emulator.control.createWebhook("shop", { topic, deliveryUrl: receiver.url, secret: "k" });
  });
  after(async () => {
    await receiver.close();
    await stopHarness(h);
  });
  /** Runs `fn`, waits for delivery and returns "topic:id" for what arrived. */
  const firedBy = async (fn: () => Promise<unknown> | unknown): Promise<string[]> => {
    const start = receiver.deliveries().length;
    await fn();
    await h.emulator.control.flushWebhooks();
    return receiver
      .deliveries()
      .slice(start)
      .map((d) => `${d.headers["x-wc-webhook-topic"]}:${JSON.parse(d.body).id}`)
      .sort();
  };

  it("a paid checkout of a variation: order.created + order.updated, product.updated for the variation only", async () => {
    const tee = h.emulator.control.createProduct("shop", {
      name: "Tee",
      optionName: "Size",
      variations: [{ sku: "tee-s", option: "S", price: "5", stock: 3 }],
    });
    const variationId = (tee.variations as number[])[0];
    await h.emulator.control.flushWebhooks();
    let orderId = 0;
    const fired = await firedBy(() => {
      orderId = h.emulator.control.placeOrder("shop", { lines: [{ sku: "tee-s", quantity: 1 }] }).id as number;
    });
    assert.deepEqual(
      fired,
      [`order.created:${orderId}`, `order.updated:${orderId}`, `product.updated:${variationId}`].sort(),
    );
    const variation = JSON.parse(
      receiver.deliveries().findLast((d) => JSON.parse(d.body).id === variationId)?.body ?? "{}",
    );
    assert.equal(variation.type, "variation");
    assert.equal(variation.stock_quantity, 2);
  });

  it("refunds fire order.updated; trashing fires *.deleted with only the id; forced deletes fire nothing", async () => {
    h.emulator.control.createProduct("shop", { name: "Lamp", sku: "lamp", price: "9", stock: 5 });
    const order = h.emulator.control.placeOrder("shop", { lines: [{ sku: "lamp", quantity: 2 }] });
    await h.emulator.control.flushWebhooks();
    const lampId = (await api(h, "GET", "/products?sku=lamp")).json[0].id as number;
    assert.deepEqual(
      await firedBy(() =>
        h.emulator.control.refundOrder("shop", order.id as number, {
          restock: false,
          lines: [{ sku: "lamp", quantity: 1 }],
        }),
      ),
      [`order.updated:${order.id}`],
    );

    const start = receiver.deliveries().length;
    assert.deepEqual(await firedBy(() => api(h, "DELETE", `/orders/${order.id}`)), [`order.deleted:${order.id}`]);
    assert.equal(receiver.deliveries()[start]?.body, `{"id":${order.id}}`);
    assert.deepEqual(await firedBy(() => api(h, "DELETE", `/products/${lampId}`)), [`product.deleted:${lampId}`]);
    assert.deepEqual(await firedBy(() => h.emulator.control.restoreProduct("shop", lampId)), [
      `product.restored:${lampId}`,
    ]);
    assert.deepEqual(
      await firedBy(() => api(h, "DELETE", `/products/${lampId}?force=true`)),
      [],
      "product.deleted only listens to wp_trash_post",
    );
  });

  it("coalesces changes made before a pending delivery runs (one Action Scheduler action per resource)", async () => {
    h.emulator.control.createProduct("shop", { name: "Bottle", sku: "bottle", price: "2", stock: 10 });
    await h.emulator.control.flushWebhooks();
    const start = receiver.deliveries().length;
    h.emulator.control.setStock("shop", { sku: "bottle", quantity: 9 });
    h.emulator.control.setStock("shop", { sku: "bottle", quantity: 8 });
    await h.emulator.control.flushWebhooks();
    const sent = receiver.deliveries().slice(start);
    assert.equal(sent.length, 1);
    assert.equal(JSON.parse(sent[0]?.body ?? "{}").stock_quantity, 8, "the payload is built when the delivery runs");
  });
});

describe("WooCommerce emulator: what a real WooCommerce 7.9 does that a newer one or a guess would not", () => {
  // Each case was measured on a real WooCommerce 7.9.0 (WordPress 6.1.9): /work/shared/reference/woocommerce.md.
  let h: Harness;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    h = await startHarness();
    receiver = await startReceiver();
    // order.updated's webhook made before order.created's: delivery order must follow the events.
    for (const topic of ["order.updated", "order.created", "product.updated"])
      await h.emulator.control.createWebhook("shop", { topic, deliveryUrl: receiver.url, secret: "k" });
  });
  after(async () => {
    await receiver.close();
    await stopHarness(h);
  });
  const delivered = async (fn: () => Promise<unknown> | unknown) => {
    await h.emulator.control.flushWebhooks();
    const start = receiver.deliveries().length;
    await fn();
    await h.emulator.control.flushWebhooks();
    return receiver
      .deliveries()
      .slice(start)
      .map((d) => ({ topic: String(d.headers["x-wc-webhook-topic"]), body: JSON.parse(d.body), headers: d.headers }));
  };
  const tee = () =>
    h.emulator.control.createProduct("shop", {
      name: "Tee",
      optionName: "Size",
      variations: [
        { sku: `tee-s-${randomBytes(3).toString("hex")}`, option: "S", price: "5", stock: 5 },
        { sku: `tee-m-${randomBytes(3).toString("hex")}`, option: "M", price: "6", stock: 5 },
      ],
    });

  it("a paid order created through REST delivers order.created and then order.updated, with the same state", async () => {
    h.emulator.control.createProduct("shop", { name: "Mug", sku: "mug", price: "4", stock: 9 });
    let orderId = 0;
    const sent = await delivered(async () => {
      const order = await api(h, "POST", "/orders", {
        status: "processing",
        set_paid: true,
        payment_method: "bacs",
        line_items: [{ sku: "mug", quantity: 2 }],
      });
      assert.equal(order.status, 201);
      orderId = order.json.id;
    });
    const orders = sent.filter((d) => d.topic.startsWith("order."));
    assert.deepEqual(
      orders.map((d) => `${d.topic}:${d.body.id}`),
      [`order.created:${orderId}`, `order.updated:${orderId}`],
    );
    assert.equal(orders[0]?.body.status, "processing");
    assert.deepEqual(orders[0]?.body, orders[1]?.body);
    assert.equal(orders[0]?.headers["user-agent"], "WooCommerce/7.9.0 Hookshot (WordPress/6.1.9)");
  });

  it("a variation's stock change delivers product.updated for the variation only, never its parent", async () => {
    const product = tee();
    const [small] = product.variations as number[];
    const ids = (sent: { topic: string; body: { id: number } }[]) => sent.map((d) => `${d.topic}:${d.body.id}`);

    const batch = await delivered(() =>
      api(h, "POST", `/products/${product.id}/variations/batch`, {
        update: [{ id: small, manage_stock: true, stock_quantity: 4 }],
      }),
    );
    assert.deepEqual(ids(batch), [`product.updated:${small}`]);
    assert.equal(batch[0]?.body.stock_quantity, 4);

    let orderId = 0;
    const sold = await delivered(() => {
      orderId = h.emulator.control.placeOrder("shop", {
        lines: [{ sku: String(batch[0]?.body.sku), quantity: 1 }],
      }).id as number;
    });
    assert.deepEqual(
      ids(sold).filter((x) => x.startsWith("product.")),
      [`product.updated:${small}`],
    );
    assert.equal(sold.find((d) => d.topic === "product.updated")?.body.stock_quantity, 3);

    const cancelled = await delivered(() => h.emulator.control.cancelOrder("shop", orderId));
    assert.deepEqual(
      ids(cancelled).filter((x) => x.startsWith("product.")),
      [`product.updated:${small}`],
    );
    assert.equal(cancelled.find((d) => d.topic === "product.updated")?.body.stock_quantity, 4);
  });

  it("a variation's product.updated body has the products-endpoint shape, total_sales a string", async () => {
    const product = tee();
    const [small] = product.variations as number[];
    const [sent] = await delivered(() =>
      api(h, "PUT", `/products/${product.id}/variations/${small}`, { manage_stock: true, stock_quantity: 2 }),
    );
    const body = sent?.body as Record<string, unknown>;
    assert.equal(body.type, "variation");
    assert.equal(body.parent_id, product.id);
    assert.deepEqual(body.categories, [{ id: 15, name: "Uncategorized", slug: "uncategorized" }]);
    assert.deepEqual(body.images, []);
    assert.deepEqual(body.related_ids, []);
    assert.match(String(body.price_html), /5\.00/);
    assert.equal(body.total_sales, "0");
    assert.equal("image" in body, false, "the products shape has images[], not a variation's image");
    assert.deepEqual(body.attributes, [{ id: 0, name: "Size", option: "S" }]);
    assert.deepEqual((await api(h, "GET", `/products/${small}`)).json, body);
  });

  it("variation objects carry no name, no type and no attribute slug", async () => {
    const product = tee();
    const [small] = product.variations as number[];
    for (const variation of [
      (await api(h, "GET", `/products/${product.id}/variations/${small}`)).json,
      ...(await api(h, "GET", `/products/${product.id}/variations`)).json,
    ]) {
      assert.equal("name" in variation, false);
      assert.equal("type" in variation, false);
      assert.equal("global_unique_id" in variation, false);
      for (const attribute of variation.attributes)
        assert.deepEqual(Object.keys(attribute).sort(), ["id", "name", "option"]);
    }
  });

  it("a refund the gateway cannot make answers 500 with the bare number 500 as data", async () => {
    h.emulator.control.createProduct("shop", { name: "Cup", sku: "cup", price: "3", stock: 9 });
    const order = await api(h, "POST", "/orders", {
      payment_method: "bacs",
      set_paid: true,
      line_items: [{ sku: "cup", quantity: 1 }],
    });
    const refund = await api(h, "POST", `/orders/${order.json.id}/refunds`, {
      amount: "3",
      line_items: [{ id: order.json.line_items[0].id, quantity: 1, refund_total: 3 }],
    });
    assert.equal(refund.status, 500);
    assert.equal(refund.json.code, "woocommerce_rest_cannot_create_order_refund");
    assert.equal(refund.json.data, 500);
  });

  it("links the API root and says Allow on unpaged answers; paged ones carry prev/next and 0/0 when empty", async () => {
    h.emulator.control.createProduct("shop", { name: "Pen", sku: "pen", price: "1", stock: 1 });
    const pen = (await api(h, "GET", "/products?sku=pen")).json[0];
    const one = await api(h, "GET", `/products/${pen.id}`);
    assert.equal(one.headers.get("link"), `<${h.siteUrl}/wp-json/>; rel="https://api.w.org/"`);
    assert.equal(one.headers.get("allow"), "GET, POST, PUT, PATCH, DELETE");
    assert.equal((await api(h, "GET", "/products")).headers.get("allow"), "GET, POST");

    const empty = await api(h, "GET", "/products?sku=nothing-has-this");
    assert.deepEqual(empty.json, []);
    assert.equal(empty.headers.get("x-wp-total"), "0");
    assert.equal(empty.headers.get("x-wp-totalpages"), "0");
    const paged = await api(h, "GET", "/products?per_page=1&page=2");
    assert.match(paged.headers.get("link") ?? "", /rel="prev".*rel="next"/);
  });
});

describe("WooCommerce emulator: products made in the same second", () => {
  it("are listed oldest first (ascending id) without an orderby, as a real 7.9 site does", async () => {
    const h = await startHarness({ now: () => Date.UTC(2026, 11, 8, 9, 0, 0) });
    try {
      const ids = ["a", "b", "c"].map(
        (sku) => h.emulator.control.createProduct("shop", { name: sku, sku, price: "1", stock: 1 }).id,
      );
      const listed = (await api(h, "GET", "/products")).json.map((p: { id: number }) => p.id);
      assert.deepEqual(listed, ids);
      const byId = (await api(h, "GET", "/products?orderby=id&order=desc")).json.map((p: { id: number }) => p.id);
      assert.deepEqual(byId, [...ids].reverse());
    } finally {
      await stopHarness(h);
    }
  });

  it("give two product.updated deliveries of one webhook in that second the same delivery id, different bodies", async () => {
    const h = await startHarness({ now: () => Date.UTC(2026, 11, 8, 9, 0, 0) });
    const receiver = await startReceiver();
    try {
      await h.emulator.control.createWebhook("shop", {
        topic: "product.updated",
        deliveryUrl: receiver.url,
        secret: "k",
      });
      for (const sku of ["d1", "d2"])
        h.emulator.control.createProduct("shop", { name: sku, sku, price: "1", stock: 5 });
      await h.emulator.control.flushWebhooks();
      h.emulator.control.setStock("shop", { sku: "d1", quantity: 4 });
      h.emulator.control.setStock("shop", { sku: "d2", quantity: 3 });
      await h.emulator.control.flushWebhooks();
      const [first, second] = receiver.deliveries();
      assert.ok(first && second);
      assert.equal(first.headers["x-wc-webhook-delivery-id"], second.headers["x-wc-webhook-delivery-id"]);
      assert.notEqual(first.body, second.body);
    } finally {
      await receiver.close();
      await stopHarness(h);
    }
  });
});

describe("WooCommerce emulator: fault injection and control API", () => {
  it("replays the same faults for the same seed", async () => {
    const run = async (seed: number) => {
      const h = await startHarness({
        faultPlan: { seed, errorRate: 0.3, throttleBurstRate: 0.1, throttleBurstLength: 2 },
      });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i += 1) statuses.push((await api(h, "GET", "/products")).status);
        return statuses;
      } finally {
        await stopHarness(h);
      }
    };
    const a = await run(42);
    const b = await run(42);
    assert.deepEqual(a, b);
    assert.ok(
      a.some((s) => s >= 500),
      "some 5xx",
    );
    assert.ok(
      a.some((s) => s === 429),
      "some 429",
    );
    assert.ok(
      a.some((s) => s === 200),
      "some successes",
    );
    assert.notDeepEqual(await run(7), a);
  });

  it("drops, duplicates and reorders webhook deliveries per the seeded plan", async () => {
    const h = await startHarness();
    const receiver = await startReceiver();
    try {
      const { control } = h.emulator;
      control.createProduct("shop", { name: "Pen", sku: "pen", price: "1", stock: 50 });
      await control.createWebhook("shop", { topic: "product.updated", deliveryUrl: receiver.url, secret: "k" });
      control.setFaultPlan({ seed: 3, webhookCopies: 2 });
      control.setStock("shop", { sku: "pen", quantity: 49 });
      await control.flushWebhooks();
      assert.equal(receiver.deliveries().length, 2, "each delivery sent twice");

      // Pick a seed whose first delivery is held back and whose second is not (0.5 reorder rate).
      const seed = Array.from({ length: 100 }, (_, i) => i + 1).find((candidate) => {
        const random = seededRandom(candidate);
        return random() < 0.5 && random() >= 0.5;
      });
      control.createProduct("shop", { name: "Ink", sku: "ink", price: "1", stock: 5 });
      await control.flushWebhooks();
      const before = receiver.deliveries().length;
      control.setFaultPlan({ seed, webhookReorderRate: 0.5 });
      control.setStock("shop", { sku: "pen", quantity: 47 });
      control.setStock("shop", { sku: "ink", quantity: 4 });
      await control.flushWebhooks();
      const order = receiver
        .deliveries()
        .slice(before)
        .map((d) => JSON.parse(d.body).sku);
      assert.deepEqual(order, ["ink", "pen"], "the held-back delivery arrives after the next one");

      control.setFaultPlan({ seed: 3, webhookDropRate: 1 });
      const beforeDrop = receiver.deliveries().length;
      control.setStock("shop", { sku: "pen", quantity: 46 });
      await control.flushWebhooks();
      assert.equal(receiver.deliveries().length, beforeDrop, "dropped");
      assert.equal(control.deliveries({ site: "shop" }).at(-1)?.outcome, "dropped");
    } finally {
      await receiver.close();
      await stopHarness(h);
    }
  });

  it("validates control input over HTTP and seeds the demo store", async () => {
    const h = await startHarness();
    try {
      const bad = await fetch(`${h.base}/_control/sites/shop/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ lines: [] }),
      });
      assert.equal(bad.status, 400);
      const err = (await bad.json()) as { error: { code: string } };
      assert.equal(err.error.code, "invalid_input");

      const seeded = await fetch(`${h.base}/_control/seed-demo`, { method: "POST" });
      assert.equal(seeded.status, 201);
      const creds = (await seeded.json()) as { url: string; consumerKey: string; consumerSecret: string };
      const client = new WooCommerceRestApi({
        url: creds.url,
        consumerKey: creds.consumerKey,
        consumerSecret: creds.consumerSecret,
        version: "wc/v3",
      });
      const jacket = await client.get("products", { sku: "jacket-denim-M" });
      assert.equal(jacket.data[0].stock_quantity, 12, "Prokip location 0 stock");
      const status = await client.get("system_status");
      assert.equal(status.data.environment.site_url, creds.url);
    } finally {
      await stopHarness(h);
    }
  });
});

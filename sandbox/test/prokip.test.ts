/**
 * Conformance tests for the Prokip (UltimatePOS Connector) emulator, written against the
 * documented behaviour in shared/reference/prokip-connector.md. Every test talks to the
 * emulator over real HTTP, the way the product's Prokip client will.
 */
import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import Fastify from "fastify";
import {
  createProkipEmulator,
  type DemoSeed,
  type ProkipEmulatorOptions,
  startProkipEmulator,
} from "../src/prokip/index.ts";

// ---- Helpers ----

// Answers under test are untyped JSON, checked field by field: a static type would claim the very
// shape these tests exist to check at run time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON under test, see above
type Json = any;

interface Harness {
  url: string;
  demo: DemoSeed;
  control: ReturnType<typeof createProkipEmulator>["control"];
  token: string;
  /** GET/POST/... with the demo user's bearer token and `Accept: application/json`. */
  api(
    path: string,
    init?: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: Json; headers: Headers }>;
  /** Numbers for the demo catalogue. */
  variation(sku: string): { productId: number; variationId: number };
  stockAt(sku: string, locationIndex: number): number | null;
}

async function login(
  url: string,
  demo: { clientId: string; clientSecret: string; username: string; password: string },
): Promise<Json> {
  const response = await fetch(`${url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "password",
      client_id: demo.clientId,
      client_secret: demo.clientSecret,
      username: demo.username,
      password: demo.password,
      scope: "",
    }),
  });
  return { status: response.status, body: await response.json() };
}

async function setup(t: TestContext, options: ProkipEmulatorOptions = {}): Promise<Harness> {
  const started = await startProkipEmulator({ port: 0, ...options });
  t.after(() => started.close());
  const control = started.emulator.control;
  const demo = control.seedDemo();
  const { body } = await login(started.url, demo);
  const token = body.access_token as string;

  const harness: Harness = {
    url: started.url,
    demo,
    control,
    token,
    async api(path, init = {}) {
      const headers: Record<string, string> = { accept: "application/json", ...init.headers };
      const bearer = init.token === undefined ? token : init.token;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      if (init.body !== undefined) headers["content-type"] = "application/json";
      const response = await fetch(started.url + path, {
        method: init.method ?? "GET",
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        redirect: "manual",
      });
      const text = await response.text();
      let parsed: Json = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (redirects, HTML): keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    variation(sku) {
      for (const p of demo.products) {
        const v = p.variations.find((x) => x.subSku === sku);
        if (v) return { productId: p.productId, variationId: v.variationId };
      }
      throw new Error(`no demo SKU ${sku}`);
    },
    stockAt(sku, locationIndex) {
      const location = demo.locations[locationIndex];
      assert.ok(location);
      return control.getStock({ variationId: harness.variation(sku).variationId, locationId: location.id }).quantity;
    },
  };
  return harness;
}

/** One sell line for a demo SKU. */
function line(h: Harness, sku: string, quantity: number, extra: Record<string, unknown> = {}) {
  const { productId, variationId } = h.variation(sku);
  return { product_id: productId, variation_id: variationId, quantity, ...extra };
}

function sellAt(h: Harness, locationIndex: number, products: unknown[], extra: Record<string, unknown> = {}) {
  return { location_id: h.demo.locations[locationIndex]?.id, contact_id: h.demo.walkInCustomerId, products, ...extra };
}

/** A clock tests can move. */
function manualClock(start = Date.UTC(2025, 0, 15, 9, 0, 0)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

// ---- OAuth ----

describe("POST /oauth/token", () => {
  test("password grant (form-urlencoded) returns a Bearer token pair", async (t) => {
    const h = await setup(t);
    const { status, body } = await login(h.url, h.demo);
    assert.equal(status, 200);
    assert.equal(body.token_type, "Bearer");
    assert.equal(typeof body.expires_in, "number");
    assert.ok(body.access_token.split(".").length === 3, "Passport access tokens are JWTs");
    assert.equal(typeof body.refresh_token, "string");
  });

  test("accepts JSON bodies too", async (t) => {
    const h = await setup(t);
    const response = await fetch(`${h.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        grant_type: "password",
        client_id: h.demo.clientId,
        client_secret: h.demo.clientSecret,
        username: h.demo.username,
        password: h.demo.password,
      }),
    });
    assert.equal(response.status, 200);
  });

  test("bad user credentials: 400 invalid_grant; bad client: 401 invalid_client; unknown grant: 400", async (t) => {
    const h = await setup(t);
    const badPassword = await login(h.url, { ...h.demo, password: "wrong" });
    assert.equal(badPassword.status, 400);
    assert.equal(badPassword.body.error, "invalid_grant");
    assert.equal(badPassword.body.error_description, "The user credentials were incorrect.");

    const badClient = await login(h.url, { ...h.demo, clientSecret: "wrong" });
    assert.equal(badClient.status, 401);
    assert.equal(badClient.body.error, "invalid_client");

    const response = await fetch(`${h.url}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: h.demo.clientId,
        client_secret: h.demo.clientSecret,
      }),
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as Json).error, "unsupported_grant_type");
  });

  test("refresh_token grant issues a new pair and revokes the old one", async (t) => {
    const h = await setup(t);
    const first = (await login(h.url, h.demo)).body;
    const refresh = (token: string) =>
      fetch(`${h.url}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: token,
          client_id: h.demo.clientId,
          client_secret: h.demo.clientSecret,
        }),
      });
    const second = await refresh(first.refresh_token);
    assert.equal(second.status, 200);
    const pair = (await second.json()) as Json;
    assert.notEqual(pair.access_token, first.access_token);
    assert.equal((await h.api("/connector/api/business-location", { token: pair.access_token })).status, 200);
    assert.equal(
      (await h.api("/connector/api/business-location", { token: first.access_token })).status,
      401,
      "old access token revoked",
    );
    assert.equal((await refresh(first.refresh_token)).status, 401, "old refresh token revoked");
  });

  test("access tokens expire after the configured lifetime", async (t) => {
    const clock = manualClock();
    const h = await setup(t, { now: clock.now, accessTokenTtlSeconds: 3600 });
    assert.equal((await h.api("/connector/api/business-location")).status, 200);
    clock.advance(3600 * 1000);
    const expired = await h.api("/connector/api/business-location");
    assert.equal(expired.status, 401);
    assert.deepEqual(expired.body, { message: "Unauthenticated." });
  });
});

// ---- Authentication and routing ----

describe("authentication and routes", () => {
  test("401 {message: Unauthenticated.} without or with an invalid token", async (t) => {
    const h = await setup(t);
    for (const token of [null, "not-a-token"]) {
      const response = await h.api("/connector/api/product", { token });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { message: "Unauthenticated." });
    }
  });

  test("without Accept: application/json an unauthenticated request is redirected to /login (under the mount prefix)", async (t) => {
    const emulator = createProkipEmulator();
    const app = Fastify();
    await app.register(emulator.routes, { prefix: "/sandbox/prokip" });
    await app.listen({ port: 0, host: "127.0.0.1" });
    t.after(() => app.close());
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const response = await fetch(`http://127.0.0.1:${port}/sandbox/prokip/connector/api/product`, {
      redirect: "manual",
    });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), `http://127.0.0.1:${port}/sandbox/prokip/login`);
  });

  test("405 for writes on /product and /product/{id}", async (t) => {
    const h = await setup(t);
    const productId = h.demo.products[0]?.productId;
    for (const [method, path] of [
      ["POST", "/connector/api/product"],
      ["PUT", `/connector/api/product/${productId}`],
      ["DELETE", `/connector/api/product/${productId}`],
    ] as const) {
      const response = await h.api(path, { method, body: method === "DELETE" ? undefined : { name: "x" } });
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.match(response.body.message, /method is not supported/);
    }
  });

  test("404 JSON for /purchase, /stock-adjustment, /product/{id}/stock and unknown routes, even without a token", async (t) => {
    const h = await setup(t);
    const productId = h.demo.products[0]?.productId;
    for (const path of [
      "/connector/api/purchase",
      "/connector/api/stock-adjustment",
      `/connector/api/product/${productId}/stock`,
      "/connector/api/nope",
    ]) {
      for (const token of [undefined, null]) {
        const response = await h.api(path, { method: "POST", body: {}, token });
        assert.equal(response.status, 404, path);
        assert.equal(typeof response.body.message, "string");
      }
    }
  });
});

// ---- Reads ----

describe("catalogue and stock reads", () => {
  test("business-location: not paginated, location_id is the BL code", async (t) => {
    const h = await setup(t);
    const { status, body } = await h.api("/connector/api/business-location");
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body), ["data"]);
    assert.equal(body.data.length, 2);
    assert.equal(body.data[0].id, h.demo.locations[0]?.id);
    assert.equal(body.data[0].location_id, "BL0001");
    assert.ok(Array.isArray(body.data[0].payment_methods));
  });

  test("product list: Laravel pagination envelope, default 10 per page, decimal strings, integer ids", async (t) => {
    const h = await setup(t);
    const { body } = await h.api("/connector/api/product");
    assert.deepEqual(Object.keys(body), ["data", "links", "meta"]);
    assert.deepEqual(Object.keys(body.links), ["first", "last", "prev", "next"]);
    assert.deepEqual(Object.keys(body.meta), ["current_page", "from", "last_page", "path", "per_page", "to", "total"]);
    assert.equal(body.data.length, 10);
    assert.equal(body.meta.per_page, 10);
    assert.equal(body.meta.total, 25);
    assert.equal(body.meta.last_page, 3);
    assert.equal(body.links.prev, null);
    assert.match(body.links.next, /page=2$/);
    const shirt = body.data[0];
    assert.equal(shirt.type, "single");
    assert.ok(Number.isInteger(shirt.id) && shirt.id >= 100_000);
    const variation = shirt.product_variations[0].variations[0];
    assert.equal(variation.name, "DUMMY");
    assert.equal(variation.sell_price_inc_tax, "1500.0000");
    assert.equal(variation.variation_location_details[0].qty_available, "100.0000");
  });

  test("product list filters: page, per_page, sku (also a variation's sub_sku), name substring, location", async (t) => {
    const h = await setup(t);
    const page3 = (await h.api("/connector/api/product?per_page=10&page=3")).body;
    assert.equal(page3.data.length, 5);
    assert.equal(page3.links.next, null);
    assert.equal(page3.meta.from, 21);
    assert.equal(page3.meta.per_page, "10", "Laravel echoes the raw per_page query value");
    assert.match(page3.links.first, /\?per_page=10&page=1$/, "links keep the other query parameters");
    const bySubSku = (await h.api("/connector/api/product?sku=shoe-run-M")).body;
    assert.deepEqual(
      bySubSku.data.map((p: Json) => p.name),
      ["Running Shoes"],
    );
    const byName = (await h.api("/connector/api/product?name=shirt")).body;
    assert.deepEqual(
      byName.data.map((p: Json) => p.sku),
      ["shirt1", "shirt2"],
    );
    const atWestlands = (await h.api(`/connector/api/product?location_id=${h.demo.locations[1]?.id}&sku=sun-01`)).body;
    assert.deepEqual(
      atWestlands.data[0].product_variations[0].variations[0].variation_location_details,
      [],
      "no stock row at Westlands",
    );
  });

  test("per_page=-1 returns everything as {data} without links or meta", async (t) => {
    const h = await setup(t);
    const products = (await h.api("/connector/api/product?per_page=-1")).body;
    assert.deepEqual(Object.keys(products), ["data"]);
    assert.equal(products.data.length, 25);
    const variations = (await h.api("/connector/api/variation?per_page=-1")).body;
    assert.deepEqual(Object.keys(variations), ["data"]);
    assert.equal(variations.data.length, 29, "23 single products + 2 variable products x 3 sizes");
  });

  test("variation: flat rows, product_id csv filter, and the sku filter that misses a variable product's sub_sku", async (t) => {
    const h = await setup(t);
    const shoes = h.variation("shoe-run-S").productId;
    const jacket = h.variation("jacket-denim-S").productId;
    const rows = (await h.api(`/connector/api/variation?product_id=${shoes},${jacket}&per_page=-1`)).body.data;
    assert.equal(rows.length, 6);
    assert.deepEqual(Object.keys(rows[0]).slice(0, 4), ["variation_id", "variation_name", "sub_sku", "product_id"]);
    assert.equal(rows[0].sub_sku, "jacket-denim-S");
    assert.equal(rows[0].variation_name, "Small");

    assert.deepEqual(
      (await h.api("/connector/api/variation?sku=shoe-run-S")).body.data,
      [],
      "sub_sku of a variable product is missed",
    );
    const single = (await h.api("/connector/api/variation?sku=mug-ceramic")).body.data;
    assert.equal(single.length, 1);
    assert.equal(single[0].variation_name, "", "single products show an empty variation name");
  });

  test("product-stock-report: fixed 15 rows per page, ignores per_page", async (t) => {
    const h = await setup(t);
    const location = h.demo.locations[0]?.id;
    const first = (await h.api(`/connector/api/product-stock-report?location_id=${location}&per_page=100`)).body;
    assert.equal(first.data.length, 15);
    assert.equal(first.meta.per_page, 15);
    assert.equal(first.meta.total, 29, "every demo variation has stock at the Nairobi CBD Store");
    assert.equal(first.meta.last_page, 2);
    const last = (await h.api(`/connector/api/product-stock-report?location_id=${location}&page=2&per_page=5`)).body;
    assert.equal(last.data.length, 14);
    assert.match(last.links.first, /\?page=1$/, "links carry only the page");
    const row = first.data[0];
    assert.equal(row.sku, "shirt1");
    assert.equal(row.stock, "100.0000");
    assert.equal(row.location_id, location);
  });

  test("product-stock-report: a variation with no stock row at the location is absent", async (t) => {
    const h = await setup(t);
    const westlands = h.demo.locations[1]?.id;
    const rows: Json[] = [];
    for (let page = 1; ; page += 1) {
      const body = (await h.api(`/connector/api/product-stock-report?location_id=${westlands}&page=${page}`)).body;
      rows.push(...body.data);
      if (page >= body.meta.last_page) break;
    }
    const skus = rows.map((r) => r.sku);
    assert.equal(rows.length, 26, "29 variations, 3 never stocked at Westlands");
    for (const absent of ["sun-01", "gift-holder", "jacket-denim-L"])
      assert.ok(!skus.includes(absent), `${absent} has no row at Westlands`);
  });

  test("contactapi?type=customer lists the default walk-in customer", async (t) => {
    const h = await setup(t);
    const { body } = await h.api("/connector/api/contactapi?type=customer");
    assert.equal(body.meta.total, 1);
    assert.equal(body.data[0].id, h.demo.walkInCustomerId);
    assert.equal(body.data[0].is_default, 1);
  });
});

// ---- Sells ----

describe("POST /connector/api/sell", () => {
  test("answers HTTP 200 with a bare array; a final sell lowers stock; unit_price defaults to sell_price_inc_tax", async (t) => {
    const h = await setup(t);
    const { status, body } = await h.api("/connector/api/sell", {
      method: "POST",
      body: { sells: [sellAt(h, 0, [line(h, "shirt1", 3)], { payments: [{ amount: 4500, method: "cash" }] })] },
    });
    assert.equal(status, 200);
    assert.ok(Array.isArray(body));
    const sell = body[0];
    assert.ok(Number.isInteger(sell.id));
    assert.equal(sell.status, "final");
    assert.equal(sell.payment_status, "paid");
    assert.equal(sell.final_total, "4500.0000");
    assert.equal(sell.sell_lines[0].unit_price, "1500.0000");
    assert.match(sell.invoice_no, /^\d{4}$/, "generated when absent");
    assert.equal(h.stockAt("shirt1", 0), 97);
    assert.equal(h.stockAt("shirt1", 1), 40, "other location untouched");
  });

  test("an unknown location comes back as HTTP 200 with the wrapped ModelNotFound error", async (t) => {
    const h = await setup(t);
    const { status, body } = await h.api("/connector/api/sell", {
      method: "POST",
      body: { sells: [{ ...sellAt(h, 0, [line(h, "shirt1", 1)]), location_id: 999 }] },
    });
    assert.equal(status, 200);
    assert.deepEqual(body, [
      {
        headers: {},
        original: { error: { message: "No query results for model [App\\BusinessLocation] 999" } },
        exception: null,
      },
    ]);
    assert.equal(h.stockAt("shirt1", 0), 100);
  });

  test("a missing or malformed sells payload is still HTTP 200: [wrapped 'Invalid form data']", async (t) => {
    const h = await setup(t);
    const expected = [{ headers: {}, original: { error: { message: "Invalid form data" } }, exception: null }];
    assert.deepEqual((await h.api("/connector/api/sell", { method: "POST", body: { sells: [] } })).body, expected);
    const malformed = await fetch(`${h.url}/connector/api/sell`, {
      method: "POST",
      headers: { authorization: `Bearer ${h.token}`, accept: "application/json", "content-type": "application/json" },
      body: "{not json",
    });
    assert.equal(malformed.status, 200);
    assert.deepEqual(await malformed.json(), expected);
  });

  test("unknown contact and unknown variation are ModelNotFound errors too", async (t) => {
    const h = await setup(t);
    const { productId } = h.variation("shirt1");
    const { body } = await h.api("/connector/api/sell", {
      method: "POST",
      body: {
        sells: [
          { ...sellAt(h, 0, [line(h, "shirt1", 1)]), contact_id: 12345 },
          sellAt(h, 0, [{ product_id: productId, variation_id: 777777, quantity: 1 }]),
        ],
      },
    });
    assert.equal(body[0].original.error.message, "No query results for model [App\\Contact] 12345");
    assert.equal(body[1].original.error.message, "No query results for model [App\\Variation] 777777");
  });

  test("each sell is atomic: a failing sell leaves no trace, its neighbours still succeed", async (t) => {
    const h = await setup(t);
    const { body } = await h.api("/connector/api/sell", {
      method: "POST",
      body: {
        sells: [
          sellAt(h, 0, [line(h, "mug-ceramic", 2)]),
          sellAt(h, 0, [line(h, "mug-ceramic", 5), { product_id: 1, variation_id: 1, quantity: 1 }]),
        ],
      },
    });
    assert.equal(body[0].status, "final");
    assert.equal(body[1].original.error.message, "No query results for model [App\\Product] 1");
    assert.equal(h.stockAt("mug-ceramic", 0), 88, "only the first sell moved stock");
    assert.equal(h.control.listSells().length, 1);
  });

  test("draft sells do not move stock", async (t) => {
    const h = await setup(t);
    const { body } = await h.api("/connector/api/sell", {
      method: "POST",
      body: { sells: [sellAt(h, 0, [line(h, "bag-tote", 4)], { status: "draft" })] },
    });
    assert.equal(body[0].status, "draft");
    assert.equal(h.stockAt("bag-tote", 0), 60);
  });

  test("products without enable_stock never move stock", async (t) => {
    const h = await setup(t);
    const service = h.control.createProduct({
      businessId: h.demo.businessId,
      name: "Gift Wrapping",
      sku: "svc-wrap",
      price: 100,
      enableStock: false,
    });
    const variationId = service.variations[0]?.id as number;
    const { body } = await h.api("/connector/api/sell", {
      method: "POST",
      body: { sells: [sellAt(h, 0, [{ product_id: service.id, variation_id: variationId, quantity: 2 }])] },
    });
    assert.equal(body[0].status, "final");
    assert.equal(h.control.getStock({ variationId, locationId: h.demo.locations[0]?.id as number }).quantity, null);
  });

  test("stock may go negative, unless the business forbids overselling", async (t) => {
    const h = await setup(t);
    await h.api("/connector/api/sell", { method: "POST", body: { sells: [sellAt(h, 1, [line(h, "speaker-bt", 5)])] } });
    assert.equal(h.stockAt("speaker-bt", 1), -3, "overselling allowed by default");

    h.control.updateBusiness({ businessId: h.demo.businessId, allowOverselling: false });
    const { status, body } = await h.api("/connector/api/sell", {
      method: "POST",
      body: { sells: [sellAt(h, 0, [line(h, "speaker-bt", 9)])] },
    });
    assert.equal(status, 200);
    assert.match(body[0].original.error.message, /^ERROR: NOT ALLOWED: Mismatch between sold and purchase quantity/);
    assert.match(body[0].original.error.message, /SKU: speaker-bt Quantity: 2$/);
    assert.equal(h.stockAt("speaker-bt", 0), 7, "rolled back");
    const within = await h.api("/connector/api/sell", {
      method: "POST",
      body: { sells: [sellAt(h, 0, [line(h, "speaker-bt", 7)])] },
    });
    assert.equal(within.body[0].status, "final");
    assert.equal(h.stockAt("speaker-bt", 0), 0);
  });

  test("no idempotency: the same invoice_no twice makes two sells", async (t) => {
    const h = await setup(t);
    const sell = sellAt(h, 0, [line(h, "pen-pack", 1)], { invoice_no: "SHOP-1001" });
    const first = (await h.api("/connector/api/sell", { method: "POST", body: { sells: [sell] } })).body[0];
    const second = (await h.api("/connector/api/sell", { method: "POST", body: { sells: [sell] } })).body[0];
    assert.equal(first.invoice_no, "SHOP-1001");
    assert.equal(second.invoice_no, "SHOP-1001");
    assert.notEqual(first.id, second.id);
    assert.equal(h.stockAt("pen-pack", 0), 298);
  });
});

describe("GET, PUT and DELETE /connector/api/sell", () => {
  test("GET lists sells with sell_lines and payment_lines, filtered by location, status and dates", async (t) => {
    const h = await setup(t);
    await h.api("/connector/api/sell", {
      method: "POST",
      body: {
        sells: [
          sellAt(h, 0, [line(h, "shirt1", 1)], {
            transaction_date: "2025-03-01 10:00:00",
            payments: [{ amount: 1500 }],
          }),
          sellAt(h, 1, [line(h, "shirt1", 1)], { transaction_date: "2025-03-02 10:00:00" }),
          sellAt(h, 0, [line(h, "shirt1", 1)], { transaction_date: "2025-03-03 10:00:00", status: "draft" }),
        ],
      },
    });
    const all = (await h.api("/connector/api/sell")).body;
    assert.equal(all.meta.total, 3);
    assert.equal(all.data[0].sell_lines[0].variation_id, h.variation("shirt1").variationId);
    assert.equal(all.data[0].payment_lines[0].amount, "1500.0000");
    const loc = h.demo.locations[0]?.id;
    assert.equal((await h.api(`/connector/api/sell?location_id=${loc}`)).body.meta.total, 2);
    assert.equal((await h.api(`/connector/api/sell?location_id=${loc}&status=final`)).body.meta.total, 1);
    assert.equal((await h.api("/connector/api/sell?start_date=2025-03-02&end_date=2025-03-03")).body.meta.total, 2);
    assert.equal((await h.api("/connector/api/sell?per_page=2")).body.meta.last_page, 2);
  });

  test("PUT re-adjusts stock; lines with sell_line_id update, unknown sells are 404", async (t) => {
    const h = await setup(t);
    const sell = (
      await h.api("/connector/api/sell", { method: "POST", body: { sells: [sellAt(h, 0, [line(h, "note-a5", 10)])] } })
    ).body[0];
    const lineId = sell.sell_lines[0].id;

    const updated = await h.api(`/connector/api/sell/${sell.id}`, {
      method: "PUT",
      body: { products: [{ sell_line_id: lineId, quantity: 4 }] },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.body.id, sell.id);
    assert.equal(h.stockAt("note-a5", 0), 196, "10 sold, then reduced to 4");
    const after = (await h.api(`/connector/api/sell/${sell.id}`)).body.data[0];
    assert.equal(after.sell_lines[0].id, lineId);
    assert.equal(after.sell_lines[0].quantity, 4);

    await h.api(`/connector/api/sell/${sell.id}`, {
      method: "PUT",
      body: { status: "draft", products: [{ sell_line_id: lineId }] },
    });
    assert.equal(h.stockAt("note-a5", 0), 200, "a final sell turned draft gives its stock back");

    const missing = await h.api("/connector/api/sell/999", { method: "PUT", body: { products: [] } });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { error: { message: "No query results for model [App\\Transaction] 999" } });
  });

  test("DELETE restores stock", async (t) => {
    const h = await setup(t);
    const sell = (
      await h.api("/connector/api/sell", {
        method: "POST",
        body: { sells: [sellAt(h, 1, [line(h, "shoe-run-M", 2)])] },
      })
    ).body[0];
    assert.equal(h.stockAt("shoe-run-M", 1), 4);
    const deleted = await h.api(`/connector/api/sell/${sell.id}`, { method: "DELETE" });
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.success, true);
    assert.equal(h.stockAt("shoe-run-M", 1), 6);
    assert.equal((await h.api("/connector/api/sell")).body.meta.total, 0);
  });

  test("DELETE refuses with {success:false} when a return exists", async (t) => {
    const h = await setup(t);
    const sell = (
      await h.api("/connector/api/sell", { method: "POST", body: { sells: [sellAt(h, 0, [line(h, "cap-base", 2)])] } })
    ).body[0];
    await h.api("/connector/api/sell-return", {
      method: "POST",
      body: {
        transaction_id: sell.id,
        products: [{ sell_line_id: sell.sell_lines[0].id, quantity: 1, unit_price_inc_tax: 700 }],
      },
    });
    const refused = await h.api(`/connector/api/sell/${sell.id}`, { method: "DELETE" });
    assert.equal(refused.status, 200);
    assert.equal(refused.body.success, false);
    assert.equal(typeof refused.body.msg, "string");
    assert.equal(h.stockAt("cap-base", 0), 79, "sold 2, returned 1, not deleted");
  });
});

describe("POST /connector/api/sell-return", () => {
  test("quantity is cumulative per sell line; stock rises by the difference; one return per sell", async (t) => {
    const h = await setup(t);
    const sell = (
      await h.api("/connector/api/sell", {
        method: "POST",
        body: { sells: [sellAt(h, 0, [line(h, "bottle-750", 5)])] },
      })
    ).body[0];
    const lineId = sell.sell_lines[0].id;
    const postReturn = (quantity: number) =>
      h.api("/connector/api/sell-return", {
        method: "POST",
        body: { transaction_id: sell.id, products: [{ sell_line_id: lineId, quantity, unit_price_inc_tax: 650 }] },
      });
    assert.equal(h.stockAt("bottle-750", 0), 115);

    const first = await postReturn(1);
    assert.equal(first.status, 200);
    assert.equal(first.body.type, "sell_return");
    assert.equal(first.body.return_parent_id, sell.id);
    assert.equal(h.stockAt("bottle-750", 0), 116);

    const second = await postReturn(3);
    assert.equal(second.body.id, first.body.id, "posting again updates the same return");
    assert.equal(second.body.final_total, "1950.0000");
    assert.equal(h.stockAt("bottle-750", 0), 118, "3 returned in total, not 1 + 3");

    await postReturn(2);
    assert.equal(h.stockAt("bottle-750", 0), 117, "lowering the cumulative quantity takes stock back");
    const listed = (await h.api(`/connector/api/sell/${sell.id}`)).body.data[0];
    assert.equal(listed.sell_lines[0].quantity_returned, "2.0000");
  });

  test("returning more than was sold is an error and changes nothing", async (t) => {
    const h = await setup(t);
    const sell = (
      await h.api("/connector/api/sell", {
        method: "POST",
        body: { sells: [sellAt(h, 0, [line(h, "bottle-750", 2)])] },
      })
    ).body[0];
    const response = await h.api("/connector/api/sell-return", {
      method: "POST",
      body: {
        transaction_id: sell.id,
        products: [{ sell_line_id: sell.sell_lines[0].id, quantity: 3, unit_price_inc_tax: 650 }],
      },
    });
    assert.equal(response.status, 400);
    assert.equal(typeof response.body.error.message, "string");
    assert.equal(h.stockAt("bottle-750", 0), 118);
  });
});

// ---- Throttle and faults ----

describe("throttle and faults", () => {
  test("429 with Retry-After and X-RateLimit headers after the per-user limit; the window resets", async (t) => {
    const clock = manualClock();
    const h = await setup(t, { now: clock.now, rateLimit: { limit: 3, windowSeconds: 60 } });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i += 1) {
      const ok = await h.api("/connector/api/business-location");
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get("x-ratelimit-limit"), "3");
      remaining.push(ok.headers.get("x-ratelimit-remaining"));
    }
    assert.deepEqual(remaining, ["2", "1", "0"]);

    clock.advance(20_000);
    const limited = await h.api("/connector/api/business-location");
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "40");
    assert.equal(limited.headers.get("x-ratelimit-remaining"), "0");
    assert.equal(limited.headers.get("x-ratelimit-limit"), "3");
    assert.deepEqual(limited.body, { message: "Too Many Attempts." });

    clock.advance(40_000);
    assert.equal((await h.api("/connector/api/business-location")).status, 200);
  });

  test("the limit is per user: another user of the business is not throttled", async (t) => {
    const clock = manualClock();
    const emulatorOptions = { now: clock.now, rateLimit: { limit: 2, windowSeconds: 60 } };
    const h = await setup(t, emulatorOptions);
    const other = h.control.createBusiness({ name: "Second shop", users: [{ username: "second", password: "pw-2" }] });
    const otherToken = (
      await login(h.url, {
        clientId: other.clientId,
        clientSecret: other.clientSecret,
        username: "second",
        password: "pw-2",
      })
    ).body.access_token;
    await h.api("/connector/api/business-location");
    await h.api("/connector/api/business-location");
    assert.equal((await h.api("/connector/api/business-location")).status, 429);
    assert.equal((await h.api("/connector/api/business-location", { token: otherToken })).status, 200);
  });

  test("fault injection is reproducible with a seed and spares the control API", async (t) => {
    const run = async () => {
      const h = await setup(t);
      h.control.setFaultPlan({ seed: 42, errorRate: 0.3, throttleBurstRate: 0.1, throttleBurstLength: 2 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) statuses.push((await h.api("/connector/api/business-location")).status);
      const controlStatus = (await fetch(`${h.url}/_control/faults`)).status;
      return { statuses, controlStatus };
    };
    const first = await run();
    const second = await run();
    assert.deepEqual(first.statuses, second.statuses);
    assert.ok(
      first.statuses.some((s) => s >= 500),
      "some 5xx",
    );
    assert.ok(first.statuses.includes(429), "some 429");
    assert.ok(first.statuses.includes(200), "some successes");
    assert.equal(first.controlStatus, 200);
  });
});

// ---- Control API ----

describe("control API", () => {
  test("over HTTP: bad input is 400 {error:{code,message}}", async (t) => {
    const h = await setup(t);
    const response = await fetch(`${h.url}/_control/products`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "No business" }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as Json;
    assert.equal(body.error.code, "invalid_input");
    assert.match(body.error.message, /businessId/);
  });

  test("over HTTP: create a business, location and variable product, set stock, then read it through the Connector API", async (t) => {
    const h = await setup(t);
    const post = async (path: string, body: unknown, method = "POST") => {
      const response = await fetch(`${h.url}/_control/${path}`, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Json };
    };
    const business = await post("businesses", {
      name: "Mombasa Traders",
      users: [{ username: "mombasa", password: "s3cret" }],
      allowOverselling: false,
    });
    assert.equal(business.status, 201);
    const location = await post("locations", { businessId: business.body.id, name: "Mombasa Road" });
    const product = await post("products", {
      businessId: business.body.id,
      name: "Kikoi",
      sku: "kikoi",
      type: "variable",
      variationName: "Colour",
      variations: [
        { name: "Red", price: "800.0000" },
        { name: "Blue", price: 800 },
      ],
    });
    assert.equal(product.status, 201);
    assert.deepEqual(
      product.body.variations.map((v: Json) => v.subSku),
      ["kikoi-1", "kikoi-2"],
    );
    const blue = product.body.variations[1].id;
    const stock = await post("stock", { variationId: blue, locationId: location.body.id, quantity: 12 }, "PUT");
    assert.deepEqual(stock.body, { variationId: blue, locationId: location.body.id, quantity: 12 });

    const token = (
      await login(h.url, {
        clientId: business.body.clientId,
        clientSecret: business.body.clientSecret,
        username: "mombasa",
        password: "s3cret",
      })
    ).body.access_token;
    const report = (await h.api("/connector/api/product-stock-report", { token })).body;
    assert.deepEqual(
      report.data.map((r: Json) => [r.sku, r.stock, r.location_id]),
      [
        ["kikoi-1", null, null],
        ["kikoi-2", "12.0000", location.body.id],
      ],
    );

    const sells = await fetch(`${h.url}/_control/sells?businessId=${business.body.id}`);
    assert.deepEqual(await sells.json(), []);
  });

  test("seedDemo: all 25 catalogue products with stock at both locations; idempotent", async (t) => {
    const h = await setup(t);
    assert.equal(h.demo.products.length, 25);
    assert.equal(h.demo.locations.length, 2);
    assert.equal(h.stockAt("jacket-denim-M", 0), 12);
    assert.equal(h.stockAt("jacket-denim-M", 1), 5);
    assert.equal(h.stockAt("sun-01", 1), null, "zero stock in the catalogue means no stock row");
    const again = h.control.seedDemo();
    assert.deepEqual(again, h.demo);
    const overHttp = (await (await fetch(`${h.url}/_control/seed-demo`, { method: "POST" })).json()) as Json;
    assert.equal(overHttp.businessId, h.demo.businessId);
  });

  test("reset forgets everything, including tokens", async (t) => {
    const h = await setup(t);
    const response = await fetch(`${h.url}/_control/reset`, { method: "POST" });
    assert.equal(response.status, 200);
    assert.equal((await h.api("/connector/api/business-location")).status, 401);
    const demo = h.control.seedDemo();
    assert.equal(demo.businessId, h.demo.businessId, "ids are deterministic after a reset");
  });
});

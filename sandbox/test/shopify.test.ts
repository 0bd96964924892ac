/**
 * Conformance tests for the Shopify emulator against documented Admin API behaviour, over real
 * HTTP. Each test names the behaviour it checks; sources are listed in src/shopify/README.md.
 */
import "@shopify/shopify-api/adapters/node";
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { ApiVersion, shopifyApi } from "@shopify/shopify-api";
import { loadAdminSchema } from "../scripts/shopify-schema.ts";
import { startShopifyEmulator, type StartedShopifyEmulator } from "../src/shopify/index.ts";
import type { DemoSeed } from "../src/shopify/demo.ts";
import {
  graphqlClient,
  startWebhookReceiver,
  type GraphqlResult,
  type WebhookReceiver,
} from "../src/shopify/testing.ts";

type GraphqlError = Exclude<GraphqlResult["body"]["errors"], string | undefined>[number];

// Answers under test are untyped JSON, checked field by field: a static type would claim the very
// shape these tests exist to check at run time.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the JSON under test, see above
type Json = any;

/** The answer's first GraphQL error; the test fails if it has none. */
function firstError(result: GraphqlResult): GraphqlError {
  const errors = result.body.errors;
  assert.ok(Array.isArray(errors) && errors[0], `expected GraphQL errors: ${JSON.stringify(result.body)}`);
  return errors[0];
}

let now = Date.parse("2026-11-02T09:00:00Z");
const clock = () => now;

let server: StartedShopifyEmulator;
let receiver: WebhookReceiver;
let demo: DemoSeed;
let gql: ReturnType<typeof graphqlClient>;

before(async () => {
  const schema = await loadAdminSchema();
  // timeScale 0.0002: Shopify's 1-minute first retry becomes 12 ms, doubling from there.
  server = await startShopifyEmulator({ clock, schema, webhooks: { timeScale: 0.0002 } });
  receiver = await startWebhookReceiver();
});

after(async () => {
  await server.close();
  await receiver.close();
});

beforeEach(async () => {
  await server.emulator.control.reset();
  receiver.received.length = 0;
  receiver.failNext(0);
  demo = server.emulator.control.seedDemo({ webhookUri: receiver.url });
  gql = graphqlClient(server.url, demo.shop, demo.accessToken);
  // Seeding stocks the products, which already sends inventory_levels/update; start each test clean.
  await server.emulator.control.waitForDeliveries();
  server.emulator.control.clearDeliveries();
  receiver.received.length = 0;
});

async function stockOf(
  sku: string,
): Promise<{ itemId: string; locationId: string; available: number; onHand: number; committed: number }> {
  const result = await gql(
    `query($q: String!) { productVariants(first: 1, query: $q) { nodes { inventoryItem { id inventoryLevels(first: 1) { nodes { location { id } quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } } }`,
    { q: `sku:${sku}` },
  );
  const variant = (result.body.data as Json).productVariants.nodes[0];
  const level = variant.inventoryItem.inventoryLevels.nodes[0];
  const q = Object.fromEntries(level.quantities.map((x: { name: string; quantity: number }) => [x.name, x.quantity]));
  return {
    itemId: variant.inventoryItem.id,
    locationId: level.location.id,
    available: q.available,
    onHand: q.on_hand,
    committed: q.committed,
  };
}

const SET_QUANTITIES = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}`;

describe("request handling", () => {
  it("answers 401 with Shopify's body for a missing or unknown access token", async () => {
    for (const token of ["", "shpat_not_a_real_token"]) {
      const result = await graphqlClient(server.url, demo.shop, token)(`{ shop { name } }`);
      assert.equal(result.status, 401);
      assert.deepEqual(result.body, {
        errors: "[API] Invalid API key or access token (unrecognized login or wrong password)",
      });
    }
  });

  it("answers 404 for an API version it does not serve", async () => {
    const result = await graphqlClient(server.url, demo.shop, demo.accessToken, "2019-04")(`{ shop { name } }`);
    assert.equal(result.status, 404);
  });

  it("rejects a document that fails schema validation with HTTP 200 and graphql-ruby style errors", async () => {
    const result = await gql(`{ products(first: 1) { nodes { titel } } }`);
    assert.equal(result.status, 200);
    assert.equal(result.body.data, undefined);
    const error = firstError(result);
    assert.equal(error.message, "Field 'titel' doesn't exist on type 'Product'");
    assert.deepEqual(error.locations, [{ line: 1, column: 32 }]);
    assert.deepEqual(error.path, ["query", "products", "nodes", "titel"]);
    assert.deepEqual(error.extensions, { code: "undefinedField", typeName: "Product", fieldName: "titel" });
  });

  it("rejects missing required arguments and syntax errors", async () => {
    const missing = await gql(`{ product { id } }`);
    assert.equal(firstError(missing).extensions?.code, "missingRequiredArguments");
    const syntax = await gql(`{ shop { name }`);
    assert.match(firstError(syntax).message, /^syntax error/);
  });

  it("answers NOT_IMPLEMENTED for valid mutations and non-null fields the emulator does not model", async () => {
    const mutation = await gql(
      `mutation { tagsAdd(id: "gid://shopify/Product/1", tags: ["x"]) { userErrors { message } } }`,
    );
    assert.equal(firstError(mutation).extensions?.code, "NOT_IMPLEMENTED");
    const field = await gql(`{ shop { name customerAccountsV2 { url } } }`);
    assert.equal(firstError(field).extensions?.code, "NOT_IMPLEMENTED");
    assert.match(firstError(field).message, /Shop\.customerAccountsV2/);
  });

  it("returns extensions.cost on successful, failed and rejected responses", async () => {
    for (const query of [
      `{ shop { name } }`,
      `{ shop { nope } }`,
      `{ product(id: "gid://shopify/Product/1") { id } }`,
    ]) {
      const cost = (await gql(query)).body.extensions?.cost;
      assert.ok(cost, `cost missing for ${query}`);
      assert.equal(typeof cost.requestedQueryCost, "number");
      assert.deepEqual(Object.keys(cost.throttleStatus).sort(), [
        "currentlyAvailable",
        "maximumAvailable",
        "restoreRate",
      ]);
      assert.equal(cost.throttleStatus.maximumAvailable, 2000);
      assert.equal(cost.throttleStatus.restoreRate, 100);
    }
  });

  it("calculates cost as Shopify documents: objects 1, connections 2 + first x node, scalars 0", async () => {
    const result = await gql(
      `{ shop { name } products(first: 10) { nodes { title variants(first: 5) { nodes { sku } } } } }`,
    );
    // shop 1 + products (2 + 10 x (1 product + variants (2 + 5 x 1)))
    assert.equal(result.body.extensions!.cost!.requestedQueryCost, 1 + 2 + 10 * (1 + 2 + 5));
    // actual: 10 products, each with one or three variants
    assert.ok(result.body.extensions!.cost!.actualQueryCost! < 83);
  });

  it("prices a mutation at 10 points", async () => {
    const { itemId, locationId, available } = await stockOf("shirt1");
    const result = await gql(SET_QUANTITIES, {
      key: randomUUID(),
      input: {
        name: "available",
        reason: "correction",
        quantities: [{ inventoryItemId: itemId, locationId, quantity: available, changeFromQuantity: available }],
      },
    });
    assert.equal(result.body.extensions!.cost!.requestedQueryCost, 10);
  });
});

describe("throttling (leaky bucket per app and shop)", () => {
  it("answers THROTTLED when the bucket cannot hold the requested cost and refills at the restore rate", async () => {
    const control = server.emulator.control;
    control.createShop({ domain: "busy.myshopify.com", plan: "standard" });
    control.registerApp({ apiKey: "busy-app", apiSecret: "busy-secret" });
    const { accessToken } = control.installApp({ shop: "busy.myshopify.com", apiKey: "busy-app" });
    for (let i = 0; i < 250; i++)
      control.createProduct({ shop: "busy.myshopify.com", title: `P${i}`, variants: [{ sku: `busy-${i}`, price: 1 }] });
    const busy = graphqlClient(server.url, "busy.myshopify.com", accessToken);
    const query = `{ products(first: 250) { nodes { id } } }`; // 2 + 250 x 1 = 252, actual too

    const statuses: number[] = [];
    let throttled;
    for (let i = 0; i < 10; i++) {
      const result = await busy(query);
      if (Array.isArray(result.body.errors) && result.body.errors[0]?.extensions?.code === "THROTTLED") {
        throttled = result;
        break;
      }
      statuses.push(result.body.extensions!.cost!.throttleStatus.currentlyAvailable);
    }
    assert.deepEqual(statuses, [1748, 1496, 1244, 992, 740, 488, 236]);
    assert.ok(throttled, "the eighth query should be throttled");
    assert.equal(throttled.status, 200);
    assert.deepEqual(throttled.body.errors, [
      {
        message: "Throttled",
        extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/limits#rate-limits" },
      },
    ]);
    assert.equal(throttled.body.extensions!.cost!.requestedQueryCost, 252);
    assert.equal(throttled.body.extensions!.cost!.actualQueryCost, null);
    assert.equal(throttled.body.extensions!.cost!.throttleStatus.currentlyAvailable, 236);

    // The bucket refills continuously at 100 points per second.
    now += 1_000;
    const cheap = await busy(`{ shop { id } }`);
    assert.equal(cheap.body.extensions!.cost!.throttleStatus.currentlyAvailable, 236 + 100 - 1);
    const retried = await busy(query);
    assert.equal(retried.body.errors, undefined);
    assert.equal(retried.body.extensions!.cost!.throttleStatus.currentlyAvailable, 335 - 252);

    // Buckets are per app and shop: the demo app on the demo shop is unaffected.
    assert.equal((await gql(`{ shop { id } }`)).body.extensions!.cost!.throttleStatus.currentlyAvailable, 1999);
  });

  it("rejects a single query above 1,000 points with MAX_COST_EXCEEDED", async () => {
    const result = await gql(`{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }`);
    const error = firstError(result);
    assert.equal(error.extensions?.code, "MAX_COST_EXCEEDED");
    assert.equal(error.extensions?.maxCost, 1000);
  });
});

describe("inventorySetQuantities run-time rules (2026-04+)", () => {
  it("rejects a quantity without changeFromQuantity and changes nothing", async () => {
    const before = await stockOf("shirt1");
    const result = await gql(SET_QUANTITIES, {
      key: randomUUID(),
      input: {
        name: "available",
        reason: "correction",
        quantities: [{ inventoryItemId: before.itemId, locationId: before.locationId, quantity: 3 }],
      },
    });
    const error = firstError(result);
    assert.equal(error.extensions?.code, "INVALID_FIELD_ARGUMENTS");
    assert.match(error.message, /InventoryQuantityInput must include the following argument: changeFromQuantity/);
    assert.deepEqual(error.path, ["inventorySetQuantities"]);
    assert.equal((await stockOf("shirt1")).available, before.available);
  });

  it("accepts changeFromQuantity: null to skip the compare-and-swap check", async () => {
    const before = await stockOf("shirt1");
    const result = await gql(SET_QUANTITIES, {
      key: randomUUID(),
      input: {
        name: "available",
        reason: "correction",
        quantities: [
          { inventoryItemId: before.itemId, locationId: before.locationId, quantity: 7, changeFromQuantity: null },
        ],
      },
    });
    assert.deepEqual((result.body.data as Json).inventorySetQuantities.userErrors, []);
    assert.equal((await stockOf("shirt1")).available, 7);
  });

  it("requires the @idempotent directive", async () => {
    const before = await stockOf("shirt1");
    const result = await gql(
      `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`,
      {
        input: {
          name: "available",
          reason: "correction",
          quantities: [
            {
              inventoryItemId: before.itemId,
              locationId: before.locationId,
              quantity: 3,
              changeFromQuantity: before.available,
            },
          ],
        },
      },
    );
    const error = firstError(result);
    assert.equal(error.message, "The @idempotent directive is required for this mutation but was not provided.");
    assert.equal(error.extensions?.code, "BAD_REQUEST");
    assert.deepEqual(result.body.data, { inventorySetQuantities: null });
    assert.equal((await stockOf("shirt1")).available, before.available);
  });

  it("replays the original result for the same key and input, without a second change", async () => {
    const before = await stockOf("shirt1");
    const variables = {
      key: randomUUID(),
      input: {
        name: "available",
        reason: "correction",
        referenceDocumentUri: "gid://prokip-sync/StockSync/1",
        quantities: [
          {
            inventoryItemId: before.itemId,
            locationId: before.locationId,
            quantity: before.available - 5,
            changeFromQuantity: before.available,
          },
        ],
      },
    };
    const first = await gql(SET_QUANTITIES, variables);
    const second = await gql(SET_QUANTITIES, variables);
    const group = (first.body.data as Json).inventorySetQuantities.inventoryAdjustmentGroup;
    assert.equal(group.referenceDocumentUri, "gid://prokip-sync/StockSync/1");
    assert.deepEqual(group.changes, [
      { name: "available", delta: -5, quantityAfterChange: before.available - 5 },
      { name: "on_hand", delta: -5, quantityAfterChange: before.onHand - 5 },
    ]);
    assert.deepEqual(second.body.data, first.body.data);
    assert.equal((await stockOf("shirt1")).available, before.available - 5);
  });

  it("answers IDEMPOTENCY_KEY_PARAMETER_MISMATCH for the same key with different input", async () => {
    const before = await stockOf("shirt1");
    const key = randomUUID();
    const input = (quantity: number) => ({
      name: "available",
      reason: "correction",
      quantities: [
        { inventoryItemId: before.itemId, locationId: before.locationId, quantity, changeFromQuantity: null },
      ],
    });
    await gql(SET_QUANTITIES, { key, input: input(10) });
    const result = await gql(SET_QUANTITIES, { key, input: input(11) });
    assert.deepEqual((result.body.data as Json).inventorySetQuantities, {
      inventoryAdjustmentGroup: null,
      userErrors: [
        {
          field: null,
          message: "The same idempotency key cannot be used with different operation parameters.",
          code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
        },
      ],
    });
    assert.equal((await stockOf("shirt1")).available, 10);
  });

  it("fails with CHANGE_FROM_QUANTITY_STALE when the stock moved since it was read", async () => {
    const before = await stockOf("shirt1");
    server.emulator.control.placeOrder({ shop: demo.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
    const result = await gql(SET_QUANTITIES, {
      key: randomUUID(),
      input: {
        name: "available",
        reason: "correction",
        quantities: [
          {
            inventoryItemId: before.itemId,
            locationId: before.locationId,
            quantity: 50,
            changeFromQuantity: before.available,
          },
        ],
      },
    });
    assert.deepEqual((result.body.data as Json).inventorySetQuantities, {
      inventoryAdjustmentGroup: null,
      userErrors: [
        {
          field: ["input", "quantities", "0", "changeFromQuantity"],
          message: "The changeFromQuantity value does not match persisted value.",
          code: "CHANGE_FROM_QUANTITY_STALE",
        },
      ],
    });
    assert.equal((await stockOf("shirt1")).available, before.available - 1);
  });

  it("rejects more than 250 quantities with MAX_INPUT_SIZE_EXCEEDED", async () => {
    const before = await stockOf("shirt1");
    const quantities = Array.from({ length: 251 }, () => ({
      inventoryItemId: before.itemId,
      locationId: before.locationId,
      quantity: 1,
      changeFromQuantity: null,
    }));
    const result = await gql(SET_QUANTITIES, {
      key: randomUUID(),
      input: { name: "available", reason: "correction", quantities },
    });
    const error = firstError(result);
    assert.equal(error.message, "The input array size of 251 is greater than the maximum allowed of 250.");
    assert.deepEqual(error.path, ["inventorySetQuantities", "input", "quantities"]);
    assert.equal(error.extensions?.code, "MAX_INPUT_SIZE_EXCEEDED");
    assert.equal(result.body.data, undefined);
    assert.equal((await stockOf("shirt1")).available, before.available);
  });
});

describe("reading the catalogue", () => {
  it("paginates with first/after and pageInfo until hasNextPage is false", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const result = await gql(
        `query($after: String) { products(first: 5, after: $after) { edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }`,
        { after },
      );
      const products = (result.body.data as Json).products;
      seen.push(...products.edges.map((e: { node: { title: string } }) => e.node.title));
      assert.equal(products.pageInfo.endCursor, products.edges.at(-1)?.cursor ?? null);
      if (!products.pageInfo.hasNextPage) break;
      after = products.pageInfo.endCursor;
    }
    assert.equal(seen.length, demo.products.length);
    assert.equal(new Set(seen).size, seen.length);
  });

  it("requires first or last on connections", async () => {
    const result = await gql(`{ products { nodes { id } } }`);
    assert.equal(firstError(result).message, "you must provide one of first or last");
  });

  it("filters productVariants by sku (exact and prefix) and by updated_at", async () => {
    const exact = await gql(
      `{ productVariants(first: 10, query: "sku:shoe-run-M") { nodes { sku product { title } } } }`,
    );
    assert.deepEqual((exact.body.data as Json).productVariants.nodes, [
      { sku: "shoe-run-M", product: { title: "Running Shoes" } },
    ]);
    const prefix = await gql(`{ productVariants(first: 10, query: "sku:shoe-run-*") { nodes { sku } } }`);
    assert.deepEqual((prefix.body.data as Json).productVariants.nodes.map((n: { sku: string }) => n.sku).sort(), [
      "shoe-run-L",
      "shoe-run-M",
      "shoe-run-S",
    ]);

    const cutoff = new Date(now).toISOString();
    now += 60_000;
    server.emulator.control.setStock({ shop: demo.shop, sku: "mug-ceramic", available: 3 });
    const changed = await gql(
      `query($q: String!) { productVariants(first: 50, query: $q) { nodes { sku inventoryQuantity } } }`,
      { q: `updated_at:>'${cutoff}'` },
    );
    assert.deepEqual((changed.body.data as Json).productVariants.nodes, [{ sku: "mug-ceramic", inventoryQuantity: 3 }]);
  });
});

describe("token exchange", () => {
  function sessionToken(claims: Record<string, unknown>, secret = demo.apiSecret): string {
    const enc = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const head = enc({ alg: "HS256", typ: "JWT" });
    const body = enc(claims);
    return `${head}.${body}.${createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url")}`;
  }
  const validClaims = () => {
    const s = Math.floor(now / 1000);
    return {
      iss: `https://${demo.shop}/admin`,
      dest: `https://${demo.shop}`,
      aud: demo.apiKey,
      sub: "42",
      exp: s + 60,
      nbf: s - 1,
      iat: s - 1,
      jti: randomUUID(),
      sid: randomUUID(),
    };
  };
  const exchange = (subjectToken: string, extra: Record<string, string> = {}) =>
    fetch(`${server.url}/${demo.shop}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        client_id: demo.apiKey,
        client_secret: demo.apiSecret,
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: subjectToken,
        subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
        requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
        ...extra,
      }),
    });

  it("exchanges a valid session token for an offline access token that works on the Admin API", async () => {
    const response = await exchange(sessionToken(validClaims()));
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.match(String(body.access_token), /^shpat_/);
    assert.equal(body.scope, demo.scopes);
    assert.equal(body.expires_in, undefined);
    const result = await graphqlClient(
      server.url,
      demo.shop,
      String(body.access_token),
    )(`{ shop { myshopifyDomain } }`);
    assert.deepEqual(result.body.data, { shop: { myshopifyDomain: demo.shop } });
  });

  it("issues expiring offline tokens with a refresh token when expiring=1, and online tokens with the user", async () => {
    const expiring = (await (await exchange(sessionToken(validClaims()), { expiring: "1" })).json()) as Record<
      string,
      unknown
    >;
    assert.equal(expiring.expires_in, 3600);
    assert.match(String(expiring.refresh_token), /^shprt_/);
    assert.equal(expiring.refresh_token_expires_in, 7_776_000);
    const online = (await (
      await exchange(sessionToken(validClaims()), {
        requested_token_type: "urn:shopify:params:oauth:token-type:online-access-token",
      })
    ).json()) as Json;
    assert.equal(online.associated_user.id, 42);
    assert.equal(typeof online.expires_in, "number");
  });

  it("answers 400 invalid_subject_token for a bad signature, wrong audience, wrong shop or an expired token", async () => {
    const s = Math.floor(now / 1000);
    const bad = [
      sessionToken(validClaims(), "not-the-secret"),
      sessionToken({ ...validClaims(), aud: "another-app" }),
      sessionToken({ ...validClaims(), dest: "https://other.myshopify.com" }),
      sessionToken({ ...validClaims(), exp: s - 3600 }),
    ];
    for (const token of bad) {
      const response = await exchange(token);
      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { error: string }).error, "invalid_subject_token");
    }
  });
});

describe("webhooks", () => {
  it("signs deliveries so @shopify/shopify-api's webhooks.validate accepts them", async () => {
    server.emulator.control.setStock({ shop: demo.shop, sku: "shirt2", available: 12 });
    const [delivery] = await receiver.waitFor(1, "inventory_levels/update");
    const shopify = shopifyApi({
      apiKey: demo.apiKey,
      apiSecretKey: demo.apiSecret,
      apiVersion: ApiVersion.October26,
      hostName: "app.example.com",
      isEmbeddedApp: true,
      logger: { level: 0 },
    });
    const check = await shopify.webhooks.validate({
      rawBody: delivery!.rawBody,
      rawRequest: delivery!.request,
      rawResponse: delivery!.response,
    });
    assert.equal(check.valid, true);
    assert.equal(check.valid && check.topic, "INVENTORY_LEVELS_UPDATE");
    assert.equal(check.valid && check.domain, demo.shop);
    assert.equal(check.valid && check.apiVersion, "2026-10");
    for (const header of ["x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-triggered-at"])
      assert.ok(delivery!.headers[header], header);

    const wrongSecret = shopifyApi({
      apiKey: demo.apiKey,
      apiSecretKey: "wrong",
      apiVersion: ApiVersion.October26,
      hostName: "app.example.com",
      isEmbeddedApp: true,
      logger: { level: 0 },
    });
    assert.equal(
      (
        await wrongSecret.webhooks.validate({
          rawBody: delivery!.rawBody,
          rawRequest: delivery!.request,
          rawResponse: delivery!.response,
        })
      ).valid,
      false,
    );
  });

  it("retries a failing receiver with exponential backoff and the same webhook id", async () => {
    receiver.failNext(3, 500, "inventory_levels/update");
    server.emulator.control.setStock({ shop: demo.shop, sku: "shirt2", available: 13 });
    const attempts = await receiver.waitFor(4, "inventory_levels/update");
    assert.equal(new Set(attempts.map((a) => a.headers["x-shopify-webhook-id"])).size, 1);
    assert.equal(new Set(attempts.map((a) => a.rawBody)).size, 1);
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    // 12 ms, 24 ms, 48 ms: each wait roughly doubles.
    assert.ok(gaps[0]! >= 10 && gaps[1]! >= 22 && gaps[2]! >= 45, `gaps ${gaps.join(", ")}`);
    assert.ok(gaps[2]! > gaps[0]!);
    await server.emulator.control.waitForDeliveries();
    const [record] = server.emulator.control.listDeliveries({ topic: "inventory_levels/update" });
    assert.equal(record!.status, "delivered");
    assert.deepEqual(
      record!.attempts.map((a) => a.status),
      [500, 500, 500, 200],
    );
  });

  it("gives up after 8 retries", async () => {
    receiver.failNext(100, 503, "inventory_levels/update");
    server.emulator.control.setStock({ shop: demo.shop, sku: "shirt2", available: 14 });
    await server.emulator.control.waitForDeliveries();
    const [record] = server.emulator.control.listDeliveries({ topic: "inventory_levels/update" });
    assert.equal(record!.status, "failed");
    assert.equal(record!.attempts.length, 9);
  });
});

describe("orders move stock", () => {
  it("placing an order lowers available, commits the units and fires orders/create and inventory_levels/update", async () => {
    const before = await stockOf("jacket-denim-M");
    const order = server.emulator.control.placeOrder({
      shop: demo.shop,
      lines: [{ sku: "jacket-denim-M", quantity: 2 }],
    });
    const after = await stockOf("jacket-denim-M");
    assert.equal(after.available, before.available - 2);
    assert.equal(after.committed, before.committed + 2);
    assert.equal(after.onHand, before.onHand);

    const [created] = await receiver.waitFor(1, "orders/create");
    const payload = created!.body as Json;
    assert.equal(payload.admin_graphql_api_id, order.id);
    assert.equal(payload.name, "#1001");
    assert.equal(payload.financial_status, "paid");
    assert.equal(payload.line_items[0].sku, "jacket-denim-M");
    assert.equal(payload.line_items[0].quantity, 2);
    assert.equal(payload.line_items[0].current_quantity, 2);

    const [level] = await receiver.waitFor(1, "inventory_levels/update");
    const levelPayload = level!.body as Json;
    assert.equal(`gid://shopify/InventoryItem/${levelPayload.inventory_item_id}`, before.itemId);
    assert.equal(`gid://shopify/Location/${levelPayload.location_id}`, before.locationId);
    assert.equal(levelPayload.available, before.available - 2);
    assert.match(levelPayload.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+03:00$/);
    assert.equal(
      levelPayload.admin_graphql_api_id,
      `gid://shopify/InventoryLevel/${levelPayload.location_id}?inventory_item_id=${levelPayload.inventory_item_id}`,
    );
  });
});

/**
 * Shopify emulator fidelity, compared with the real platform (issue 10, point 15): ids like a live
 * shop's, `callbackUrl` still accepted in 2026-10, `productSet` up to 2,048 variants, page sizes
 * above 250 refused, and order webhook bodies carrying the documented orders/create fields.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, it } from "node:test";
import { loadAdminSchema } from "../scripts/shopify-schema.ts";
import { startShopifyEmulator, type StartedShopifyEmulator } from "../src/shopify/index.ts";
import type { DemoSeed } from "../src/shopify/demo.ts";
import { graphqlClient, startWebhookReceiver, type WebhookReceiver } from "../src/shopify/testing.ts";

let server: StartedShopifyEmulator;
let receiver: WebhookReceiver;
let demo: DemoSeed;
let gql: ReturnType<typeof graphqlClient>;

before(async () => {
  server = await startShopifyEmulator({ schema: await loadAdminSchema(), webhooks: { timeScale: 0.0002 } });
  receiver = await startWebhookReceiver();
});

after(async () => {
  await server.close();
  await receiver.close();
});

beforeEach(async () => {
  await server.emulator.control.reset();
  demo = server.emulator.control.seedDemo({ webhookUri: receiver.url });
  gql = graphqlClient(server.url, demo.shop, demo.accessToken);
  await server.emulator.control.waitForDeliveries();
  receiver.received.length = 0;
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const data = (result: Awaited<ReturnType<typeof gql>>) => result.body.data as any;

describe("ids", () => {
  it("look like a live shop's: 13 digits, the same in gids and webhook bodies", async () => {
    const order = server.emulator.control.placeOrder({ shop: demo.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
    const digits = /\/(\d+)$/u.exec(order.id)![1]!;
    assert.equal(digits.length, 13);
    const [created] = await receiver.waitFor(1, "orders/create");
    assert.match(created!.rawBody, new RegExp(`^\\{"id":${digits},`, "u"));
  });
});

describe("webhookSubscriptionCreate in 2026-10", () => {
  it("still accepts the deprecated callbackUrl and delivers there", async () => {
    const extra = await startWebhookReceiver();
    try {
      const created = data(
        await gql(
          `mutation($url: URL!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: { callbackUrl: $url }) { webhookSubscription { id uri } userErrors { field message } } }`,
          { url: extra.url },
        ),
      ).webhookSubscriptionCreate;
      assert.deepEqual(created.userErrors, []);
      assert.equal(created.webhookSubscription.uri, extra.url);
      server.emulator.control.placeOrder({ shop: demo.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
      const [delivery] = await extra.waitFor(1, "orders/create");
      assert.equal(delivery!.headers["x-shopify-topic"], "orders/create");
    } finally {
      await extra.close();
    }
  });

  it("names the field it was given when that address is invalid", async () => {
    const result = data(
      await gql(
        `mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: { callbackUrl: "ftp://example.com/hooks" }) { webhookSubscription { id } userErrors { field message } } }`,
      ),
    ).webhookSubscriptionCreate;
    assert.deepEqual(result, {
      webhookSubscription: null,
      userErrors: [{ field: ["webhookSubscription", "callbackUrl"], message: "Address is invalid" }],
    });
  });
});

describe("productSet", () => {
  const PRODUCT_SET = `mutation($input: ProductSetInput!) { productSet(input: $input) { product { id variantsCount { count } } userErrors { field message code } } }`;
  // Two options of 64 and 32 values: a product can have 2,048 variants.
  const input = (count: number) => ({
    title: `Grid ${count}`,
    productOptions: [
      { name: "Row", values: Array.from({ length: 64 }, (_, i) => ({ name: `r${i}` })) },
      { name: "Column", values: Array.from({ length: 33 }, (_, i) => ({ name: `c${i}` })) },
    ],
    variants: Array.from({ length: count }, (_, i) => ({
      optionValues: [
        { optionName: "Row", name: `r${i % 64}` },
        { optionName: "Column", name: `c${Math.floor(i / 64)}` },
      ],
      sku: `grid-${count}-${i}`,
      price: "10.00",
    })),
  });

  it("takes 2,048 variants in one call (past the 250 of other input lists)", async () => {
    const result = await gql(PRODUCT_SET, { input: input(2048) });
    assert.equal(result.body.errors, undefined);
    const payload = data(result).productSet;
    assert.deepEqual(payload.userErrors, []);
    assert.equal(payload.product.variantsCount.count, 2048);
  });

  it("refuses 2,049 variants with VARIANTS_OVER_LIMIT and creates nothing", async () => {
    const payload = data(await gql(PRODUCT_SET, { input: input(2049) })).productSet;
    assert.equal(payload.product, null);
    assert.deepEqual(
      payload.userErrors.map((e: { field: string[]; code: string }) => [e.field, e.code]),
      [[["input", "variants"], "VARIANTS_OVER_LIMIT"]],
    );
    const found = data(await gql(`{ products(first: 5, query: "title:'Grid 2049'") { nodes { id } } }`));
    assert.deepEqual(found.products.nodes, []);
  });
});

describe("connection page sizes", () => {
  for (const argument of ["first", "last"]) {
    it(`answers ${argument}: 251 with an error, and ${argument}: 250 with a page`, async () => {
      const refused = await gql(`{ products(${argument}: 251) { nodes { id } } }`);
      assert.equal(refused.status, 200);
      assert.equal(refused.body.data, null);
      const errors = refused.body.errors as { message: string; path: string[]; extensions: { code: string } }[];
      assert.equal(errors.length, 1);
      assert.deepEqual(errors[0]!.path, ["products"]);
      assert.equal(errors[0]!.extensions.code, "BAD_REQUEST");
      assert.match(errors[0]!.message, new RegExp(`${argument}: 251 exceeds the maximum page size of 250`, "u"));

      const page = await gql(`{ products(${argument}: 250) { nodes { id } } }`);
      assert.equal(page.body.errors, undefined);
      assert.ok(data(page).products.nodes.length > 0);
    });
  }
});

describe("order webhook bodies", () => {
  // Shopify's documented orders/create example (core/test/fixtures/shopify/README.md).
  const documented = JSON.parse(
    readFileSync(new URL("../../core/test/fixtures/shopify/orders-create.json", import.meta.url), "utf8"),
  ) as Record<string, unknown>;
  const keys = (value: unknown) => Object.keys(value as object).sort();
  const missing = (documentedValue: unknown, emulated: unknown) =>
    keys(documentedValue).filter((key) => !keys(emulated).includes(key));

  it("carry every field of the documented orders/create example: money sets, addresses, customer, lines", async () => {
    server.emulator.control.placeOrder({
      shop: demo.shop,
      email: "buyer@example.com",
      lines: [{ sku: "shirt1", quantity: 2 }],
    });
    const [created] = await receiver.waitFor(1, "orders/create");
    const order = created!.body as Record<string, Record<string, unknown>>;
    assert.deepEqual(missing(documented, order), []);
    for (const nested of ["billing_address", "shipping_address", "customer", "total_price_set"]) {
      assert.deepEqual(missing(documented[nested], order[nested]), [], nested);
    }
    const documentedLine = (documented.line_items as unknown[])[0];
    assert.deepEqual(missing(documentedLine, (order.line_items as unknown as unknown[])[0]), []);
    assert.deepEqual(
      missing((documented.customer as Record<string, unknown>).default_address, order.customer!.default_address),
      [],
    );

    // The money sets agree with the plain amounts, in the shop's currency.
    const demoCurrency = (order.currency as unknown as string) ?? "";
    assert.deepEqual(order.total_price_set, {
      shop_money: { amount: order.total_price, currency_code: demoCurrency },
      presentment_money: { amount: order.total_price, currency_code: demoCurrency },
    });
    assert.equal(order.customer!.email, "buyer@example.com");
    assert.equal(order.customer!.admin_graphql_api_id, `gid://shopify/Customer/${String(order.customer!.id)}`);
  });
});

/**
 * End-to-end flows through the Shopify emulator: order lifecycle and its stock effects, product
 * pushes, bulk operations, webhook subscriptions, uninstall, faults, the control API over HTTP,
 * and the official @shopify/shopify-api client talking to the emulator.
 */
import "@shopify/shopify-api/adapters/node";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { ApiVersion, RequestedTokenType, shopifyApi } from "@shopify/shopify-api";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
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
  server = await startShopifyEmulator({
    clock,
    schema: await loadAdminSchema(),
    webhooks: { timeScale: 0.0001 },
    bulkOperationDelayMs: 5,
  });
  receiver = await startWebhookReceiver();
});

after(async () => {
  await server.close();
  await receiver.close();
});

beforeEach(async () => {
  const control = server.emulator.control;
  await control.reset();
  control.setFaultPlan({});
  demo = control.seedDemo({ webhookUri: receiver.url });
  gql = graphqlClient(server.url, demo.shop, demo.accessToken);
  await control.waitForDeliveries();
  control.clearDeliveries();
  receiver.received.length = 0;
});

const data = (result: { body: { data?: unknown; errors?: unknown } }): Json => {
  assert.equal(result.body.errors, undefined, JSON.stringify(result.body.errors));
  return result.body.data;
};

async function available(sku: string): Promise<{ available: number; committed: number; on_hand: number }> {
  const stock = server.emulator.control.getStock({ shop: demo.shop, sku });
  return { available: stock["available"]!, committed: stock["committed"]!, on_hand: stock["on_hand"]! };
}

describe("order lifecycle", () => {
  it("cancel with restock returns the units and reports a CANCEL refund", async () => {
    const control = server.emulator.control;
    const start = await available("bag-tote");
    const order = control.placeOrder({ shop: demo.shop, lines: [{ sku: "bag-tote", quantity: 3 }] });
    assert.equal((await available("bag-tote")).available, start.available - 3);
    control.cancelOrder({ shop: demo.shop, order: order.id, restock: true });
    assert.deepEqual(await available("bag-tote"), start);

    const [cancelled] = await receiver.waitFor(1, "orders/cancelled");
    const payload = cancelled!.body as Json;
    assert.ok(payload.cancelled_at);
    assert.equal(payload.cancel_reason, "customer");
    assert.equal(payload.refunds[0].refund_line_items[0].restock_type, "cancel");
    assert.equal(payload.line_items[0].current_quantity, 0);
    await receiver.waitFor(1, "refunds/create");
  });

  it("cancel without restock takes the units out of stock for good", async () => {
    const control = server.emulator.control;
    const start = await available("bag-tote");
    const order = control.placeOrder({ shop: demo.shop, lines: [{ sku: "bag-tote", quantity: 2 }] });
    control.cancelOrder({ shop: demo.shop, order: order.name, restock: false });
    assert.deepEqual(await available("bag-tote"), {
      available: start.available - 2,
      committed: 0,
      on_hand: start.on_hand - 2,
    });
  });

  it("refund with restock returns stock and shows in the GraphQL order with refundable quantities", async () => {
    const control = server.emulator.control;
    const start = await available("cap-base");
    const order = control.placeOrder({
      shop: demo.shop,
      lines: [
        { sku: "cap-base", quantity: 4 },
        { sku: "mug-ceramic", quantity: 1 },
      ],
    });
    const refund = control.refundOrder({
      shop: demo.shop,
      order: order.id,
      restock: true,
      lines: [{ sku: "cap-base", quantity: 1 }],
    });
    assert.equal((await available("cap-base")).available, start.available - 3);

    const [created] = await receiver.waitFor(1, "refunds/create");
    const payload = created!.body as Json;
    assert.equal(payload.admin_graphql_api_id, refund.refundId);
    assert.deepEqual(
      payload.refund_line_items.map((l: Json) => ({
        line_item_id: l.line_item_id,
        quantity: l.quantity,
        restock_type: l.restock_type,
      })),
      [{ line_item_id: Number(order.lineItems[0]!.id.split("/").pop()), quantity: 1, restock_type: "cancel" }],
    );

    const result = data(
      await gql(
        `query($id: ID!) { order(id: $id) { name displayFinancialStatus cancelledAt updatedAt
          lineItems(first: 5) { nodes { sku quantity currentQuantity refundableQuantity } }
          refunds { id refundLineItems(first: 5) { nodes { quantity restockType lineItem { sku } } } } } }`,
        { id: order.id },
      ),
    );
    assert.equal(result.order.displayFinancialStatus, "PARTIALLY_REFUNDED");
    assert.deepEqual(result.order.lineItems.nodes[0], {
      sku: "cap-base",
      quantity: 4,
      currentQuantity: 3,
      refundableQuantity: 3,
    });
    assert.deepEqual(result.order.refunds[0].refundLineItems.nodes, [
      { quantity: 1, restockType: "CANCEL", lineItem: { sku: "cap-base" } },
    ]);
  });

  it("an order edit lowers a line, restocks it and fires orders/edited", async () => {
    const control = server.emulator.control;
    const start = await available("note-a5");
    const order = control.placeOrder({ shop: demo.shop, lines: [{ sku: "note-a5", quantity: 5 }] });
    control.editOrder({ shop: demo.shop, order: order.id, sku: "note-a5", quantity: 2 });
    assert.equal((await available("note-a5")).available, start.available - 2);
    const [edited] = await receiver.waitFor(1, "orders/edited");
    assert.deepEqual((edited!.body as Json).order_edit.line_items.removals, [
      { id: Number(order.lineItems[0]!.id.split("/").pop()), delta: 3 },
    ]);
  });

  it("unpaid orders become paid with orders/paid; orders(query: updated_at:>) finds changed orders", async () => {
    const control = server.emulator.control;
    const first = control.placeOrder({ shop: demo.shop, lines: [{ sku: "pen-pack", quantity: 1 }], paid: false });
    const cutoff = new Date(now).toISOString();
    now += 60_000;
    control.placeOrder({ shop: demo.shop, lines: [{ sku: "pen-pack", quantity: 1 }] });
    now += 60_000;
    control.markPaid({ shop: demo.shop, order: first.id });
    await receiver.waitFor(2, "orders/paid");
    const result = data(
      await gql(
        `query($q: String!) { orders(first: 10, query: $q, sortKey: UPDATED_AT) { nodes { name displayFinancialStatus } } }`,
        { q: `updated_at:>'${cutoff}'` },
      ),
    );
    assert.deepEqual(result.orders.nodes, [
      { name: "#1002", displayFinancialStatus: "PAID" },
      { name: "#1001", displayFinancialStatus: "PAID" },
    ]);
  });

  it("refuses to oversell a DENY variant unless asked to", async () => {
    const control = server.emulator.control;
    const stock = (await available("sun-01")).available;
    assert.throws(
      () => control.placeOrder({ shop: demo.shop, lines: [{ sku: "sun-01", quantity: stock + 1 }] }),
      /insufficient|Only/,
    );
    control.placeOrder({ shop: demo.shop, lines: [{ sku: "sun-01", quantity: stock + 1 }], allowOversell: true });
    assert.equal((await available("sun-01")).available, -1);
  });
});

describe("pushing products", () => {
  const locationId = () => demo.locations[0]!.id;

  it("productSet creates a sized product with stock, then deletes variants left out of a later call", async () => {
    const create = data(
      await gql(
        `mutation($input: ProductSetInput!) { productSet(input: $input) { product { id handle options { name values } variants(first: 10) { nodes { sku price inventoryQuantity selectedOptions { name value } } } } userErrors { field message code } } }`,
        {
          input: {
            title: "Rain Jacket",
            productOptions: [{ name: "Size", values: [{ name: "Small" }, { name: "Large" }] }],
            variants: [
              {
                optionValues: [{ optionName: "Size", name: "Small" }],
                sku: "jacket-rain-S",
                price: "5200.00",
                inventoryQuantities: [{ locationId: locationId(), name: "available", quantity: 4 }],
              },
              {
                optionValues: [{ optionName: "Size", name: "Large" }],
                sku: "jacket-rain-L",
                price: "5200.00",
                inventoryQuantities: [{ locationId: locationId(), name: "available", quantity: 2 }],
              },
            ],
          },
        },
      ),
    ).productSet;
    assert.deepEqual(create.userErrors, []);
    assert.equal(create.product.handle, "rain-jacket");
    assert.deepEqual(create.product.options, [{ name: "Size", values: ["Small", "Large"] }]);
    assert.deepEqual(
      create.product.variants.nodes.map((v: Json) => [v.sku, v.inventoryQuantity]),
      [
        ["jacket-rain-S", 4],
        ["jacket-rain-L", 2],
      ],
    );
    await receiver.waitFor(1, "products/create");

    const update = data(
      await gql(
        `mutation($id: ID!, $input: ProductSetInput!) { productSet(identifier: { id: $id }, input: $input) { product { options { values } variants(first: 10) { nodes { sku price } } } userErrors { code } } }`,
        {
          id: create.product.id,
          input: {
            productOptions: [{ name: "Size", values: [{ name: "Small" }] }],
            variants: [
              { optionValues: [{ optionName: "Size", name: "Small" }], sku: "jacket-rain-S", price: "4999.00" },
            ],
          },
        },
      ),
    ).productSet;
    assert.deepEqual(update.product.variants.nodes, [{ sku: "jacket-rain-S", price: "4999.00" }]);
    assert.deepEqual(update.product.options, [{ values: ["Small"] }]);
    // Stocking the new variants already sent products/update; the last one reflects the update.
    await server.emulator.control.waitForDeliveries();
    const updates = receiver.received.filter((r) => r.topic === "products/update");
    assert.deepEqual(
      (updates.at(-1)!.body as Json).variants.map((v: Json) => v.sku),
      ["jacket-rain-S"],
    );
  });

  it("productSet reports userErrors for unknown option values", async () => {
    const result = data(
      await gql(
        `mutation($input: ProductSetInput!) { productSet(input: $input) { product { id } userErrors { field code } } }`,
        {
          input: {
            title: "Odd",
            productOptions: [{ name: "Size", values: [{ name: "S" }] }],
            variants: [{ optionValues: [{ optionName: "Size", name: "XL" }] }],
          },
        },
      ),
    );
    assert.deepEqual(result.productSet, {
      product: null,
      userErrors: [{ field: ["input", "variants", "0", "optionValues"], code: "OPTION_VALUE_DOES_NOT_EXIST" }],
    });
  });

  it("productCreate + productVariantsBulkCreate replaces the standalone default variant; bulkUpdate changes price and SKU", async () => {
    const product = data(
      await gql(
        `mutation { productCreate(product: { title: "Yoga Mat", productOptions: [{ name: "Colour", values: [{ name: "Blue" }] }] }) { product { id variants(first: 5) { nodes { id title } } } userErrors { message } } }`,
      ),
    ).productCreate.product;
    assert.deepEqual(
      product.variants.nodes.map((v: Json) => v.title),
      ["Blue"],
    );

    const created = data(
      await gql(
        `mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkCreate(productId: $id, variants: $variants) { productVariants { id sku inventoryQuantity } userErrors { field message code } } }`,
        {
          id: product.id,
          variants: [
            {
              optionValues: [{ optionName: "Colour", name: "Green" }],
              price: "2100",
              inventoryItem: { sku: "mat-yoga-G" },
              inventoryQuantities: [{ locationId: locationId(), availableQuantity: 6 }],
            },
          ],
        },
      ),
    ).productVariantsBulkCreate;
    assert.deepEqual(created.userErrors, []);
    assert.deepEqual(
      created.productVariants.map((v: Json) => [v.sku, v.inventoryQuantity]),
      [["mat-yoga-G", 6]],
    );

    const updated = data(
      await gql(
        `mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $id, variants: $variants) { productVariants { sku price } userErrors { code } } }`,
        {
          id: product.id,
          variants: [{ id: created.productVariants[0].id, price: "1999.50", inventoryItem: { sku: "mat-yoga-green" } }],
        },
      ),
    ).productVariantsBulkUpdate;
    assert.deepEqual(updated, { productVariants: [{ sku: "mat-yoga-green", price: "1999.50" }], userErrors: [] });

    const refused = data(
      await gql(
        `mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $id, variants: $variants) { userErrors { code } } }`,
        {
          id: product.id,
          variants: [
            {
              id: created.productVariants[0].id,
              inventoryQuantities: [{ locationId: locationId(), availableQuantity: 1 }],
            },
          ],
        },
      ),
    ).productVariantsBulkUpdate;
    assert.deepEqual(refused.userErrors, [{ code: "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE" }]);
  });

  it("inventoryAdjustQuantities applies deltas with compare-and-swap", async () => {
    const start = await available("lamp-desk");
    const item = data(
      await gql(`{ productVariants(first: 1, query: "sku:lamp-desk") { nodes { inventoryItem { id } } } }`),
    ).productVariants.nodes[0].inventoryItem.id;
    const mutation = `mutation($input: InventoryAdjustQuantitiesInput!, $key: String!) { inventoryAdjustQuantities(input: $input) @idempotent(key: $key) { inventoryAdjustmentGroup { changes { name delta quantityAfterChange } } userErrors { code } } }`;
    const ok = data(
      await gql(mutation, {
        key: randomUUID(),
        input: {
          name: "available",
          reason: "received",
          changes: [{ inventoryItemId: item, locationId: locationId(), delta: 5, changeFromQuantity: start.available }],
        },
      }),
    ).inventoryAdjustQuantities;
    assert.deepEqual(ok.inventoryAdjustmentGroup.changes, [
      { name: "available", delta: 5, quantityAfterChange: start.available + 5 },
      { name: "on_hand", delta: 5, quantityAfterChange: start.on_hand + 5 },
    ]);
    const stale = data(
      await gql(mutation, {
        key: randomUUID(),
        input: {
          name: "available",
          reason: "received",
          changes: [{ inventoryItemId: item, locationId: locationId(), delta: 5, changeFromQuantity: start.available }],
        },
      }),
    ).inventoryAdjustQuantities;
    assert.deepEqual(stale.userErrors, [{ code: "CHANGE_FROM_QUANTITY_STALE" }]);
    const missing = await gql(mutation, {
      key: randomUUID(),
      input: {
        name: "available",
        reason: "received",
        changes: [{ inventoryItemId: item, locationId: locationId(), delta: 1 }],
      },
    });
    assert.equal(firstError(missing).extensions?.code, "INVALID_FIELD_ARGUMENTS");
    assert.equal((await available("lamp-desk")).available, start.available + 5);
  });
});

describe("bulk operations", () => {
  it("runs a bulk query, serves JSONL with __parentId and sends bulk_operations/finish", async () => {
    const started = data(
      await gql(`mutation { bulkOperationRunQuery(query: """
        { products { edges { node { id title variants { edges { node { id sku inventoryQuantity } } } } } } }
      """) { bulkOperation { id status } userErrors { field message code } } }`),
    ).bulkOperationRunQuery;
    assert.deepEqual(started.userErrors, []);
    assert.equal(started.bulkOperation.status, "CREATED");

    const [finish] = await receiver.waitFor(1, "bulk_operations/finish");
    assert.equal((finish!.body as Json).admin_graphql_api_id, started.bulkOperation.id);
    assert.equal((finish!.body as Json).status, "completed");

    const op = data(
      await gql(
        `query($id: ID!) { node(id: $id) { ... on BulkOperation { status url objectCount rootObjectCount } } }`,
        { id: started.bulkOperation.id },
      ),
    ).node;
    assert.equal(op.status, "COMPLETED");
    const current = data(await gql(`{ currentBulkOperation { id status } }`)).currentBulkOperation;
    assert.deepEqual(current, { id: started.bulkOperation.id, status: "COMPLETED" });

    const lines = (await (await fetch(op.url)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const variantCount = demo.products.reduce((n, p) => n + p.variants.length, 0);
    assert.equal(lines.length, demo.products.length + variantCount);
    assert.equal(Number(op.objectCount), lines.length);
    assert.equal(Number(op.rootObjectCount), demo.products.length);
    const jacket = lines.find((l) => l.title === "Denim Jacket");
    const children = lines.filter((l) => l.__parentId === jacket.id);
    assert.deepEqual(
      children.map((c) => c.sku),
      ["jacket-denim-S", "jacket-denim-M", "jacket-denim-L"],
    );
    assert.equal(jacket.variants, undefined);
    // Children follow their parent line.
    assert.equal(lines.indexOf(children[0]), lines.indexOf(jacket) + 1);
  });

  it("rejects bulk queries without a connection or with too deep nesting", async () => {
    const none = data(
      await gql(
        `mutation { bulkOperationRunQuery(query: "{ shop { name } }") { bulkOperation { id } userErrors { field code } } }`,
      ),
    ).bulkOperationRunQuery;
    assert.deepEqual(none.userErrors, [{ field: ["query"], code: "INVALID" }]);
    const deep = data(
      await gql(
        `mutation { bulkOperationRunQuery(query: "{ products { edges { node { id variants { edges { node { id inventoryItem { id inventoryLevels { edges { node { id } } } } } } } } } } }") { userErrors { code message } } }`,
      ),
    ).bulkOperationRunQuery;
    assert.equal(deep.userErrors[0].code, "INVALID");
  });
});

describe("webhook subscriptions and uninstall", () => {
  it("webhookSubscriptionCreate subscribes this app; deliveries follow, list and delete work", async () => {
    const extra = await startWebhookReceiver();
    try {
      const created = data(
        await gql(
          `mutation($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: { uri: $uri, format: JSON }) { webhookSubscription { id topic uri } userErrors { field message } } }`,
          {
            uri: extra.url,
          },
        ),
      ).webhookSubscriptionCreate;
      assert.deepEqual(created.userErrors, []);
      const list = data(
        await gql(
          `{ webhookSubscriptions(first: 10) { nodes { id topic uri endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } } } }`,
        ),
      ).webhookSubscriptions.nodes;
      assert.deepEqual(list, [
        { ...created.webhookSubscription, endpoint: { __typename: "WebhookHttpEndpoint", callbackUrl: extra.url } },
      ]);

      server.emulator.control.placeOrder({ shop: demo.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
      const [fromSubscription] = await extra.waitFor(1, "orders/create");
      const [fromConfig] = await receiver.waitFor(1, "orders/create");
      // One delivery per subscription: same event, different webhook ids.
      assert.equal(fromSubscription!.headers["x-shopify-event-id"], fromConfig!.headers["x-shopify-event-id"]);
      assert.notEqual(fromSubscription!.headers["x-shopify-webhook-id"], fromConfig!.headers["x-shopify-webhook-id"]);

      const deleted = data(
        await gql(
          `mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { message } } }`,
          { id: created.webhookSubscription.id },
        ),
      ).webhookSubscriptionDelete;
      assert.deepEqual(deleted, { deletedWebhookSubscriptionId: created.webhookSubscription.id, userErrors: [] });
    } finally {
      await extra.close();
    }
  });

  it("uninstalling sends app/uninstalled and revokes the token", async () => {
    server.emulator.control.uninstallApp({ shop: demo.shop, apiKey: demo.apiKey });
    const [uninstalled] = await receiver.waitFor(1, "app/uninstalled");
    assert.equal((uninstalled!.body as Json).myshopify_domain, demo.shop);
    assert.equal((await gql(`{ shop { id } }`)).status, 401);
  });
});

describe("app-scoped subscriptions (shopify.app.toml) and the demo shop", () => {
  it("a shop that installs the app gets its configured subscriptions; the demo shop, seeded with appWebhooks, does not", async () => {
    const control = server.emulator.control;
    await control.reset();
    const appReceiver = await startWebhookReceiver();
    try {
      const seeded = control.seedDemo({
        appWebhooks: [{ topics: ["orders/create", "app/uninstalled"], uri: `${appReceiver.url}/webhooks/sync` }],
      });
      control.createShop({ domain: "sandbox-abc123.myshopify.com" });
      control.createProduct({
        shop: "sandbox-abc123.myshopify.com",
        title: "Mug",
        variants: [{ sku: "mug", price: "5.00", stock: 10 }],
      });
      control.installApp({ shop: "sandbox-abc123.myshopify.com", apiKey: seeded.apiKey });

      control.placeOrder({ shop: "sandbox-abc123.myshopify.com", lines: [{ sku: "mug", quantity: 1 }] });
      control.placeOrder({ shop: seeded.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
      await control.waitForDeliveries();
      const orders = control.listDeliveries({ topic: "orders/create" });
      assert.deepEqual(
        orders.map((d) => ({ shop: d.shop, uri: d.uri, subscriptionId: d.subscriptionId, status: d.status })),
        [
          {
            shop: "sandbox-abc123.myshopify.com",
            uri: `${appReceiver.url}/webhooks/sync`,
            subscriptionId: null,
            status: "delivered",
          },
        ],
      );
      assert.equal(appReceiver.received.length, 1);

      // Shop-scoped subscriptions still reach the demo shop as before.
      const seededGql = graphqlClient(server.url, seeded.shop, seeded.accessToken);
      const created = data(
        await seededGql(
          `mutation($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: { uri: $uri, format: JSON }) { userErrors { message } } }`,
          { uri: receiver.url },
        ),
      ).webhookSubscriptionCreate;
      assert.deepEqual(created.userErrors, []);
      control.placeOrder({ shop: seeded.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
      const [delivered] = await receiver.waitFor(1, "orders/create");
      assert.equal(delivered!.headers["x-shopify-shop-domain"], seeded.shop);
      assert.equal(appReceiver.received.length, 1);
    } finally {
      await appReceiver.close();
    }
  });

  it("refuses webhookUri and appWebhooks together, and topics the emulator does not know", async () => {
    const control = server.emulator.control;
    await control.reset();
    assert.throws(
      () =>
        control.seedDemo({ webhookUri: receiver.url, appWebhooks: [{ topics: ["orders/create"], uri: receiver.url }] }),
      /not both/u,
    );
    await control.reset();
    assert.throws(
      () => control.seedDemo({ appWebhooks: [{ topics: ["customers/redact"], uri: receiver.url }] }),
      /invalid_input|Invalid/u,
    );
  });
});

describe("faults", () => {
  it("injects 5xx answers and 429 bursts on API requests from the seeded plan", async () => {
    server.emulator.control.setFaultPlan({ seed: 7, throttleBurstRate: 1, throttleBurstLength: 2 });
    const first = await gql(`{ shop { id } }`);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get("retry-after"), "1.0");
    server.emulator.control.setFaultPlan({ seed: 7, errorRate: 1 });
    assert.ok([500, 502, 503].includes((await gql(`{ shop { id } }`)).status));
    server.emulator.control.setFaultPlan({});
    assert.equal((await gql(`{ shop { id } }`)).status, 200);
  });

  it("drops or duplicates webhook deliveries from the seeded plan", async () => {
    const control = server.emulator.control;
    control.setFaultPlan({ webhookCopies: 2 });
    control.setStock({ shop: demo.shop, sku: "shirt1", available: 1 });
    const copies = await receiver.waitFor(2, "inventory_levels/update");
    assert.equal(copies[0]!.headers["x-shopify-event-id"], copies[1]!.headers["x-shopify-event-id"]);
    control.setFaultPlan({ webhookDropRate: 1 });
    control.setStock({ shop: demo.shop, sku: "shirt1", available: 2 });
    await control.waitForDeliveries();
    assert.equal(control.listDeliveries({ topic: "inventory_levels/update" }).at(-1)!.status, "dropped");
  });
});

describe("fault: held-back webhooks", () => {
  it("delivers held-back webhooks after later ones (seeded, reproducible)", async () => {
    const control = server.emulator.control;
    control.setFaultPlan({ seed: 3, webhookReorderRate: 0.5 });
    for (let i = 1; i <= 8; i++) {
      control.setStock({ shop: demo.shop, sku: "shirt1", available: i });
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await control.waitForDeliveries();
    const order = receiver.received
      .filter((r) => r.topic === "inventory_levels/update")
      .map((r) => (r.body as { available: number }).available);
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    assert.notDeepEqual(order, [1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("control API over HTTP", () => {
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}/_control/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  it("validates input and answers 400 {error:{code,message}}", async () => {
    const response = await post("shops", { domain: "not a domain" });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "invalid_input");
    assert.match(body.error.message, /myshopify\.com/);
  });

  it("creates a shop, app, install and order over HTTP", async () => {
    assert.equal(
      (await post("shops", { domain: "http-shop.myshopify.com", plan: "plus", locations: [{ name: "Main" }] })).status,
      201,
    );
    assert.equal((await post("apps", { apiKey: "k", apiSecret: "s" })).status, 201);
    const { accessToken } = (await (
      await post("apps/install", { shop: "http-shop.myshopify.com", apiKey: "k" })
    ).json()) as { accessToken: string };
    assert.equal(
      (
        await post("products", {
          shop: "http-shop.myshopify.com",
          title: "Thing",
          variants: [{ sku: "T-1", price: "10", stock: 5 }],
        })
      ).status,
      201,
    );
    assert.equal(
      (await post("orders", { shop: "http-shop.myshopify.com", lines: [{ sku: "T-1", quantity: 2 }] })).status,
      201,
    );
    const stock = (await (
      await fetch(`${server.url}/_control/stock?shop=http-shop.myshopify.com&sku=T-1`)
    ).json()) as Record<string, number>;
    assert.equal(stock["available"], 3);
    const cost = (await graphqlClient(server.url, "http-shop.myshopify.com", accessToken)(`{ shop { id } }`)).body
      .extensions!.cost!;
    assert.deepEqual([cost.throttleStatus.maximumAvailable, cost.throttleStatus.restoreRate], [20000, 1000]);
    assert.equal(
      (await post("orders", { shop: "http-shop.myshopify.com", lines: [{ sku: "nope", quantity: 1 }] })).status,
      404,
    );
  });
});

describe("@shopify/shopify-api against the emulator", () => {
  it("token exchange and the GraphQL client work through setAbstractFetchFunc", async () => {
    // Route the library's https://{shop}/... calls to the emulator, as the product's tests will.
    setAbstractFetchFunc(async (input, init) => {
      const url = new URL(String(input));
      return fetch(`${server.url}/${url.host}${url.pathname}${url.search}`, init as RequestInit);
    });
    const shopify = shopifyApi({
      apiKey: demo.apiKey,
      apiSecretKey: demo.apiSecret,
      apiVersion: ApiVersion.October26,
      hostName: "app.example.com",
      isEmbeddedApp: true,
      scopes: demo.scopes.split(","),
      logger: { level: 0 },
    });
    // The library checks the session token against the real clock, so mint it at real time.
    now = Date.now();
    const sessionToken = server.emulator.control.mintSessionToken({ shop: demo.shop, apiKey: demo.apiKey });
    const { session } = await shopify.auth.tokenExchange({
      shop: demo.shop,
      sessionToken,
      requestedTokenType: RequestedTokenType.OfflineAccessToken,
      expiring: true,
    });
    assert.equal(session.isOnline, false);
    assert.ok(session.refreshToken);
    const client = new shopify.clients.Graphql({ session });
    const response = await client.request(`{ productVariants(first: 1, query: "sku:shirt1") { nodes { sku } } }`);
    assert.deepEqual(response.data, { productVariants: { nodes: [{ sku: "shirt1" }] } });
    assert.equal(typeof response.extensions?.cost?.requestedQueryCost, "number");
  });
});

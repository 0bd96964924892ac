/**
 * The emulator with ids beyond 2^53 (`idBase`), as in Shopify's documented sample payloads
 * (`820982911946154508`): GraphQL ids, REST webhook bodies and the control API all carry the same
 * exact digits, and a client reading them through a JS number gets a different id. Its own file:
 * the id base is per process.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadAdminSchema } from "../scripts/shopify-schema.ts";
import { startShopifyEmulator, type StartedShopifyEmulator } from "../src/shopify/index.ts";
import type { DemoSeed } from "../src/shopify/demo.ts";
import { graphqlClient, startWebhookReceiver, type WebhookReceiver } from "../src/shopify/testing.ts";

const ID_BASE = 900_000_000_000_000_000n;
let server: StartedShopifyEmulator;
let receiver: WebhookReceiver;
let demo: DemoSeed;
let gql: ReturnType<typeof graphqlClient>;

before(async () => {
  server = await startShopifyEmulator({
    schema: await loadAdminSchema(),
    webhooks: { timeScale: 0.0002 },
    idBase: ID_BASE,
  });
  receiver = await startWebhookReceiver();
  demo = server.emulator.control.seedDemo({ webhookUri: receiver.url });
  gql = graphqlClient(server.url, demo.shop, demo.accessToken);
  await server.emulator.control.waitForDeliveries();
  receiver.received.length = 0;
});

after(async () => {
  await server.close();
  await receiver.close();
});

const digitsOf = (gid: string) => /\/(\d+)(?:\?|$)/u.exec(gid)![1]!;
const beyondJsNumbers = (digits: string) => BigInt(digits) > BigInt(Number.MAX_SAFE_INTEGER);

describe("ids beyond 2^53", () => {
  it("an order's webhook body carries the gid's exact digits as bare JSON integers", async () => {
    const order = server.emulator.control.placeOrder({
      shop: demo.shop,
      email: "buyer@example.com",
      lines: [{ sku: "shirt1", quantity: 1 }],
    });
    const orderDigits = digitsOf(order.id);
    assert.ok(beyondJsNumbers(orderDigits), `${orderDigits} is beyond 2^53`);
    const [created] = await receiver.waitFor(1, "orders/create");
    assert.match(created!.rawBody, new RegExp(`"id":${orderDigits},`, "u"));
    assert.match(created!.rawBody, new RegExp(`"id":${digitsOf(order.lineItems[0]!.id)},`, "u"));
    // What JSON.parse makes of it is another order.
    assert.notEqual(String((created!.body as { id: number }).id), orderDigits);
  });

  it("GraphQL finds the order by that gid and shows the same legacyResourceId", async () => {
    const order = server.emulator.control.placeOrder({ shop: demo.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
    const result = await gql(
      `query($id: ID!) { order(id: $id) { id legacyResourceId lineItems(first: 5) { nodes { id } } } }`,
      {
        id: order.id,
      },
    );
    const found = (
      result.body.data as { order: { id: string; legacyResourceId: string; lineItems: { nodes: { id: string }[] } } }
    ).order;
    assert.equal(found.id, order.id);
    assert.equal(found.legacyResourceId, digitsOf(order.id));
    assert.deepEqual(
      found.lineItems.nodes.map((n) => n.id),
      order.lineItems.map((l) => l.id),
    );
    const byQuery = await gql(`query($q: String!) { orders(first: 5, query: $q) { nodes { id } } }`, {
      q: `id:${digitsOf(order.id)}`,
    });
    assert.deepEqual((byQuery.body.data as { orders: { nodes: { id: string }[] } }).orders.nodes, [{ id: order.id }]);
  });

  it("a refund through the control API by gid sends refunds/create naming the exact order id", async () => {
    const order = server.emulator.control.placeOrder({ shop: demo.shop, lines: [{ sku: "shirt1", quantity: 2 }] });
    receiver.received.length = 0;
    server.emulator.control.refundOrder({
      shop: demo.shop,
      order: order.id,
      restock: true,
      lines: [{ sku: "shirt1", quantity: 1 }],
    });
    const [refund] = await receiver.waitFor(1, "refunds/create");
    assert.match(refund!.rawBody, new RegExp(`"order_id":${digitsOf(order.id)},`, "u"));
    assert.match(refund!.rawBody, new RegExp(`"line_item_id":${digitsOf(order.lineItems[0]!.id)},`, "u"));
  });

  it("inventory_levels/update names the item and location GraphQL shows", async () => {
    const read = await gql(
      `{ productVariants(first: 1, query: "sku:shirt1") { nodes { inventoryItem { id inventoryLevels(first: 1) { nodes { location { id } } } } } } }`,
    );
    type Item = { id: string; inventoryLevels: { nodes: { location: { id: string } }[] } };
    const item = (read.body.data as { productVariants: { nodes: { inventoryItem: Item }[] } }).productVariants.nodes[0]!
      .inventoryItem;
    receiver.received.length = 0;
    server.emulator.control.setStock({ shop: demo.shop, sku: "shirt1", available: 7 });
    const [level] = await receiver.waitFor(1, "inventory_levels/update");
    assert.match(level!.rawBody, new RegExp(`"inventory_item_id":${digitsOf(item.id)},`, "u"));
    assert.match(
      level!.rawBody,
      new RegExp(`"location_id":${digitsOf(item.inventoryLevels.nodes[0]!.location.id)},`, "u"),
    );
    assert.ok(beyondJsNumbers(digitsOf(item.id)));
  });
});

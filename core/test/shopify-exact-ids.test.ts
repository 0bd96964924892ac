/**
 * Shopify's ids beyond 2^53: Shopify's documented sample payloads (18-digit ids, as "Send test
 * notification" delivers them; test/fixtures/shopify/README.md) go through the receiver over HTTP,
 * the inbox and the ledger, and every id comes out with the digits Shopify sent.
 */
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import { buildServer, Health, Metrics, registerWebhookRoutes } from "../src/api/index.ts";
import { shopify } from "../src/channels/index.ts";
import { processInbox } from "../src/jobs/index.ts";
import { createLogger } from "../src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { testDatabase } from "./support/database.ts";
import { available, createShop, createVariant } from "./support/fixtures.ts";

const sample = (name: string) => readFileSync(new URL(`./fixtures/shopify/${name}`, import.meta.url), "utf8");
const ORDERS_CREATE = sample("orders-create.json");
const REFUNDS_CREATE = sample("refunds-create.json");
const INVENTORY_LEVELS_UPDATE = sample("inventory-levels-update.json");
// The reference's example order is a cancelled, voided test order; the same order paid and open
// (edited in the text, so no id passes through JSON.parse) is a sale.
const ORDERS_PAID = ORDERS_CREATE.replace(
  '"cancelled_at": "2021-12-31T19:00:00-05:00"',
  '"cancelled_at": null',
).replace('"financial_status": "voided"', '"financial_status": "paid"');

const database = await testDatabase({ poolSize: 4 });
const { prisma, pool } = database;
const APP_SECRET = "exact-ids-app-secret";
const log = createLogger({ level: "silent" });
const metrics = new Metrics();
const health = new Health("test");
health.ready(database);
const app = buildServer({ log, health, metrics });
await registerWebhookRoutes(app, {
  database: () => database,
  metrics,
  shopifyApiSecret: APP_SECRET,
  encryptionKey: parseEncryptionKey(generateEncryptionKey()),
});
// refunds/create names the order only: the inbox reads it from a (here emulated) shop.
const store = await shopifyEmulator.startShopifyEmulator({ port: 0 });
const demo = store.emulator.control.seedDemo();
const channel = shopify.createShopifyChannel({
  shop: demo.shop,
  accessToken: demo.accessToken,
  log,
  fetch: shopify.routeShopifyFetch(store.url),
});
let base = "";
before(async () => {
  base = await app.listen({ port: 0, host: "127.0.0.1" });
});
after(async () => {
  await app.close();
  await store.close();
});

const shop = await createShop(prisma, { platform: "shopify" });
const connection = await prisma.connection.update({
  where: { id: shop.connectionId },
  data: { storeLocationId: "gid://shopify/Location/24826418" },
});
const variantId = await createVariant(database, shop, "IPOD2008PINK", 10);
await prisma.listing.updateMany({
  where: { variantId },
  data: { externalInventoryItemId: "gid://shopify/InventoryItem/271878346596884015", lastPushedQuantity: 10 },
});

async function deliver(topic: string, body: string): Promise<{ status: number; deliveryId: string }> {
  const deliveryId = randomUUID();
  const response = await fetch(`${base}/webhooks/shopify`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": topic,
      "x-shopify-shop-domain": connection.storeDomain,
      "x-shopify-event-id": deliveryId,
      "x-shopify-webhook-id": randomUUID(),
      "x-shopify-api-version": "2026-10",
      "x-shopify-hmac-sha256": createHmac("sha256", APP_SECRET).update(body, "utf8").digest("base64"),
    },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status, deliveryId };
}

const processStored = () =>
  processInbox(
    pool,
    {
      id: connection.id,
      businessId: shop.businessId,
      platform: "shopify",
      storeLocationId: connection.storeLocationId,
    },
    channel,
    log,
  );

const stored = (deliveryId: string) =>
  prisma.webhookEvent.findFirstOrThrow({ where: { connectionId: connection.id, deliveryId } });

describe("Shopify's documented sample payloads, ids beyond 2^53", () => {
  it("an orders/create sample reaches the ledger as order 820982911946154508 with its exact line ids", async () => {
    const { status, deliveryId } = await deliver("orders/create", ORDERS_PAID);
    assert.equal(status, 200);
    const result = await processStored();
    assert.equal(result.failed, 0);
    assert.equal((await stored(deliveryId)).state, "processed");

    const order = await prisma.order.findFirstOrThrow({ where: { connectionId: connection.id } });
    assert.equal(order.externalId, "gid://shopify/Order/820982911946154508");
    assert.deepEqual((order.lines as { lineId: string }[]).map((line) => line.lineId).sort(), [
      "gid://shopify/LineItem/141249953214522974",
      "gid://shopify/LineItem/866550311766439020",
    ]);
    // Two lines of one unit of IPOD2008PINK: 10 - 2.
    assert.equal(await available(prisma, shop, variantId), 8);
    const movements = await prisma.stockMovement.findMany({ where: { orderId: order.id } });
    assert.equal(
      movements.reduce((sum, m) => sum + m.delta, 0),
      -2,
    );
  });

  it("the cancelled sample (the reference's own) puts both units back on the same order", async () => {
    const cancelled = ORDERS_CREATE.replace(
      '"updated_at": "2021-12-31T19:00:00-05:00"',
      '"updated_at": "2022-01-01T19:00:00-05:00"',
    );
    assert.equal((await deliver("orders/cancelled", cancelled)).status, 200);
    assert.equal((await processStored()).failed, 0);
    assert.equal(await prisma.order.count({ where: { connectionId: connection.id } }), 1);
    assert.equal(await available(prisma, shop, variantId), 10);
  });

  it("a refunds/create sample names order 820982911946154508 and is processed, not failed", async () => {
    assert.equal(
      shopify.orderIdFromShopifyWebhook("refunds/create", shopify.parseShopifyWebhookBody(REFUNDS_CREATE)),
      "gid://shopify/Order/820982911946154508",
    );
    const { status, deliveryId } = await deliver("refunds/create", REFUNDS_CREATE);
    assert.equal(status, 200);
    assert.equal((await processStored()).failed, 0);
    // The emulated shop has no such order: read back as gone, the delivery is settled without error.
    const row = await stored(deliveryId);
    assert.equal(row.state, "ignored");
    assert.equal(row.error, null);
  });

  it("an inventory_levels/update sample records the store's quantity on item 271878346596884015", async () => {
    const { status, deliveryId } = await deliver("inventory_levels/update", INVENTORY_LEVELS_UPDATE);
    assert.equal(status, 200);
    const result = await processStored();
    assert.equal(result.failed, 0);
    assert.equal(result.storeChanges, 1);
    assert.equal((await stored(deliveryId)).state, "processed");
    const listing = await prisma.listing.findFirstOrThrow({ where: { connectionId: connection.id, variantId } });
    assert.equal(listing.storeQuantity, 6);
  });

  it("a body parsed with JSON.parse is refused rather than read as a rounded id", () => {
    assert.throws(
      () => shopify.parseInventoryLevelWebhook(JSON.parse(INVENTORY_LEVELS_UPDATE)),
      (error: unknown) =>
        error instanceof shopify.ShopifyPayloadError && /inventory_item_id must be an exact id/u.test(error.message),
    );
    assert.equal(
      shopify.parseInventoryLevelWebhook(shopify.parseShopifyWebhookBody(INVENTORY_LEVELS_UPDATE)).inventoryItemId,
      "gid://shopify/InventoryItem/271878346596884015",
    );
  });
});

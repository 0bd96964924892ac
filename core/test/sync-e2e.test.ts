/**
 * A sale travels: the emulated Shopify shop and WooCommerce site send real signed webhooks to
 * the backend over HTTP; the inbox, the ledger (PostgreSQL), the job queue (pg-boss) and the
 * drain carry the change to the other store through the real adapters.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { PgBoss } from "pg-boss";
import { shopify as shopifyEmulator, woocommerce as wooEmulator } from "@prokip-sync/sandbox";
import { buildServer, Health, Metrics, registerWebhookRoutes } from "../src/api/index.ts";
import { shopify, woocommerce, type Channel } from "../src/channels/index.ts";
import {
  channelForConnection,
  disconnectConnection,
  pauseConnection,
  resumeConnection,
  sealStoreCredentials,
} from "../src/connections/index.ts";
import { matchBySku, normalizeSku } from "../src/domain/index.ts";
import {
  QUEUES,
  requestRun,
  runReconcile,
  startQueue,
  startWorkers,
  type WorkerDependencies,
} from "../src/jobs/index.ts";
import { createLogger } from "../src/log/index.ts";
import { encryptSecret, generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { testDatabase } from "./support/database.ts";
import { eventually as waitFor } from "./support/eventually.ts";

const database = await testDatabase({ poolSize: 12 });
const { prisma, pool } = database;
const log = createLogger({ level: process.env.E2E_LOG ?? "silent" });
const key = parseEncryptionKey(generateEncryptionKey());

const shopifyStore = await shopifyEmulator.startShopifyEmulator({ port: 0, webhooks: { timeScale: 0.001 } });
const wooStore = await wooEmulator.startWooCommerceEmulator({ port: 0 });
const shopDemo = shopifyStore.emulator.control.seedDemo();
const siteDemo = wooStore.emulator.control.seedDemo();
const shopifyFetch = shopify.routeShopifyFetch(shopifyStore.url);

const metrics = new Metrics();
const health = new Health("test");
health.ready(database);
let boss: PgBoss | null = null;
const app = buildServer({ log, health, metrics });
await registerWebhookRoutes(app, {
  database: () => database,
  metrics,
  shopifyApiSecret: shopDemo.apiSecret,
  encryptionKey: key,
  onStored: async (connectionId) => {
    if (boss) await requestRun(boss, QUEUES.inbox, connectionId);
  },
});

let shopifyChannel: Channel;
let wooChannel: Channel;
let shopifyConnectionId = "";
let wooConnectionId = "";
let baseUrl = "";
let workers: WorkerDependencies;

before(async () => {
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  baseUrl = base;
  const business = await prisma.business.create({ data: { name: "E2E", authorityMode: "central" } });
  const location = await prisma.location.create({ data: { businessId: business.id, name: "Main" } });
  const wooSecret = randomBytes(24).toString("hex");
  const shopifyConnection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: "shopify",
      storeDomain: shopDemo.shop,
      locationId: location.id,
      credentials: sealStoreCredentials({ platform: "shopify", accessToken: shopDemo.accessToken }, key),
    },
  });
  const wooConnection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: "woocommerce",
      storeDomain: siteDemo.url,
      locationId: location.id,
      credentials: sealStoreCredentials(
        { platform: "woocommerce", consumerKey: siteDemo.consumerKey, consumerSecret: siteDemo.consumerSecret },
        key,
      ),
      webhookSecret: encryptSecret(wooSecret, key),
    },
  });
  shopifyConnectionId = shopifyConnection.id;
  wooConnectionId = wooConnection.id;
  shopifyChannel = channelForConnection(shopifyConnection, { encryptionKey: key, log, shopifyFetch });
  wooChannel = channelForConnection(wooConnection, { encryptionKey: key, log });

  // Link the two catalogues by SKU; opening stock = what the stores show (they agree in the demo).
  const shopVariants = (await collect(shopifyChannel.listVariants())).flat();
  const siteVariants = (await collect(wooChannel.listVariants())).flat();
  const matched = matchBySku(
    shopVariants.map((v) => ({ sku: v.sku, item: v })),
    siteVariants.map((v) => ({ sku: v.sku, item: v })),
  );
  for (const { sku, prokip: shopVariant, store: siteVariant } of matched.matched) {
    const variant = await prisma.variant.create({
      data: {
        businessId: business.id,
        sku,
        normalizedSku: normalizeSku(sku)!,
        title: shopVariant.title,
        productTitle: shopVariant.productTitle,
      },
    });
    for (const [connectionId, item] of [
      [shopifyConnection.id, shopVariant],
      [wooConnection.id, siteVariant],
    ] as const) {
      await prisma.listing.create({
        data: {
          businessId: business.id,
          connectionId,
          variantId: variant.id,
          externalProductId: item.externalProductId,
          externalVariantId: item.externalVariantId,
          externalInventoryItemId: item.externalInventoryItemId,
          sku,
          normalizedSku: sku,
          title: item.title,
          matchStatus: "matched",
          storeQuantity: item.quantity,
          lastPushedQuantity: item.quantity,
        },
      });
    }
    await prisma.stockMovement.create({
      data: {
        businessId: business.id,
        locationId: location.id,
        variantId: variant.id,
        delta: shopVariant.quantity ?? 0,
        reason: "import",
        idempotencyKey: `import:${variant.id}`,
      },
    });
    await prisma.stockLevel.create({
      data: {
        businessId: business.id,
        locationId: location.id,
        variantId: variant.id,
        available: shopVariant.quantity ?? 0,
      },
    });
  }

  await shopifyChannel.ensureWebhooks({
    url: `${base}/webhooks/shopify`,
    topics: shopify.SHOPIFY_WEBHOOK_TOPICS,
    secret: "unused",
  });
  await wooChannel.ensureWebhooks({
    url: `${base}/webhooks/woocommerce/${wooConnection.id}`,
    topics: woocommerce.WOOCOMMERCE_WEBHOOK_TOPICS,
    secret: wooSecret,
  });

  boss = await startQueue(database.url, log);
  workers = {
    pool,
    prisma,
    boss,
    log,
    publicUrl: base,
    prokipClient: null,
    channels: { encryptionKey: key, log, shopifyFetch },
  };
  await startWorkers(workers);
});

after(async () => {
  await boss?.stop({ graceful: false, timeout: 2_000 });
  await app.close();
  await shopifyStore.close();
  await wooStore.close();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function quantityIn(channel: Channel, sku: string): Promise<number | null> {
  for await (const page of channel.listVariants()) {
    const found = page.find((item) => item.sku === sku);
    if (found) return found.quantity;
  }
  return null;
}

const eventually = (what: string, check: () => Promise<boolean>) =>
  waitFor(what, check, { timeoutMs: 20_000, everyMs: 200 });

describe("a sale on one store reaches the other", () => {
  it("Shopify sells 2, WooCommerce sells 3, Shopify refunds 1 with restock: both stores follow", async () => {
    assert.equal(await quantityIn(wooChannel, "shirt1"), 100);

    // The selling store already took its own sale off: only the other store is written.
    const pushes = (connectionId: string) =>
      prisma.activityEvent.count({ where: { type: "stock_pushed", connectionId } });
    const order = shopifyStore.emulator.control.placeOrder({
      shop: shopDemo.shop,
      lines: [{ sku: "shirt1", quantity: 2 }],
    });
    await eventually("WooCommerce shows 98", async () => (await quantityIn(wooChannel, "shirt1")) === 98);
    assert.equal(await quantityIn(shopifyChannel, "shirt1"), 98);
    await eventually(
      "Shopify's listing is no longer waiting",
      async () => (await prisma.listing.count({ where: { connectionId: shopifyConnectionId, dirty: true } })) === 0,
    );
    await eventually("the write to WooCommerce is in the activity", async () => (await pushes(wooConnectionId)) === 1);
    assert.equal(await pushes(shopifyConnectionId), 0, "Shopify is not written the sale it made");

    wooStore.emulator.control.placeOrder("demo", { lines: [{ sku: "shirt1", quantity: 3 }] });
    await eventually("Shopify shows 95", async () => (await quantityIn(shopifyChannel, "shirt1")) === 95);
    assert.equal(await quantityIn(wooChannel, "shirt1"), 95);
    await eventually(
      "WooCommerce's listing is no longer waiting",
      async () => (await prisma.listing.count({ where: { connectionId: wooConnectionId, dirty: true } })) === 0,
    );
    await eventually("the write to Shopify is in the activity", async () => (await pushes(shopifyConnectionId)) === 1);
    assert.equal(await pushes(wooConnectionId), 1, "WooCommerce is not written the sale it made");

    shopifyStore.emulator.control.refundOrder({
      shop: shopDemo.shop,
      order: order.id,
      restock: true,
      lines: [{ sku: "shirt1", quantity: 1 }],
    });
    await eventually("WooCommerce shows 96", async () => (await quantityIn(wooChannel, "shirt1")) === 96);
    assert.equal(await quantityIn(shopifyChannel, "shirt1"), 96);
    // Each store's notifications of its own moves were expected: nothing was taken for a hand edit.
    assert.equal(await prisma.activityEvent.count({ where: { type: "drift" } }), 0);

    // The ledger holds exactly those movements, and every store order is recorded once.
    const movements = await prisma.stockMovement.findMany({
      where: { reason: { not: "import" } },
      orderBy: { id: "asc" },
    });
    assert.deepEqual(
      movements.map((m) => `${m.reason}:${m.delta}`),
      ["sale:-2", "sale:-3", "refund:1"],
    );
    assert.equal(await prisma.order.count(), 2);
    const deliveries = await prisma.webhookEvent.groupBy({
      by: ["connectionId", "state"],
      where: {
        topic: {
          in: ["orders/create", "orders/paid", "orders/updated", "refunds/create", "order.created", "order.updated"],
        },
      },
      _count: { _all: true },
    });
    assert.ok(
      deliveries.every((d) => d.state === "processed"),
      JSON.stringify(deliveries),
    );
    assert.ok(
      deliveries.some((d) => d.connectionId === shopifyConnectionId) &&
        deliveries.some((d) => d.connectionId === wooConnectionId),
    );
  });

  it("sets back a stock edit made by hand in Shopify admin and records it as drift with its cause", async () => {
    assert.equal(await quantityIn(shopifyChannel, "mug-ceramic"), 90);
    shopifyStore.emulator.control.setStock({ shop: shopDemo.shop, sku: "mug-ceramic", available: 5 });
    await eventually("Shopify is set back to 90", async () => (await quantityIn(shopifyChannel, "mug-ceramic")) === 90);
    const drift = await prisma.activityEvent.findFirstOrThrow({
      where: { type: "drift", connectionId: shopifyConnectionId },
    });
    assert.deepEqual(drift.data, {
      storeQuantity: 5,
      target: 90,
      cause: "changed in Shopify admin or by another app, not by an order",
    });
    assert.match(drift.message, /mug-ceramic showed 5 in Shopify instead of 90; set back to 90/u);
    assert.equal(await quantityIn(wooChannel, "mug-ceramic"), 90, "the other store never saw the edit");
    const movements = await prisma.stockMovement.count({ where: { reason: "edit" } });
    assert.equal(movements, 0, "an edit in the store is not trusted as stock");
  });

  it("ignores the notifications our own writes cause (echoes)", async () => {
    const echoes = await prisma.webhookEvent.count({
      where: { topic: { in: ["inventory_levels/update", "product.updated"] }, state: "ignored" },
    });
    assert.ok(echoes > 0, "writes we made came back as notifications and were recognised");
    const drift = await prisma.activityEvent.count({ where: { type: "drift" } });
    assert.equal(drift, 1, "only the edit made by hand is drift");
  });

  it("while a store is paused records its orders but writes nothing to it; resuming catches up", async () => {
    await pauseConnection(pool, wooConnectionId);
    const before = await quantityIn(wooChannel, "bag-tote");
    shopifyStore.emulator.control.placeOrder({ shop: shopDemo.shop, lines: [{ sku: "bag-tote", quantity: 4 }] });
    await eventually(
      "the sale is in the ledger",
      async () => (await prisma.stockMovement.count({ where: { reason: "sale", delta: -4 } })) === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.equal(await quantityIn(wooChannel, "bag-tote"), before, "a paused store is not written to");
    assert.equal(
      (await prisma.listing.findFirstOrThrow({ where: { connectionId: wooConnectionId, sku: "bag-tote" } })).dirty,
      true,
      "the change waits",
    );

    await resumeConnection(pool, wooConnectionId);
    await runReconcile(workers, wooConnectionId);
    await eventually("WooCommerce catches up", async () => (await quantityIn(wooChannel, "bag-tote")) === before! - 4);
    const activity = await prisma.activityEvent.findMany({
      where: { connectionId: wooConnectionId, type: { in: ["connection_paused", "connection_resumed"] } },
      orderBy: { id: "asc" },
    });
    assert.deepEqual(
      activity.map((a) => a.type),
      ["connection_paused", "connection_resumed"],
    );
  });

  it("disconnecting removes the store's webhooks and credentials and keeps its history", async () => {
    const orders = await prisma.order.count({ where: { connectionId: shopifyConnectionId } });
    const outcome = await disconnectConnection(pool, shopifyConnectionId, {
      channel: shopifyChannel,
      webhookUrl: `${baseUrl}/webhooks/shopify`,
    });
    assert.equal(outcome.webhookError, null);
    assert.ok(outcome.webhooksRemoved >= 5, `removed ${outcome.webhooksRemoved}`);
    assert.equal(await shopifyChannel.removeWebhooks(`${baseUrl}/webhooks/shopify`), 0, "none left");

    const deliveries = await prisma.webhookEvent.count({ where: { connectionId: shopifyConnectionId } });
    shopifyStore.emulator.control.placeOrder({ shop: shopDemo.shop, lines: [{ sku: "bag-tote", quantity: 1 }] });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(
      await prisma.webhookEvent.count({ where: { connectionId: shopifyConnectionId } }),
      deliveries,
      "no more deliveries",
    );

    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: shopifyConnectionId } });
    assert.equal(connection.status, "disconnected");
    assert.equal(connection.credentials, null);
    assert.ok(connection.disconnectedAt);
    assert.equal(await prisma.order.count({ where: { connectionId: shopifyConnectionId } }), orders, "history kept");
  });
});

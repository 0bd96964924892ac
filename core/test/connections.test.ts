/**
 * Connecting stores: credentials checked against the store itself (the emulators, over HTTP),
 * sealed at rest, webhooks registered; and erasing a shop on Shopify's shop/redact.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { shopify as shopifyEmulator, woocommerce as wooEmulator } from "@prokip-sync/sandbox";
import { shopify } from "../src/channels/index.ts";
import { connectStore, redactShop } from "../src/connections/index.ts";
import { SyncError } from "../src/domain/index.ts";
import { createLogger } from "../src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { testDatabase } from "./support/database.ts";

const { prisma } = await testDatabase({ poolSize: 4 });
const log = createLogger({ level: "silent" });
const encryptionKey = parseEncryptionKey(generateEncryptionKey());
const shopStore = await shopifyEmulator.startShopifyEmulator({ port: 0 });
const wooStore = await wooEmulator.startWooCommerceEmulator({ port: 0 });
after(async () => {
  await shopStore.close();
  await wooStore.close();
});
const shopDemo = shopStore.emulator.control.seedDemo();
const siteDemo = wooStore.emulator.control.seedDemo();
const deps = {
  prisma,
  publicUrl: "http://127.0.0.1:9/receiver",
  channels: { encryptionKey, log, shopifyFetch: shopify.routeShopifyFetch(shopStore.url) },
};

async function business() {
  const created = await prisma.business.create({ data: { name: "Connect test" } });
  const location = await prisma.location.create({ data: { businessId: created.id, name: "Main" } });
  return { businessId: created.id, locationId: location.id };
}

const invalidInput = (error: unknown) => error instanceof SyncError && error.code === "invalid_input";

describe("connectStore", () => {
  it("checks a Shopify token against the shop, seals it and registers the webhooks", async () => {
    const { businessId, locationId } = await business();
    const result = await connectStore(deps, {
      businessId,
      locationId,
      storeDomain: shopDemo.shop,
      credentials: { platform: "shopify", accessToken: shopDemo.accessToken },
    });
    assert.equal(result.store.domain, shopDemo.shop);
    assert.ok(result.webhooks.created.length >= 10, JSON.stringify(result.webhooks));
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: result.connectionId } });
    assert.equal(connection.status, "active");
    assert.ok(connection.credentials && !connection.credentials.includes(shopDemo.accessToken), "the token is sealed");
  });

  it("checks WooCommerce keys against the site and keeps a sealed per-connection webhook secret", async () => {
    const { businessId, locationId } = await business();
    const result = await connectStore(deps, {
      businessId,
      locationId,
      storeDomain: siteDemo.url,
      credentials: {
        platform: "woocommerce",
        consumerKey: siteDemo.consumerKey,
        consumerSecret: siteDemo.consumerSecret,
      },
    });
    const webhooks = wooStore.emulator.control.listWebhooks("demo");
    assert.ok(webhooks.some((w) => w.deliveryUrl === `${deps.publicUrl}/webhooks/woocommerce/${result.connectionId}`));
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: result.connectionId } });
    assert.ok(connection.webhookSecret?.startsWith("v1."));
  });

  it("refuses credentials the store rejects, and bad input, writing nothing", async () => {
    const { businessId, locationId } = await business();
    const before = await prisma.connection.count();
    await assert.rejects(
      connectStore(deps, {
        businessId,
        locationId,
        storeDomain: "other-shop.myshopify.com",
        credentials: { platform: "shopify", accessToken: "shpat_wrong" },
      }),
      invalidInput,
    );
    await assert.rejects(
      connectStore(deps, {
        businessId,
        locationId,
        storeDomain: siteDemo.url.replace("/demo", "/nowhere"),
        credentials: { platform: "woocommerce", consumerKey: "ck_x", consumerSecret: "cs_y" },
      }),
      invalidInput,
    );
    await assert.rejects(
      connectStore(deps, {
        businessId,
        locationId,
        storeDomain: "not a domain",
        credentials: { platform: "shopify", accessToken: "x" },
      }),
      invalidInput,
    );
    await assert.rejects(
      connectStore(deps, {
        businessId,
        locationId,
        storeDomain: shopDemo.shop,
        credentials: { platform: "shopify", accessToken: shopDemo.accessToken },
      }),
      invalidInput,
      "already connected",
    );
    assert.equal(await prisma.connection.count(), before);
  });
});

describe("redactShop", () => {
  it("erases the shop's connection, orders, deliveries and activity, and unlinks its ledger movements", async () => {
    const connection = await prisma.connection.findUniqueOrThrow({ where: { storeDomain: shopDemo.shop } });
    await prisma.order.create({
      data: {
        businessId: connection.businessId,
        connectionId: connection.id,
        externalId: "1",
        storeUpdatedAt: new Date(),
        payloadDigest: "x",
      },
    });
    await prisma.webhookEvent.create({
      data: {
        businessId: connection.businessId,
        connectionId: connection.id,
        platform: "shopify",
        topic: "orders/create",
        deliveryId: "d1",
        payload: {},
      },
    });
    await prisma.session.create({ data: { id: "offline_x", shop: shopDemo.shop, state: "s", accessToken: "t" } });
    assert.deepEqual(await redactShop(prisma, shopDemo.shop), { erased: true });
    assert.equal(await prisma.connection.count({ where: { storeDomain: shopDemo.shop } }), 0);
    assert.equal(await prisma.order.count({ where: { connectionId: connection.id } }), 0);
    assert.equal(await prisma.webhookEvent.count({ where: { connectionId: connection.id } }), 0);
    assert.equal(await prisma.session.count({ where: { shop: shopDemo.shop } }), 0);
    assert.deepEqual(await redactShop(prisma, shopDemo.shop), { erased: false });
  });
});

/**
 * The Settings screen's functions on a real database: defaults, a change saved with its
 * activity entry, every field that is not valid listed and nothing changed, the store-edit
 * policy only in central mode, and a new buffer reaching the store (Shopify emulator over HTTP).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import { shopify as shopifyAdapter, type StoreVariant } from "../src/channels/index.ts";
import { isSyncError } from "../src/domain/index.ts";
import { createLogger } from "../src/log/index.ts";
import { storeSettings, updateStoreSettings } from "../src/merchant/settings.ts";
import type { StoreRef } from "../src/merchant/types.ts";
import { drainConnection } from "../src/sync/index.ts";
import { testDatabase } from "./support/database.ts";
import { createShop, createVariant, type Shop } from "./support/fixtures.ts";
import { merchantDeps } from "./support/merchant-deps.ts";

const db = await testDatabase();
const { prisma } = db;
const deps = merchantDeps(db);

async function storeOf(shop: Shop): Promise<StoreRef> {
  const connection = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
  return { platform: connection.platform, storeDomain: connection.storeDomain };
}

/** Everything a settings change could touch. */
async function snapshot(shop: Shop) {
  return {
    connection: await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } }),
    listings: await prisma.listing.findMany({ where: { connectionId: shop.connectionId }, orderBy: { id: "asc" } }),
    activity: await prisma.activityEvent.count({ where: { businessId: shop.businessId } }),
  };
}

async function invalid(
  action: Promise<unknown>,
): Promise<{ message: string; details: { path: string; message: string }[] }> {
  const error = await action.then(
    () => assert.fail("expected invalid_input"),
    (e: unknown) => e,
  );
  assert.ok(isSyncError(error), String(error));
  assert.equal(error.code, "invalid_input", error.message);
  return { message: error.message, details: error.details as { path: string; message: string }[] };
}

describe("storeSettings", () => {
  it("answers today's defaults for a store that never changed anything", async () => {
    const central = await createShop(prisma);
    assert.deepEqual(await storeSettings(deps, await storeOf(central)), {
      buffer: 0,
      reconcileIntervalMinutes: 15,
      deductOn: "created",
      lowStockThreshold: null,
      storeEditPolicy: "correct",
      centralMode: true,
    });
    const prokipMode = await createShop(prisma, { mode: "prokip", buffer: 4, settings: { deductOn: "paid" } });
    const settings = await storeSettings(deps, await storeOf(prokipMode));
    assert.deepEqual([settings.buffer, settings.deductOn, settings.centralMode], [4, "paid", false]);
  });

  it("refuses a store that is not connected", async () => {
    const error = await storeSettings(deps, { platform: "shopify", storeDomain: "nobody.myshopify.com" }).catch(
      (e: unknown) => e,
    );
    assert.ok(isSyncError(error) && error.code === "store_not_connected");
  });
});

describe("updateStoreSettings", () => {
  it("saves the fields given, marks linked listings dirty for a new buffer in one go, asks for a drain and writes what changed", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    const linked = await createVariant(db, shop, "SHIRT", 10);
    const waiting = await createVariant(db, shop, "HAT", 3);
    await prisma.listing.updateMany({
      where: { variantId: waiting },
      data: { dirty: true, dirtySince: new Date("2026-01-01T00:00:00Z") },
    });
    const loose = await prisma.listing.create({
      data: {
        businessId: shop.businessId,
        connectionId: shop.connectionId,
        externalProductId: "p-loose",
        externalVariantId: "v-loose",
        sku: "LOOSE",
        normalizedSku: "loose",
        title: "Loose",
      },
    });
    deps.jobs.requested.length = 0;

    const saved = await updateStoreSettings(deps, store, {
      buffer: 2,
      reconcileIntervalMinutes: 30,
      lowStockThreshold: 5,
    });
    assert.deepEqual(saved, {
      buffer: 2,
      reconcileIntervalMinutes: 30,
      deductOn: "created",
      lowStockThreshold: 5,
      storeEditPolicy: "correct",
      centralMode: true,
    });
    assert.deepEqual(await storeSettings(deps, store), saved);
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    assert.equal(connection.buffer, 2);
    assert.deepEqual(connection.settings, {
      deductOn: "created",
      reconcileIntervalMinutes: 30,
      lowStockThreshold: 5,
      storeEditPolicy: "correct",
    });

    const listing = (variantId: string) =>
      prisma.listing.findFirstOrThrow({ where: { connectionId: shop.connectionId, variantId } });
    assert.equal((await listing(linked)).dirty, true, "the store must be told 8, not 10");
    assert.deepEqual(
      (await listing(waiting)).dirtySince,
      new Date("2026-01-01T00:00:00Z"),
      "already waiting: left as it was",
    );
    assert.equal(
      (await prisma.listing.findUniqueOrThrow({ where: { id: loose.id } })).dirty,
      false,
      "unlinked: nothing to tell",
    );
    assert.deepEqual(deps.jobs.requested, [{ job: "drain", connectionId: shop.connectionId }]);

    const [event] = await prisma.activityEvent.findMany({
      where: { businessId: shop.businessId, type: "settings_changed" },
    });
    assert.equal(event!.connectionId, shop.connectionId);
    assert.equal(
      event!.message,
      "Settings changed: safety buffer 2 (was 0); reconciliation interval 30 minutes (was 15 minutes); low-stock threshold 5 (was off)",
    );
    assert.deepEqual(event!.data, {
      changes: {
        buffer: { from: 0, to: 2 },
        reconcileIntervalMinutes: { from: 15, to: 30 },
        lowStockThreshold: { from: null, to: 5 },
      },
    });

    // The same again changes nothing and says nothing; a change without the buffer marks nothing.
    await prisma.listing.updateMany({
      where: { connectionId: shop.connectionId },
      data: { dirty: false, dirtySince: null },
    });
    deps.jobs.requested.length = 0;
    await updateStoreSettings(deps, store, { buffer: 2, reconcileIntervalMinutes: 30 });
    await updateStoreSettings(deps, store, { deductOn: "paid", lowStockThreshold: null });
    assert.equal(await prisma.listing.count({ where: { connectionId: shop.connectionId, dirty: true } }), 0);
    assert.deepEqual(deps.jobs.requested, []);
    const events = await prisma.activityEvent.findMany({
      where: { businessId: shop.businessId, type: "settings_changed" },
      orderBy: { id: "asc" },
    });
    assert.deepEqual(
      events.map((e) => e.message),
      [
        event!.message,
        "Settings changed: deduct stock when an order is paid (was when an order is placed); low-stock threshold off (was 5)",
      ],
    );
  });

  it("lists every field that is not valid and changes nothing", async () => {
    const shop = await createShop(prisma, { buffer: 1 });
    const store = await storeOf(shop);
    await createVariant(db, shop, "SOCK", 4);
    const before = await snapshot(shop);

    const cases: [unknown, string][] = [
      [{ buffer: -1 }, "buffer"],
      [{ buffer: 100_001 }, "buffer"],
      [{ buffer: 1.5 }, "buffer"],
      [{ buffer: "3" }, "buffer"],
      [{ reconcileIntervalMinutes: 0 }, "reconcileIntervalMinutes"],
      [{ reconcileIntervalMinutes: 24 * 60 + 1 }, "reconcileIntervalMinutes"],
      [{ deductOn: "shipped" }, "deductOn"],
      [{ lowStockThreshold: -1 }, "lowStockThreshold"],
      [{ lowStockThreshold: 2.5 }, "lowStockThreshold"],
      [{ storeEditPolicy: "ignore" }, "storeEditPolicy"],
      [{ centralMode: false }, "centralMode"],
      [{ colour: "blue" }, "colour"],
    ];
    for (const [input, field] of cases) {
      const { details } = await invalid(updateStoreSettings(deps, store, input));
      assert.deepEqual(
        details.map((d) => d.path),
        [field],
        JSON.stringify(input),
      );
    }
    const buffer = await invalid(updateStoreSettings(deps, store, { buffer: -1 }));
    assert.deepEqual(buffer.details, [{ path: "buffer", message: "Enter a whole number from 0 to 100,000" }]);

    const several = await invalid(
      updateStoreSettings(deps, store, {
        buffer: -5,
        reconcileIntervalMinutes: 30,
        deductOn: "never",
        storeEditPolicy: "accept",
      }),
    );
    assert.deepEqual(several.details.map((d) => d.path).sort(), ["buffer", "deductOn"]);
    assert.match(several.message, /buffer, deductOn are not valid/u);
    await invalid(updateStoreSettings(deps, store, "buffer=3"));
    await invalid(updateStoreSettings(deps, store, [1]));

    assert.deepEqual(await snapshot(shop), before, "nothing changed, not even the valid fields sent with a bad one");
  });

  it("changes the store-edit policy only when the business keeps the stock centrally", async () => {
    const prokipMode = await createShop(prisma, { mode: "prokip" });
    const prokipStore = await storeOf(prokipMode);
    const before = await snapshot(prokipMode);
    const refused = await invalid(updateStoreSettings(deps, prokipStore, { storeEditPolicy: "accept", buffer: 1 }));
    assert.deepEqual(
      refused.details.map((d) => d.path),
      ["storeEditPolicy"],
    );
    assert.match(refused.details[0]!.message, /central mode/u);
    assert.deepEqual(await snapshot(prokipMode), before);
    // Sending the current value (a form sends every field) is not a change.
    assert.equal((await updateStoreSettings(deps, prokipStore, { storeEditPolicy: "correct", buffer: 1 })).buffer, 1);

    const central = await createShop(prisma);
    const saved = await updateStoreSettings(deps, await storeOf(central), { storeEditPolicy: "accept" });
    assert.equal(saved.storeEditPolicy, "accept");
    const [event] = await prisma.activityEvent.findMany({
      where: { businessId: central.businessId, type: "settings_changed" },
    });
    assert.equal(event!.message, "Settings changed: edits made in the store taken as the new stock (was set back)");
  });

  it("a new buffer reaches the store: the next drain writes every linked product's new figure", async () => {
    const emulator = await shopifyEmulator.startShopifyEmulator({ port: 0 });
    after(() => emulator.close());
    const demo = emulator.emulator.control.seedDemo();
    const log = createLogger({ level: "silent" });
    const channel = shopifyAdapter.createShopifyChannel({
      shop: demo.shop,
      accessToken: demo.accessToken,
      log,
      fetch: shopifyAdapter.routeShopifyFetch(emulator.url),
    });
    const firstPage: StoreVariant[] = (await channel.listVariants()[Symbol.asyncIterator]().next()).value ?? [];
    const items = firstPage.filter((item) => item.sku).slice(0, 3);
    assert.equal(items.length, 3, "the demo shop has products with SKUs");

    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    for (const item of items) {
      const variantId = await createVariant(db, shop, item.sku!, 20);
      await prisma.listing.updateMany({
        where: { variantId },
        data: {
          externalProductId: item.externalProductId,
          externalVariantId: item.externalVariantId,
          externalInventoryItemId: item.externalInventoryItemId,
          storeQuantity: item.quantity,
          lastPushedQuantity: item.quantity,
          dirty: true,
          dirtySince: new Date(),
        },
      });
    }
    const drain = () =>
      drainConnection(
        db.pool,
        { id: shop.connectionId, businessId: shop.businessId },
        channel,
        { reference: `test-${randomUUID()}` },
        log,
      );
    const storeFigures = async () => {
      const figures = await channel.readQuantities(
        items.map((item) => ({
          externalProductId: item.externalProductId,
          externalVariantId: item.externalVariantId,
          externalInventoryItemId: item.externalInventoryItemId,
        })),
      );
      return items.map((item) => figures.get(item.externalVariantId));
    };
    await drain();
    assert.deepEqual(await storeFigures(), [20, 20, 20]);

    await updateStoreSettings(deps, store, { buffer: 5 });
    assert.equal(await prisma.listing.count({ where: { connectionId: shop.connectionId, dirty: true } }), 3);
    const result = await drain();
    assert.equal(result.written, 3);
    assert.deepEqual(await storeFigures(), [15, 15, 15]);
    assert.equal(await prisma.listing.count({ where: { connectionId: shop.connectionId, dirty: true } }), 0);
  });
});

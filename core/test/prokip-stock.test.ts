/**
 * Refreshing stock from Prokip (Prokip authority mode), against a real PostgreSQL and the
 * Prokip emulator over HTTP: changes made in Prokip reach availability and mark listings
 * dirty; variations without a stock row read as 0; a reading that overlaps a sell in flight
 * is ambiguous and not used.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { prokip } from "@prokip-sync/sandbox";
import { pino } from "pino";
import { createProkipPos, type ProkipTokens, signInToProkip } from "../src/channels/prokip/index.ts";
import { SyncError } from "../src/domain/index.ts";
import { applyOrderState } from "../src/sync/index.ts";
import { postOrderToProkip } from "../src/sync/prokip-posting.ts";
import { refreshProkipStock } from "../src/sync/prokip-stock.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, available, createShop, createVariant, type Shop } from "./support/fixtures.ts";

const db = await testDatabase({ poolSize: 8 });
const { prisma, pool } = db;
const log = pino({ level: "silent" });

const CBD = 210001;
const WESTLANDS = 210002;

/** Prokip's demo business on its own emulator; `beforeSell` runs while a sell is on its way. */
async function connect(t: TestContext, hooks: { beforeSell?: () => Promise<void> } = {}) {
  const started = await prokip.startProkipEmulator({ port: 0, rateLimit: { limit: 100_000, windowSeconds: 60 } });
  t.after(() => started.close());
  const { emulator, url } = started;
  const demo = emulator.control.seedDemo();
  const credentials = { baseUrl: url, clientId: demo.clientId, clientSecret: demo.clientSecret };
  let tokens = await signInToProkip({ ...credentials, username: demo.username, password: demo.password });
  const wireFetch: typeof fetch = async (input, init) => {
    if (init?.method === "POST" && new URL(String(input)).pathname === "/connector/api/sell")
      await hooks.beforeSell?.();
    return fetch(input, init);
  };
  const pos = createProkipPos({
    ...credentials,
    tokens: { load: async () => tokens, save: async (fresh: ProkipTokens) => void (tokens = fresh) },
    log,
    fetch: wireFetch,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    limiter: { requests: 10_000, perMs: 1_000, marginMs: 0, maxConcurrent: 8 },
  });
  /** The demo's ids for a SKU. */
  const variation = (sku: string) => {
    for (const product of demo.products) {
      const found = product.variations.find((v) => v.subSku === sku);
      if (found) return { productId: product.productId, variationId: found.variationId };
    }
    throw new Error(`no demo variation ${sku}`);
  };
  return { emulator, pos, variation };
}

/** Our business in Prokip mode, its location linked to `prokipLocationId`, a Shopify and a WooCommerce store. */
async function ourBusiness(prokipLocationId: number): Promise<Shop> {
  const shop = await createShop(prisma, { mode: "prokip" });
  await prisma.location.update({ where: { id: shop.locationId }, data: { prokipLocationId } });
  await addConnection(prisma, shop, { platform: "woocommerce" });
  return shop;
}

async function linked(
  shop: Shop,
  sku: string,
  ids: { productId: number; variationId: number },
  opening: number,
): Promise<string> {
  const variantId = await createVariant(db, shop, sku, opening);
  await prisma.variant.update({
    where: { id: variantId },
    data: { prokipProductId: ids.productId, prokipVariationId: ids.variationId },
  });
  return variantId;
}

const dirtyListings = (variantId: string) => prisma.listing.count({ where: { variantId, dirty: true } });

describe("refreshProkipStock", () => {
  it("brings stock changed in Prokip into availability, marks the listings dirty and reports the change", async (t) => {
    const { emulator, pos, variation } = await connect(t);
    const shop = await ourBusiness(CBD);
    const shirt = await linked(shop, "shirt1", variation("shirt1"), 100);
    const mug = await linked(shop, "mug-ceramic", variation("mug-ceramic"), 90);
    const target = { businessId: shop.businessId, locationId: shop.locationId, prokipLocationId: CBD };

    const same = await refreshProkipStock({ pool, pos, log }, target);
    assert.deepEqual(same, { changed: [], ambiguous: [], unknownVariations: 27 });
    assert.equal(await dirtyListings(shirt), 0);

    // A delivery of 20 shirts recorded in Prokip.
    emulator.control.setStock({ variationId: variation("shirt1").variationId, locationId: CBD, quantity: 120 });
    const changed = await refreshProkipStock({ pool, pos, log }, target);
    assert.deepEqual(changed.changed, [shirt]);
    assert.deepEqual(changed.ambiguous, []);
    assert.equal(await available(prisma, shop, shirt), 120);
    assert.equal(await available(prisma, shop, mug), 90);
    assert.equal(await dirtyListings(shirt), 2, "the Shopify and the WooCommerce listing");
    assert.equal(await dirtyListings(mug), 0);
    const level = await prisma.stockLevel.findFirstOrThrow({ where: { variantId: shirt } });
    assert.equal(level.prokipQuantity, 120);
  });

  it("reads a variation without a stock row at the location as 0", async (t) => {
    const { pos, variation } = await connect(t);
    const shop = await ourBusiness(WESTLANDS);
    // The demo never stocked sunglasses at the Westlands Warehouse: Prokip leaves them out.
    const sunglasses = await linked(shop, "sun-01", variation("sun-01"), 4);
    const belt = await linked(shop, "belt-leather", variation("belt-leather"), 20);
    const result = await refreshProkipStock(
      { pool, pos, log },
      { businessId: shop.businessId, locationId: shop.locationId, prokipLocationId: WESTLANDS },
    );
    assert.deepEqual(result.changed, [sunglasses]);
    assert.equal(await available(prisma, shop, sunglasses), 0);
    assert.equal(await available(prisma, shop, belt), 20);
    assert.equal(result.unknownVariations, 25, "26 variations stocked at Westlands, the belt linked");
  });

  it("reports a reading that overlaps a sell in flight as ambiguous, and the next one counts the sale once", async (t) => {
    let overlapping: Awaited<ReturnType<typeof refreshProkipStock>> | null = null;
    let refresh: () => Promise<Awaited<ReturnType<typeof refreshProkipStock>>> = async () => {
      throw new Error("not ready");
    };
    const { emulator, pos, variation } = await connect(t, {
      beforeSell: async () => {
        overlapping = await refresh();
      },
    });
    const shop = await ourBusiness(CBD);
    const shirt = await linked(shop, "shirt1", variation("shirt1"), 100);
    refresh = () =>
      refreshProkipStock(
        { pool, pos, log },
        { businessId: shop.businessId, locationId: shop.locationId, prokipLocationId: CBD },
      );
    // Meanwhile a shop-floor sale of 5 in Prokip: the overlapping reading must not use it yet.
    emulator.control.setStock({ variationId: variation("shirt1").variationId, locationId: CBD, quantity: 95 });

    const { orderId } = await applyOrderState(pool, {
      connectionId: shop.connectionId,
      externalId: "990001",
      number: "#7001",
      updatedAt: new Date(),
      paid: true,
      cancelled: false,
      lines: [{ lineId: "1", sku: "shirt1", quantity: 2 }],
    });
    assert.equal(await available(prisma, shop, shirt), 98);
    const posted = await postOrderToProkip({ pool, pos, log }, { businessId: shop.businessId, orderId });
    assert.equal(posted.status, "posted");

    assert.deepEqual(overlapping, { changed: [], ambiguous: [shirt], unknownVariations: 28 });
    assert.equal(await available(prisma, shop, shirt), 98, "the ambiguous reading was not used");

    const after = await refresh();
    assert.deepEqual([after.changed, after.ambiguous], [[shirt], []]);
    assert.equal(
      emulator.control.getStock({ variationId: variation("shirt1").variationId, locationId: CBD }).quantity,
      93,
    );
    assert.equal(await available(prisma, shop, shirt), 93, "100 - 5 in the shop - 2 online, each once");
  });

  it("refuses a business that is not in Prokip authority mode", async (t) => {
    const { pos } = await connect(t);
    const shop = await createShop(prisma, { mode: "central" });
    await assert.rejects(
      refreshProkipStock(
        { pool, pos, log },
        { businessId: shop.businessId, locationId: shop.locationId, prokipLocationId: CBD },
      ),
      (error) => error instanceof SyncError && error.code === "unknown_business",
    );
  });
});

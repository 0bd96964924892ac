/**
 * Propagation: dirty listings reach the store through the real Shopify adapter, against the
 * Shopify emulator over HTTP; the store ends equal to the target whatever happens meanwhile.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import { shopify as shopifyAdapter, type Channel } from "../src/channels/index.ts";
import { normalizeSku } from "../src/domain/index.ts";
import { createLogger } from "../src/log/index.ts";
import { applyOrderState, checkStoreEdits, drainConnection, recordStoreQuantities } from "../src/sync/index.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, available, createShop, type Shop } from "./support/fixtures.ts";
import { eventually as waitFor } from "./support/eventually.ts";

const db = await testDatabase({ poolSize: 12 });
const { prisma, pool } = db;
const log = createLogger({ level: "silent" });
const emulator = await shopifyEmulator.startShopifyEmulator({ port: 0 });
after(() => emulator.close());
const demo = emulator.emulator.control.seedDemo();
const channel: Channel = shopifyAdapter.createShopifyChannel({
  shop: demo.shop,
  accessToken: demo.accessToken,
  log,
  fetch: shopifyAdapter.routeShopifyFetch(emulator.url),
});

/** A central-mode business whose catalogue is the demo shop's, every variant matched, stock as the shop has it. */
async function linkedShop(): Promise<{ shop: Shop; woo: string; variantBySku: Map<string, string> }> {
  const shop = await createShop(prisma, { platform: "shopify" });
  await prisma.connection.update({
    where: { id: shop.connectionId },
    data: { storeDomain: `${randomUUID()}.myshopify.com` },
  });
  const woo = await addConnection(prisma, shop, { platform: "woocommerce" });
  const variantBySku = new Map<string, string>();
  for await (const page of channel.listVariants()) {
    for (const item of page) {
      const sku = item.sku!;
      const variant = await prisma.variant.create({
        data: {
          businessId: shop.businessId,
          sku,
          normalizedSku: normalizeSku(sku)!,
          title: item.title,
          productTitle: item.productTitle,
        },
      });
      variantBySku.set(sku, variant.id);
      await prisma.listing.create({
        data: {
          businessId: shop.businessId,
          connectionId: shop.connectionId,
          variantId: variant.id,
          externalProductId: item.externalProductId,
          externalVariantId: item.externalVariantId,
          externalInventoryItemId: item.externalInventoryItemId,
          sku,
          normalizedSku: normalizeSku(sku),
          title: item.title,
          matchStatus: "matched",
          storeQuantity: item.quantity,
          lastPushedQuantity: item.quantity,
        },
      });
      await prisma.stockMovement.create({
        data: {
          businessId: shop.businessId,
          locationId: shop.locationId,
          variantId: variant.id,
          delta: item.quantity ?? 0,
          reason: "import",
          idempotencyKey: `import:${variant.id}`,
        },
      });
      await prisma.stockLevel.create({
        data: {
          businessId: shop.businessId,
          locationId: shop.locationId,
          variantId: variant.id,
          available: item.quantity ?? 0,
        },
      });
    }
  }
  return { shop, woo, variantBySku };
}

async function shopQuantity(sku: string): Promise<number | null> {
  for await (const page of channel.listVariants()) {
    const found = page.find((item) => item.sku === sku);
    if (found) return found.quantity;
  }
  return null;
}

let orderSeq = 0;
function wooSale(connectionId: string, sku: string, quantity: number) {
  const id = `W${++orderSeq}`;
  return applyOrderState(pool, {
    connectionId,
    externalId: id,
    updatedAt: new Date(),
    paid: true,
    cancelled: false,
    lines: [{ lineId: "1", sku, quantity }],
  });
}

describe("drainConnection", () => {
  it("writes a sale made on another store to Shopify and clears the flag", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    await wooSale(woo, "shirt1", 3);
    const result = await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
    });
    assert.equal(result.written, 1);
    assert.equal(result.remaining, 0);
    assert.equal(await shopQuantity("shirt1"), 97);
    const listing = await prisma.listing.findFirstOrThrow({
      where: { connectionId: shop.connectionId, variantId: variantBySku.get("shirt1")! },
    });
    assert.equal(listing.dirty, false);
    assert.equal(listing.lastPushedQuantity, 97);
    const pushed = await prisma.activityEvent.findFirstOrThrow({
      where: { connectionId: shop.connectionId, type: "stock_pushed" },
    });
    assert.equal((pushed.data as { written: number }).written, 1);

    // Nothing dirty: a second drain writes nothing.
    const again = await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
    });
    assert.deepEqual([again.written, again.rounds], [0, 0]);
  });

  it("while it waits for more work, takes a change made meanwhile and reports each burst as it catches up", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    const before = await shopQuantity("shirt1");
    await wooSale(woo, "shirt1", 1);
    const draining = drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
      lingerMs: 3_000,
    });
    const listing = () =>
      prisma.listing.findFirstOrThrow({
        where: { connectionId: shop.connectionId, variantId: variantBySku.get("shirt1")! },
      });
    await waitFor("the first write", async () => (await listing()).dirty === false, { timeoutMs: 5_000, everyMs: 20 });
    await waitFor(
      "the first burst is reported",
      async () =>
        (await prisma.activityEvent.count({ where: { connectionId: shop.connectionId, type: "stock_pushed" } })) === 1,
      { timeoutMs: 5_000, everyMs: 20 },
    );
    await wooSale(woo, "shirt1", 2);
    const result = await draining;
    assert.equal(result.written, 2, "the second sale was written by the same drain");
    assert.equal(await shopQuantity("shirt1"), before! - 3);
    const bursts = await prisma.activityEvent.findMany({
      where: { connectionId: shop.connectionId, type: "stock_pushed" },
      orderBy: { id: "asc" },
    });
    assert.deepEqual(
      bursts.map((b) => (b.data as { written: number }).written),
      [1, 1],
    );
  });

  it("coalesces a burst into one write per listing and honours the buffer", async () => {
    const { shop, woo } = await linkedShop();
    await prisma.connection.update({ where: { id: shop.connectionId }, data: { buffer: 5 } });
    for (let i = 0; i < 10; i++) await wooSale(woo, "mug-ceramic", 1);
    const result = await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
    });
    assert.equal(result.written, 1);
    assert.equal(await shopQuantity("mug-ceramic"), 90 - 10 - 5);
  });

  it("reports a product falling to the store's low-stock level once, when it crosses it", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    const listing = await prisma.listing.findFirstOrThrow({
      where: { connectionId: shop.connectionId, variantId: variantBySku.get("shirt1")! },
    });
    const start = listing.lastPushedQuantity!;
    await prisma.connection.update({
      where: { id: shop.connectionId },
      data: { settings: { lowStockThreshold: start - 3 } },
    });
    const drain = () =>
      drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
        reference: `drain-${randomUUID()}`,
      });
    const lowEntries = () =>
      prisma.activityEvent.findMany({ where: { connectionId: shop.connectionId, type: "low_stock" } });

    await wooSale(woo, "shirt1", 2); // still above the level
    await drain();
    assert.equal((await lowEntries()).length, 0);
    await wooSale(woo, "shirt1", 1); // at the level
    await drain();
    const [entry, ...more] = await lowEntries();
    assert.equal(more.length, 0);
    assert.equal(entry!.severity, "warning");
    assert.equal(entry!.variantId, variantBySku.get("shirt1"));
    assert.deepEqual(entry!.data, { listingId: listing.id, quantity: start - 3, threshold: start - 3 });
    assert.match(entry!.message, /^shirt1 is low: \d+ left for this store \(alert level \d+\)$/u);
    await wooSale(woo, "shirt1", 1); // already low: no second alert
    await drain();
    assert.equal((await lowEntries()).length, 1);
  });

  it("writes nothing more once the store is paused, even in a drain already running", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    const before = await shopQuantity("shirt1");
    await prisma.connection.update({ where: { id: shop.connectionId }, data: { status: "paused" } });
    await wooSale(woo, "shirt1", 2);
    const result = await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
    });
    assert.equal(result.written, 0);
    assert.equal(await shopQuantity("shirt1"), before);
    const listing = await prisma.listing.findFirstOrThrow({
      where: { connectionId: shop.connectionId, variantId: variantBySku.get("shirt1")! },
    });
    assert.equal(listing.dirty, true, "the change waits for resume");
  });

  it("re-reads a quantity changed by hand in the store and still ends on the target", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    const listing = await prisma.listing.findFirstOrThrow({
      where: { connectionId: shop.connectionId, variantId: variantBySku.get("cap-base")! },
    });
    emulator.emulator.control.setStock({
      shop: demo.shop,
      inventoryItemId: listing.externalInventoryItemId!,
      available: 3,
    });
    await wooSale(woo, "cap-base", 2);
    const result = await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
    });
    assert.equal(result.stale, 1, "the stale expected quantity was detected");
    assert.equal(result.written, 1);
    assert.equal(await shopQuantity("cap-base"), 78);
  });

  it("keeps a listing dirty when a sale lands while its write is in flight, and writes it next", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    await wooSale(woo, "lamp-desk", 1); // 12 -> 11
    // The real adapter writes; the sale lands after the store answered, before the flag is cleared.
    const interleaved: Channel = {
      ...channel,
      writeQuantities: async (writes, context) => {
        const outcome = await channel.writeQuantities(writes, context);
        await wooSale(woo, "lamp-desk", 2); // 11 -> 9
        return outcome;
      },
    };
    const first = await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, interleaved, {
      reference: `drain-${randomUUID()}`,
      maxRounds: 1,
    });
    assert.equal(first.written, 1);
    assert.equal(await shopQuantity("lamp-desk"), 11);
    const listing = await prisma.listing.findFirstOrThrow({
      where: { connectionId: shop.connectionId, variantId: variantBySku.get("lamp-desk")! },
    });
    assert.equal(listing.dirty, true, "the sale made during the write must not be lost");
    assert.equal(listing.lastPushedQuantity, 11);

    await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
    });
    assert.equal(await shopQuantity("lamp-desk"), 9);
  });

  it("writes the same figure again when the store was set back between two rounds of one run", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    const connection = { id: shop.connectionId, businessId: shop.businessId };
    const listing = await prisma.listing.findFirstOrThrow({
      where: { connectionId: shop.connectionId, variantId: variantBySku.get("scarf-wool")! },
    });
    const before = (await shopQuantity("scarf-wool"))!;
    await wooSale(woo, "scarf-wool", 2);
    // One run (one reference) lingering for more work, as the drain worker runs it; two rounds.
    const run = drainConnection(pool, connection, channel, {
      reference: `drain-${randomUUID()}`,
      lingerMs: 20_000,
      maxRounds: 2,
    });
    await waitFor("the first round recorded its write", async () => {
      const row = await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } });
      return row.lastPushedQuantity === before - 2 && !row.dirty;
    });
    // Someone sets the store back by hand; the store-edit check finds the drift and marks it.
    emulator.emulator.control.setStock({
      shop: demo.shop,
      inventoryItemId: listing.externalInventoryItemId!,
      available: before,
    });
    const reported = await recordStoreQuantities(pool, connection, [
      { externalInventoryItemId: listing.externalInventoryItemId!, quantity: before },
    ]);
    assert.deepEqual(reported, ["changed"]);
    const check = await checkStoreEdits(pool, { ...connection, platform: "shopify" }, channel, {
      rereadOrders: false,
    });
    assert.equal(check.drift, 1);

    // The second round sends exactly the first round's write (same figure, same expected).
    const result = await run;
    assert.equal(result.rounds, 2);
    assert.equal(result.written, 2);
    assert.equal(await shopQuantity("scarf-wool"), before - 2, "the store is back on the target");
    const after = await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } });
    assert.deepEqual([after.dirty, after.lastPushedQuantity], [false, before - 2]);
  });

  it("loses no change made while drains run: the store ends equal to the target", async () => {
    const { shop, woo, variantBySku } = await linkedShop();
    const skus = ["note-a5", "pen-pack", "bottle-750"];
    const sales = Array.from({ length: 30 }, (_, i) => wooSale(woo, skus[i % 3]!, 1 + (i % 2)));
    const drains = Array.from({ length: 3 }, () =>
      drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
        reference: `drain-${randomUUID()}`,
      }),
    );
    await Promise.all([...sales, ...drains]);
    await drainConnection(pool, { id: shop.connectionId, businessId: shop.businessId }, channel, {
      reference: `drain-${randomUUID()}`,
    });
    for (const sku of skus) {
      assert.equal(await shopQuantity(sku), await available(prisma, shop, variantBySku.get(sku)!), sku);
    }
    assert.equal(await prisma.listing.count({ where: { connectionId: shop.connectionId, dirty: true } }), 0);
  });
});

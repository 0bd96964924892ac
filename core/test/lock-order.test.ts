/**
 * The lock order (docs/architecture.md): an inbox batch's ledger write and its store-quantity
 * recording, a drain recording what it wrote, and store-edit checks run at the same time on the
 * same listings without a deadlock, and leave every figure right. Real PostgreSQL, the real
 * WooCommerce adapter against the emulator over HTTP.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { woocommerce as wooEmulator } from "@prokip-sync/sandbox";
import { woocommerce, type Channel } from "../src/channels/index.ts";
import { normalizeSku, storeTarget } from "../src/domain/index.ts";
import { createLogger } from "../src/log/index.ts";
import { withTransaction } from "../src/store/index.ts";
import { applyOrderStates, checkStoreEdits, drainConnection, recordStoreQuantities } from "../src/sync/index.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, available, createShop } from "./support/fixtures.ts";

const db = await testDatabase({ poolSize: 16 });
const { prisma, pool } = db;
const log = createLogger({ level: "silent" });
const site = await wooEmulator.startWooCommerceEmulator({ port: 0 });
after(() => site.close());
const demo = site.emulator.control.seedDemo();
const channel: Channel = woocommerce.createWooCommerceChannel({
  siteUrl: demo.url,
  consumerKey: demo.consumerKey,
  consumerSecret: demo.consumerSecret,
  log,
});

/** A seeded shuffle, so a failing run can be read again. */
function shuffler(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  return <T>(items: readonly T[]): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  };
}

describe("lock order", () => {
  it("ledger writes, store quantities, drains and store-edit checks on the same listings never deadlock", async () => {
    // A Shopify store whose orders come in (its listings are never written) and the demo site,
    // linked to the same variants at one location.
    const shop = await createShop(prisma, { platform: "shopify" });
    const wooId = await addConnection(prisma, shop, { platform: "woocommerce" });
    await prisma.connection.update({ where: { id: wooId }, data: { storeDomain: `${demo.url}/${randomUUID()}` } });
    const woo = { id: wooId, businessId: shop.businessId };
    const listings: { variantId: string; sku: string; externalVariantId: string; opening: number }[] = [];
    for await (const page of channel.listVariants()) {
      for (const item of page) {
        if (!item.sku || item.quantity === null) continue;
        const variant = await prisma.variant.create({
          data: {
            businessId: shop.businessId,
            sku: item.sku,
            normalizedSku: normalizeSku(item.sku)!,
            title: item.title,
            productTitle: item.productTitle,
          },
        });
        for (const [connectionId, ids] of [
          [wooId, item],
          [
            shop.connectionId,
            {
              externalProductId: `p-${variant.id}`,
              externalVariantId: `v-${variant.id}`,
              externalInventoryItemId: null,
            },
          ],
        ] as const) {
          await prisma.listing.create({
            data: {
              businessId: shop.businessId,
              connectionId,
              variantId: variant.id,
              externalProductId: ids.externalProductId,
              externalVariantId: ids.externalVariantId,
              externalInventoryItemId: ids.externalInventoryItemId,
              sku: item.sku,
              normalizedSku: normalizeSku(item.sku),
              title: item.title,
              matchStatus: "matched",
              storeQuantity: item.quantity,
              lastPushedQuantity: item.quantity,
            },
          });
        }
        await prisma.stockMovement.create({
          data: {
            businessId: shop.businessId,
            locationId: shop.locationId,
            variantId: variant.id,
            delta: item.quantity,
            reason: "import",
            idempotencyKey: `import:${variant.id}`,
          },
        });
        await prisma.stockLevel.create({
          data: {
            businessId: shop.businessId,
            locationId: shop.locationId,
            variantId: variant.id,
            available: item.quantity,
          },
        });
        listings.push({
          variantId: variant.id,
          sku: item.sku,
          externalVariantId: item.externalVariantId,
          opening: item.quantity,
        });
      }
    }
    assert.ok(listings.length >= 8, `the demo site has ${listings.length} stocked variants`);

    const shuffle = shuffler(10);
    const sold = new Map<string, number>();
    const errors: string[] = [];
    const keep = (what: string) => (error: unknown) => {
      errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    };
    let orderSeq = 0;
    for (let round = 0; round < 60; round++) {
      // An inbox batch of the Shopify store: orders selling every product once, lines in a random order.
      const orders = Array.from({ length: 4 }, () => ({
        connectionId: shop.connectionId,
        externalId: `S${++orderSeq}`,
        updatedAt: new Date(),
        paid: true,
        cancelled: false,
        lines: shuffle(listings).map((listing, i) => ({ lineId: String(i), sku: listing.sku, quantity: 1 })),
      }));
      for (const listing of listings) sold.set(listing.sku, (sold.get(listing.sku) ?? 0) + orders.length);
      // The site's echoes as the inbox records them: in its batch's transaction, in delivery order.
      const echoes = shuffle(listings).map((listing, i) => ({
        externalVariantId: listing.externalVariantId,
        quantity: Math.max(0, listing.opening - round - (i % 3)),
      }));
      await Promise.all([
        ...[orders.slice(0, 2), orders.slice(2)].map((batch) =>
          applyOrderStates(pool, batch).then((outcomes) => {
            for (const outcome of outcomes) if (!outcome.ok) keep("ledger write")(outcome.error);
          }),
        ),
        ...[echoes, shuffle(echoes)].map((batch) =>
          withTransaction(pool, (sql) => recordStoreQuantities(sql, woo, batch)).catch(keep("store quantities")),
        ),
        drainConnection(pool, woo, channel, { reference: `drain-${randomUUID()}` }).catch(keep("drain")),
        checkStoreEdits(pool, { ...woo, platform: "woocommerce" }, channel, { rereadOrders: false }).catch(
          keep("store-edit check"),
        ),
      ]);
    }
    assert.deepEqual(errors, [], "no statement failed (deadlock detected)");

    // Settle: the store-edit check marks what the echoes left unexplained, the drain writes it.
    await checkStoreEdits(pool, { ...woo, platform: "woocommerce" }, channel, { rereadOrders: false });
    const last = await drainConnection(pool, woo, channel, { reference: `drain-${randomUUID()}` });
    assert.equal(last.remaining, 0);
    const inStore = await channel.readQuantities(await prisma.listing.findMany({ where: { connectionId: wooId } }));
    for (const listing of listings) {
      const ledger = await available(prisma, shop, listing.variantId);
      assert.equal(ledger, listing.opening - sold.get(listing.sku)!, `${listing.sku}: ledger`);
      assert.equal(inStore.get(listing.externalVariantId), storeTarget(ledger, 0), `${listing.sku}: store`);
    }
  });
});

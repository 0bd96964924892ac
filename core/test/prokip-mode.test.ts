/**
 * Prokip authority mode: a store sale is posted to Prokip while Prokip's stock is polled.
 * Whatever the interleaving of "sale recorded", "posting sent / applied by Prokip / confirmed"
 * and "read sent / Prokip counted / answer received", the sale is counted exactly once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { markPosted, markPostingRejected, markPostingStarted, recordProkipReadings } from "../src/ledger/index.ts";
import { withTransaction } from "../src/store/index.ts";
import { applyOrderState } from "../src/sync/index.ts";
import { testDatabase } from "./support/database.ts";
import { available, createShop, createVariant, type Shop } from "./support/fixtures.ts";

const db = await testDatabase({ poolSize: 8 });
const { prisma, pool } = db;

type Step = "sale" | "postSent" | "prokipApplies" | "postConfirmed" | "readSent" | "prokipCounts" | "readAnswered";
const posting: Step[] = ["sale", "postSent", "prokipApplies", "postConfirmed"];
const reading: Step[] = ["readSent", "prokipCounts", "readAnswered"];

/** Every interleaving of the two sequences that keeps each one's own order. */
function interleavings(a: Step[], b: Step[]): Step[][] {
  if (a.length === 0) return [b];
  if (b.length === 0) return [a];
  return [
    ...interleavings(a.slice(1), b).map((rest) => [a[0]!, ...rest]),
    ...interleavings(a, b.slice(1)).map((rest) => [b[0]!, ...rest]),
  ];
}

async function read(shop: Shop, variantId: string, startedAt: Date, quantity: number, finishedAt: Date) {
  return withTransaction(pool, (sql) =>
    recordProkipReadings(sql, {
      businessId: shop.businessId,
      locationId: shop.locationId,
      startedAt,
      finishedAt,
      readings: [{ variantId, quantity }],
    }),
  );
}

describe("Prokip mode: sale, post and re-read in every interleaving", () => {
  const all = interleavings(posting, reading);

  it("covers all 35 interleavings", () => assert.equal(all.length, 35));

  for (const sequence of all) {
    it(`counts the sale once: ${sequence.join(" > ")}`, async () => {
      const shop = await createShop(prisma, { mode: "prokip" });
      const sku = `SHIRT-${sequence.map((s) => s[0]).join("")}-${Math.random().toString(36).slice(2, 7)}`;
      const shirt = await createVariant(db, shop, sku, 100);
      let prokipStock = 100; // the figure inside Prokip
      const t0 = Date.now();
      const at = (i: number) => new Date(t0 + (i + 1) * 1000);
      let orderId = "";
      let readStartedAt: Date | null = null;
      let counted: number | null = null;
      let sold = false;

      for (const [i, step] of sequence.entries()) {
        switch (step) {
          case "sale":
            orderId = (
              await applyOrderState(pool, {
                connectionId: shop.connectionId,
                externalId: "5001",
                updatedAt: at(i),
                paid: true,
                cancelled: false,
                lines: [{ lineId: "1", sku, quantity: 2 }],
              })
            ).orderId;
            sold = true;
            break;
          case "postSent":
            await withTransaction(pool, (sql) => markPostingStarted(sql, shop.businessId, orderId, at(i)));
            break;
          case "prokipApplies":
            prokipStock -= 2;
            break;
          case "postConfirmed":
            await withTransaction(pool, (sql) => markPosted(sql, shop.businessId, orderId, at(i)));
            break;
          case "readSent":
            readStartedAt = at(i);
            break;
          case "prokipCounts":
            counted = prokipStock;
            break;
          case "readAnswered":
            await read(shop, shirt, readStartedAt!, counted!, at(i));
            break;
        }
        assert.equal(await available(prisma, shop, shirt), sold ? 98 : 100, `after ${step}`);
      }

      // A later, quiet read settles everything on Prokip's own figure.
      const later = new Date(t0 + 60_000);
      const outcome = await read(shop, shirt, later, prokipStock, new Date(later.getTime() + 500));
      assert.deepEqual(outcome.accepted, [shirt]);
      assert.equal(prokipStock, 98);
      assert.equal(await available(prisma, shop, shirt), 98);
    });
  }
});

describe("Prokip readings", () => {
  it("ignores a reading older than the one already held", async () => {
    const shop = await createShop(prisma, { mode: "prokip" });
    const mug = await createVariant(db, shop, "MUG", 10);
    const now = Date.now();
    await read(shop, mug, new Date(now), 7, new Date(now + 100));
    const outcome = await read(shop, mug, new Date(now - 5_000), 12, new Date(now - 4_000));
    assert.deepEqual(outcome.stale, [mug]);
    assert.equal(await available(prisma, shop, mug), 7);
  });

  it("treats a rejected posting as never sent", async () => {
    const shop = await createShop(prisma, { mode: "prokip" });
    const mug = await createVariant(db, shop, "MUG-2", 10);
    const { orderId } = await applyOrderState(pool, {
      connectionId: shop.connectionId,
      externalId: "7001",
      updatedAt: new Date(),
      paid: true,
      cancelled: false,
      lines: [{ lineId: "1", sku: "MUG-2", quantity: 3 }],
    });
    const t = Date.now() + 1_000;
    await withTransaction(pool, (sql) => markPostingStarted(sql, shop.businessId, orderId, new Date(t)));
    await withTransaction(pool, (sql) => markPostingRejected(sql, shop.businessId, orderId));
    // Prokip still says 10: the sale is not in it, so it is added on top.
    const outcome = await read(shop, mug, new Date(t + 1_000), 10, new Date(t + 1_500));
    assert.deepEqual(outcome.accepted, [mug]);
    assert.equal(await available(prisma, shop, mug), 7);
    const movement = await prisma.stockMovement.findFirstOrThrow({ where: { orderId } });
    assert.equal(movement.postingState, "pending");
  });

  it("marks listings dirty only when a reading changes availability", async () => {
    const shop = await createShop(prisma, { mode: "prokip" });
    const cap = await createVariant(db, shop, "CAP-9", 10);
    const now = Date.now();
    const same = await read(shop, cap, new Date(now), 10, new Date(now + 10));
    assert.deepEqual(same.changed, []);
    assert.equal((await prisma.listing.findFirstOrThrow({ where: { variantId: cap } })).dirty, false);
    const changed = await read(shop, cap, new Date(now + 1_000), 4, new Date(now + 1_010));
    assert.deepEqual(changed.changed, [{ variantId: cap, available: 4 }]);
    assert.equal((await prisma.listing.findFirstOrThrow({ where: { variantId: cap } })).dirty, true);
  });
});

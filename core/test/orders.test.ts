/**
 * "Orders are state, not events": duplicates, reordering and stale states converge to the
 * same ledger. Real PostgreSQL, real transactions.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NormalizedOrder } from "../src/domain/index.ts";
import { SyncError } from "../src/domain/index.ts";
import { listingTargets } from "../src/ledger/index.ts";
import { applyOrderState, applyOrderStates } from "../src/sync/index.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, available, createShop, createVariant, orderNet } from "./support/fixtures.ts";

const db = await testDatabase({ poolSize: 16 });
const { prisma, pool } = db;

type Line = NormalizedOrder["lines"][number];
function order(
  connectionId: string,
  externalId: string,
  minute: number,
  lines: Partial<Line>[],
  flags: Partial<NormalizedOrder> = {},
): NormalizedOrder {
  return {
    connectionId,
    externalId,
    number: `#${externalId}`,
    updatedAt: new Date(Date.UTC(2026, 10, 1, 12, minute)),
    paid: true,
    cancelled: false,
    lines: lines.map((line, i) => ({
      lineId: `L${i + 1}`,
      sku: null,
      quantity: 0,
      refundedQuantity: 0,
      restockedQuantity: 0,
      ...line,
    })),
    ...flags,
  };
}

describe("the same order delivered many times", () => {
  it("deducts exactly once when 10 copies arrive concurrently", async () => {
    const shop = await createShop(prisma);
    const shirt = await createVariant(db, shop, "SHIRT-1", 100);
    const placed = order(shop.connectionId, "1001", 0, [{ sku: "shirt-1", quantity: 2 }]);

    const results = await Promise.all(Array.from({ length: 10 }, () => applyOrderState(pool, placed)));

    assert.equal(results.filter((r) => r.status === "applied").length, 1);
    assert.equal(results.filter((r) => r.status === "unchanged").length, 9);
    assert.equal(await available(prisma, shop, shirt), 98);
    const movements = await prisma.stockMovement.findMany({ where: { variantId: shirt, reason: "sale" } });
    assert.equal(movements.length, 1);
    assert.equal(movements[0]!.delta, -2);
    assert.equal(await prisma.order.count({ where: { businessId: shop.businessId } }), 1);
  });

  it("marks the listings of every store on the location dirty in the same transaction", async () => {
    const shop = await createShop(prisma);
    await addConnection(prisma, shop, { platform: "woocommerce" });
    const shirt = await createVariant(db, shop, "SHIRT-2", 10);
    await applyOrderState(pool, order(shop.connectionId, "1002", 0, [{ sku: "SHIRT-2", quantity: 1 }]));
    const listings = await prisma.listing.findMany({ where: { variantId: shirt } });
    assert.equal(listings.length, 2);
    assert.ok(listings.every((listing) => listing.dirty && listing.dirtySince !== null));
  });
});

describe("every order of an order's states converges", () => {
  // One order's life, as full snapshots (minute = the store's updated_at).
  const A = "JACKET-M";
  const B = "CAP";
  const states = (connectionId: string, id: string): NormalizedOrder[] => [
    order(
      connectionId,
      id,
      1,
      [
        { sku: A, quantity: 3 },
        { sku: B, quantity: 2 },
      ],
      { paid: false },
    ), // created
    order(connectionId, id, 2, [
      { sku: A, quantity: 3 },
      { sku: B, quantity: 2 },
    ]), // paid
    order(connectionId, id, 3, [
      { sku: A, quantity: 3 },
      { sku: B, quantity: 1 },
    ]), // edited down
    order(connectionId, id, 4, [
      { sku: A, quantity: 3, refundedQuantity: 1, restockedQuantity: 1 },
      { sku: B, quantity: 1 },
    ]), // refund with restock
    order(connectionId, id, 5, [
      { sku: A, quantity: 3, refundedQuantity: 2, restockedQuantity: 1 },
      { sku: B, quantity: 1 },
    ]), // refund without restock
    order(
      connectionId,
      id,
      6,
      [
        { sku: A, quantity: 3, refundedQuantity: 2, restockedQuantity: 1 },
        { sku: B, quantity: 1 },
      ],
      { cancelled: true },
    ), // cancelled
  ];
  // Units the order holds in each state (deduct on created): [A, B]
  const heldAfter = [
    [3, 2],
    [3, 2],
    [3, 1],
    [2, 1],
    [2, 1],
    [0, 0],
  ] as const;

  async function runPermutations(stateCount: number) {
    const shop = await createShop(prisma);
    const jacket = await createVariant(db, shop, A, 1000);
    const cap = await createVariant(db, shop, B, 1000);
    const permutations = permute([...Array(stateCount).keys()]);
    let run = 0;
    // Several orders at a time: they share the two stock levels, as real orders do.
    for (const batch of chunks(permutations, 8)) {
      await Promise.all(
        batch.map(async (permutation) => {
          const id = `perm-${stateCount}-${run++}`;
          const snapshots = states(shop.connectionId, id);
          let newest = -1;
          for (const index of permutation) {
            const result = await applyOrderState(pool, snapshots[index]);
            const orderId = result.orderId;
            if (index < newest) assert.equal(result.status, "stale", `state ${index} after ${newest} must be ignored`);
            newest = Math.max(newest, index);
            const [heldA, heldB] = heldAfter[newest]!;
            assert.equal(await orderNet(prisma, orderId, jacket), -heldA || 0, `${id} ${permutation} after ${index}`);
            assert.equal(await orderNet(prisma, orderId, cap), -heldB || 0, `${id} ${permutation} after ${index}`);
          }
        }),
      );
    }
    return { shop, jacket, cap, count: permutations.length };
  }

  it("all 720 orders of created, paid, edited, refunded (restock / no restock), cancelled end with nothing held", async () => {
    const { shop, jacket, cap, count } = await runPermutations(6);
    assert.equal(count, 720);
    assert.equal(await available(prisma, shop, jacket), 1000);
    assert.equal(await available(prisma, shop, cap), 1000);
  });

  it("all 120 orders of the states before cancellation end holding what the newest state says", async () => {
    const { shop, jacket, cap, count } = await runPermutations(5);
    assert.equal(count, 120);
    assert.equal(await available(prisma, shop, jacket), 1000 - 2 * 120);
    assert.equal(await available(prisma, shop, cap), 1000 - 1 * 120);
  });

  it("labels restocks by their cause", async () => {
    const shop = await createShop(prisma);
    const jacket = await createVariant(db, shop, A, 50);
    await createVariant(db, shop, B, 50);
    for (const snapshot of states(shop.connectionId, "labels")) await applyOrderState(pool, snapshot);
    const reasons = (
      await prisma.stockMovement.findMany({
        where: { variantId: jacket, orderId: { not: null } },
        orderBy: { id: "asc" },
      })
    ).map((m) => `${m.reason}:${m.delta}`);
    assert.deepEqual(reasons, ["sale:-3", "refund:1", "cancel:2"]);
  });

  it("takes a state stamped in the same second as the applied one, but behind it, as stale (alone and in a batch)", async () => {
    const shop = await createShop(prisma);
    const jacket = await createVariant(db, shop, A, 10);
    const placed = order(shop.connectionId, "same-second", 7, [{ sku: A, quantity: 2 }]);
    const cancelled = { ...placed, cancelled: true };
    assert.equal((await applyOrderState(pool, cancelled)).status, "applied");
    assert.equal((await applyOrderState(pool, placed)).status, "stale", "the placed state is behind the cancelled one");
    assert.equal(await available(prisma, shop, jacket), 10);

    const refunded = order(shop.connectionId, "same-second-batch", 7, [
      { sku: A, quantity: 3, refundedQuantity: 1, restockedQuantity: 1 },
    ]);
    const outcomes = await applyOrderStates(pool, [
      refunded,
      { ...refunded, lines: [{ ...refunded.lines[0]!, refundedQuantity: 0, restockedQuantity: 0 }] },
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.ok && o.result.status),
      ["applied", "stale"],
    );
    assert.equal(await available(prisma, shop, jacket), 8, "3 sold, 1 restocked");

    // Ahead in one respect and behind in none is newer, whatever `paid` says (a store may call a
    // cancelled order unpaid): the cancellation is applied.
    const paid = order(shop.connectionId, "same-second-paid", 9, [{ sku: A, quantity: 1 }]);
    await applyOrderState(pool, paid);
    assert.equal((await applyOrderState(pool, { ...paid, paid: false, cancelled: true })).status, "applied");
    assert.equal(await available(prisma, shop, jacket), 8);
  });

  it("does not take stock for an unpaid order when the store deducts on payment", async () => {
    const shop = await createShop(prisma, { settings: { deductOn: "paid" } });
    const jacket = await createVariant(db, shop, A, 10);
    await applyOrderState(pool, order(shop.connectionId, "unpaid", 1, [{ sku: A, quantity: 4 }], { paid: false }));
    assert.equal(await available(prisma, shop, jacket), 10);
    await applyOrderState(pool, order(shop.connectionId, "unpaid", 2, [{ sku: A, quantity: 4 }], { paid: true }));
    assert.equal(await available(prisma, shop, jacket), 6);
  });
});

describe("two orders race for the last unit", () => {
  it("records both, lets the ledger go negative, clamps every store to 0 and records the oversell", async () => {
    const shop = await createShop(prisma);
    const woo = await addConnection(prisma, shop, { platform: "woocommerce", buffer: 2 });
    const lamp = await createVariant(db, shop, "LAMP", 1);

    const results = await Promise.all([
      applyOrderState(pool, order(shop.connectionId, "race-1", 0, [{ sku: "LAMP", quantity: 1 }])),
      applyOrderState(pool, order(woo, "race-2", 0, [{ sku: "LAMP", quantity: 1 }])),
    ]);

    assert.deepEqual(
      results.map((r) => r.status),
      ["applied", "applied"],
    );
    assert.equal(await available(prisma, shop, lamp), -1);
    for (const connectionId of [shop.connectionId, woo]) {
      const targets = await listingTargets(prisma, shop.businessId, connectionId);
      assert.deepEqual(
        targets.map((t) => [t.available, t.target]),
        [[-1, 0]],
      );
    }
    const oversells = await prisma.activityEvent.findMany({ where: { businessId: shop.businessId, type: "oversell" } });
    assert.equal(oversells.length, 1);
    assert.equal(oversells[0]!.variantId, lamp);
    assert.equal((oversells[0]!.data as { available: number }).available, -1);
  });
});

describe("bad input", () => {
  const cases: [string, (connectionId: string) => unknown][] = [
    [
      "a missing line id",
      (c) => ({ ...order(c, "bad-1", 0, [{ sku: "X", quantity: 1 }]), lines: [{ sku: "X", quantity: 1 }] }),
    ],
    ["a blank line id", (c) => order(c, "bad-2", 0, [{ lineId: "  ", sku: "X", quantity: 1 }])],
    ["a negative quantity", (c) => order(c, "bad-3", 0, [{ sku: "X", quantity: -1 }])],
    ["a fractional quantity", (c) => order(c, "bad-4", 0, [{ sku: "X", quantity: 1.5 }])],
    ["more restocked than ordered", (c) => order(c, "bad-5", 0, [{ sku: "X", quantity: 1, restockedQuantity: 2 }])],
    [
      "duplicate line ids",
      (c) =>
        order(c, "bad-6", 0, [
          { lineId: "A", sku: "X", quantity: 1 },
          { lineId: "A", sku: "X", quantity: 1 },
        ]),
    ],
    ["no order id", (c) => order(c, "", 0, [{ sku: "X", quantity: 1 }])],
    ["an unreadable date", (c) => ({ ...order(c, "bad-8", 0, []), updatedAt: "yesterday" })],
    ["an unknown field", (c) => ({ ...order(c, "bad-9", 0, []), total: 5 })],
  ];

  for (const [what, build] of cases) {
    it(`rejects ${what} with invalid_order and writes nothing`, async () => {
      const shop = await createShop(prisma);
      const x = await createVariant(db, shop, "X", 5);
      await assert.rejects(applyOrderState(pool, build(shop.connectionId)), (error: unknown) => {
        assert.ok(error instanceof SyncError);
        assert.equal(error.code, "invalid_order");
        assert.ok(Array.isArray(error.details) && error.details.length > 0);
        return true;
      });
      assert.equal(await prisma.order.count({ where: { businessId: shop.businessId } }), 0);
      assert.equal(
        await prisma.stockMovement.count({ where: { businessId: shop.businessId, reason: { not: "import" } } }),
        0,
      );
      assert.equal(await available(prisma, shop, x), 5);
    });
  }

  it("rejects an unknown connection with unknown_connection and writes nothing", async () => {
    const before = await prisma.stockMovement.count();
    await assert.rejects(
      applyOrderState(pool, order("00000000-0000-4000-8000-000000000000", "ghost", 0, [{ sku: "X", quantity: 1 }])),
      (error: unknown) => error instanceof SyncError && error.code === "unknown_connection",
    );
    assert.equal(await prisma.stockMovement.count(), before);
    assert.equal(await prisma.order.count({ where: { externalId: "ghost" } }), 0);
  });

  it("records an order whose SKU is not in the catalogue without touching stock, and says so", async () => {
    const shop = await createShop(prisma);
    const result = await applyOrderState(
      pool,
      order(shop.connectionId, "stranger", 0, [{ sku: "NOT-HERE", quantity: 1 }]),
    );
    assert.deepEqual(result.unmatchedSkus, ["not-here"]);
    assert.equal(await prisma.stockMovement.count({ where: { businessId: shop.businessId } }), 0);
    const received = await prisma.activityEvent.findFirstOrThrow({
      where: { businessId: shop.businessId, type: "order_received" },
    });
    assert.equal(received.severity, "warning");
  });
});

describe("SKUs that only look alike", () => {
  it("takes an order line for the full-width SKU ｓｈｉｒｔ１ as an unknown SKU and leaves shirt1's stock alone", async () => {
    const shop = await createShop(prisma);
    const shirt = await createVariant(db, shop, "shirt1", 10);
    const result = await applyOrderState(
      pool,
      order(shop.connectionId, "look-alike", 0, [{ sku: "ｓｈｉｒｔ１", quantity: 3 }]),
    );
    assert.deepEqual(result.unmatchedSkus, ["ｓｈｉｒｔ１"]);
    assert.equal(await available(prisma, shop, shirt), 10);
    assert.equal(await prisma.stockMovement.count({ where: { businessId: shop.businessId } }), 1); // the seed only
    const received = await prisma.activityEvent.findFirstOrThrow({
      where: { businessId: shop.businessId, type: "order_received" },
    });
    assert.equal(received.severity, "warning");
  });
});

describe("several order states in one transaction", () => {
  it("answers each input on its own: applied, duplicate, superseded, stale, invalid, unknown store", async () => {
    const shop = await createShop(prisma);
    const shirt = await createVariant(db, shop, "BATCH-SHIRT", 50);
    const cap = await createVariant(db, shop, "BATCH-CAP", 50);
    const known = order(shop.connectionId, "b-known", 5, [{ sku: "BATCH-CAP", quantity: 4 }]);
    await applyOrderState(pool, known);

    const placed = order(shop.connectionId, "b-1", 1, [{ sku: "BATCH-SHIRT", quantity: 3 }]);
    const refunded = order(shop.connectionId, "b-1", 2, [
      { sku: "BATCH-SHIRT", quantity: 3, refundedQuantity: 1, restockedQuantity: 1 },
    ]);
    const outcomes = await applyOrderStates(pool, [
      placed,
      refunded,
      placed, // older than the refund in the same batch
      known, // already applied
      order(shop.connectionId, "b-known", 4, [{ sku: "BATCH-CAP", quantity: 9 }]), // older than what is applied
      { ...placed, externalId: "b-bad", lines: [{ sku: "X", quantity: 1 }] }, // no line id
      order("00000000-0000-4000-8000-000000000000", "b-ghost", 0, [{ sku: "BATCH-SHIRT", quantity: 1 }]),
    ]);

    const summary = outcomes.map((outcome) => (outcome.ok ? outcome.result.status : (outcome.error as SyncError).code));
    assert.deepEqual(summary, [
      "stale",
      "applied",
      "stale",
      "unchanged",
      "stale",
      "invalid_order",
      "unknown_connection",
    ]);
    // The refund is what the order holds: 3 sold, 1 restocked, written as the net of the newest state.
    assert.equal(await available(prisma, shop, shirt), 48);
    assert.equal(await available(prisma, shop, cap), 46);
    const orderId = outcomes[1]!.ok ? outcomes[1]!.result.orderId : "";
    assert.equal(outcomes[0]!.ok && outcomes[0]!.result.orderId, orderId);
    assert.equal(await orderNet(prisma, orderId, shirt), -2);
    assert.equal(await prisma.order.count({ where: { businessId: shop.businessId } }), 2);
    assert.equal(
      await prisma.activityEvent.count({ where: { businessId: shop.businessId, type: "order_received" } }),
      2,
    );
  });

  it("gives the same ledger as one at a time when batches overlap and run concurrently in opposite orders", async () => {
    const shop = await createShop(prisma);
    const woo = await addConnection(prisma, shop, { platform: "woocommerce" });
    const skus = ["OV-1", "OV-2", "OV-3", "OV-4"];
    const variants = await Promise.all(skus.map((sku) => createVariant(db, shop, sku, 1000)));
    const states: NormalizedOrder[] = [];
    for (let i = 0; i < 60; i++) {
      const connectionId = i % 2 === 0 ? shop.connectionId : woo;
      const lines = [
        { sku: skus[i % 4]!, quantity: 1 + (i % 3) },
        { sku: skus[(i + 1) % 4]!, quantity: 1 },
      ];
      states.push(order(connectionId, `ov-${i}`, 1, lines));
      if (i % 3 === 0) states.push(order(connectionId, `ov-${i}`, 2, lines, { cancelled: true }));
    }
    // Every state three times, in batches of 16 taken forwards by half the workers and backwards by the others.
    const forwards = [...states, ...states, ...states];
    const backwards = [...forwards].reverse();
    const outcomes = (
      await Promise.all(
        [...chunks(forwards, 16), ...chunks(backwards, 16)].map((batch) => applyOrderStates(pool, batch)),
      )
    ).flat();
    assert.ok(outcomes.every((outcome) => outcome.ok));

    for (const [v, variant] of variants.entries()) {
      let held = 0;
      for (let i = 0; i < 60; i++) {
        if (i % 3 === 0) continue; // cancelled: holds nothing
        if (i % 4 === v) held += 1 + (i % 3);
        if ((i + 1) % 4 === v) held += 1;
      }
      assert.equal(await available(prisma, shop, variant), 1000 - held, skus[v]);
    }
    // Each open order's two lines sold once; a cancelled order holds nothing, whichever state came first.
    const open = await prisma.order.findMany({
      where: { businessId: shop.businessId, cancelled: false },
      select: { id: true },
    });
    assert.equal(open.length, 40);
    assert.equal(
      await prisma.stockMovement.count({ where: { orderId: { in: open.map((o) => o.id) }, reason: "sale" } }),
      80,
    );
    const net = await prisma.stockMovement.groupBy({
      by: ["orderId"],
      where: { businessId: shop.businessId, orderId: { not: null } },
      _sum: { delta: true },
    });
    const cancelled = new Set(
      (await prisma.order.findMany({ where: { businessId: shop.businessId, cancelled: true } })).map((o) => o.id),
    );
    assert.equal(cancelled.size, 20);
    assert.ok(net.filter((row) => cancelled.has(row.orderId!)).every((row) => row._sum.delta === 0));
    assert.equal(await prisma.order.count({ where: { businessId: shop.businessId } }), 60);
  });
});

function permute<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permute([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

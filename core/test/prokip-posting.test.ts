/**
 * Store orders posted to Prokip, against a real PostgreSQL and the Prokip emulator over HTTP:
 * one sell per order, cumulative returns, deletes on cancellation, additional sells on edits
 * up, lost answers settled by invoice number (never a second sell), refusals retried until the
 * order needs attention, and concurrent workers.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { prokip } from "@prokip-sync/sandbox";
import { pino } from "pino";
import {
  createProkipPos,
  type ProkipPosOptions,
  type ProkipTokens,
  signInToProkip,
} from "../src/channels/prokip/index.ts";
import { applyOrderState } from "../src/sync/index.ts";
import { postOrderToProkip, type PostingOptions } from "../src/sync/prokip-posting.ts";
import { refreshProkipStock } from "../src/sync/prokip-stock.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, available, createShop, createVariant, type Shop } from "./support/fixtures.ts";

const db = await testDatabase({ poolSize: 12 });
const { prisma, pool } = db;
const log = pino({ level: "silent" });

const CBD = 210001; // Nairobi CBD Store in the demo business
const WALK_IN = 320001;
const SHIRT = { sku: "shirt1", productId: 430001, variationId: 550001 }; // Classic Shirt, 100 at CBD, 1500.0000
const LINEN = { sku: "shirt2", productId: 430002, variationId: 550002 }; // Linen Shirt, 35 at CBD

type Forward = () => Promise<Response>;
interface WireCall {
  method: string;
  path: string;
}
/** Decides what one request to Prokip gets: usually `forward()`. `signal` is the client's timeout. */
type Intercept = (call: WireCall, forward: Forward, signal: AbortSignal | null) => Promise<Response>;

/** An answer that never comes: rejects when the client gives up, as fetch does. */
const hangUntilAborted = (signal: AbortSignal | null) =>
  new Promise<never>((_resolve, reject) =>
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true }),
  );

interface Setup {
  emulator?: Omit<NonNullable<Parameters<typeof prokip.startProkipEmulator>[0]>, "port">;
  pos?: Partial<ProkipPosOptions>;
  intercept?: Intercept;
}

/**
 * A demo Prokip business on its own emulator, and our business in Prokip mode: a Shopify and a
 * WooCommerce connection on the location linked to Prokip's CBD store, with the Classic and
 * Linen shirts linked and their stock read from Prokip.
 */
async function connect(t: TestContext, setup: Setup = {}) {
  const started = await prokip.startProkipEmulator({
    port: 0,
    rateLimit: { limit: 100_000, windowSeconds: 60 },
    ...setup.emulator,
  });
  t.after(() => started.close());
  const { emulator, url } = started;
  const demo = emulator.control.seedDemo();
  const credentials = { baseUrl: url, clientId: demo.clientId, clientSecret: demo.clientSecret };
  let tokens = await signInToProkip({ ...credentials, username: demo.username, password: demo.password });

  const calls: WireCall[] = [];
  const intercept = setup.intercept ?? ((_call, forward) => forward());
  const wireFetch: typeof fetch = (input, init) => {
    const target = new URL(String(input));
    const call = { method: init?.method ?? "GET", path: target.pathname };
    calls.push(call);
    return intercept(call, () => fetch(input, init), init?.signal ?? null);
  };
  const pos = createProkipPos({
    ...credentials,
    tokens: { load: async () => tokens, save: async (fresh: ProkipTokens) => void (tokens = fresh) },
    log,
    fetch: wireFetch,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5 },
    limiter: { requests: 10_000, perMs: 1_000, marginMs: 0, maxConcurrent: 8 },
    ...setup.pos,
  });

  const shop = await createShop(prisma, { mode: "prokip", platform: "shopify" });
  await prisma.location.update({ where: { id: shop.locationId }, data: { prokipLocationId: CBD } });
  const wooConnectionId = await addConnection(prisma, shop, { platform: "woocommerce" });
  const shirt = await linkedVariant(shop, SHIRT);
  const linen = await linkedVariant(shop, LINEN);
  const refresh = () =>
    refreshProkipStock(
      { pool, pos, log },
      { businessId: shop.businessId, locationId: shop.locationId, prokipLocationId: CBD },
    );
  await refresh();

  const sells = () => emulator.control.listSells({ businessId: demo.businessId });
  const prokipStock = (variationId: number) => emulator.control.getStock({ variationId, locationId: CBD }).quantity;
  const sellPosts = () => calls.filter((c) => c.method === "POST" && c.path === "/connector/api/sell").length;
  const writes = () => calls.filter((c) => c.method !== "GET" && c.path !== "/oauth/token").length;
  const post = (orderId: string, options?: PostingOptions) =>
    postOrderToProkip({ pool, pos, log }, { businessId: shop.businessId, orderId }, options);
  return {
    emulator,
    demo,
    pos,
    shop,
    wooConnectionId,
    shirt,
    linen,
    refresh,
    sells,
    prokipStock,
    sellPosts,
    writes,
    post,
    calls,
  };
}

async function linkedVariant(shop: Shop, item: typeof SHIRT): Promise<string> {
  const variantId = await createVariant(db, shop, item.sku, 0);
  await prisma.variant.update({
    where: { id: variantId },
    data: { prokipProductId: item.productId, prokipVariationId: item.variationId, price: "1500.0000" },
  });
  return variantId;
}

let clock = Date.parse("2026-11-21T09:00:00Z");
/** A store order state; each call is a later state than the previous one. */
async function storeOrder(
  connectionId: string,
  externalId: string,
  number: string,
  lines: {
    lineId: string;
    sku: string;
    quantity: number;
    refundedQuantity?: number;
    restockedQuantity?: number;
    unitPrice?: string;
  }[],
  options: { cancelled?: boolean } = {},
): Promise<string> {
  clock += 1_000;
  const result = await applyOrderState(pool, {
    connectionId,
    externalId,
    number,
    updatedAt: new Date(clock),
    paid: true,
    cancelled: options.cancelled ?? false,
    lines,
  });
  return result.orderId;
}

async function movementStates(orderId: string): Promise<string[]> {
  const movements = await prisma.stockMovement.findMany({ where: { orderId }, orderBy: { id: "asc" } });
  return movements.map((m) => m.postingState);
}

async function activities(orderId: string, type: string) {
  return prisma.activityEvent.findMany({ where: { orderId, type }, orderBy: { id: "asc" } });
}

describe("the reference flow in Prokip mode", () => {
  it("sells, a second store's sale, a refund, a replay and cancellations each reach Prokip once", async (t) => {
    const p = await connect(t);
    const { shop, shirt } = p;
    assert.equal(await available(prisma, shop, shirt), 100, "stock read from Prokip");

    // A Shopify order of 2.
    const first = await storeOrder(shop.connectionId, "820001", "#1001", [
      { lineId: "l1", sku: "shirt1", quantity: 2, unitPrice: "1450.00" },
    ]);
    assert.equal(await available(prisma, shop, shirt), 98);
    const posted = await p.post(first);
    assert.equal(posted.status, "posted");
    assert.equal(p.prokipStock(SHIRT.variationId), 98);
    const [sell] = p.sells();
    assert.equal(p.sells().length, 1);
    assert.equal(sell?.invoiceNo, "SHOP-1001");
    assert.equal(sell?.contactId, WALK_IN);
    assert.equal(sell?.finalTotal, "2900.0000", "the order's own price");
    assert.deepEqual(
      sell?.lines.map((l) => [l.productId, l.variationId, l.quantity]),
      [[SHIRT.productId, SHIRT.variationId, 2]],
    );
    assert.deepEqual(posted.actions, [
      {
        kind: "sell",
        sellId: sell!.id,
        invoiceNo: "SHOP-1001",
        lines: [{ variantId: shirt, quantity: 2 }],
        foundByInvoiceNo: false,
      },
    ]);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: first } });
    assert.deepEqual(
      [order.prokipSellId, order.prokipInvoiceNo, order.postingState, order.postingAttempts, order.postingError],
      [sell!.id, "SHOP-1001", "posted", 0, null],
    );
    assert.deepEqual(await movementStates(first), ["posted"]);
    const [postedEvent] = await activities(first, "order_posted");
    assert.match(postedEvent?.message ?? "", /SHOP-1001/);
    assert.deepEqual(postedEvent?.data, { sellId: sell!.id, invoiceNo: "SHOP-1001" });
    assert.equal(
      (await prisma.business.findUniqueOrThrow({ where: { id: shop.businessId } })).defaultContactId,
      WALK_IN,
      "walk-in contact cached",
    );

    // Reading Prokip again counts the sale once.
    const reread = await p.refresh();
    assert.deepEqual(reread, { changed: [], ambiguous: [], unknownVariations: 27 });
    assert.equal(await available(prisma, shop, shirt), 98);

    // A WooCommerce order of 3.
    const second = await storeOrder(p.wooConnectionId, "4501", "4501", [{ lineId: "w1", sku: "shirt1", quantity: 3 }]);
    assert.equal(await available(prisma, shop, shirt), 95);
    assert.equal((await p.post(second)).status, "posted");
    assert.equal(p.prokipStock(SHIRT.variationId), 95);
    assert.deepEqual(
      p.sells().map((s) => s.invoiceNo),
      ["SHOP-1001", "WOO-4501"],
    );
    assert.equal(p.sells()[1]?.finalTotal, "4500.0000", "Prokip's own price when the order has none");
    await p.refresh();
    assert.equal(await available(prisma, shop, shirt), 95);

    // A refund with restock of 1 on the first order: one sell-return, cumulative 1.
    await storeOrder(shop.connectionId, "820001", "#1001", [
      { lineId: "l1", sku: "shirt1", quantity: 2, refundedQuantity: 1, restockedQuantity: 1, unitPrice: "1450.00" },
    ]);
    assert.equal(await available(prisma, shop, shirt), 96);
    const refunded = await p.post(first);
    assert.equal(refunded.status, "posted");
    assert.deepEqual(refunded.actions, [
      {
        kind: "return",
        sellId: sell!.id,
        invoiceNo: "SHOP-1001",
        lines: [{ variantId: shirt, sellLineId: sell!.lines[0]!.id, returned: 1 }],
      },
    ]);
    assert.equal(p.prokipStock(SHIRT.variationId), 96);
    const returns = p.sells().filter((s) => s.type === "sell_return");
    assert.equal(returns.length, 1);
    assert.equal(returns[0]?.returnParentId, sell!.id);
    assert.equal(p.sells().find((s) => s.id === sell!.id)?.lines[0]?.quantityReturned, 1);
    assert.match(
      (await activities(first, "order_return_posted"))[0]?.message ?? "",
      /1 unit returned in Prokip against sale SHOP-1001/,
    );
    await p.refresh();
    assert.equal(await available(prisma, shop, shirt), 96);

    // Posting again changes nothing in Prokip: no request at all.
    const writesBefore = p.writes();
    for (const orderId of [first, second]) assert.equal((await p.post(orderId)).status, "up_to_date");
    assert.equal(p.writes(), writesBefore);
    assert.equal(p.sells().length, 3);

    // The WooCommerce order is cancelled (no return was posted): its sell is deleted.
    const wooSellId = p.sells().find((s) => s.invoiceNo === "WOO-4501")?.id;
    await storeOrder(p.wooConnectionId, "4501", "4501", [{ lineId: "w1", sku: "shirt1", quantity: 3 }], {
      cancelled: true,
    });
    const deleted = await p.post(second);
    assert.deepEqual(deleted.actions, [{ kind: "delete", sellId: wooSellId, invoiceNo: "WOO-4501" }]);
    assert.equal(
      p.sells().some((s) => s.invoiceNo === "WOO-4501"),
      false,
    );
    assert.equal(p.prokipStock(SHIRT.variationId), 99);
    assert.equal(await available(prisma, shop, shirt), 99);

    // The first order is cancelled after its return: the return is raised to the full quantity.
    await storeOrder(
      shop.connectionId,
      "820001",
      "#1001",
      [{ lineId: "l1", sku: "shirt1", quantity: 2, refundedQuantity: 1, restockedQuantity: 1, unitPrice: "1450.00" }],
      { cancelled: true },
    );
    const cancelled = await p.post(first);
    assert.deepEqual(cancelled.actions, [
      {
        kind: "return",
        sellId: sell!.id,
        invoiceNo: "SHOP-1001",
        lines: [{ variantId: shirt, sellLineId: sell!.lines[0]!.id, returned: 2 }],
      },
    ]);
    assert.equal(p.sells().find((s) => s.id === sell!.id)?.lines[0]?.quantityReturned, 2);
    assert.equal(p.sells().filter((s) => s.type === "sell_return").length, 1, "still one return, updated");
    assert.equal(p.prokipStock(SHIRT.variationId), 100);
    assert.equal(await available(prisma, shop, shirt), 100);

    const settled = await p.refresh();
    assert.deepEqual([settled.changed, settled.ambiguous], [[], []]);
    assert.equal(await available(prisma, shop, shirt), 100);
    assert.deepEqual(await movementStates(first), ["posted", "posted", "posted"]);
  });
});

describe("orders that change after posting", () => {
  it("posts an additional sell for an edit up, and deletes every sell on cancellation", async (t) => {
    const p = await connect(t);
    const orderId = await storeOrder(p.shop.connectionId, "830001", "#1002", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
      { lineId: "b", sku: "shirt2", quantity: 1, unitPrice: "2000.00" },
    ]);
    await p.post(orderId);
    assert.deepEqual(
      p.sells()[0]?.lines.map((l) => [l.variationId, l.quantity]),
      [
        [SHIRT.variationId, 2],
        [LINEN.variationId, 1],
      ],
    );

    // Edited: 5 classic shirts (3 more), the linen shirt removed.
    await storeOrder(p.shop.connectionId, "830001", "#1002", [
      { lineId: "a", sku: "shirt1", quantity: 5 },
      { lineId: "b", sku: "shirt2", quantity: 0 },
    ]);
    const edited = await p.post(orderId);
    assert.equal(edited.status, "posted");
    assert.deepEqual(
      edited.actions.map((a) => [a.kind, a.invoiceNo]),
      [
        ["return", "SHOP-1002"],
        ["sell", "SHOP-1002-2"],
      ],
    );
    assert.deepEqual(
      p
        .sells()
        .find((s) => s.invoiceNo === "SHOP-1002-2")
        ?.lines.map((l) => [l.variationId, l.quantity]),
      [[SHIRT.variationId, 3]],
    );
    assert.equal(p.prokipStock(SHIRT.variationId), 95);
    assert.equal(p.prokipStock(LINEN.variationId), 35);
    assert.equal(await available(prisma, p.shop, p.shirt), 95);

    // Cancelled: the first sell has a return (so it is returned in full), the second is deleted.
    await storeOrder(
      p.shop.connectionId,
      "830001",
      "#1002",
      [
        { lineId: "a", sku: "shirt1", quantity: 5 },
        { lineId: "b", sku: "shirt2", quantity: 0 },
      ],
      { cancelled: true },
    );
    const cancelled = await p.post(orderId);
    assert.deepEqual(
      cancelled.actions.map((a) => [a.kind, a.invoiceNo]),
      [
        ["return", "SHOP-1002"],
        ["delete", "SHOP-1002-2"],
      ],
    );
    assert.equal(p.prokipStock(SHIRT.variationId), 100);
    assert.equal(p.prokipStock(LINEN.variationId), 35);
    await p.refresh();
    assert.equal(await available(prisma, p.shop, p.shirt), 100);
    assert.equal(await available(prisma, p.shop, p.linen), 35);
  });

  it("keeps a half-applied edit `posting` (readings ambiguous) until a later attempt completes it", async (t) => {
    const p = await connect(t);
    const orderId = await storeOrder(p.shop.connectionId, "830003", "#1004", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
      { lineId: "b", sku: "shirt2", quantity: 1 },
    ]);
    await p.post(orderId);
    // Prokip now forbids overselling and has 1 classic shirt left: the additional sell of an
    // edit up is refused after the return of the linen shirt went through.
    p.emulator.control.updateBusiness({ businessId: p.demo.businessId, allowOverselling: false });
    p.emulator.control.setStock({ variationId: SHIRT.variationId, locationId: CBD, quantity: 1 });
    await storeOrder(p.shop.connectionId, "830003", "#1004", [
      { lineId: "a", sku: "shirt1", quantity: 5 },
      { lineId: "b", sku: "shirt2", quantity: 0 },
    ]);
    const half = await p.post(orderId);
    assert.equal(half.status, "failed");
    assert.deepEqual(
      half.actions.map((a) => a.kind),
      ["return"],
    );
    assert.equal(p.prokipStock(LINEN.variationId), 35, "the return was applied");
    assert.deepEqual(
      await movementStates(orderId),
      ["posted", "posted", "posting", "posting"],
      "not back to pending: part of it is in Prokip",
    );
    const reading = await p.refresh();
    assert.deepEqual(reading.ambiguous.sort(), [p.shirt, p.linen].sort());

    p.emulator.control.setStock({ variationId: SHIRT.variationId, locationId: CBD, quantity: 10 });
    const done = await p.post(orderId);
    assert.equal(done.status, "posted");
    assert.deepEqual(
      done.actions.map((a) => [a.kind, a.invoiceNo]),
      [["sell", "SHOP-1004-2"]],
    );
    assert.equal(p.sells().filter((s) => s.type === "sell_return").length, 1, "the return was not sent again");
    assert.equal(p.prokipStock(SHIRT.variationId), 7);
    assert.deepEqual(await movementStates(orderId), ["posted", "posted", "posted", "posted"]);
    const settled = await p.refresh();
    assert.deepEqual(settled.ambiguous, []);
    assert.equal(await available(prisma, p.shop, p.shirt), 7);
    assert.equal(await available(prisma, p.shop, p.linen), 35);
  });

  it("sends nothing for an order cancelled before it was posted", async (t) => {
    const p = await connect(t);
    const orderId = await storeOrder(p.shop.connectionId, "830002", "#1003", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
    ]);
    await storeOrder(p.shop.connectionId, "830002", "#1003", [{ lineId: "a", sku: "shirt1", quantity: 2 }], {
      cancelled: true,
    });
    const outcome = await p.post(orderId);
    assert.deepEqual([outcome.status, outcome.actions], ["up_to_date", []]);
    assert.equal(p.writes(), 0);
    assert.deepEqual(await movementStates(orderId), ["posted", "posted"]);
    assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: orderId } })).postingState, "posted");
  });
});

describe("a sell whose answer is lost", () => {
  it("finds the sell Prokip recorded before answering 500, and never sends it again", async (t) => {
    let lose = true;
    const p = await connect(t, {
      intercept: async (call, forward) => {
        const response = await forward();
        if (!(lose && call.method === "POST" && call.path === "/connector/api/sell")) return response;
        lose = false;
        await response.text(); // Prokip recorded it; the answer is replaced by a 500
        return new Response(JSON.stringify({ message: "Server Error" }), {
          status: 500,
          headers: { "content-type": "application/json" },
        });
      },
    });
    const orderId = await storeOrder(p.shop.connectionId, "840001", "#2001", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
    ]);
    const outcome = await p.post(orderId);
    assert.equal(outcome.status, "posted");
    assert.deepEqual(
      outcome.actions.map((a) => a.kind === "sell" && [a.invoiceNo, a.foundByInvoiceNo]),
      [["SHOP-2001", true]],
    );
    assert.equal(p.sells().length, 1);
    assert.equal(p.sellPosts(), 1);
    assert.equal(p.prokipStock(SHIRT.variationId), 98);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    assert.deepEqual([order.prokipSellId, order.postingState], [p.sells()[0]!.id, "posted"]);

    assert.equal((await p.post(orderId)).status, "up_to_date");
    assert.equal(p.sellPosts(), 1);
    await p.refresh();
    assert.equal(await available(prisma, p.shop, p.shirt), 98);
  });

  it("after a timeout, settles the sell on the next attempt instead of posting it twice", async (t) => {
    // Prokip records the sell but its answer comes too late; while `slow`, looking sells up
    // times out too, so the first attempt cannot settle it.
    let slow = true;
    const p = await connect(t, {
      pos: { timeoutMs: 200, retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } },
      intercept: async (call, forward, signal) => {
        if (!slow || call.path !== "/connector/api/sell") return forward();
        if (call.method === "POST") await (await forward()).text();
        return hangUntilAborted(signal);
      },
    });
    await p.pos.defaultContactId(); // known before the trouble starts (the adapter keeps it)
    const orderId = await storeOrder(p.shop.connectionId, "840002", "#2002", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
    ]);
    const first = await p.post(orderId);
    assert.equal(first.status, "in_doubt");
    assert.match(first.message ?? "", /SHOP-2002.*timeout/);
    assert.deepEqual(await movementStates(orderId), ["posting"]);
    assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: orderId } })).postingState, "posting");
    assert.equal(p.sells().length, 1, "Prokip did record it");
    assert.equal(p.prokipStock(SHIRT.variationId), 98);

    // A reading while the sell is unsettled is ambiguous for the shirt and not used.
    slow = false;
    const reading = await p.refresh();
    assert.deepEqual(reading.ambiguous, [p.shirt]);
    assert.equal(await available(prisma, p.shop, p.shirt), 98);

    const second = await p.post(orderId);
    assert.equal(second.status, "posted");
    assert.deepEqual(
      second.actions.map((a) => a.kind === "sell" && [a.invoiceNo, a.foundByInvoiceNo]),
      [["SHOP-2002", true]],
    );
    assert.equal(p.sellPosts(), 1);
    assert.equal(p.sells().length, 1);
    assert.deepEqual(await movementStates(orderId), ["posted"]);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    assert.deepEqual([order.prokipSellId, order.postingState, order.postingAttempts], [p.sells()[0]!.id, "posted", 0]);
    await p.refresh();
    assert.equal(await available(prisma, p.shop, p.shirt), 98);
  });

  it("creates the sell again only when Prokip still does not have it after the grace period", async (t) => {
    const p = await connect(t);
    const orderId = await storeOrder(p.shop.connectionId, "840003", "#2003", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
    ]);
    await p.pos.defaultContactId(); // known before the trouble starts (the adapter keeps it)
    p.emulator.faults.configure({ errorRate: 1 }); // every request answered 5xx, nothing recorded
    assert.equal((await p.post(orderId)).status, "in_doubt");
    assert.equal(p.sells().length, 0);
    p.emulator.faults.configure({});

    // Within the grace period: looked up, not found, not sent again.
    const waiting = await p.post(orderId);
    assert.equal(waiting.status, "in_doubt");
    assert.equal(p.sellPosts(), 1);

    const later = new Date(Date.now() + 5 * 60_000);
    const resent = await p.post(orderId, { now: () => later });
    assert.equal(resent.status, "posted");
    assert.equal(p.sellPosts(), 2);
    assert.deepEqual(
      p.sells().map((s) => s.invoiceNo),
      ["SHOP-2003"],
    );
    assert.equal(p.prokipStock(SHIRT.variationId), 98);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    assert.deepEqual([order.postingState, order.postingAttempts, order.postingError], ["posted", 0, null]);
  });
});

describe("refusals", () => {
  it("puts the movements back to pending, and after the last attempt needs attention with Prokip's message", async (t) => {
    const p = await connect(t);
    p.emulator.control.updateBusiness({ businessId: p.demo.businessId, allowOverselling: false });
    p.emulator.control.setStock({ variationId: SHIRT.variationId, locationId: CBD, quantity: 1 });
    await p.refresh();
    const orderId = await storeOrder(p.shop.connectionId, "850001", "#3001", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
    ]);

    for (const attempt of [1, 2]) {
      const outcome = await p.post(orderId, { maxAttempts: 3 });
      assert.equal(outcome.status, "failed");
      assert.equal(outcome.attempts, attempt);
      assert.match(outcome.message ?? "", /^ERROR: NOT ALLOWED: Mismatch between sold and purchase quantity/);
      assert.deepEqual(await movementStates(orderId), ["pending"]);
      const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
      assert.deepEqual(
        [order.postingState, order.postingAttempts, order.postingError],
        ["failed", attempt, outcome.message],
      );
    }
    const last = await p.post(orderId, { maxAttempts: 3 });
    assert.equal(last.status, "needs_attention");
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    assert.deepEqual([order.postingState, order.postingAttempts], ["needs_attention", 3]);
    assert.match(order.postingError ?? "", /Mismatch between sold and purchase quantity/);
    const [event] = await activities(orderId, "posting_failed");
    assert.equal(event?.severity, "error");
    assert.match(event?.message ?? "", /#3001 could not be recorded in Prokip after 3 attempts: ERROR: NOT ALLOWED/);
    assert.equal(p.sells().length, 0);
    assert.equal(p.prokipStock(SHIRT.variationId), 1);

    // Refused, never applied: a reading still adds the sale on top of Prokip's figure.
    await p.refresh();
    assert.equal(await available(prisma, p.shop, p.shirt), -1);

    // Stock arrives in Prokip; the next attempt goes through and clears the error.
    p.emulator.control.setStock({ variationId: SHIRT.variationId, locationId: CBD, quantity: 10 });
    const retried = await p.post(orderId, { maxAttempts: 3 });
    assert.equal(retried.status, "posted");
    assert.equal(p.prokipStock(SHIRT.variationId), 8);
    const fixed = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    assert.deepEqual([fixed.postingState, fixed.postingAttempts, fixed.postingError], ["posted", 0, null]);
  });

  it("reports a variation Prokip does not know as a refusal", async (t) => {
    const p = await connect(t);
    await prisma.variant.update({ where: { id: p.linen }, data: { prokipVariationId: 999_999 } });
    const orderId = await storeOrder(p.shop.connectionId, "850002", "#3002", [
      { lineId: "a", sku: "shirt2", quantity: 1 },
    ]);
    const outcome = await p.post(orderId, { maxAttempts: 1 });
    assert.equal(outcome.status, "needs_attention");
    assert.match(outcome.message ?? "", /No query results for model \[App\\Variation\] 999999/);
    assert.deepEqual(await movementStates(orderId), ["pending"]);
    assert.equal(p.sells().length, 0);
  });

  it("needs attention at once, without calling Prokip, for a product not linked to Prokip", async (t) => {
    const p = await connect(t);
    await prisma.variant.update({ where: { id: p.linen }, data: { prokipProductId: null, prokipVariationId: null } });
    const orderId = await storeOrder(p.shop.connectionId, "850003", "#3003", [
      { lineId: "a", sku: "shirt2", quantity: 1 },
    ]);
    const outcome = await p.post(orderId);
    assert.equal(outcome.status, "needs_attention");
    assert.match(outcome.message ?? "", /Product "shirt2" \(SKU shirt2\) is not linked to a Prokip product/);
    assert.equal(p.writes(), 0);
    assert.deepEqual(await movementStates(orderId), ["pending"]);
    await p.post(orderId);
    assert.equal((await activities(orderId, "posting_failed")).length, 1, "reported once, not at every retry");
  });
});

describe("concurrency", () => {
  it("two workers posting one order create one sell", async (t) => {
    const p = await connect(t);
    const orderId = await storeOrder(p.shop.connectionId, "860001", "#4001", [
      { lineId: "a", sku: "shirt1", quantity: 2 },
    ]);
    const outcomes = await Promise.all([p.post(orderId), p.post(orderId), p.post(orderId)]);
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ["posted", "up_to_date", "up_to_date"]);
    assert.equal(p.sellPosts(), 1);
    assert.equal(p.sells().length, 1);
    assert.equal(p.prokipStock(SHIRT.variationId), 98);
    assert.equal((await activities(orderId, "order_posted")).length, 1);
  });

  it("plans again when a new state of the order is applied while it is being posted", async (t) => {
    let refund: (() => Promise<unknown>) | null = null;
    const p = await connect(t, {
      intercept: async (call, forward) => {
        // The refund lands between reading the order and starting the round.
        if (call.path === "/connector/api/contactapi" && refund) await refund();
        return forward();
      },
    });
    const lines = [{ lineId: "a", sku: "shirt1", quantity: 2 }];
    const orderId = await storeOrder(p.shop.connectionId, "860002", "#4002", lines);
    refund = () =>
      storeOrder(p.shop.connectionId, "860002", "#4002", [{ ...lines[0]!, refundedQuantity: 1, restockedQuantity: 1 }]);
    const outcome = await p.post(orderId);
    assert.equal(outcome.status, "posted");
    assert.deepEqual(
      p.sells().map((s) => s.lines.map((l) => l.quantity)),
      [[1]],
    );
    assert.equal(p.prokipStock(SHIRT.variationId), 99);
    assert.deepEqual(await movementStates(orderId), ["posted", "posted"]);
    await p.refresh();
    assert.equal(await available(prisma, p.shop, p.shirt), 99);
  });
});

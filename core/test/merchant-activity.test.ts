/**
 * The Activity screen's timeline on a real database, written by the real producers: store
 * orders through the ledger, their Prokip postings against the Prokip emulator over HTTP (sale
 * numbers, a refund's return, a cancellation's delete, a posting that needs attention), an
 * oversell, pause/resume, the merchant's product actions. Checked: what belongs to the store,
 * how each stored type is shown, order and product links, type and SKU filters, pages.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { prokip } from "@prokip-sync/sandbox";
import { createProkipPos, signInToProkip, type ProkipTokens } from "../src/channels/prokip/index.ts";
import { pauseConnection, resumeConnection } from "../src/connections/index.ts";
import { isSyncError, type ErrorCode } from "../src/domain/index.ts";
import { applyMovements } from "../src/ledger/index.ts";
import { createLogger } from "../src/log/index.ts";
import { activityTypeOf, listActivity } from "../src/merchant/activity.ts";
import { excludeProduct, listProducts } from "../src/merchant/products.ts";
import type { ActivityEntry, StoreRef } from "../src/merchant/types.ts";
import { withTransaction } from "../src/store/index.ts";
import { applyOrderState, refreshProkipStock } from "../src/sync/index.ts";
import { postOrderToProkip } from "../src/sync/prokip-posting.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, createShop, createVariant, type Shop } from "./support/fixtures.ts";
import { merchantDeps } from "./support/merchant-deps.ts";

const db = await testDatabase();
const { prisma, pool } = db;
const deps = merchantDeps(db);
const log = createLogger({ level: "silent" });

const CBD = 210001; // the emulator's demo business: Nairobi CBD Store
const SHIRT = { sku: "shirt1", productId: 430001, variationId: 550001 };
const LINEN = { sku: "shirt2", productId: 430002, variationId: 550002 };

async function refusal(action: Promise<unknown>, code: ErrorCode) {
  const error = await action.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isSyncError(error), String(error));
  assert.equal(error.code, code, error.message);
}

/** Every entry of the store, walking pages of `pageSize`. */
async function everything(
  store: StoreRef,
  query: { type?: ActivityEntry["type"]; sku?: string } = {},
  pageSize = 100,
): Promise<ActivityEntry[]> {
  const entries: ActivityEntry[] = [];
  let after: string | undefined;
  do {
    const page = await listActivity(deps, store, { ...query, pageSize, ...(after ? { after } : {}) });
    entries.push(...page.entries);
    after = page.nextCursor ?? undefined;
  } while (after);
  return entries;
}

interface World {
  shop: Shop;
  store: StoreRef;
  wooConnectionId: string;
  shirt: string;
  linen: string;
  local: string;
  elsewhere: string;
  orders: { refunded: string; cancelled: string; refused: string; woo: string };
}
let world: World;

before(async () => {
  const started = await prokip.startProkipEmulator({ port: 0, rateLimit: { limit: 100_000, windowSeconds: 60 } });
  after(() => started.close());
  const demo = started.emulator.control.seedDemo();
  const credentials = { baseUrl: started.url, clientId: demo.clientId, clientSecret: demo.clientSecret };
  let tokens = await signInToProkip({ ...credentials, username: demo.username, password: demo.password });
  const pos = createProkipPos({
    ...credentials,
    tokens: { load: async () => tokens, save: async (fresh: ProkipTokens) => void (tokens = fresh) },
    log,
    retry: { retries: 0, minDelayMs: 1, maxDelayMs: 5 },
    limiter: { requests: 10_000, perMs: 1_000, marginMs: 0, maxConcurrent: 8 },
  });

  const shop = await createShop(prisma, { mode: "prokip", platform: "shopify" });
  await prisma.location.update({ where: { id: shop.locationId }, data: { prokipLocationId: CBD } });
  const storeDomain = `activity-${process.pid}.myshopify.com`;
  await prisma.connection.update({ where: { id: shop.connectionId }, data: { storeDomain } });
  const wooConnectionId = await addConnection(prisma, shop, { platform: "woocommerce" });
  const linked = async (item: typeof SHIRT) => {
    const variantId = await createVariant(db, shop, item.sku, 0);
    await prisma.variant.update({
      where: { id: variantId },
      data: { prokipProductId: item.productId, prokipVariationId: item.variationId, price: "1500.0000" },
    });
    return variantId;
  };
  const shirt = await linked(SHIRT);
  const linen = await linked(LINEN);
  const local = await createVariant(db, shop, "LOCAL-1", 5); // not in Prokip: its sales cannot be posted
  const elsewhere = await createVariant(db, shop, "WOO-ONLY", 1); // listed on the WooCommerce store only
  await prisma.listing.deleteMany({ where: { variantId: elsewhere, connectionId: shop.connectionId } });
  await refreshProkipStock(
    { pool, pos, log },
    { businessId: shop.businessId, locationId: shop.locationId, prokipLocationId: CBD },
  );

  let clock = Date.parse("2026-11-21T09:00:00Z");
  const order = async (
    connectionId: string,
    externalId: string,
    number: string,
    lines: { lineId: string; sku: string; quantity: number; refundedQuantity?: number; restockedQuantity?: number }[],
    cancelled = false,
  ) =>
    (
      await applyOrderState(pool, {
        connectionId,
        externalId,
        number,
        updatedAt: new Date((clock += 1_000)),
        paid: true,
        cancelled,
        lines,
      })
    ).orderId;
  const post = (orderId: string) =>
    postOrderToProkip({ pool, pos, log }, { businessId: shop.businessId, orderId }, { maxAttempts: 1 });

  // #1001: sold, posted, one unit refunded and restocked (a return in Prokip).
  const refunded = await order(shop.connectionId, "gid://shopify/Order/820001", "#1001", [
    { lineId: "l1", sku: "shirt1", quantity: 2 },
  ]);
  assert.equal((await post(refunded)).status, "posted");
  await order(shop.connectionId, "gid://shopify/Order/820001", "#1001", [
    { lineId: "l1", sku: "shirt1", quantity: 2, refundedQuantity: 1, restockedQuantity: 1 },
  ]);
  assert.equal((await post(refunded)).status, "posted");
  // #1002: sold, posted, cancelled (the sale deleted in Prokip).
  const cancelled = await order(shop.connectionId, "gid://shopify/Order/820002", "#1002", [
    { lineId: "l1", sku: "shirt2", quantity: 1 },
  ]);
  assert.equal((await post(cancelled)).status, "posted");
  await order(
    shop.connectionId,
    "gid://shopify/Order/820002",
    "#1002",
    [{ lineId: "l1", sku: "shirt2", quantity: 1 }],
    true,
  );
  assert.equal((await post(cancelled)).status, "posted");
  // #1003: a product Prokip does not have: needs attention.
  const refused = await order(shop.connectionId, "gid://shopify/Order/820003", "#1003", [
    { lineId: "l1", sku: "LOCAL-1", quantity: 1 },
  ]);
  assert.equal((await post(refused)).status, "needs_attention");
  // The other store's order is not this store's activity.
  const woo = await order(wooConnectionId, "4501", "4501", [{ lineId: "w1", sku: "shirt1", quantity: 1 }]);

  // Business-wide: an oversell of a product this store lists, and of one it does not.
  const oversell = (variantId: string, key: string) =>
    withTransaction(pool, (sql) =>
      applyMovements(sql, [
        {
          businessId: shop.businessId,
          locationId: shop.locationId,
          variantId,
          delta: -1000,
          reason: "adjustment",
          idempotencyKey: key,
          postingState: "not_required",
        },
      ]),
    );
  await oversell(shirt, "test:oversell-shirt");
  await oversell(elsewhere, "test:oversell-elsewhere");

  await pauseConnection(pool, shop.connectionId);
  await resumeConnection(pool, shop.connectionId);
  const store = { platform: "shopify" as const, storeDomain };
  const [shirtRow] = (await listProducts(deps, store, { search: "shirt1" })).rows;
  await excludeProduct(deps, store, shirtRow!.listingId);
  // A type nothing here knows, recorded as an error by some future part of core.
  await pool.query(
    `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "severity", "message") VALUES ($1, $2, 'mystery_failure', 'error', 'Something broke')`,
    [shop.businessId, shop.connectionId],
  );

  world = {
    shop,
    store,
    wooConnectionId,
    shirt,
    linen,
    local,
    elsewhere,
    orders: { refunded, cancelled, refused, woo },
  };
});

describe("listActivity", () => {
  it("holds the store's entries and the business's about its products, newest first, each shown as its type", async () => {
    const entries = await everything(world.store);
    const stored = await prisma.activityEvent.findMany({
      where: { businessId: world.shop.businessId },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
    const mine = stored.filter(
      (e) => e.connectionId === world.shop.connectionId || (e.connectionId === null && e.variantId !== world.elsewhere),
    );
    assert.deepEqual(
      entries.map((e) => e.id),
      mine.map((e) => e.id.toString()),
    );
    assert.ok(!entries.some((e) => e.order?.orderId === world.orders.woo), "the other store's order is not here");
    assert.ok(
      stored.some((e) => e.type === "oversell" && e.variantId === world.elsewhere),
      "the other oversell exists, elsewhere",
    );

    const typeOf = (type: string, orderId?: string) =>
      entries
        .filter(
          (e) =>
            stored.find((s) => s.id.toString() === e.id)!.type === type && (!orderId || e.order?.orderId === orderId),
        )
        .map((e) => e.type);
    assert.deepEqual(typeOf("order_received", world.orders.refunded), ["order_received"]);
    assert.deepEqual(typeOf("order_posted", world.orders.refunded), ["order_posted"]);
    assert.deepEqual(typeOf("order_return_posted", world.orders.refunded), ["refund_restocked"]);
    assert.deepEqual(typeOf("order_sell_deleted", world.orders.cancelled), ["cancellation_restocked"]);
    assert.deepEqual(typeOf("posting_failed", world.orders.refused), ["order_not_posted"]);
    assert.deepEqual(typeOf("oversell"), ["oversell"]);
    assert.deepEqual(typeOf("connection_paused"), ["connection"]);
    assert.deepEqual(typeOf("product_excluded"), ["product"]);
    assert.deepEqual(typeOf("mystery_failure"), ["error"]);
  });

  it("links each order entry to its order (number, store admin, Prokip sale number) and each product entry to its product", async () => {
    const entries = await everything(world.store);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: world.orders.refunded } });
    assert.ok(order.prokipInvoiceNo);
    const posted = entries.find((e) => e.type === "order_posted" && e.order?.orderId === world.orders.refunded)!;
    assert.deepEqual(posted.order, {
      orderId: world.orders.refunded,
      number: "#1001",
      storeAdminUrl: `https://admin.shopify.com/store/activity-${process.pid}/orders/820001`,
      prokipInvoiceNo: order.prokipInvoiceNo,
    });
    assert.match(posted.message, new RegExp(order.prokipInvoiceNo));
    assert.equal(posted.retry, null);
    const received = entries.find((e) => e.type === "order_received" && e.order?.orderId === world.orders.refunded)!;
    assert.equal(
      received.order?.prokipInvoiceNo,
      order.prokipInvoiceNo,
      "the order's sale number on every entry of the order",
    );

    const notPosted = entries.find((e) => e.type === "order_not_posted")!;
    assert.equal(notPosted.severity, "error");
    assert.deepEqual(notPosted.retry, { kind: "order_posting", orderId: world.orders.refused });
    assert.equal(notPosted.order?.number, "#1003");
    assert.equal(notPosted.order?.prokipInvoiceNo, null);

    const oversell = entries.find((e) => e.type === "oversell")!;
    const shirtListing = await prisma.listing.findFirstOrThrow({
      where: { connectionId: world.shop.connectionId, variantId: world.shirt },
    });
    assert.deepEqual(oversell.product, { sku: "shirt1", title: "shirt1", listingId: shirtListing.id });
    assert.equal(oversell.order, null);
    const excluded = entries.find((e) => e.type === "product")!;
    assert.deepEqual(excluded.product, { sku: "shirt1", title: "shirt1", listingId: shirtListing.id });
  });

  it("filters by type and by SKU", async () => {
    const ids = (entries: ActivityEntry[]) => entries.map((e) => e.id);
    const all = await everything(world.store);
    for (const type of [
      "refund_restocked",
      "cancellation_restocked",
      "order_not_posted",
      "order_posted",
      "connection",
      "product",
      "error",
      "oversell",
      "drift",
    ] as const) {
      assert.deepEqual(ids(await everything(world.store, { type })), ids(all.filter((e) => e.type === type)), type);
    }
    assert.equal((await everything(world.store, { type: "connection" })).length, 2, "paused and resumed");
    assert.equal((await everything(world.store, { type: "drift" })).length, 0);

    // shirt1: order #1001's entries, the oversell and the exclusion; not #1002 (linen) nor the other store's order.
    const shirt = await everything(world.store, { sku: " SHIRT1 " });
    assert.deepEqual(
      ids(shirt),
      ids(
        all.filter((e) => e.order?.orderId === world.orders.refunded || e.type === "oversell" || e.type === "product"),
      ),
    );
    assert.deepEqual(shirt.map((e) => e.type).sort(), [
      "order_posted",
      "order_received",
      "oversell",
      "product",
      "refund_restocked",
    ]);
    const shirtRefunds = await everything(world.store, { sku: "shirt1", type: "refund_restocked" });
    assert.equal(shirtRefunds.length, 1);
    assert.deepEqual(await everything(world.store, { sku: "no-such-sku" }), []);
  });

  it("pages with a cursor, and refuses a bad query, a foreign cursor and a store that is not connected", async () => {
    const all = await everything(world.store);
    const paged = await everything(world.store, {}, 2);
    assert.deepEqual(paged, all);
    const first = await listActivity(deps, world.store, { pageSize: 3 });
    assert.equal(first.entries.length, 3);
    assert.ok(first.nextCursor);

    await refusal(listActivity(deps, world.store, { pageSize: 0 }), "invalid_input");
    await refusal(listActivity(deps, world.store, { type: "everything" as never }), "invalid_input");
    await refusal(listActivity(deps, world.store, { after: "garbage" }), "invalid_input");
    const products = await listProducts(deps, world.store, { pageSize: 1 });
    await refusal(listActivity(deps, world.store, { after: products.nextCursor! }), "invalid_input");
    await refusal(
      listActivity(deps, { platform: "shopify", storeDomain: "gone.myshopify.com" }, {}),
      "store_not_connected",
    );
  });
});

describe("listActivity on a long history", () => {
  it("finds a product's entries whether it is in a few orders or in thousands, newest first", async (t) => {
    const shop = await createShop(prisma);
    const store = {
      platform: "shopify" as const,
      storeDomain: (await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } })).storeDomain,
    };
    const popular = await createVariant(db, shop, "POPULAR", 0);
    const rare = await createVariant(db, shop, "RARE", 0);
    // 6,000 orders of POPULAR and 3 of RARE, each with its movement and two entries, an hour apart.
    await pool.query(
      `WITH o AS (
         INSERT INTO "Order" ("businessId", "connectionId", "externalId", "number", "storeUpdatedAt", "payloadDigest", "updatedAt")
         SELECT $1, $2, 'o' || n, '#' || n, now(), 'd', now() FROM generate_series(1, 6003) AS n
         RETURNING "id", "externalId"
       ), m AS (
         INSERT INTO "StockMovement" ("businessId", "locationId", "variantId", "delta", "reason", "connectionId", "orderId", "idempotencyKey")
         SELECT $1, $3, CASE WHEN substr(o."externalId", 2)::int % 2001 = 0 THEN $5::uuid ELSE $4::uuid END, -1, 'sale', $2, o."id", 'k' || o."id" FROM o
       )
       INSERT INTO "ActivityEvent" ("businessId", "connectionId", "orderId", "type", "message", "createdAt")
       SELECT $1, $2, o."id", t, o."externalId", timestamptz '2026-01-01' + substr(o."externalId", 2)::int * interval '1 hour'
       FROM o, unnest(ARRAY['order_received', 'order_posted']) AS t`,
      [shop.businessId, shop.connectionId, shop.locationId, popular, rare],
    );
    await pool.query(`ANALYZE`);

    const started = performance.now();
    const many = await listActivity(deps, store, { sku: "popular", pageSize: 10 });
    t.diagnostic(`first page of a SKU in 6,000 orders: ${(performance.now() - started).toFixed(1)} ms`);
    assert.deepEqual(
      many.entries.map((e) => [e.order?.number, e.type]),
      [6002, 6002, 6001, 6001, 6000, 6000, 5999, 5999, 5998, 5998].map((n, i) => [
        `#${n}`,
        i % 2 === 0 ? "order_posted" : "order_received",
      ]),
    );
    const next = await listActivity(deps, store, { sku: "popular", pageSize: 10, after: many.nextCursor! });
    assert.equal(next.entries[0]!.order?.number, "#5997");

    const few = await everything(store, { sku: "RARE" });
    assert.deepEqual(
      few.map((e) => e.order?.number),
      ["#6003", "#6003", "#4002", "#4002", "#2001", "#2001"],
    );
  });
});

describe("activityTypeOf", () => {
  it("shows every stored type core writes as a screen type", () => {
    const cases: [string, ActivityEntry["type"]][] = [
      ["order_received", "order_received"],
      ["order_posted", "order_posted"],
      ["posting_failed", "order_not_posted"],
      ["order_sell_deleted", "cancellation_restocked"],
      ["stock_pushed", "stock_pushed"],
      ["drift", "drift"],
      ["store_edit_accepted", "store_edit_accepted"],
      ["oversell", "oversell"],
      ["setup_finished", "setup"],
      ["connection_connected", "connection"],
      ["connection_disconnected", "connection"],
      ["app_uninstalled", "connection"],
      ["webhooks_repaired", "connection"],
      ["product_linked", "product"],
      ["settings_changed", "settings"],
      ["something_new", "connection"],
    ];
    for (const [stored, shown] of cases) assert.equal(activityTypeOf(stored, "info", null), shown, stored);
    assert.equal(activityTypeOf("order_return_posted", "info", false), "refund_restocked");
    assert.equal(activityTypeOf("order_return_posted", "info", true), "cancellation_restocked");
    assert.equal(activityTypeOf("something_new", "error", null), "error");
  });
});

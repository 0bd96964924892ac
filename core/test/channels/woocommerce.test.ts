/**
 * The WooCommerce adapter against the WooCommerce emulator over real HTTP (OAuth 1.0a over http,
 * signed by the real npm client): catalogue, quantities, product creation, orders through their
 * life cycle, webhooks, retries and credentials.
 */
import assert from "node:assert/strict";
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { woocommerce } from "@prokip-sync/sandbox";
import {
  WOOCOMMERCE_WEBHOOK_TOPICS,
  WooCommerceClient,
  WooCommerceOrderError,
  createWooCommerceChannel,
  isWooCommercePing,
  normalizeWooCommerceOrder,
  verifyWooCommerceWebhook,
} from "../../src/channels/woocommerce/index.ts";
import { ChannelError, type Channel, type StoreVariant } from "../../src/channels/index.ts";
import { createLogger } from "../../src/log/index.ts";

const log = createLogger({ level: "silent" });
const fastRetry = { minTimeoutMs: 5, maxTimeoutMs: 40, maxRetryAfterMs: 20 };

/** Emulator clock = wall clock + shift: OAuth timestamps must stay within 15 minutes of it. */
let clockShiftMs = 0;

interface Recorded {
  method: string;
  url: string;
  body: unknown;
}

let app: FastifyInstance;
let emulator: woocommerce.WooCommerceEmulator;
let base = "";
const requests: Recorded[] = [];
/** Status codes the emulator answered, in order. */
const statuses: number[] = [];

interface Site {
  url: string;
  consumerKey: string;
  consumerSecret: string;
}

function channelFor(site: Site, extra: { retries?: number } = {}): Channel {
  return createWooCommerceChannel({
    siteUrl: site.url,
    consumerKey: site.consumerKey,
    consumerSecret: site.consumerSecret,
    log,
    retry: { ...fastRetry, ...(extra.retries === undefined ? {} : { retries: extra.retries }) },
  });
}

function newSite(slug: string): Site {
  return emulator.control.createSite({ slug, name: `Shop ${slug}`, currency: "USD" });
}

async function collect(iterable: AsyncIterable<StoreVariant[]>): Promise<StoreVariant[]> {
  const all: StoreVariant[] = [];
  for await (const page of iterable) all.push(...page);
  return all;
}

before(async () => {
  emulator = woocommerce.createWooCommerceEmulator({ now: () => Date.now() + clockShiftMs, seedDemo: true });
  app = Fastify();
  // Record every REST call (method, path, JSON body) so tests can assert what went over the wire.
  app.addHook("preHandler", async (request) => {
    const parsed = request.body as { kind?: string; value?: unknown } | undefined;
    requests.push({
      method: request.method,
      url: request.url.split("?")[0] ?? "",
      body: parsed?.kind === "json" ? parsed.value : undefined,
    });
  });
  app.addHook("onResponse", async (_request, reply) => {
    statuses.push(reply.statusCode);
  });
  await app.register(emulator.routes);
  await app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  emulator.setPublicUrl(base);
});

after(async () => {
  await emulator.close();
  await app.close();
});

describe("store and catalogue", () => {
  const demo = () => ({ url: `${base}/${woocommerce.DEMO_SITE}`, ...woocommerce.demoCredentials });

  it("describes the store from system_status", async () => {
    const info = await channelFor(demo()).describeStore();
    assert.deepEqual(info, {
      name: "Prokip Demo Store",
      domain: `${base}/demo`,
      currency: "KES",
      locations: [{ id: "default", name: "WooCommerce stock" }],
    });
  });

  it("lists the demo catalogue as variants: simple products and the variations of variable ones", async () => {
    const variants = await collect(channelFor(demo()).listVariants());
    assert.equal(variants.length, 22, "16 simple products + 2 variable products x 3 sizes");
    assert.equal(new Set(variants.map((v) => v.externalProductId)).size, 18);
    assert.ok(variants.every((v) => v.externalInventoryItemId === null));

    const shirt = variants.find((v) => v.sku === "shirt1");
    assert.ok(shirt);
    assert.equal(shirt.externalVariantId, shirt.externalProductId, "a simple product is its own variant");
    assert.deepEqual(
      { title: shirt.title, productTitle: shirt.productTitle, price: shirt.price, quantity: shirt.quantity },
      { title: "Classic Shirt", productTitle: "Classic Shirt", price: "1500", quantity: 100 },
    );

    const jacket = variants
      .filter((v) => v.productTitle === "Denim Jacket")
      .sort((a, b) => a.sku!.localeCompare(b.sku!));
    assert.deepEqual(
      jacket.map((v) => [v.sku, v.title, v.quantity, v.price]),
      [
        ["jacket-denim-L", "Large", 6, "4800"],
        ["jacket-denim-M", "Medium", 12, "4800"],
        ["jacket-denim-S", "Small", 8, "4800"],
      ],
    );
    assert.equal(new Set(jacket.map((v) => v.externalProductId)).size, 1);
    assert.ok(jacket.every((v) => v.externalVariantId !== v.externalProductId));
    const skus = variants.map((v) => v.sku);
    assert.equal(new Set(skus).size, 22, "SKUs are unique");
    assert.ok(!skus.includes("lamp-desk"), "products not in the WooCommerce store are absent");
  });

  it("lists every product once while the catalogue grows between pages (it pages in id order)", async () => {
    const site = newSite("growing");
    for (let i = 1; i <= 101; i += 1)
      emulator.control.createProduct("growing", { name: `Item ${i}`, sku: `item-${i}`, price: "1", stock: 1 });
    const skus: (string | null)[] = [];
    let pages = 0;
    try {
      for await (const page of channelFor(site).listVariants()) {
        skus.push(...page.map((v) => v.sku));
        pages += 1;
        if (pages === 1) {
          // A merchant adds a product while the listing is between its two pages, seconds later.
          clockShiftMs = 5_000;
          emulator.control.createProduct("growing", { name: "Late", sku: "late", price: "1", stock: 1 });
        }
      }
    } finally {
      clockShiftMs = 0;
    }
    assert.equal(new Set(skus).size, skus.length, "no product is listed twice");
    for (let i = 1; i <= 101; i += 1) assert.ok(skus.includes(`item-${i}`), `item-${i} is listed`);
  });

  it("reports untracked stock as null and parent-managed variation stock as the parent's", async () => {
    const site = newSite("stock-kinds");
    emulator.control.createProduct("stock-kinds", { name: "Gift wrap", sku: "wrap", price: "1", stock: null });
    const shared = emulator.control.createProduct("stock-kinds", {
      name: "Socks",
      optionName: "Colour",
      variations: [
        { sku: "sock-red", option: "Red", price: "5", stock: null },
        { sku: "sock-blue", option: "Blue", price: "5", stock: 4 },
      ],
    });
    // Let the parent manage the stock for variations that do not ("manage_stock": "parent").
    const client = new WooCommerceClient({ ...site, siteUrl: site.url, log });
    await client.request("put", `products/${String(shared.id)}`, { data: { manage_stock: true, stock_quantity: 9 } });

    const variants = await collect(channelFor(site).listVariants());
    const bySku = new Map(variants.map((v) => [v.sku, v.quantity]));
    assert.deepEqual(Object.fromEntries(bySku), { wrap: null, "sock-red": 9, "sock-blue": 4 });
    const red = variants.find((v) => v.sku === "sock-red")!;
    const quantities = await channelFor(site).readQuantities([red, variants.find((v) => v.sku === "wrap")!]);
    assert.deepEqual(Object.fromEntries(quantities), {
      [red.externalVariantId]: 9,
      [variants.find((v) => v.sku === "wrap")!.externalVariantId]: null,
    });
  });
});

describe("quantities", () => {
  it("writes 230 quantities in batches of at most 100 and the store's stock follows", async () => {
    const site = newSite("bulk");
    for (let i = 0; i < 200; i++)
      emulator.control.createProduct("bulk", { name: `Item ${i}`, sku: `item-${i}`, price: "10", stock: 1 });
    emulator.control.createProduct("bulk", {
      name: "Poster",
      optionName: "Design",
      variations: Array.from({ length: 30 }, (_, i) => ({
        sku: `poster-${i}`,
        option: `Design ${i}`,
        price: "20",
        stock: 1,
      })),
    });
    const channel = channelFor(site);
    const variants = await collect(channel.listVariants());
    assert.equal(variants.length, 230);

    const target = (sku: string) => Number(sku.split("-")[1]) + (sku.startsWith("poster") ? 500 : 0);
    const writes = variants.map((v) => ({ ...v, quantity: target(v.sku!), expected: null }));
    requests.length = 0;
    const result = await channel.writeQuantities(writes, { reference: "test-bulk" });
    assert.equal(result.written.length, 230);
    assert.deepEqual(result.stale, []);
    assert.deepEqual(result.failed, []);

    const batches = requests.filter((r) => r.method === "POST" && r.url.endsWith("/batch"));
    const sizes = batches.map((r) => (r.body as { update: unknown[] }).update.length);
    assert.ok(
      sizes.every((n) => n <= 100),
      `batch sizes ${sizes.join(",")}`,
    );
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      230,
    );
    assert.equal(batches.filter((r) => r.url.endsWith("/products/batch")).length, 2);
    assert.equal(batches.filter((r) => r.url.includes("/variations/batch")).length, 1);
    const first = (batches[0]?.body as { update: Record<string, unknown>[] }).update[0];
    assert.deepEqual(Object.keys(first ?? {}).sort(), ["id", "manage_stock", "stock_quantity"]);
    assert.equal(first?.manage_stock, true);

    assert.equal(emulator.control.getProduct("bulk", "item-137").stock_quantity, 137);
    assert.equal(emulator.control.getProduct("bulk", "poster-29").stock_quantity, 529);
    const reread = await channel.readQuantities(variants);
    assert.equal(reread.size, 230);
    assert.ok(variants.every((v) => reread.get(v.externalVariantId) === target(v.sku!)));
  });

  it("reports a write whose expected quantity is out of date as stale and does not write it", async () => {
    const site = newSite("stale");
    emulator.control.createProduct("stale", { name: "Mug", sku: "mug", price: "5", stock: 10 });
    emulator.control.createProduct("stale", { name: "Cup", sku: "cup", price: "5", stock: 3 });
    const channel = channelFor(site);
    const variants = await collect(channel.listVariants());
    const mug = variants.find((v) => v.sku === "mug")!;
    const cup = variants.find((v) => v.sku === "cup")!;
    // A sale lands between our read and our write.
    emulator.control.placeOrder("stale", { lines: [{ sku: "mug", quantity: 2 }] });

    const result = await channel.writeQuantities(
      [
        { ...mug, quantity: 25, expected: 10 },
        { ...cup, quantity: 7, expected: 3 },
      ],
      { reference: "test-stale" },
    );
    assert.deepEqual(result.stale, [{ externalVariantId: mug.externalVariantId }]);
    assert.deepEqual(result.written, [{ externalVariantId: cup.externalVariantId, quantity: 7 }]);
    assert.equal(emulator.control.getProduct("stale", "mug").stock_quantity, 8, "not overwritten");
    assert.equal(emulator.control.getProduct("stale", "cup").stock_quantity, 7);
  });

  it("reports per-item batch errors as failed", async () => {
    const site = newSite("gone");
    emulator.control.createProduct("gone", { name: "Lamp", sku: "lamp", price: "5", stock: 1 });
    const channel = channelFor(site);
    const [lamp] = await collect(channel.listVariants());
    assert.ok(lamp);
    const result = await channel.writeQuantities(
      [
        { ...lamp, quantity: 4, expected: null },
        {
          externalProductId: "99999",
          externalVariantId: "99999",
          externalInventoryItemId: null,
          quantity: 1,
          expected: null,
        },
      ],
      { reference: "test-gone" },
    );
    assert.deepEqual(result.written, [{ externalVariantId: lamp.externalVariantId, quantity: 4 }]);
    assert.equal(result.failed.length, 1);
    assert.equal(result.failed[0]?.externalVariantId, "99999");
    assert.match(result.failed[0]?.message ?? "", /invalid/i);
  });
});

describe("product creation", () => {
  it("creates simple and variable products with managed stock, which then list with their quantities", async () => {
    const site = newSite("push");
    const channel = channelFor(site);
    requests.length = 0;
    const result = await channel.createProducts([
      {
        title: "Tea Box",
        descriptionHtml: "<p>Herbal</p>",
        imageUrls: ["https://example.com/tea.jpg"],
        status: "active",
        optionName: null,
        variants: [{ sku: "tea", optionValue: null, price: "550.00", quantity: 12 }],
      },
      {
        title: "Hoodie",
        descriptionHtml: null,
        imageUrls: [],
        status: "draft",
        optionName: "Size",
        variants: [
          { sku: "hoodie-s", optionValue: "Small", price: "30", quantity: 3 },
          { sku: "hoodie-l", optionValue: "Large", price: "32", quantity: 5 },
        ],
      },
      {
        title: "Broken",
        descriptionHtml: null,
        imageUrls: [],
        status: "active",
        optionName: "Size",
        variants: [{ sku: "b", optionValue: null, price: "1", quantity: 1 }],
      },
    ]);
    assert.deepEqual(
      result.failed.map((f) => [f.title, f.code]),
      [["Broken", "rejected"]],
    );
    assert.equal(result.created.length, 2);
    const hoodie = result.created.find((c) => c.title === "Hoodie")!;
    assert.deepEqual(hoodie.variants.map((v) => v.sku).sort(), ["hoodie-l", "hoodie-s"]);
    assert.ok(
      hoodie.variants.every(
        (v) => v.externalProductId === hoodie.externalProductId && v.externalVariantId !== v.externalProductId,
      ),
    );
    const tea = result.created.find((c) => c.title === "Tea Box")!;
    assert.deepEqual(tea.variants, [
      {
        externalProductId: tea.externalProductId,
        externalVariantId: tea.externalProductId,
        externalInventoryItemId: null,
        sku: "tea",
      },
    ]);

    const simpleBody = requests.find((r) => r.url.endsWith("/products/batch"))?.body as {
      create: Record<string, unknown>[];
    };
    assert.deepEqual(simpleBody.create[0], {
      name: "Tea Box",
      status: "publish",
      description: "<p>Herbal</p>",
      images: [{ src: "https://example.com/tea.jpg" }],
      type: "simple",
      sku: "tea",
      regular_price: "550.00",
      manage_stock: true,
      stock_quantity: 12,
    });
    const parentBody = requests.find((r) => r.method === "POST" && /\/products$/u.test(r.url))?.body as Record<
      string,
      unknown
    >;
    assert.deepEqual(parentBody.attributes, [
      { name: "Size", visible: true, variation: true, options: ["Small", "Large"] },
    ]);
    assert.equal(parentBody.status, "draft");

    const variants = await collect(channel.listVariants());
    assert.deepEqual(variants.map((v) => [v.sku, v.title, v.productTitle, v.quantity, v.price]).sort(), [
      ["hoodie-l", "Large", "Hoodie", 5, "32"],
      ["hoodie-s", "Small", "Hoodie", 3, "30"],
      ["tea", "Tea Box", "Tea Box", 12, "550.00"],
    ]);
  });

  it("reports a duplicate SKU as a failed draft", async () => {
    const site = newSite("dupe");
    emulator.control.createProduct("dupe", { name: "Existing", sku: "same", price: "1", stock: 1 });
    const result = await channelFor(site).createProducts([
      {
        title: "Again",
        descriptionHtml: null,
        imageUrls: [],
        status: "active",
        optionName: null,
        variants: [{ sku: "same", optionValue: null, price: "1", quantity: 1 }],
      },
    ]);
    assert.deepEqual(result.created, []);
    assert.equal(result.failed[0]?.code, "rejected");
    assert.match(result.failed[0]?.message ?? "", /sku/i);
  });
});

describe("orders", () => {
  const slug = "orders";
  let site: Site;
  let channel: Channel;

  before(() => {
    site = newSite(slug);
    emulator.control.createProduct(slug, { name: "Kettle", sku: "kettle", price: "40", stock: 20 });
    emulator.control.createProduct(slug, { name: "Toaster", sku: "toaster", price: "25", stock: 20 });
    channel = channelFor(site);
  });

  const line = (order: Awaited<ReturnType<Channel["readOrder"]>>, sku: string) => {
    const found = order?.lines.find((l) => l.sku === sku);
    assert.ok(found, `line ${sku}`);
    return { quantity: found.quantity, refunded: found.refundedQuantity, restocked: found.restockedQuantity };
  };

  it("normalises each state: placed, paid, refunded with and without restock, cancelled", async () => {
    const placed = emulator.control.placeOrder(slug, {
      lines: [
        { sku: "kettle", quantity: 3 },
        { sku: "toaster", quantity: 2 },
      ],
      paid: false,
    });
    const id = String(placed.id);

    let order = await channel.readOrder(id);
    assert.ok(order);
    assert.deepEqual(
      { paid: order.paid, cancelled: order.cancelled, status: order.storeStatus },
      { paid: false, cancelled: false, status: "pending" },
    );
    assert.deepEqual(line(order, "kettle"), { quantity: 3, refunded: 0, restocked: 0 });
    assert.equal(order.externalId, id);
    assert.equal(order.number, id);
    assert.equal(order.updatedAt.toISOString().slice(0, 19), String(placed.date_modified_gmt));
    const kettleLine = order.lines.find((l) => l.sku === "kettle")!;
    assert.equal(kettleLine.unitPrice, "40");
    assert.equal(kettleLine.title, "Kettle");

    emulator.control.payOrder(slug, Number(id));
    order = await channel.readOrder(id);
    assert.deepEqual(
      { paid: order?.paid, cancelled: order?.cancelled, status: order?.storeStatus },
      { paid: true, cancelled: false, status: "processing" },
    );
    assert.equal(emulator.control.getProduct(slug, "kettle").stock_quantity, 17);

    emulator.control.refundOrder(slug, Number(id), { lines: [{ sku: "kettle", quantity: 1 }], restock: true });
    order = await channel.readOrder(id);
    assert.deepEqual(line(order, "kettle"), { quantity: 3, refunded: 1, restocked: 1 });
    assert.deepEqual(line(order, "toaster"), { quantity: 2, refunded: 0, restocked: 0 });
    assert.equal(emulator.control.getProduct(slug, "kettle").stock_quantity, 18);

    emulator.control.refundOrder(slug, Number(id), { lines: [{ sku: "kettle", quantity: 1 }], restock: false });
    order = await channel.readOrder(id);
    assert.deepEqual(
      line(order, "kettle"),
      { quantity: 3, refunded: 2, restocked: 1 },
      "a refund without restock counts as refunded only",
    );
    assert.equal(order?.paid, true);

    emulator.control.cancelOrder(slug, Number(id));
    order = await channel.readOrder(id);
    assert.deepEqual(
      { paid: order?.paid, cancelled: order?.cancelled, status: order?.storeStatus },
      { paid: false, cancelled: true, status: "cancelled" },
    );
    assert.deepEqual(line(order, "kettle"), { quantity: 3, refunded: 2, restocked: 1 });
    assert.equal(
      emulator.control.getProduct(slug, "kettle").stock_quantity,
      20,
      "WooCommerce gave back what the line still held",
    );
  });

  it("treats a trashed order as holding stock only while WooCommerce still holds some for it", async () => {
    const paid = emulator.control.placeOrder(slug, { lines: [{ sku: "toaster", quantity: 1 }] });
    emulator.control.trashOrder(slug, Number(paid.id));
    const trashedPaid = await channel.readOrder(String(paid.id));
    assert.deepEqual(
      { paid: trashedPaid?.paid, cancelled: trashedPaid?.cancelled, status: trashedPaid?.storeStatus },
      { paid: true, cancelled: false, status: "trash" },
    );

    const cancelled = emulator.control.placeOrder(slug, { lines: [{ sku: "toaster", quantity: 1 }] });
    emulator.control.cancelOrder(slug, Number(cancelled.id));
    emulator.control.trashOrder(slug, Number(cancelled.id));
    const trashedCancelled = await channel.readOrder(String(cancelled.id));
    assert.deepEqual(
      { paid: trashedCancelled?.paid, cancelled: trashedCancelled?.cancelled },
      { paid: false, cancelled: true },
    );
  });

  it("answers null for orders the store does not have", async () => {
    assert.equal(await channel.readOrder("987654"), null);
    assert.equal(await channel.readOrder("not-an-id"), null);
  });

  it("finds the orders changed since a moment, trashed ones included", async () => {
    const other = newSite("changes");
    emulator.control.createProduct("changes", { name: "Pan", sku: "pan", price: "9", stock: 50 });
    const changes = channelFor(other);
    clockShiftMs = -10 * 60_000;
    const old = emulator.control.placeOrder("changes", { lines: [{ sku: "pan", quantity: 1 }] });
    const oldTrashed = emulator.control.placeOrder("changes", { lines: [{ sku: "pan", quantity: 1 }] });
    const untouched = emulator.control.placeOrder("changes", { lines: [{ sku: "pan", quantity: 1 }] });
    clockShiftMs = 0;
    const since = new Date(Date.now() - 60_000);
    const fresh = emulator.control.placeOrder("changes", { lines: [{ sku: "pan", quantity: 2 }] });
    emulator.control.refundOrder("changes", Number(old.id), { lines: [{ sku: "pan", quantity: 1 }], restock: true });
    emulator.control.trashOrder("changes", Number(oldTrashed.id));

    const found = [];
    for await (const page of changes.ordersChangedSince(since)) found.push(...page);
    const ids = found.map((o) => o.externalId).sort();
    assert.deepEqual(ids, [String(old.id), String(oldTrashed.id), String(fresh.id)].sort());
    assert.ok(!ids.includes(String(untouched.id)));
    const refunded = found.find((o) => o.externalId === String(old.id));
    assert.deepEqual(
      refunded?.lines.map((l) => [l.refundedQuantity, l.restockedQuantity]),
      [[1, 1]],
    );
    assert.equal(found.find((o) => o.externalId === String(oldTrashed.id))?.storeStatus, "trash");
  });
});

describe("order normalisation (pure)", () => {
  const order = (over: Record<string, unknown> = {}) => ({
    id: 41,
    number: "41",
    status: "processing",
    date_created_gmt: "2025-05-01T08:00:00",
    date_modified_gmt: "2025-05-01T09:30:00",
    date_paid_gmt: "2025-05-01T08:01:00",
    line_items: [
      {
        id: 7,
        name: "Kettle",
        sku: "kettle",
        quantity: 3,
        total: "90.00",
        total_tax: "9.00",
        meta_data: [
          { id: 1, key: "_reduced_stock", value: "2" },
          { id: 2, key: "_restock_refunded_items", value: "1" },
        ],
      },
      { id: 8, name: "Gift", sku: "", quantity: 1, total: "0.00", total_tax: "0.00", meta_data: [] },
    ],
    refunds: [{ id: 50, reason: "", total: "-30.00" }],
    ...over,
  });
  const refund = {
    id: 50,
    line_items: [{ id: 60, quantity: -1, meta_data: [{ id: 3, key: "_refunded_item_id", value: "7" }] }],
  };

  it("maps quantities, refunds by _refunded_item_id, restocks by _restock_refunded_items, dates as UTC", () => {
    const state = normalizeWooCommerceOrder(order(), [refund]);
    assert.equal(state.updatedAt.toISOString(), "2025-05-01T09:30:00.000Z");
    assert.equal(state.createdAt?.toISOString(), "2025-05-01T08:00:00.000Z");
    assert.deepEqual(state.lines, [
      {
        lineId: "7",
        sku: "kettle",
        quantity: 3,
        refundedQuantity: 1,
        restockedQuantity: 1,
        title: "Kettle",
        unitPrice: "33",
      },
      { lineId: "8", sku: null, quantity: 1, refundedQuantity: 0, restockedQuantity: 0, title: "Gift", unitPrice: "0" },
    ]);
    assert.deepEqual({ paid: state.paid, cancelled: state.cancelled }, { paid: true, cancelled: false });
  });

  it("maps statuses to paid/cancelled", () => {
    const cases: [string, string | null, boolean, boolean][] = [
      ["pending", null, false, false],
      ["pending", "2025-05-01T08:01:00", false, false],
      ["on-hold", null, true, false],
      ["completed", "2025-05-01T08:01:00", true, false],
      ["refunded", "2025-05-01T08:01:00", true, false],
      ["shipped", "2025-05-01T08:01:00", true, false],
      ["shipped", null, false, false],
      ["cancelled", "2025-05-01T08:01:00", false, true],
      ["checkout-draft", null, false, true],
      // trash/failed: whether WooCommerce still holds stock for a line (_reduced_stock > 0) decides.
      ["failed", null, true, false],
      ["trash", "2025-05-01T08:01:00", true, false],
    ];
    for (const [status, datePaid, paid, cancelled] of cases) {
      const state = normalizeWooCommerceOrder(order({ status, date_paid_gmt: datePaid, refunds: [] }), []);
      assert.deepEqual({ status, paid: state.paid, cancelled: state.cancelled }, { status, paid, cancelled });
    }
    const nothingHeld = order({
      refunds: [],
      line_items: [{ id: 7, sku: "kettle", quantity: 3, meta_data: [{ id: 1, key: "_reduced_stock", value: "0" }] }],
    });
    for (const status of ["failed", "trash"]) {
      const state = normalizeWooCommerceOrder({ ...nothingHeld, status }, []);
      assert.deepEqual(
        { status, paid: state.paid, cancelled: state.cancelled },
        { status, paid: false, cancelled: true },
      );
    }
  });

  it("throws a typed error on input it cannot read", () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof WooCommerceOrderError);
        return error.code;
      }
      return "no error";
    };
    assert.equal(
      code(() => normalizeWooCommerceOrder({ id: "x" }, [])),
      "invalid_order",
    );
    assert.equal(
      code(() => normalizeWooCommerceOrder(order(), [])),
      "missing_refunds",
    );
    assert.equal(
      code(() => normalizeWooCommerceOrder(order(), [{ id: 50, line_items: "nope" }])),
      "invalid_refund",
    );
    assert.equal(
      code(() =>
        normalizeWooCommerceOrder(
          order({ refunds: [], line_items: [{ id: 1, sku: "a", quantity: 1.5, meta_data: [] }] }),
          [],
        ),
      ),
      "invalid_line",
    );
    assert.equal(
      code(() => normalizeWooCommerceOrder(order({ date_modified_gmt: "yesterday" }), [refund])),
      "invalid_order",
    );
  });
});

describe("webhooks", () => {
  interface Delivery {
    headers: IncomingHttpHeaders;
    body: Buffer;
  }
  let receiver: Server;
  let receiverUrl = "";
  let failing = false;
  const received: Delivery[] = [];

  before(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.statusCode = failing ? 500 : 200;
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/woocommerce/abc`;
  });
  after(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it("verifies delivery signatures over the raw bytes and recognises the ping", async () => {
    newSite("hooks");
    emulator.control.createProduct("hooks", { name: "Vase", sku: "vase", price: "5", stock: 3 });
    received.length = 0;
    const webhook = await emulator.control.createWebhook("hooks", {
      topic: "product.updated",
      deliveryUrl: receiverUrl,
      secret: "s3cret-per-connection",
    });
    const ping = received[0];
    assert.ok(ping);
    assert.equal(isWooCommercePing(ping.headers["content-type"], ping.body), true);
    assert.equal(ping.headers["x-wc-webhook-signature"], undefined);

    emulator.control.setStock("hooks", { sku: "vase", quantity: 9 });
    await emulator.control.flushWebhooks();
    const delivery = received.find((d) => d.headers["x-wc-webhook-topic"] === "product.updated");
    assert.ok(delivery);
    const signature = delivery.headers["x-wc-webhook-signature"] as string;
    assert.equal(isWooCommercePing(delivery.headers["content-type"], delivery.body), false);
    assert.equal(verifyWooCommerceWebhook({ rawBody: delivery.body, signature, secret: webhook.secret }), true);
    assert.equal(JSON.parse(delivery.body.toString()).stock_quantity, 9);

    const tampered = Buffer.from(delivery.body.toString().replace('"stock_quantity":9', '"stock_quantity":90'));
    assert.equal(verifyWooCommerceWebhook({ rawBody: tampered, signature, secret: webhook.secret }), false);
    assert.equal(verifyWooCommerceWebhook({ rawBody: delivery.body, signature, secret: "other" }), false);
    assert.equal(
      verifyWooCommerceWebhook({ rawBody: delivery.body, signature: undefined, secret: webhook.secret }),
      false,
    );
    assert.equal(
      verifyWooCommerceWebhook({ rawBody: delivery.body, signature: "bm90IGEgc2lnbmF0dXJl", secret: webhook.secret }),
      false,
    );
    assert.equal(isWooCommercePing("application/x-www-form-urlencoded", Buffer.from("webhook_id=12&x=1")), false);
  });

  it("creates missing subscriptions, re-enables one WooCommerce disabled, and removes them", async () => {
    const site = newSite("subs");
    emulator.control.createProduct("subs", { name: "Rug", sku: "rug", price: "5", stock: 3 });
    const channel = channelFor(site);
    const secret = "per-connection-secret";
    failing = false;

    const first = await channel.ensureWebhooks({ url: receiverUrl, topics: WOOCOMMERCE_WEBHOOK_TOPICS, secret });
    assert.deepEqual(first, { healthy: [], created: [...WOOCOMMERCE_WEBHOOK_TOPICS], reenabled: [] });
    const hooks = emulator.control.listWebhooks("subs");
    assert.deepEqual(hooks.map((h) => h.topic).sort(), [...WOOCOMMERCE_WEBHOOK_TOPICS].sort());
    assert.ok(hooks.every((h) => h.secret === secret && h.status === "active" && h.deliveryUrl === receiverUrl));

    const second = await channel.ensureWebhooks({ url: receiverUrl, topics: WOOCOMMERCE_WEBHOOK_TOPICS, secret });
    assert.deepEqual(second, { healthy: [...WOOCOMMERCE_WEBHOOK_TOPICS], created: [], reenabled: [] });

    // The receiver fails 7 deliveries in a row: WooCommerce disables the webhook.
    failing = true;
    for (let i = 0; i < 7; i++) {
      emulator.control.setStock("subs", { sku: "rug", quantity: 10 + i });
      await emulator.control.flushWebhooks();
    }
    failing = false;
    assert.equal(emulator.control.listWebhooks("subs").find((h) => h.topic === "product.updated")?.status, "disabled");

    const third = await channel.ensureWebhooks({ url: receiverUrl, topics: WOOCOMMERCE_WEBHOOK_TOPICS, secret });
    assert.deepEqual(third.reenabled, ["product.updated"]);
    assert.equal(third.healthy.length, 5);
    assert.deepEqual(third.created, []);
    assert.ok(emulator.control.listWebhooks("subs").every((h) => h.status === "active"));

    assert.equal(await channel.removeWebhooks(receiverUrl), 6);
    assert.deepEqual(emulator.control.listWebhooks("subs"), []);
  });
});

describe("failures", () => {
  const demo = () => ({ url: `${base}/${woocommerce.DEMO_SITE}`, ...woocommerce.demoCredentials });

  it("retries reads through 5xx answers and 429 bursts", async () => {
    const plans = [
      { plan: { seed: 7, errorRate: 0.5 }, fault: (s: number) => s >= 500 },
      { plan: { seed: 3, throttleBurstRate: 0.4, throttleBurstLength: 2 }, fault: (s: number) => s === 429 },
    ];
    try {
      for (const { plan, fault } of plans) {
        emulator.faults.configure(plan);
        statuses.length = 0;
        const variants = await collect(channelFor(demo(), { retries: 8 }).listVariants());
        assert.equal(variants.length, 22);
        assert.equal((await channelFor(demo(), { retries: 8 }).describeStore()).currency, "KES");
        // products, 2 x variations and system_status answered 200 in the end; the faults before were retried.
        assert.ok(statuses.filter((s) => s === 200).length >= 4);
        assert.ok(statuses.some(fault), `${JSON.stringify(plan)}: statuses ${statuses.join(",")}`);
      }
    } finally {
      emulator.faults.configure({});
    }
  });

  it("retries quantity writes through 5xx, but sends a creation again only after a 429", async () => {
    const site = newSite("retry-writes");
    emulator.control.createProduct("retry-writes", { name: "Jar", sku: "jar", price: "3", stock: 1 });
    const channel = channelFor(site, { retries: 8 });
    const [jar] = await collect(channel.listVariants());
    assert.ok(jar);
    const draft = (sku: string) => ({
      title: sku,
      descriptionHtml: null,
      imageUrls: [],
      status: "active" as const,
      optionName: null,
      variants: [{ sku, optionValue: null, price: "1", quantity: 1 }],
    });
    const batchPosts = () =>
      requests.filter((r) => r.method === "POST" && r.url.endsWith("/retry-writes/wp-json/wc/v3/products/batch"))
        .length;
    try {
      emulator.faults.configure({ seed: 7, errorRate: 0.5 });
      requests.length = 0;
      const written = await channel.writeQuantities([{ ...jar, quantity: 33, expected: 1 }], { reference: "retry" });
      assert.deepEqual(written.written, [{ externalVariantId: jar.externalVariantId, quantity: 33 }]);
      assert.equal(emulator.control.getProduct("retry-writes", "jar").stock_quantity, 33);

      // Every request fails: the creation may or may not have happened, so it is not sent twice.
      emulator.faults.configure({ errorRate: 1 });
      requests.length = 0;
      const failed = await channel.createProducts([draft("lid")]);
      assert.deepEqual(failed.created, []);
      assert.equal(failed.failed[0]?.code, "unavailable");
      assert.equal(batchPosts(), 1);

      // Seed 7 starts with two one-request 429 bursts: the host refused before WordPress ran, so sending again is safe.
      emulator.faults.configure({ seed: 7, throttleBurstRate: 0.4, throttleBurstLength: 1 });
      requests.length = 0;
      const created = await channel.createProducts([draft("spoon")]);
      assert.deepEqual(created.failed, []);
      assert.equal(created.created[0]?.variants[0]?.sku, "spoon");
      assert.equal(batchPosts(), 3);
    } finally {
      emulator.faults.configure({});
    }
  });

  it("gives up as unavailable when the site keeps failing", async () => {
    emulator.faults.configure({ seed: 3, errorRate: 1 });
    try {
      await assert.rejects(
        channelFor(demo(), { retries: 2 }).describeStore(),
        (error: unknown) => error instanceof ChannelError && error.code === "unavailable",
      );
    } finally {
      emulator.faults.configure({});
    }
  });

  it("maps refused credentials to unauthorized, without the secret in the message", async () => {
    const bad = {
      url: `${base}/demo`,
      consumerKey: woocommerce.demoCredentials.consumerKey,
      consumerSecret: "cs_wrongwrongwrong",
    };
    await assert.rejects(channelFor(bad).describeStore(), (error: unknown) => {
      assert.ok(error instanceof ChannelError);
      assert.equal(error.code, "unauthorized");
      assert.equal(error.status, 401);
      assert.ok(
        !error.message.includes("cs_wrong") && !error.message.includes(woocommerce.demoCredentials.consumerKey),
      );
      return true;
    });
    await assert.rejects(
      collect(channelFor(bad).listVariants()),
      (error: unknown) => error instanceof ChannelError && error.code === "unauthorized",
    );
  });
});

/**
 * The Shopify adapter against the Shopify emulator over real HTTP: the admin client's
 * `https://{shop}/admin/api/...` requests are routed to the emulator (routeShopifyFetch), every
 * document is validated there against Shopify's 2026-10 schema, and figures are checked against
 * the emulator's own stock and webhook payloads.
 */
import "@shopify/shopify-api/adapters/node";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import { ApiVersion, shopifyApi } from "@shopify/shopify-api";
import { shopify } from "@prokip-sync/sandbox";
import { pino } from "pino";
import { isEarlierTiedState, orderSoldBySku } from "../../src/domain/index.ts";
import {
  CostBudget,
  ShopifyGraphqlClient,
  ShopifyPayloadError,
  createShopifyChannel,
  normalizeShopifyOrderWebhook,
  orderIdFromShopifyWebhook,
  parseInventoryLevelWebhook,
  parseShopifyWebhookBody,
  routeShopifyFetch,
  verifyShopifyWebhook,
  type FetchLike,
  type ShopifyChannelOptions,
} from "../../src/channels/shopify/index.ts";
import { ChannelError, type StoreOrderState, type StoreVariant } from "../../src/channels/types.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../../sandbox/src/shopify/testing.ts";

let server: shopify.StartedShopifyEmulator;
let receiver: WebhookReceiver;
let demo: shopify.DemoSeed;
let control: shopify.ShopifyControl;

/** Every log line the adapter writes, and every token handed out, to check that none is logged. */
const logLines: string[] = [];
const tokens = new Set<string>();
const log = pino(
  { level: "debug" },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

interface WireCall {
  operation: string;
  variables: Record<string, unknown>;
  status: number;
  codes: string[];
}

/** Routes to the emulator and records each GraphQL call (operation name, variables, answer). */
function recordingFetch(calls: WireCall[], inner?: FetchLike): FetchLike {
  const routed = routeShopifyFetch(server.url, inner);
  return async (url, init) => {
    if (!url.includes("/graphql.json")) return routed(url, init);
    const request = JSON.parse(String(init?.body ?? "{}")) as { query?: string; variables?: Record<string, unknown> };
    const operation = /(?:query|mutation)\s+(\w+)/u.exec(request.query ?? "")?.[1] ?? "anonymous";
    // Recorded before sending: a request whose answer never arrives still counts (status 0).
    const call: WireCall = { operation, variables: request.variables ?? {}, status: 0, codes: [] };
    calls.push(call);
    const response = await routed(url, init);
    call.status = response.status;
    const text = await response.clone().text();
    try {
      const errors = (JSON.parse(text) as { errors?: unknown }).errors;
      if (Array.isArray(errors))
        call.codes = errors.map((e: { extensions?: { code?: string } }) => e.extensions?.code ?? "");
    } catch {
      // not JSON (5xx page)
    }
    return response;
  };
}

function channelFor(calls: WireCall[], options: Partial<ShopifyChannelOptions> = {}) {
  return createShopifyChannel({
    shop: demo.shop,
    accessToken: demo.accessToken,
    log,
    fetch: recordingFetch(calls),
    retry: { minTimeoutMs: 10, maxTimeoutMs: 100 },
    bulkPollIntervalMs: 10,
    ...options,
  });
}

async function collect(pages: AsyncIterable<StoreVariant[]>): Promise<{ pages: number; variants: StoreVariant[] }> {
  const variants: StoreVariant[] = [];
  let count = 0;
  for await (const page of pages) {
    count += 1;
    variants.push(...page);
  }
  return { pages: count, variants };
}

const available = (shop: string, sku: string): number => control.getStock({ shop, sku })["available"]!;

/**
 * A shop with `products` x 3 sized variants, 5 units each, and this app installed. Plus plan
 * (1,000 points/s) unless asked: on the standard plan reading 600 variants alone is ~10 s of
 * honest rate-limit waiting.
 */
function createShop(
  domain: string,
  products: number,
  plan: "standard" | "plus" = "plus",
): { shop: string; accessToken: string; locationId: string } {
  const created = control.createShop({ domain, plan, currency: "USD", locations: [{ name: "Main" }] });
  const { accessToken } = control.installApp({ shop: domain, apiKey: demo.apiKey });
  tokens.add(accessToken);
  for (let p = 0; p < products; p++) {
    control.createProduct({
      shop: domain,
      title: `Product ${p}`,
      optionName: "Size",
      variants: ["S", "M", "L"].map((size) => ({ sku: `p${p}-${size}`, price: "10.00", option: size, stock: 5 })),
    });
  }
  return { shop: domain, accessToken, locationId: created.locations[0]!.id };
}

before(async () => {
  server = await shopify.startShopifyEmulator({
    schema: await shopify.loadAdminSchema(),
    webhooks: { timeScale: 0.0001 },
    bulkOperationDelayMs: 5,
  });
  control = server.emulator.control;
  receiver = await startWebhookReceiver();
});

after(async () => {
  await server.close();
  await receiver.close();
  const leaked = logLines.filter((line) => [...tokens].some((token) => line.includes(token)));
  assert.deepEqual(leaked, [], "an access token was logged");
});

beforeEach(async () => {
  await control.reset();
  control.setFaultPlan({});
  demo = control.seedDemo({ webhookUri: receiver.url });
  tokens.add(demo.accessToken);
  await control.waitForDeliveries();
  control.clearDeliveries();
  receiver.received.length = 0;
});

describe("store and catalogue", () => {
  it("describeStore names the shop, its currency and locations", async () => {
    const info = await channelFor([]).describeStore();
    assert.deepEqual(info, {
      name: "Prokip Demo Store",
      domain: demo.shop,
      currency: "KES",
      locations: demo.locations,
    });
  });

  it("listVariants reads the demo catalogue with SKUs, titles and the location's quantities", async () => {
    const calls: WireCall[] = [];
    const { variants } = await collect(channelFor(calls).listVariants());
    const expected = demo.products.flatMap((p) => p.variants);
    assert.equal(variants.length, expected.length);
    assert.deepEqual(variants.map((v) => v.sku).sort(), expected.map((v) => v.sku).sort());
    for (const variant of variants) assert.equal(variant.quantity, available(demo.shop, variant.sku!), variant.sku!);
    const jacket = variants.filter((v) => v.productTitle === "Denim Jacket");
    assert.deepEqual(
      jacket.map((v) => [v.sku, v.title, v.price]),
      [
        ["jacket-denim-S", "Small", "4800.00"],
        ["jacket-denim-M", "Medium", "4800.00"],
        ["jacket-denim-L", "Large", "4800.00"],
      ],
    );
    const shirt = variants.find((v) => v.sku === "shirt1")!;
    assert.equal(shirt.title, "Classic Shirt", "a simple product's variant carries the product title");
    const seeded = expected.find((v) => v.sku === "shirt1")!;
    assert.deepEqual([shirt.externalVariantId, shirt.externalInventoryItemId], [seeded.id, seeded.inventoryItemId]);
    assert.deepEqual(
      calls.map((c) => c.operation),
      ["PrimaryLocation", "VariantsCount", "ListVariants"],
    );
  });

  it("listVariants goes through a bulk query past the threshold and reads the same figures", async () => {
    const paged = await collect(channelFor([]).listVariants());
    const calls: WireCall[] = [];
    const bulk = await collect(channelFor(calls, { bulkThreshold: 1 }).listVariants());
    const byId = (list: StoreVariant[]) =>
      [...list].sort((a, b) => a.externalVariantId.localeCompare(b.externalVariantId));
    assert.deepEqual(byId(bulk.variants), byId(paged.variants));
    const operations = calls.map((c) => c.operation);
    assert.ok(operations.includes("BulkRunQuery") && operations.includes("BulkOperationStatus"), operations.join(","));
    assert.ok(!operations.includes("ListVariants"));
  });

  it("pages through a larger catalogue 150 variants at a time", async () => {
    const big = createShop("big-shop.myshopify.com", 200);
    const calls: WireCall[] = [];
    const { pages, variants } = await collect(
      channelFor(calls, { shop: big.shop, accessToken: big.accessToken }).listVariants(),
    );
    assert.equal(variants.length, 600);
    assert.equal(pages, 4);
    assert.equal(new Set(variants.map((v) => v.externalVariantId)).size, 600);
    assert.ok(variants.every((v) => v.quantity === 5));
  });
});

describe("writing quantities", () => {
  it("writes 600 quantities in 3 calls of at most 250 and the shop's stock follows", async () => {
    const big = createShop("write-shop.myshopify.com", 200);
    const calls: WireCall[] = [];
    const channel = channelFor(calls, { shop: big.shop, accessToken: big.accessToken });
    const { variants } = await collect(channel.listVariants());
    const writes = variants.map((v, i) => ({ ...v, quantity: i % 40, expected: 5 }));
    const result = await channel.writeQuantities(writes, { reference: "push-600" });
    assert.equal(result.written.length, 600);
    assert.deepEqual([result.stale, result.failed], [[], []]);

    const sets = calls.filter((c) => c.operation === "SetQuantities");
    assert.deepEqual(
      sets.map((c) => (c.variables["input"] as { quantities: unknown[] }).quantities.length),
      [250, 250, 100],
    );
    const input = sets[0]!.variables["input"] as {
      name: string;
      reason: string;
      referenceDocumentUri: string;
      quantities: Record<string, unknown>[];
    };
    assert.deepEqual(
      [input.name, input.reason, input.referenceDocumentUri],
      ["available", "correction", "gid://prokip-sync/StockSync/push-600"],
    );
    assert.deepEqual(input.quantities[1], {
      inventoryItemId: variants[1]!.externalInventoryItemId,
      locationId: big.locationId,
      quantity: 1,
      changeFromQuantity: 5,
    });
    assert.equal(new Set(sets.map((c) => c.variables["key"])).size, 3, "each batch has its own idempotency key");

    for (const [i, variant] of variants.entries()) {
      if (i % 97 === 0) assert.equal(available(big.shop, variant.sku!), i % 40, variant.sku!);
    }
    const reread = await channel.readQuantities(variants.slice(0, 120));
    assert.equal(reread.size, 120);
    assert.ok(variants.slice(0, 120).every((v, i) => reread.get(v.externalVariantId) === i % 40));
  });

  it("a write repeated with the same reference and figures is a new operation and is applied", async () => {
    const calls: WireCall[] = [];
    const channel = channelFor(calls);
    const [shirt] = (await collect(channel.listVariants())).variants.filter((v) => v.sku === "shirt1");
    const write = [{ ...shirt!, quantity: 42, expected: null }];
    assert.equal((await channel.writeQuantities(write, { reference: "sync-1" })).written.length, 1);
    assert.equal(available(demo.shop, "shirt1"), 42);
    // The store moves; the same figure is written again (a second intended write of one drain run).
    control.setStock({ shop: demo.shop, sku: "shirt1", available: 40 });
    const again = await channel.writeQuantities(write, { reference: "sync-1" });
    assert.deepEqual(again.written, [{ externalVariantId: shirt!.externalVariantId, quantity: 42 }]);
    assert.equal(available(demo.shop, "shirt1"), 42, "the second write was applied, not replayed");
    const keys = calls.filter((c) => c.operation === "SetQuantities").map((c) => c.variables["key"]);
    assert.equal(keys.length, 2);
    assert.notEqual(keys[0], keys[1]);
  });

  it("an answer lost in transit is retried with the same key and applied once", async () => {
    const calls: WireCall[] = [];
    let dropped = false;
    // The request reaches Shopify, the answer does not reach us.
    const lossy: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (!dropped && String(init?.body).includes("SetQuantities")) {
        dropped = true;
        throw new TypeError("fetch failed");
      }
      return response;
    };
    const channel = channelFor(calls, { fetch: recordingFetch(calls, lossy) });
    const [mug] = (await collect(channel.listVariants())).variants.filter((v) => v.sku === "mug-ceramic");
    const result = await channel.writeQuantities([{ ...mug!, quantity: 7, expected: mug!.quantity }], {
      reference: "lossy-1",
    });
    assert.deepEqual(result.written, [{ externalVariantId: mug!.externalVariantId, quantity: 7 }]);
    const sets = calls.filter((c) => c.operation === "SetQuantities");
    assert.equal(sets.length, 2);
    assert.equal(sets[0]!.variables["key"], sets[1]!.variables["key"]);
    await control.waitForDeliveries();
    const levelUpdates = control
      .listDeliveries({ topic: "inventory_levels/update" })
      .filter((d) => (d.payload as { available: number }).available === 7);
    assert.equal(levelUpdates.length, 1, "the stock changed once");
  });

  it("sends the writes under a new key when Shopify says the key's previous attempt failed", async () => {
    const calls: WireCall[] = [];
    let answered = false;
    // Shopify's answer for a key whose earlier request failed (the request is not run).
    const previousFailed: FetchLike = async (url, init) => {
      if (answered || !String(init?.body).includes("SetQuantities")) return fetch(url, init);
      answered = true;
      const body = {
        data: {
          inventorySetQuantities: {
            inventoryAdjustmentGroup: null,
            userErrors: [
              {
                field: null,
                message: "A previous request with this idempotency key failed.",
                code: "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED",
              },
            ],
          },
        },
      };
      return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
    };
    const channel = channelFor(calls, { fetch: recordingFetch(calls, previousFailed) });
    const [bottle] = (await collect(channel.listVariants())).variants.filter((v) => v.sku === "bottle-750");
    const result = await channel.writeQuantities([{ ...bottle!, quantity: 3, expected: bottle!.quantity }], {
      reference: "renew-1",
    });
    assert.equal(result.written.length, 1);
    assert.equal(available(demo.shop, "bottle-750"), 3);
    const keys = calls.filter((c) => c.operation === "SetQuantities").map((c) => c.variables["key"]);
    assert.equal(keys.length, 2);
    assert.notEqual(keys[0], keys[1]);
  });

  it("reports a stale expected quantity and writes the others", async () => {
    const calls: WireCall[] = [];
    const channel = channelFor(calls);
    const variants = (await collect(channel.listVariants())).variants.filter((v) =>
      ["shirt2", "belt-leather", "scarf-wool"].includes(v.sku!),
    );
    control.setStock({ shop: demo.shop, sku: "belt-leather", available: 3 }); // changed after we read it
    const result = await channel.writeQuantities(
      variants.map((v) => ({ ...v, quantity: 11, expected: v.quantity })),
      { reference: "stale-1" },
    );
    const belt = variants.find((v) => v.sku === "belt-leather")!;
    assert.deepEqual(result.stale, [{ externalVariantId: belt.externalVariantId }]);
    assert.deepEqual(
      result.written.map((w) => w.quantity),
      [11, 11],
    );
    assert.deepEqual(
      [available(demo.shop, "shirt2"), available(demo.shop, "scarf-wool"), available(demo.shop, "belt-leather")],
      [11, 11, 3],
    );
    assert.equal(calls.filter((c) => c.operation === "SetQuantities").length, 2);
  });

  it("finds the stale items by reading again when the userError does not say which", async () => {
    const calls: WireCall[] = [];
    // Strip `field` from userErrors, as an API answer that does not point at the item would.
    const vague: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (!String(init?.body).includes("SetQuantities")) return response;
      const body = (await response.json()) as {
        data?: { inventorySetQuantities?: { userErrors: { field: unknown }[] } };
      };
      for (const error of body.data?.inventorySetQuantities?.userErrors ?? []) error.field = null;
      return new Response(JSON.stringify(body), {
        status: response.status,
        headers: { "Content-Type": "application/json" },
      });
    };
    const channel = channelFor(calls, { fetch: recordingFetch(calls, vague) });
    const variants = (await collect(channel.listVariants())).variants.filter((v) =>
      ["cap-base", "bottle-750"].includes(v.sku!),
    );
    control.setStock({ shop: demo.shop, sku: "cap-base", available: 1 });
    const result = await channel.writeQuantities(
      variants.map((v) => ({ ...v, quantity: 9, expected: v.quantity })),
      { reference: "stale-2" },
    );
    assert.deepEqual(result.stale, [
      { externalVariantId: variants.find((v) => v.sku === "cap-base")!.externalVariantId },
    ]);
    assert.deepEqual([available(demo.shop, "bottle-750"), available(demo.shop, "cap-base")], [9, 1]);
    assert.ok(calls.some((c) => c.operation === "ReadQuantities"));
  });

  it("readQuantities leaves out variants Shopify no longer has", async () => {
    const channel = channelFor([]);
    const { variants } = await collect(channel.listVariants());
    const lamp = variants.find((v) => v.sku === "lamp-desk")!;
    control.deleteProduct({ shop: demo.shop, productId: lamp.externalProductId });
    const quantities = await channel.readQuantities(variants);
    assert.equal(quantities.size, variants.length - 1);
    assert.equal(quantities.has(lamp.externalVariantId), false);
    assert.equal(
      quantities.get(variants.find((v) => v.sku === "pen-pack")!.externalVariantId),
      available(demo.shop, "pen-pack"),
    );
  });
});

describe("creating products", () => {
  const simple = {
    title: "Travel Mug",
    descriptionHtml: "<p>Steel, 350 ml</p>",
    imageUrls: ["https://cdn.example.com/travel-mug.jpg"],
    status: "active" as const,
    optionName: null,
    variants: [{ sku: "mug-travel", optionValue: null, price: "1200.00", quantity: 7 }],
  };
  const sized = {
    title: "Rain Poncho",
    descriptionHtml: null,
    imageUrls: [],
    status: "draft" as const,
    optionName: "Size",
    variants: [
      { sku: "poncho-S", optionValue: "Small", price: "900.00", quantity: 3 },
      { sku: "poncho-L", optionValue: "Large", price: "950.00", quantity: 0 },
    ],
  };

  it("creates a simple and a sized product with stock at the location", async () => {
    const calls: WireCall[] = [];
    const channel = channelFor(calls);
    const result = await channel.createProducts([simple, sized, { ...sized, title: "Broken", optionName: null }]);
    assert.deepEqual(
      result.failed.map((f) => [f.title, f.code]),
      [["Broken", "invalid_draft"]],
    );
    assert.deepEqual(
      result.created.map((p) => [p.title, p.variants.map((v) => v.sku)]),
      [
        ["Travel Mug", ["mug-travel"]],
        ["Rain Poncho", ["poncho-S", "poncho-L"]],
      ],
    );
    for (const product of result.created) {
      for (const variant of product.variants) {
        assert.match(variant.externalVariantId, /^gid:\/\/shopify\/ProductVariant\/\d+$/u);
        assert.match(variant.externalInventoryItemId!, /^gid:\/\/shopify\/InventoryItem\/\d+$/u);
        assert.equal(variant.externalProductId, product.externalProductId);
      }
    }
    assert.deepEqual(
      [available(demo.shop, "mug-travel"), available(demo.shop, "poncho-S"), available(demo.shop, "poncho-L")],
      [7, 3, 0],
    );

    const input = calls.find((c) => c.operation === "ProductSet")!.variables["input"] as Record<string, unknown>;
    assert.deepEqual(input["files"], [
      { originalSource: "https://cdn.example.com/travel-mug.jpg", contentType: "IMAGE" },
    ]);
    assert.equal(input["status"], "ACTIVE");

    const listed = (await collect(channel.listVariants())).variants;
    const poncho = listed.filter((v) => v.productTitle === "Rain Poncho");
    assert.deepEqual(
      poncho.map((v) => [v.sku, v.title, v.price, v.quantity]),
      [
        ["poncho-S", "Small", "900.00", 3],
        ["poncho-L", "Large", "950.00", 0],
      ],
    );
    const mug = listed.find((v) => v.sku === "mug-travel")!;
    assert.deepEqual([mug.title, mug.quantity], ["Travel Mug", 7]);
  });

  it("after an answer lost in transit finds the product instead of creating it twice", async () => {
    let lost = false;
    const lossy: FetchLike = async (url, init) => {
      const response = await fetch(url, init);
      if (!lost && String(init?.body).includes("ProductSet")) {
        lost = true;
        return new Response("Bad Gateway", { status: 502 });
      }
      return response;
    };
    const calls: WireCall[] = [];
    const channel = channelFor(calls, { fetch: recordingFetch(calls, lossy) });
    const result = await channel.createProducts([sized]);
    assert.deepEqual(result.failed, []);
    assert.deepEqual(result.created[0]!.variants.map((v) => v.sku).sort(), ["poncho-L", "poncho-S"]);
    assert.deepEqual(
      calls.map((c) => c.operation).filter((o) => o !== "PrimaryLocation"),
      ["ProductSet", "VariantsBySku"],
    );
    const { variants } = await collect(channel.listVariants());
    assert.equal(variants.filter((v) => v.productTitle === "Rain Poncho").length, 2, "one product, not two");
  });
});

describe("orders", () => {
  /** The latest full-order webhook payload Shopify sent for this order. */
  async function latestOrderPayload(orderId: string): Promise<unknown> {
    await control.waitForDeliveries();
    const payloads = receiver.received
      .filter((r) => r.topic.startsWith("orders/") && r.topic !== "orders/edited")
      // As the inbox reads them: ids exact even beyond 2^53 (SANDBOX_SHOPIFY_ID_BASE).
      .map((r) => parseShopifyWebhookBody(r.rawBody) as { admin_graphql_api_id?: string; updated_at: string })
      .filter((b) => b.admin_graphql_api_id === orderId);
    assert.ok(payloads.length > 0, "no order payload received");
    // updated_at is to the second and deliveries arrive in any order: on a tie, the state the
    // other is behind is the older one (as core decides, see isEarlierTiedState).
    return payloads.reduce((latest, p) => {
      const [a, b] = [Date.parse(p.updated_at), Date.parse(latest.updated_at)];
      if (a !== b) return a > b ? p : latest;
      return isEarlierTiedState(normalizeShopifyOrderWebhook(p), normalizeShopifyOrderWebhook(latest)) ? latest : p;
    });
  }

  /** The order read through GraphQL and from its latest webhook must agree; returns it. */
  async function state(channel: ReturnType<typeof channelFor>, orderId: string): Promise<StoreOrderState> {
    const read = await channel.readOrder(orderId);
    assert.ok(read);
    const fromWebhook = normalizeShopifyOrderWebhook(await latestOrderPayload(orderId));
    assert.deepEqual(fromWebhook, read);
    return read;
  }

  const figures = (order: StoreOrderState) =>
    Object.fromEntries(order.lines.map((l) => [l.sku, [l.quantity, l.refundedQuantity, l.restockedQuantity]]));

  it("follows an order through place, pay, edit, refunds and cancel with the right figures", async () => {
    const channel = channelFor([]);
    const placed = control.placeOrder({
      shop: demo.shop,
      lines: [
        { sku: "shirt1", quantity: 3 },
        { sku: "note-a5", quantity: 5 },
      ],
      paid: false,
    });
    const id = placed.id;
    let order = await state(channel, id);
    assert.equal(order.externalId, id);
    assert.equal(order.number, placed.name);
    assert.deepEqual([order.paid, order.cancelled, order.storeStatus], [false, false, "pending"]);
    assert.deepEqual(figures(order), { shirt1: [3, 0, 0], "note-a5": [5, 0, 0] });
    assert.deepEqual(
      order.lines.map((l) => l.lineId),
      placed.lineItems.map((l) => l.id),
    );
    assert.deepEqual(
      order.lines.map((l) => l.unitPrice),
      ["1500.00", "300.00"],
    );

    control.markPaid({ shop: demo.shop, order: id });
    order = await state(channel, id);
    assert.deepEqual([order.paid, order.storeStatus], [true, "paid"]);

    // Edit: 3 notebooks removed. Quantity after edits drops; nothing is refunded.
    control.editOrder({ shop: demo.shop, order: id, sku: "note-a5", quantity: 2 });
    await control.waitForDeliveries();
    const edited = parseShopifyWebhookBody(receiver.received.find((r) => r.topic === "orders/edited")!.rawBody);
    assert.equal(orderIdFromShopifyWebhook("orders/edited", edited), id);
    assert.throws(
      () => normalizeShopifyOrderWebhook(edited),
      (e: unknown) => e instanceof ShopifyPayloadError && e.code === "not_an_order",
    );
    order = await state(channel, id);
    assert.deepEqual(figures(order), { shirt1: [3, 0, 0], "note-a5": [2, 0, 0] });

    // Refund one shirt with restock, then one without.
    control.refundOrder({ shop: demo.shop, order: id, restock: true, lines: [{ sku: "shirt1", quantity: 1 }] });
    await control.waitForDeliveries();
    const refund = parseShopifyWebhookBody(receiver.received.find((r) => r.topic === "refunds/create")!.rawBody);
    assert.equal(orderIdFromShopifyWebhook("refunds/create", refund), id);
    order = await state(channel, id);
    assert.deepEqual(figures(order), { shirt1: [3, 1, 1], "note-a5": [2, 0, 0] });
    assert.equal(order.storeStatus, "partially_refunded");

    control.refundOrder({ shop: demo.shop, order: id, restock: false, lines: [{ sku: "shirt1", quantity: 1 }] });
    order = await state(channel, id);
    assert.deepEqual(figures(order), { shirt1: [3, 2, 1], "note-a5": [2, 0, 0] });
    // Held out of stock: ordered minus restocked.
    assert.deepEqual(Object.fromEntries(orderSoldBySku(order, "paid").sold), { shirt1: 2, "note-a5": 2 });

    // Cancel with restock: the remaining units come back through a CANCEL refund.
    control.cancelOrder({ shop: demo.shop, order: id, restock: true });
    order = await state(channel, id);
    assert.deepEqual([order.cancelled, order.paid, order.storeStatus], [true, true, "cancelled"]);
    assert.deepEqual(figures(order), { shirt1: [3, 3, 2], "note-a5": [2, 2, 2] });
    assert.deepEqual(Object.fromEntries(orderSoldBySku(order, "created").sold), { shirt1: 0, "note-a5": 0 });
  });

  it("cancel without restock refunds everything and restocks nothing", async () => {
    const channel = channelFor([]);
    const placed = control.placeOrder({ shop: demo.shop, lines: [{ sku: "bag-tote", quantity: 2 }] });
    control.cancelOrder({ shop: demo.shop, order: placed.id, restock: false });
    const order = await state(channel, placed.id);
    assert.deepEqual([order.cancelled, figures(order)], [true, { "bag-tote": [2, 2, 0] }]);
  });

  it("ordersChangedSince finds orders changed at or after the moment; readOrder of an unknown order is null", async () => {
    const channel = channelFor([]);
    const first = control.placeOrder({ shop: demo.shop, lines: [{ sku: "pen-pack", quantity: 1 }] });
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = control.placeOrder({ shop: demo.shop, lines: [{ sku: "pen-pack", quantity: 2 }] });
    control.refundOrder({ shop: demo.shop, order: first.id, restock: true, lines: [{ sku: "pen-pack", quantity: 1 }] });
    const seen: StoreOrderState[] = [];
    for await (const page of channel.ordersChangedSince(since)) seen.push(...page);
    assert.deepEqual(seen.map((o) => o.externalId).sort(), [first.id, second.id].sort());
    assert.deepEqual(figures(seen.find((o) => o.externalId === first.id)!), { "pen-pack": [1, 1, 1] });
    assert.equal(await channel.readOrder("gid://shopify/Order/999999999"), null);
    assert.equal((await channel.readOrder(first.id.split("/").pop()!))?.externalId, first.id, "a numeric id works too");
  });

  it("reads every line of an order longer than one page", async () => {
    const big = createShop("many-lines.myshopify.com", 20);
    const channel = channelFor([], { shop: big.shop, accessToken: big.accessToken });
    const lines = Array.from({ length: 60 }, (_, i) => ({
      sku: `p${Math.floor(i / 3)}-${["S", "M", "L"][i % 3]}`,
      quantity: 1,
    }));
    const placed = control.placeOrder({ shop: big.shop, lines });
    control.refundOrder({
      shop: big.shop,
      order: placed.id,
      restock: true,
      lines: lines.slice(0, 30).map((l) => ({ sku: l.sku, quantity: 1 })),
    });
    const order = (await channel.readOrder(placed.id))!;
    assert.equal(order.lines.length, 60);
    assert.equal(order.lines.filter((l) => l.restockedQuantity === 1).length, 30);
  });
});

describe("order payload normalisation (pure)", () => {
  const payload = (overrides: Record<string, unknown> = {}) => ({
    id: 5001,
    admin_graphql_api_id: "gid://shopify/Order/5001",
    name: "#1042",
    created_at: "2026-11-01T10:00:00+03:00",
    updated_at: "2026-11-02T10:00:00+03:00",
    cancelled_at: null,
    financial_status: "partially_refunded",
    line_items: [
      // 5 ordered, 2 removed by an edit, 2 refunded (1 returned to stock): 1 left
      {
        id: 71,
        admin_graphql_api_id: "gid://shopify/LineItem/71",
        sku: "A-1",
        title: "A",
        quantity: 5,
        current_quantity: 1,
        price: "10.00",
        discount_allocations: [{ amount: "5.00" }],
      },
      { id: 72, sku: null, title: "Gift wrap", quantity: 1, current_quantity: 1, price: "2.50" },
    ],
    refunds: [
      { refund_line_items: [{ line_item_id: 71, quantity: 1, restock_type: "return" }] },
      { refund_line_items: [{ line_item_id: 71, quantity: 1, restock_type: "no_restock" }] },
    ],
    ...overrides,
  });

  it("derives quantity after edits, refunded and restocked units", () => {
    const order = normalizeShopifyOrderWebhook(payload());
    assert.deepEqual(order, {
      externalId: "gid://shopify/Order/5001",
      number: "#1042",
      updatedAt: new Date("2026-11-02T07:00:00Z"),
      createdAt: new Date("2026-11-01T07:00:00Z"),
      paid: true,
      cancelled: false,
      storeStatus: "partially_refunded",
      lines: [
        {
          lineId: "gid://shopify/LineItem/71",
          sku: "A-1",
          title: "A",
          quantity: 3,
          refundedQuantity: 2,
          restockedQuantity: 1,
          unitPrice: "9.00",
        },
        {
          lineId: "gid://shopify/LineItem/72",
          sku: null,
          title: "Gift wrap",
          quantity: 1,
          refundedQuantity: 0,
          restockedQuantity: 0,
          unitPrice: "2.50",
        },
      ],
    });
  });

  it("counts legacy restocks as restocked and unpaid states as unpaid", () => {
    const order = normalizeShopifyOrderWebhook(
      payload({
        financial_status: "authorized",
        refunds: [{ refund_line_items: [{ line_item_id: 71, quantity: 2, restock_type: "legacy_restock" }] }],
      }),
    );
    assert.equal(order.paid, false);
    assert.deepEqual([order.lines[0]!.quantity, order.lines[0]!.restockedQuantity], [3, 2]);
  });

  it("refuses bad payloads with a code", () => {
    const invalid = (input: unknown, code: string) =>
      assert.throws(
        () => normalizeShopifyOrderWebhook(input),
        (e: unknown) => e instanceof ShopifyPayloadError && e.code === code,
      );
    invalid({ id: 1 }, "invalid_payload");
    invalid(payload({ updated_at: "yesterday" }), "invalid_payload");
    invalid(
      payload({ refunds: [{ refund_line_items: [{ line_item_id: 71, quantity: 1, restock_type: "teleported" }] }] }),
      "invalid_payload",
    );
    invalid(
      payload({ refunds: [{ refund_line_items: [{ line_item_id: 99, quantity: 1, restock_type: "cancel" }] }] }),
      "inconsistent_order",
    );
    invalid({ order_edit: { order_id: 5001 } }, "not_an_order");
  });

  it("parses inventory_levels/update and names the order behind a delivery", () => {
    assert.deepEqual(
      parseInventoryLevelWebhook({
        inventory_item_id: 808,
        location_id: 909,
        available: 4,
        updated_at: "2026-11-02T10:00:00+03:00",
      }),
      {
        inventoryItemId: "gid://shopify/InventoryItem/808",
        locationId: "gid://shopify/Location/909",
        available: 4,
        updatedAt: new Date("2026-11-02T07:00:00Z"),
      },
    );
    assert.equal(orderIdFromShopifyWebhook("ORDERS_PAID", { id: 5 }), "gid://shopify/Order/5");
    assert.equal(orderIdFromShopifyWebhook("products/update", { id: 5 }), null);
    assert.throws(() => parseInventoryLevelWebhook({ inventory_item_id: "x" }), ShopifyPayloadError);
  });
});

describe("webhooks", () => {
  it("verifies Shopify's signature, agrees with @shopify/shopify-api and refuses tampering", async () => {
    control.setStock({ shop: demo.shop, sku: "shirt2", available: 12 });
    const [delivery] = await receiver.waitFor(1, "inventory_levels/update");
    const rawBody = Buffer.from(delivery!.rawBody, "utf8");
    const hmac = delivery!.headers["x-shopify-hmac-sha256"] as string;
    assert.equal(verifyShopifyWebhook({ rawBody, hmac, secret: demo.apiSecret }), true);

    const library = shopifyApi({
      apiKey: demo.apiKey,
      apiSecretKey: demo.apiSecret,
      apiVersion: ApiVersion.October26,
      hostName: "app.example.com",
      isEmbeddedApp: true,
      logger: { level: 0 },
    });
    assert.equal(
      (
        await library.webhooks.validate({
          rawBody: delivery!.rawBody,
          rawRequest: delivery!.request,
          rawResponse: delivery!.response,
        })
      ).valid,
      true,
    );

    // Flip one byte of the body (whichever delivery this is, the bytes no longer match the signature).
    const tampered = Buffer.from(rawBody);
    tampered[tampered.length - 2] = tampered[tampered.length - 2]! ^ 0x01;
    assert.notDeepEqual(tampered, rawBody);
    assert.equal(verifyShopifyWebhook({ rawBody: tampered, hmac, secret: demo.apiSecret }), false);
    assert.equal(verifyShopifyWebhook({ rawBody, hmac, secret: "another-secret" }), false);
    assert.equal(verifyShopifyWebhook({ rawBody, hmac: undefined, secret: demo.apiSecret }), false);
    assert.equal(verifyShopifyWebhook({ rawBody, hmac: `${hmac}x`, secret: demo.apiSecret }), false);
    assert.equal(verifyShopifyWebhook({ rawBody, hmac: hmac.slice(0, 20), secret: demo.apiSecret }), false);
  });

  it("ensureWebhooks creates only missing subscriptions; removeWebhooks removes them", async () => {
    const extra = await startWebhookReceiver();
    try {
      const calls: WireCall[] = [];
      const channel = channelFor(calls);
      const first = await channel.ensureWebhooks({
        url: extra.url,
        topics: ["orders/create", "ORDERS_PAID", "refunds/create"],
        secret: "unused",
      });
      assert.deepEqual(first, {
        healthy: [],
        created: ["orders/create", "ORDERS_PAID", "refunds/create"],
        reenabled: [],
      });
      assert.equal(calls.filter((c) => c.operation === "WebhookCreate").length, 3);

      const second = await channel.ensureWebhooks({
        url: extra.url,
        topics: ["orders/create", "orders/paid", "refunds/create", "inventory_levels/update"],
        secret: "unused",
      });
      assert.deepEqual(second, {
        healthy: ["orders/create", "orders/paid", "refunds/create"],
        created: ["inventory_levels/update"],
        reenabled: [],
      });
      assert.equal(calls.filter((c) => c.operation === "WebhookCreate").length, 4);
      assert.deepEqual(calls.filter((c) => c.operation === "WebhookCreate").at(-1)!.variables, {
        topic: "INVENTORY_LEVELS_UPDATE",
        uri: extra.url,
      });

      // Deliveries follow the subscriptions.
      control.placeOrder({ shop: demo.shop, lines: [{ sku: "shirt1", quantity: 1 }] });
      await extra.waitFor(1, "orders/create");

      assert.equal(await channel.removeWebhooks(extra.url), 4);
      assert.equal(await channel.removeWebhooks(extra.url), 0);
      const third = await channel.ensureWebhooks({ url: extra.url, topics: ["orders/create"], secret: "unused" });
      assert.deepEqual(third.created, ["orders/create"]);
    } finally {
      await extra.close();
    }
  });
});

describe("pacing, retries and errors", () => {
  it("paces a burst of expensive queries so no THROTTLED reaches the caller (100/s plan)", async () => {
    const shop = createShop("pace-shop.myshopify.com", 50, "standard"); // 150 variants: a full page really costs ~752
    const query = `query Burst($after: String) { productVariants(first: 150, after: $after) { nodes { id sku title price product { id title } inventoryItem { id tracked inventoryLevel(locationId: "${shop.locationId}") { quantities(names: ["available"]) { name quantity } } } } } }`;
    const calls: WireCall[] = [];
    const client = new ShopifyGraphqlClient({
      shop: shop.shop,
      accessToken: shop.accessToken,
      apiVersion: "2026-10",
      log,
      fetch: recordingFetch(calls),
      budget: new CostBudget(),
    });
    await client.request(`query Warmup { shop { name } }`, {}, { operation: "Warmup", expectedCost: 1 });
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 3 }, () =>
        client.request<{ productVariants: { nodes: unknown[] } }>(query, {}, { operation: "Burst", expectedCost: 752 }),
      ),
    );
    const elapsed = Date.now() - started;
    assert.ok(burst.every((r) => r.productVariants.nodes.length === 150));
    assert.deepEqual(
      calls.filter((c) => c.codes.includes("THROTTLED")),
      [],
      "pacing waited instead of being throttled",
    );
    // 3 x 752 points against a 2,000 bucket refilling at 100/s: roughly 2.6 s of waiting.
    assert.ok(elapsed >= 2_000, `waited only ${elapsed} ms`);

    // The same burst without pacing is throttled: the test above is not vacuous.
    const raw = routeShopifyFetch(server.url);
    const answers = await Promise.all(
      Array.from({ length: 3 }, () =>
        raw(`https://${shop.shop}/admin/api/2026-10/graphql.json`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": shop.accessToken },
          body: JSON.stringify({ query }),
        }).then((r) => r.json() as Promise<{ errors?: { extensions?: { code?: string } }[] }>),
      ),
    );
    assert.ok(answers.some((a) => a.errors?.some((e) => e.extensions?.code === "THROTTLED")));
  });

  it("retries seeded 5xx and 429 faults to success", async () => {
    // Seed 3 starts: 5xx, 429, 429, ok, 5xx, 5xx, ok, ok (reproducible).
    control.setFaultPlan({ seed: 3, errorRate: 0.25, throttleBurstRate: 0.12, throttleBurstLength: 2 });
    const calls: WireCall[] = [];
    const channel = channelFor(calls);
    const info = await channel.describeStore();
    assert.equal(info.domain, demo.shop);
    const { variants } = await collect(channel.listVariants());
    assert.equal(variants.length, demo.products.flatMap((p) => p.variants).length);
    const shirt = variants.find((v) => v.sku === "shirt1")!;
    const result = await channel.writeQuantities([{ ...shirt, quantity: 77, expected: shirt.quantity }], {
      reference: "faulty-1",
    });
    assert.equal(result.written.length, 1);
    control.setFaultPlan({});
    assert.equal(available(demo.shop, "shirt1"), 77);
    const statuses = calls.map((c) => c.status);
    assert.ok(
      statuses.some((s) => s >= 500),
      `no 5xx seen: ${statuses.join(",")}`,
    );
    assert.ok(statuses.includes(429), `no 429 seen: ${statuses.join(",")}`);
  });

  it("gives up with `unavailable` when Shopify keeps failing", async () => {
    control.setFaultPlan({ seed: 1, errorRate: 1 });
    const channel = channelFor([], { retry: { retries: 2, minTimeoutMs: 5, maxTimeoutMs: 10 } });
    await assert.rejects(
      channel.describeStore(),
      (e: unknown) => e instanceof ChannelError && e.code === "unavailable" && e.status !== null && e.status >= 500,
    );
  });

  it("a wrong token is `unauthorized`, at once and without the token in the error", async () => {
    const calls: WireCall[] = [];
    const channel = channelFor(calls, { accessToken: "shpat_wrong_token_0000" });
    await assert.rejects(channel.describeStore(), (e: unknown) => {
      assert.ok(e instanceof ChannelError);
      assert.deepEqual([e.code, e.status], ["unauthorized", 401]);
      assert.ok(!e.message.includes("shpat_wrong_token_0000"));
      return true;
    });
    assert.equal(calls.length, 1, "401 is not retried");
  });
});

/**
 * Initial product setup against a real PostgreSQL and the emulators over HTTP: the Prokip
 * Connector (demo business), Shopify shops seeded from the shared demo catalogue, and the demo
 * WooCommerce site. Expected figures are derived from the demo catalogue, not copied.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  demoCatalogue,
  prokip as prokipEmulator,
  shopify as shopifyEmulator,
  woocommerce as wooEmulator,
} from "@prokip-sync/sandbox";
import { shopify, type Channel, type PosSystem } from "../src/channels/index.ts";
import { createProkipPos, signInToProkip, type ProkipTokens } from "../src/channels/prokip/index.ts";
import { channelForConnection, sealStoreCredentials } from "../src/connections/index.ts";
import { isSyncError, normalizeSku, storeTarget } from "../src/domain/index.ts";
import { createLogger } from "../src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import {
  adjustedPrice,
  csvField,
  executeSetupRun,
  getSyncRun,
  previewSetup,
  runSetup,
  ULTIMATEPOS_IMPORT_COLUMNS,
  type PreviewRow,
  type SetupDeps,
  type SyncRunView,
} from "../src/setup/index.ts";
import { testDatabase } from "./support/database.ts";

const database = await testDatabase();
const { prisma, pool } = database;
const log = createLogger({ level: "silent" });
const key = parseEncryptionKey(generateEncryptionKey());

const shopifyStore = await shopifyEmulator.startShopifyEmulator({ port: 0 });
const wooStore = await wooEmulator.startWooCommerceEmulator({ port: 0 });
const shopifyFetch = shopify.routeShopifyFetch(shopifyStore.url);
const prokipEmulators: { close(): Promise<void> }[] = [];
const once = (close: () => Promise<void>) => {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
};

after(async () => {
  await shopifyStore.close();
  await wooStore.close();
  for (const started of prokipEmulators) await started.close();
});

// ---------------------------------------------------------------------------------------------
// The demo catalogue's figures
// ---------------------------------------------------------------------------------------------

const CBD = 0; // index of the Prokip location the stores sell from ("Nairobi CBD Store")
const demoVariants = demoCatalogue.flatMap((product) => product.variants.map((variant) => ({ product, variant })));
const shopifyDemoSkus = demoVariants.filter(({ product }) => product.inShopify).map(({ variant }) => variant.sku);
const wooDemoSkus = demoVariants.filter(({ product }) => product.inWooCommerce).map(({ variant }) => variant.sku);
const demoStockAtCbd = new Map(demoVariants.map(({ variant }) => [variant.sku, variant.stock[CBD]]));
const demoPrice = new Map(demoVariants.map(({ variant }) => [variant.sku, variant.price]));

/** A price +10%, computed the plain way (the demo prices are whole numbers). */
const plus10 = (price: string) => (Math.round(Number(price) * 110) / 100).toFixed(2);

// ---------------------------------------------------------------------------------------------
// Scenarios: a Prokip business, a store, and a connection between them
// ---------------------------------------------------------------------------------------------

interface ExtraProkipProduct {
  name: string;
  sku: string;
  price?: string;
  description?: string;
  /** Variable products: option name and values with their SKUs and stock at CBD. */
  variationName?: string;
  variations?: { name: string; subSku: string; price: string; stock: number }[];
  stock?: number;
}

async function startProkip(extras: ExtraProkipProduct[] = []) {
  const started = await prokipEmulator.startProkipEmulator({ port: 0 });
  // Closed by the test that makes Prokip unreachable, and at the end: once.
  const close = once(() => started.close());
  prokipEmulators.push({ close });
  const { emulator, url } = started;
  const demo = emulator.control.seedDemo();
  const cbd = demo.locations[CBD]!;
  for (const extra of extras) {
    const created = extra.variations
      ? emulator.control.createProduct({
          businessId: demo.businessId,
          name: extra.name,
          sku: extra.sku,
          type: "variable",
          description: extra.description,
          variationName: extra.variationName,
          variations: extra.variations.map(({ stock: _, ...v }) => v),
        })
      : emulator.control.createProduct({
          businessId: demo.businessId,
          name: extra.name,
          sku: extra.sku,
          price: extra.price ?? "100",
          description: extra.description,
        });
    const stocks = extra.variations ? extra.variations.map((v) => v.stock) : [extra.stock ?? 0];
    created.variations.forEach((variation, i) => {
      const quantity = stocks[i] ?? 0;
      if (quantity !== 0) emulator.control.setStock({ variationId: variation.id, locationId: cbd.id, quantity });
    });
  }
  let tokens = await signInToProkip({
    baseUrl: url,
    clientId: demo.clientId,
    clientSecret: demo.clientSecret,
    username: demo.username,
    password: demo.password,
  });
  const pos = createProkipPos({
    baseUrl: url,
    clientId: demo.clientId,
    clientSecret: demo.clientSecret,
    tokens: { load: async () => tokens, save: async (fresh: ProkipTokens) => void (tokens = fresh) },
    log,
    retry: { minDelayMs: 5, maxDelayMs: 20 },
  });
  return { emulator, url, pos, cbd, close };
}

let shopifyAppRegistered = false;
const SHOPIFY_APP = { apiKey: "setup-test-app", apiSecret: "setupTestSecret0123456789abcdef" };

interface ExtraShopifyProduct {
  title: string;
  optionName?: string;
  variants: { sku: string; price: string; option?: string; stock: number }[];
}

/** A shop like the demo one (the demo products flagged inShopify), under its own domain. */
function seedShop(domain: string, extras: ExtraShopifyProduct[] = []) {
  const control = shopifyStore.emulator.control;
  if (!shopifyAppRegistered) {
    control.registerApp(SHOPIFY_APP);
    shopifyAppRegistered = true;
  }
  control.createShop({ domain, name: "Setup test shop", currency: "KES", locations: [{ name: "Nairobi CBD Store" }] });
  const { accessToken } = control.installApp({ shop: domain, apiKey: SHOPIFY_APP.apiKey });
  for (const product of demoCatalogue.filter((p) => p.inShopify)) {
    control.createProduct({
      shop: domain,
      title: product.name,
      descriptionHtml: `<p>${product.description}</p>`,
      optionName: product.optionName,
      variants: product.variants.map((v) => ({ sku: v.sku, price: v.price, option: v.option, stock: v.stock[CBD] })),
    });
  }
  for (const product of extras)
    control.createProduct({
      shop: domain,
      title: product.title,
      optionName: product.optionName,
      variants: product.variants,
    });
  return { domain, accessToken };
}

interface Scenario {
  businessId: string;
  connectionId: string;
  deps: SetupDeps;
  channel: Channel;
  pos: PosSystem;
  prokip: Awaited<ReturnType<typeof startProkip>>;
}

async function connect(input: {
  mode: "prokip" | "central";
  buffer?: number;
  prokip: Awaited<ReturnType<typeof startProkip>>;
  store:
    | { platform: "shopify"; domain: string; accessToken: string }
    | { platform: "woocommerce"; url: string; consumerKey: string; consumerSecret: string };
}): Promise<Scenario> {
  const business = await prisma.business.create({
    data: { name: `Setup ${input.store.platform}`, authorityMode: input.mode },
  });
  const location = await prisma.location.create({
    data: { businessId: business.id, name: input.prokip.cbd.name, prokipLocationId: input.prokip.cbd.id },
  });
  const credentials =
    input.store.platform === "shopify"
      ? sealStoreCredentials({ platform: "shopify", accessToken: input.store.accessToken }, key)
      : sealStoreCredentials(
          { platform: "woocommerce", consumerKey: input.store.consumerKey, consumerSecret: input.store.consumerSecret },
          key,
        );
  const connection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: input.store.platform,
      storeDomain: input.store.platform === "shopify" ? input.store.domain : input.store.url,
      locationId: location.id,
      buffer: input.buffer ?? 0,
      credentials,
    },
  });
  const channel = channelForConnection(connection, { encryptionKey: key, log, shopifyFetch });
  const deps: SetupDeps = {
    prisma,
    pool,
    log,
    channelFor: (c) => channelForConnection(c, { encryptionKey: key, log, shopifyFetch }),
    posFor: async () => input.prokip.pos,
  };
  return {
    businessId: business.id,
    connectionId: connection.id,
    deps,
    channel,
    pos: input.prokip.pos,
    prokip: input.prokip,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading things back
// ---------------------------------------------------------------------------------------------

async function storeCatalogue(channel: Channel) {
  const variants = [];
  for await (const page of channel.listVariants()) variants.push(...page);
  return new Map(variants.map((v) => [normalizeSku(v.sku) ?? `(blank) ${v.externalVariantId}`, v]));
}

/** Products of a shop as the Admin API shows them (status and description are not in StoreVariant). */
async function shopProducts(shop: { domain: string; accessToken: string }) {
  const response = await fetch(`${shopifyStore.url}/${shop.domain}/admin/api/2026-10/graphql.json`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-shopify-access-token": shop.accessToken },
    body: JSON.stringify({
      query: `{ products(first: 40) { nodes { title status descriptionHtml options { name } variants(first: 5) { nodes { sku price title } } } } }`,
    }),
  });
  const body = (await response.json()) as {
    errors?: unknown;
    data: {
      products: {
        nodes: {
          title: string;
          status: string;
          descriptionHtml: string;
          options: { name: string }[];
          variants: { nodes: { sku: string; price: string; title: string }[] };
        }[];
      };
    };
  };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data.products.nodes;
}

const rowsBy = (rows: PreviewRow[], action: PreviewRow["action"]) => rows.filter((row) => row.action === action);
const rowFor = (rows: PreviewRow[], sku: string) => rows.find((row) => normalizeSku(row.sku) === normalizeSku(sku));

async function written(businessId: string) {
  const [listings, variants, levels, movements] = await Promise.all([
    prisma.listing.count({ where: { businessId } }),
    prisma.variant.count({ where: { businessId } }),
    prisma.stockLevel.count({ where: { businessId } }),
    prisma.stockMovement.count({ where: { businessId } }),
  ]);
  return { listings, variants, levels, movements };
}

/** RFC 4180, enough for the import file: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

describe("pure parts", () => {
  it("prices: Prokip's price adjusted by a percentage, rounded half up to 2 decimals on decimal digits", () => {
    assert.equal(adjustedPrice("1500.0000", 0), "1500.00");
    assert.equal(adjustedPrice("1500.0000", 10), "1650.00");
    assert.equal(adjustedPrice("650.0000", 10), "715.00");
    assert.equal(adjustedPrice("0.1250", 0), "0.13");
    assert.equal(adjustedPrice("999.9950", -2.5), "975.00");
    assert.equal(adjustedPrice("19.99", 33.33), "26.65");
    assert.equal(adjustedPrice(null, 10), null);
    assert.equal(adjustedPrice("n/a", 10), null);
  });

  it("CSV fields are quoted only when they must be, quotes doubled (RFC 4180)", () => {
    assert.equal(csvField("plain"), "plain");
    assert.equal(csvField("a,b"), '"a,b"');
    assert.equal(csvField('14" screen'), '"14"" screen"');
    assert.equal(csvField("two\nlines"), '"two\nlines"');
  });
});

describe("push: use my Prokip products (Shopify, Prokip mode)", () => {
  // A variable product only Prokip has, so the push creates a variable product too.
  const hoodie: ExtraProkipProduct = {
    name: "Cotton Hoodie",
    sku: "hoodie",
    description: "Warm cotton hoodie.",
    variationName: "Size",
    variations: [
      { name: "Small", subSku: "hoodie-S", price: "3000.0000", stock: 5 },
      { name: "Medium", subSku: "hoodie-M", price: "3000.0000", stock: 1 },
      { name: "Large", subSku: "hoodie-L", price: "3200.0000", stock: 9 },
    ],
  };
  const hoodieStock = new Map(hoodie.variations!.map((v) => [v.subSku, v.stock]));
  const hoodiePrice = new Map(hoodie.variations!.map((v) => [v.subSku, v.price]));
  const prokipSkus = [...demoVariants.map(({ variant }) => variant.sku), ...hoodieStock.keys()];
  const toCreate = prokipSkus.filter((sku) => !shopifyDemoSkus.includes(sku));
  const stockAtCbd = (sku: string) => demoStockAtCbd.get(sku) ?? hoodieStock.get(sku) ?? 0;
  const priceOf = (sku: string) => demoPrice.get(sku) ?? hoodiePrice.get(sku)!;
  const BUFFER = 2;
  const options = { priceAdjustmentPercent: 10, sendImages: false, sendDescriptions: true, status: "active" as const };

  let scenario: Scenario;
  let shop: { domain: string; accessToken: string };
  before(async () => {
    shop = seedShop("setup-push.myshopify.com");
    scenario = await connect({
      mode: "prokip",
      buffer: BUFFER,
      prokip: await startProkip([hoodie]),
      store: { platform: "shopify", ...shop },
    });
  });

  it("previews what a push would do, and writes nothing but the preview's record", async () => {
    const before = await storeCatalogue(scenario.channel);
    const preview = await previewSetup(scenario.deps, {
      connectionId: scenario.connectionId,
      strategy: "push",
      options,
    });

    assert.deepEqual(preview.counts, {
      match: shopifyDemoSkus.length,
      create_in_store: toCreate.length,
      missing_in_prokip: 0,
      conflict: 0,
    });
    assert.equal(preview.rows.length, prokipSkus.length);
    for (const sku of shopifyDemoSkus) {
      const row = rowFor(preview.rows, sku)!;
      assert.equal(row.action, "match", sku);
      assert.equal(row.prokipQuantity, stockAtCbd(sku));
      assert.equal(row.storeQuantity, stockAtCbd(sku)); // the demo shop holds CBD's stock
      assert.equal(row.quantityToWrite, storeTarget(stockAtCbd(sku), BUFFER));
      assert.equal(row.price, null);
    }
    for (const sku of toCreate) {
      const row = rowFor(preview.rows, sku)!;
      assert.equal(row.action, "create_in_store", sku);
      assert.equal(row.quantityToWrite, Math.max(0, stockAtCbd(sku) - BUFFER));
      assert.equal(row.price, plus10(priceOf(sku)));
    }
    assert.equal(rowFor(preview.rows, "hoodie-M")?.quantityToWrite, 0); // 1 unit, buffer 2
    assert.equal(rowFor(preview.rows, "hoodie-L")?.price, "3520.00");
    assert.equal(rowFor(preview.rows, "hoodie-L")?.product, "Cotton Hoodie - Large");

    // Nothing written: no variants, listings, stock; the store is as it was.
    assert.deepEqual(await written(scenario.businessId), { listings: 0, variants: 0, levels: 0, movements: 0 });
    const afterPreview = await storeCatalogue(scenario.channel);
    assert.deepEqual([...afterPreview.keys()].sort(), [...before.keys()].sort());
    assert.deepEqual(
      [...afterPreview.values()].map((v) => v.quantity),
      [...before.values()].map((v) => v.quantity),
    );

    // The preview is kept as a dry run, to be shown again.
    const run = await getSyncRun(scenario.deps, preview.runId);
    assert.equal(run?.dryRun, true);
    assert.equal(run?.kind, "push");
    assert.equal(run?.state, "succeeded");
    assert.deepEqual(run?.counts, preview.counts);
    assert.deepEqual(run?.preview, preview.rows);
    assert.equal((run?.options as { priceAdjustmentPercent: number }).priceAdjustmentPercent, 10);
  });

  it("runs the push: every Prokip product is in the store with its price, stock and status; listings matched", async () => {
    // Look at the run while it works: just before the store is asked to create products.
    const seen: SyncRunView[] = [];
    const watched: SetupDeps = {
      ...scenario.deps,
      channelFor: (connection) => {
        const channel = scenario.deps.channelFor(connection);
        return {
          ...channel,
          createProducts: async (drafts) => {
            const current = await prisma.syncRun.findFirstOrThrow({
              where: { connectionId: scenario.connectionId, dryRun: false },
              orderBy: { createdAt: "desc" },
            });
            seen.push((await getSyncRun(scenario.deps, current.id))!);
            return channel.createProducts(drafts);
          },
        };
      },
    };
    const run = await runSetup(watched, { connectionId: scenario.connectionId, strategy: "push", options });

    assert.equal(run.state, "succeeded", JSON.stringify(run.errors));
    assert.equal(run.dryRun, false);
    assert.equal(run.total, prokipSkus.length);
    assert.equal(run.done, run.total);
    assert.equal(run.failed, 0);
    assert.equal(run.progress, 1);
    assert.deepEqual(run.errors, []);
    assert.deepEqual(run.counts, {
      match: shopifyDemoSkus.length,
      create_in_store: toCreate.length,
      missing_in_prokip: 0,
      conflict: 0,
    });
    const newProducts =
      new Set(demoVariants.filter(({ product }) => !product.inShopify).map(({ product }) => product.name)).size + 1;
    assert.equal(run.results?.productsCreated, newProducts);
    assert.equal(run.results?.listingsMatched, prokipSkus.length);
    assert.equal(run.results?.variantsImported, prokipSkus.length);
    // Progress was visible mid-run: running, the links done, the products not yet.
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.state, "running");
    assert.equal(seen[0]?.total, prokipSkus.length);
    assert.equal(seen[0]?.done, shopifyDemoSkus.length);

    // The store has every Prokip variation, at max(0, CBD - buffer); new ones at Prokip's price + 10%.
    const store = await storeCatalogue(scenario.channel);
    for (const sku of prokipSkus) {
      const variant = store.get(normalizeSku(sku)!);
      assert.ok(variant, `${sku} is in the store`);
      assert.equal(variant.quantity, storeTarget(stockAtCbd(sku), BUFFER), sku);
      if (toCreate.includes(sku)) assert.equal(Number(variant.price), Number(plus10(priceOf(sku))), sku);
    }
    assert.equal(store.size, prokipSkus.length);

    const products = await shopProducts(shop);
    const created = products.filter((p) => !demoCatalogue.some((d) => d.name === p.title && d.inShopify));
    assert.equal(created.length, newProducts);
    assert.ok(created.every((p) => p.status === "ACTIVE"));
    const hoodieProduct = created.find((p) => p.title === "Cotton Hoodie")!;
    assert.deepEqual(
      hoodieProduct.options.map((o) => o.name),
      ["Size"],
    );
    assert.deepEqual(
      hoodieProduct.variants.nodes.map((v) => [v.sku, v.title]),
      [
        ["hoodie-S", "Small"],
        ["hoodie-M", "Medium"],
        ["hoodie-L", "Large"],
      ],
    );
    assert.equal(hoodieProduct.descriptionHtml, "Warm cotton hoodie.");
    const phoneCase = created.find((p) => p.title === "Phone Case")!;
    assert.deepEqual(
      phoneCase.options.map((o) => o.name),
      ["Title"],
    ); // a simple product
    assert.equal(phoneCase.descriptionHtml, "Phone Case from the Prokip Sync demo catalogue.");

    // The central store: one matched listing per variation, stock from the Prokip reading.
    const listings = await prisma.listing.findMany({
      where: { connectionId: scenario.connectionId },
      include: { variant: true },
    });
    assert.equal(listings.length, prokipSkus.length);
    assert.ok(
      listings.every((l) => l.matchStatus === "matched" && l.variant && l.variant.normalizedSku === l.normalizedSku),
    );
    assert.ok(listings.every((l) => !l.dirty && l.lastPushedQuantity === l.storeQuantity));
    const levels = await prisma.stockLevel.findMany({
      where: { businessId: scenario.businessId },
      include: { variant: true },
    });
    assert.equal(levels.length, prokipSkus.length);
    for (const level of levels) {
      assert.equal(level.prokipQuantity, stockAtCbd(level.variant.sku));
      assert.equal(level.available, stockAtCbd(level.variant.sku));
    }
    const variant = await prisma.variant.findFirstOrThrow({
      where: { businessId: scenario.businessId, normalizedSku: "hoodie-l" },
    });
    assert.equal(variant.title, "Large");
    assert.equal(variant.productTitle, "Cotton Hoodie");
    assert.equal(variant.price?.toString(), "3200");
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: scenario.connectionId } });
    assert.equal(connection.setupStrategy, "push");
  });

  it("a second push creates nothing new and changes nothing", async () => {
    const before = await storeCatalogue(scenario.channel);
    const run = await runSetup(scenario.deps, { connectionId: scenario.connectionId, strategy: "push", options });
    assert.equal(run.state, "succeeded");
    assert.deepEqual(run.counts, { match: prokipSkus.length, create_in_store: 0, missing_in_prokip: 0, conflict: 0 });
    assert.equal(run.results?.productsCreated, 0);
    assert.equal(run.results?.quantitiesWritten, 0);
    const afterRun = await storeCatalogue(scenario.channel);
    assert.equal(afterRun.size, before.size);
    assert.deepEqual(
      [...afterRun.values()].map((v) => v.quantity),
      [...before.values()].map((v) => v.quantity),
    );
    assert.equal(await prisma.listing.count({ where: { connectionId: scenario.connectionId } }), prokipSkus.length);
    assert.equal(await prisma.variant.count({ where: { businessId: scenario.businessId } }), prokipSkus.length);
  });

  it("refuses bad options with invalid_input and writes nothing", async () => {
    const runsBefore = await prisma.syncRun.count();
    const state = await written(scenario.businessId);
    const bad: [unknown, string][] = [
      [
        { connectionId: scenario.connectionId, strategy: "push", options: { priceAdjustmentPercent: -150 } },
        "options.priceAdjustmentPercent",
      ],
      [{ connectionId: scenario.connectionId, strategy: "push", options: { status: "published" } }, "options.status"],
      [{ connectionId: scenario.connectionId, strategy: "push", options: { sendImages: "yes" } }, "options.sendImages"],
      [{ connectionId: scenario.connectionId, strategy: "push", options: { colour: "red" } }, "options"],
      [{ connectionId: scenario.connectionId, strategy: "pull", options: { priceAdjustmentPercent: 5 } }, "options"],
      [{ connectionId: scenario.connectionId, strategy: "sideways" }, "strategy"],
      [{ connectionId: "not-a-uuid", strategy: "push" }, "connectionId"],
    ];
    for (const [input, path] of bad) {
      for (const call of [previewSetup, runSetup]) {
        await assert.rejects(call(scenario.deps, input), (error) => {
          assert.ok(isSyncError(error), String(error));
          assert.equal(error.code, "invalid_input");
          const details = error.details as { path: string; message: string }[];
          assert.ok(
            details.some((d) => d.path === path),
            `${JSON.stringify(details)} names ${path}`,
          );
          return true;
        });
      }
    }
    await assert.rejects(
      runSetup(scenario.deps, { connectionId: "00000000-0000-4000-8000-000000000000", strategy: "push" }),
      (error) => isSyncError(error) && error.code === "unknown_connection",
    );
    assert.equal(await prisma.syncRun.count(), runsBefore);
    assert.deepEqual(await written(scenario.businessId), state);
  });
});

describe("pull: use my store's products (WooCommerce, central mode)", () => {
  let scenario: Scenario;
  let site: { site: string; url: string; consumerKey: string; consumerSecret: string };
  before(async () => {
    site = wooStore.emulator.control.seedDemo();
    // Products only the store has: Prokip lacks them.
    wooStore.emulator.control.createProduct(site.site, {
      name: "Handmade Soap, Lavender",
      sku: "soap-01",
      price: "350.00",
      stock: 12,
    });
    wooStore.emulator.control.createProduct(site.site, {
      name: "Silk Tie",
      optionName: "Colour",
      variations: [
        { sku: "tie-red", option: "Red", price: "1200.00", stock: 3 },
        { sku: "tie-blue", option: "Blue", price: "1250.00", stock: 4 },
      ],
    });
    scenario = await connect({
      mode: "central",
      prokip: await startProkip(),
      store: { platform: "woocommerce", ...site },
    });
  });
  const missing = ["soap-01", "tie-red", "tie-blue"];

  it("previews: the store's products matched against Prokip, the ones Prokip lacks listed; nothing written", async () => {
    const preview = await previewSetup(scenario.deps, { connectionId: scenario.connectionId, strategy: "pull" });
    assert.deepEqual(preview.counts, {
      match: wooDemoSkus.length,
      create_in_store: 0,
      missing_in_prokip: missing.length,
      conflict: 0,
    });
    for (const sku of missing) {
      const row = rowFor(preview.rows, sku)!;
      assert.equal(row.action, "missing_in_prokip");
      assert.equal(row.prokipQuantity, null);
      assert.equal(row.quantityToWrite, null);
    }
    assert.equal(rowFor(preview.rows, "tie-blue")?.storeQuantity, 4);
    // Central mode, nothing held yet: the store's quantity is the opening stock, so the store keeps it.
    assert.equal(rowFor(preview.rows, "shirt1")?.quantityToWrite, demoStockAtCbd.get("shirt1"));
    assert.deepEqual(await written(scenario.businessId), { listings: 0, variants: 0, levels: 0, movements: 0 });
    assert.equal((await getSyncRun(scenario.deps, preview.runId))?.kind, "pull");
  });

  it("runs the pull: listings for the store's catalogue, opening stock imported, an UltimatePOS file of what Prokip lacks", async () => {
    const before = await storeCatalogue(scenario.channel);
    const run = await runSetup(scenario.deps, { connectionId: scenario.connectionId, strategy: "pull" });
    assert.equal(run.state, "succeeded", JSON.stringify(run.errors));
    assert.equal(run.done, run.total);
    assert.equal(run.total, wooDemoSkus.length + missing.length);
    assert.equal(run.results?.listingsMatched, wooDemoSkus.length);
    assert.equal(run.results?.listingsUnmatched, missing.length);
    assert.equal(run.results?.quantitiesWritten, 0);

    const listings = await prisma.listing.findMany({ where: { connectionId: scenario.connectionId } });
    assert.equal(listings.length, before.size);
    for (const listing of listings) {
      const isMissing = missing.includes(listing.sku!);
      assert.equal(listing.matchStatus, isMissing ? "unmatched" : "matched", listing.sku!);
      assert.equal(listing.variantId === null, isMissing);
      assert.equal(listing.storeQuantity, before.get(listing.normalizedSku!)?.quantity);
    }
    // Central mode: one import movement per matched variant, of the store's quantity.
    const movements = await prisma.stockMovement.findMany({ where: { businessId: scenario.businessId } });
    assert.equal(movements.length, wooDemoSkus.length);
    assert.ok(movements.every((m) => m.reason === "import"));
    const levels = await prisma.stockLevel.findMany({
      where: { businessId: scenario.businessId },
      include: { variant: true },
    });
    for (const level of levels) assert.equal(level.available, demoStockAtCbd.get(level.variant.sku), level.variant.sku);

    // The import file: UltimatePOS's 37 columns, one row per product Prokip lacks.
    assert.ok(run.missingInProkipCsv?.startsWith("\uFEFF"));
    const [header, ...rows] = parseCsv(run.missingInProkipCsv!.slice(1));
    assert.deepEqual(header, [...ULTIMATEPOS_IMPORT_COLUMNS]);
    assert.equal(header?.length, 37);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => row.length === 37));
    const soap = rows.find((row) => row[0] === "Handmade Soap, Lavender")!;
    assert.deepEqual(
      {
        name: soap[0],
        unit: soap[2],
        sku: soap[5],
        manageStock: soap[7],
        taxType: soap[12],
        type: soap[13],
        cost: soap[17],
        price: Number(soap[20]),
        opening: soap[21],
        location: soap[22],
      },
      {
        name: "Handmade Soap, Lavender",
        unit: "Pieces",
        sku: "soap-01",
        manageStock: "1",
        taxType: "inclusive",
        type: "single",
        cost: "0.00",
        price: 350,
        opening: "12",
        location: "Nairobi CBD Store",
      },
    );
    // A variable product: every per-variation column lists the variations in the same order.
    const tie = rows.find((row) => row[0] === "Silk Tie")!;
    const [values, skus, costs, prices, opening] = [15, 16, 17, 20, 21].map((column) => tie[column]!.split("|"));
    assert.deepEqual(
      { type: tie[13], variation: tie[14], locations: tie[36] },
      { type: "variable", variation: "Option", locations: "Nairobi CBD Store" },
    );
    const variations = values!.map((value, i) => ({
      value,
      sku: skus![i],
      cost: costs![i],
      price: Number(prices![i]),
      opening: opening![i],
    }));
    assert.deepEqual(
      variations.sort((a, b) => a.value.localeCompare(b.value)),
      [
        { value: "Blue", sku: "tie-blue", cost: "0.00", price: 1250, opening: "4" },
        { value: "Red", sku: "tie-red", cost: "0.00", price: 1200, opening: "3" },
      ],
    );
    // The comma in the soap's name survived the quoting.
    assert.ok(run.missingInProkipCsv!.includes('"Handmade Soap, Lavender"'));

    // The store was not touched: its stock is the opening stock.
    const afterRun = await storeCatalogue(scenario.channel);
    assert.deepEqual(
      [...afterRun.values()].map((v) => v.quantity),
      [...before.values()].map((v) => v.quantity),
    );
    const again = await getSyncRun(scenario.deps, run.id);
    assert.equal(again?.missingInProkipCsv, run.missingInProkipCsv);
  });
});

describe("conflicts are reported with a fix and never linked", () => {
  let scenario: Scenario;
  let shop: { domain: string; accessToken: string };
  let preview: Awaited<ReturnType<typeof previewSetup>>;
  before(async () => {
    shop = seedShop("setup-conflicts.myshopify.com", [
      { title: "Classic Shirt (old)", variants: [{ sku: "SHIRT1", price: "1400", stock: 3 }] },
      { title: "Mystery Box", variants: [{ sku: "", price: "500", stock: 7 }] },
      {
        title: "Travel Kit",
        optionName: "Size",
        variants: [{ sku: "kit-small", option: "Small", price: "900", stock: 2 }],
      },
    ]);
    const prokip = await startProkip([
      { name: "Ceramic Mug Large", sku: "MUG-CERAMIC", price: "600" },
      { name: "Loose Item", sku: " ", price: "50" },
      {
        name: "Travel Kit",
        sku: "kit",
        variationName: "Size",
        variations: [
          { name: "Small", subSku: "kit-small", price: "900", stock: 4 },
          { name: "Large", subSku: "kit-large", price: "1100", stock: 4 },
        ],
      },
    ]);
    scenario = await connect({ mode: "prokip", prokip, store: { platform: "shopify", ...shop } });
    preview = await previewSetup(scenario.deps, { connectionId: scenario.connectionId, strategy: "push" });
  });

  it("previews each conflict with its reason and how to fix it", () => {
    const conflicts = rowsBy(preview.rows, "conflict");
    const byReason = (reason: string) => conflicts.filter((row) => row.conflictReason === reason);
    assert.equal(conflicts.length, 5);
    assert.ok(conflicts.every((row) => typeof row.fix === "string" && row.fix.length > 20));

    const [sharedInStore] = byReason("duplicate_in_store");
    assert.equal(normalizeSku(sharedInStore?.sku), "shirt1");
    assert.match(sharedInStore!.fix!, /2 products in your store use the SKU/);
    assert.match(sharedInStore!.fix!, /"Classic Shirt"/);
    assert.match(sharedInStore!.fix!, /"Classic Shirt \(old\)"/);

    const [sharedInProkip] = byReason("duplicate_in_prokip");
    assert.equal(normalizeSku(sharedInProkip?.sku), "mug-ceramic");
    assert.match(sharedInProkip!.fix!, /in Prokip use the SKU/);

    const blanks = byReason("blank_sku");
    assert.deepEqual(blanks.map((row) => row.product).sort(), ["Loose Item", "Mystery Box"]);
    assert.ok(blanks.every((row) => row.sku === null));
    assert.match(blanks.find((row) => row.product === "Mystery Box")!.fix!, /Add a SKU to "Mystery Box" in your store/);
    assert.match(blanks.find((row) => row.product === "Loose Item")!.fix!, /Add a SKU to "Loose Item" in Prokip/);

    const [partly] = byReason("partly_in_store");
    assert.equal(partly?.sku, "kit-large");
    assert.match(partly!.fix!, /Add it to that product in your store with the SKU "kit-large"/);

    assert.equal(rowFor(preview.rows, "kit-small")?.action, "match");
    assert.equal(preview.counts.conflict, 5);
    assert.equal(preview.counts.match, shopifyDemoSkus.length - 2 + 1); // shirt1 and mug-ceramic are conflicts; kit-small matches
    assert.equal(preview.counts.create_in_store, demoVariants.filter(({ product }) => !product.inShopify).length);
  });

  it("runs: conflicting store products get conflict listings with no variant, nothing is guessed or created for them", async () => {
    const run = await runSetup(scenario.deps, { connectionId: scenario.connectionId, strategy: "push" });
    assert.equal(run.state, "succeeded", JSON.stringify(run.errors));
    assert.equal(run.failed, 0);
    assert.equal(run.done, run.total);
    assert.equal(run.counts?.conflict, 5);

    const listings = await prisma.listing.findMany({ where: { connectionId: scenario.connectionId } });
    const conflicts = listings.filter((l) => l.matchStatus === "conflict");
    assert.deepEqual(conflicts.map((l) => l.title).sort(), [
      "Classic Shirt",
      "Classic Shirt (old)",
      "Coffee Mug",
      "Mystery Box",
    ]);
    assert.ok(conflicts.every((l) => l.variantId === null));
    assert.equal(run.results?.listingsInConflict, 4);

    // Prokip's shared and blank SKUs are not imported; its shirt1 is (only the store shares it).
    const variants = new Set(
      (await prisma.variant.findMany({ where: { businessId: scenario.businessId } })).map((v) => v.normalizedSku),
    );
    assert.equal(variants.has("mug-ceramic"), false);
    assert.equal(variants.has("shirt1"), true);
    assert.equal(
      [...variants].some((sku) => sku.trim() === ""),
      false,
    );

    // The partly-present Travel Kit was not created a second time; its Small is linked.
    const products = await shopProducts(shop);
    assert.equal(products.filter((p) => p.title === "Travel Kit").length, 1);
    assert.equal(listings.find((l) => l.sku === "kit-small")?.matchStatus, "matched");
    const store = await storeCatalogue(scenario.channel);
    assert.equal(store.has("kit-large"), false);
  });
});

describe("one item failing does not stop the run", () => {
  it("a product the store refuses is listed with its SKUs in errors; the others are created", async () => {
    // Two variations with the same option value: no store can create that product.
    const prokip = await startProkip([
      {
        name: "Gift Wrap",
        sku: "wrap",
        variationName: "Colour",
        variations: [
          { name: "Red", subSku: "wrap-1", price: "100", stock: 10 },
          { name: "Red", subSku: "wrap-2", price: "100", stock: 10 },
        ],
      },
    ]);
    const shop = seedShop("setup-failure.myshopify.com");
    const scenario = await connect({ mode: "prokip", prokip, store: { platform: "shopify", ...shop } });

    const run = await runSetup(scenario.deps, {
      connectionId: scenario.connectionId,
      strategy: "push",
      options: { status: "draft" },
    });
    assert.equal(run.state, "succeeded");
    assert.equal(run.done, run.total);
    assert.equal(run.failed, 2);
    assert.deepEqual(run.errors.map((e) => e.sku).sort(), ["wrap-1", "wrap-2"]);
    assert.ok(
      run.errors.every((e) => e.product?.startsWith("Gift Wrap") && /same Colour/.test(e.message)),
      JSON.stringify(run.errors),
    );

    const store = await storeCatalogue(scenario.channel);
    for (const { variant } of demoVariants) assert.ok(store.has(normalizeSku(variant.sku)!), variant.sku);
    assert.equal(store.has("wrap-1"), false);
    const products = await shopProducts(shop);
    const created = products.filter((p) => !demoCatalogue.some((d) => d.name === p.title && d.inShopify));
    assert.equal(
      created.length,
      new Set(demoVariants.filter(({ product }) => !product.inShopify).map(({ product }) => product.name)).size,
    );
    assert.ok(created.every((p) => p.status === "DRAFT"));
    assert.equal(
      await prisma.listing.count({ where: { connectionId: scenario.connectionId, sku: { in: ["wrap-1", "wrap-2"] } } }),
      0,
    );
  });
});

describe("a run that cannot read Prokip fails as a whole", () => {
  it("is marked failed with the reason in the merchant's words, and is not carried out twice", async () => {
    const prokip = await startProkip();
    const shop = seedShop("setup-unreachable.myshopify.com");
    const scenario = await connect({ mode: "prokip", prokip, store: { platform: "shopify", ...shop } });
    await prokip.close();

    const run = await runSetup(scenario.deps, { connectionId: scenario.connectionId, strategy: "push" });
    assert.equal(run.state, "failed");
    assert.ok(run.finishedAt);
    assert.equal(run.errors.length, 1);
    assert.match(run.errors[0]!.message, /not reachable right now/);
    assert.deepEqual(await written(scenario.businessId), { listings: 0, variants: 0, levels: 0, movements: 0 });
    // Running it again is a no-op: a run is carried out once.
    assert.deepEqual(await executeSetupRun(scenario.deps, run.id), run);
  });
});

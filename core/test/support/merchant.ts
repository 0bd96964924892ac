/**
 * What the merchant functions' tests share: a test database, the emulated Prokip (its demo
 * business) and Shopify over HTTP, MerchantDeps as a backend host fills them, and shops with
 * the app installed, seeded from the demo catalogue when asked.
 */
import { randomUUID } from "node:crypto";
import { after } from "node:test";
import { demoCatalogue, prokip as prokipEmulator, shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import { shopify } from "../../src/channels/index.ts";
import { createLogger } from "../../src/log/index.ts";
import type { JobRequests, MerchantDeps, StoreRef } from "../../src/merchant/types.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../../src/security/index.ts";
import { testDatabase } from "./database.ts";

export const SHOPIFY_APP = { apiKey: "merchant-test-app", apiSecret: "merchantTestSecret0123456789abcdef" };

export async function merchantWorld(options: { poolSize?: number } = {}) {
  const database = await testDatabase({ poolSize: options.poolSize ?? 8 });
  const log = createLogger({ level: process.env.TEST_LOG ?? "silent" });
  const encryptionKey = parseEncryptionKey(generateEncryptionKey());
  const prokip = await prokipEmulator.startProkipEmulator({ port: 0 });
  const demo = prokip.emulator.control.seedDemo();
  const shopifyStore = await shopifyEmulator.startShopifyEmulator({ port: 0 });
  shopifyStore.emulator.control.registerApp(SHOPIFY_APP);
  after(async () => {
    await shopifyStore.close();
    await prokip.close();
  });
  const shopifyFetch = shopify.routeShopifyFetch(shopifyStore.url);
  // Nothing listens there: deliveries to it fail, which these tests do not need.
  const publicUrl = "http://127.0.0.1:9/prokip-sync";

  function deps(
    overrides: { jobs?: JobRequests; sampleData?: MerchantDeps["sampleData"]; prokipBaseUrl?: string } = {},
  ): MerchantDeps {
    return {
      prisma: database.prisma,
      pool: database.pool,
      log,
      encryptionKey,
      channels: { encryptionKey, log, shopifyFetch },
      prokip: {
        baseUrl: overrides.prokipBaseUrl ?? prokip.url,
        client: { clientId: demo.clientId, clientSecret: demo.clientSecret },
      },
      sampleData:
        overrides.sampleData === undefined
          ? { username: demo.username, password: demo.password }
          : overrides.sampleData,
      publicUrl,
      jobs: overrides.jobs ?? unusedJobs,
    };
  }

  /** A shop with the app installed (its offline token), optionally holding the demo catalogue's Shopify products. */
  function newShop(options: { products?: boolean } = {}): { store: StoreRef; accessToken: string } {
    const domain = `merchant-${randomUUID().slice(0, 8)}.myshopify.com`;
    const control = shopifyStore.emulator.control;
    control.createShop({ domain, name: `Shop ${domain}`, currency: "KES", locations: [{ name: "Nairobi CBD Store" }] });
    const { accessToken } = control.installApp({ shop: domain, apiKey: SHOPIFY_APP.apiKey });
    if (options.products) {
      for (const product of demoCatalogue.filter((p) => p.inShopify)) {
        control.createProduct({
          shop: domain,
          title: product.name,
          optionName: product.optionName,
          variants: product.variants.map((v) => ({ sku: v.sku, price: v.price, option: v.option, stock: v.stock[0] })),
        });
      }
    }
    return { store: { platform: "shopify", storeDomain: domain }, accessToken };
  }

  /** The shop's subscriptions made through the Admin API (shop-scoped), as Shopify lists them. */
  async function shopSubscriptions(shop: {
    store: StoreRef;
    accessToken: string;
  }): Promise<{ topic: string; uri: string }[]> {
    const response = await fetch(`${shopifyStore.url}/${shop.store.storeDomain}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopify-access-token": shop.accessToken },
      body: JSON.stringify({ query: "{ webhookSubscriptions(first: 100) { nodes { topic uri } } }" }),
    });
    const body = (await response.json()) as {
      data: { webhookSubscriptions: { nodes: { topic: string; uri: string }[] } };
    };
    return body.data.webhookSubscriptions.nodes;
  }

  return {
    database,
    prisma: database.prisma,
    pool: database.pool,
    log,
    encryptionKey,
    prokip,
    demo,
    shopifyStore,
    shopifyFetch,
    publicUrl,
    deps,
    newShop,
    shopSubscriptions,
  };
}

/** For tests whose functions must not ask for jobs: asking fails the test. */
const unusedJobs = {
  reconcile: async () => fail("reconcile"),
  drain: async () => fail("drain"),
  setup: async () => fail("setup"),
  postings: async () => fail("postings"),
  inbox: async () => fail("inbox"),
};

function fail(what: string): never {
  throw new Error(`unexpected job request: ${what}`);
}

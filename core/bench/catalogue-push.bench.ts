/**
 * Catalogue push: 10,000 variants (2,500 products x 4 sizes) created through the real adapters'
 * `channel.createProducts`, called directly in batches of 20 drafts, one batch after another
 * (what a setup push does, see src/setup/execute.ts PRODUCT_BATCH, without its database work).
 * Emulators run in their own process (bench-emulators.ts); this process only pushes.
 *
 * Shopify: a fresh shop on the "standard" plan (bucket 2,000 points, restoring 100/s). Every
 * answer's `extensions.cost` is read through a fetch wrapper; the points spent are the sum of
 * `actualQueryCost`, and the lower bound the rate limit allows is
 * max(0, points - 2,000) / 100 s (the bucket starts full). Target: elapsed <= 1.15x the bound.
 * The emulator prices every mutation at 10 points (productSet included, whatever its variant
 * count; Shopify's dynamic productSet pricing is not emulated), so 4 variants per product keep the
 * bound near 4 minutes; 10,000 one-variant products would need ~16.
 * WooCommerce: the same catalogue to a fresh site (no rate limit in the emulator).
 * Peak RSS of this process during each push (target <= 400 MB).
 *
 * BENCH_PUSH_VARIANTS (default 10,000, multiples of 4) makes a smaller run; the Shopify bound
 * for the default is about 230 s. BENCH_PUSH_STORES=shopify or =woocommerce pushes to one only.
 * "peak heap MB" is the largest V8 heapUsed sampled (live objects plus garbage not yet collected).
 */
import {
  shopify,
  woocommerce,
  type Channel,
  type CreateProductsResult,
  type ProductDraft,
} from "../src/channels/index.ts";
import { createLogger } from "../src/log/index.ts";
import { report, round, withPeakRss } from "./report.ts";
import { startEmulatorProcess } from "./start-emulators.ts";

const VARIANTS = Number(process.env.BENCH_PUSH_VARIANTS ?? 10_000);
const SIZES = ["S", "M", "L", "XL"];
const PRODUCT_BATCH = 20;
/** Which stores to push to (comma list); both by default. */
const STORES = (process.env.BENCH_PUSH_STORES ?? "shopify,woocommerce").split(",").map((s) => s.trim());
const SHOP = "bench-push.myshopify.com";
const PLAN = { name: "standard", bucket: 2_000, restoreRate: 100 } as const;
const APP = { apiKey: "bench-push-app", apiSecret: "bench-push-secret" };

interface CostTally {
  requests: number;
  points: number;
  requested: number;
  throttled: number;
  byOperation: Map<string, { count: number; points: number }>;
  lowestAvailable: number;
}

export async function cataloguePushBenchmark(): Promise<void> {
  const products = Math.ceil(VARIANTS / SIZES.length);
  const expectedPoints = products * 10;
  console.log(
    `\nCatalogue push: ${products} products x ${SIZES.length} variants; Shopify at ${PLAN.restoreRate} points/s needs about ` +
      `${Math.round(Math.max(0, expectedPoints - PLAN.bucket) / PLAN.restoreRate)} s (productSet is priced 10 points per call); ` +
      `BENCH_PUSH_VARIANTS=<n> for a smaller run`,
  );
  const log = createLogger({ level: process.env.BENCH_LOG ?? "silent" });
  const drafts = buildDrafts(products);
  const emulators = await startEmulatorProcess();
  try {
    const rows: Record<string, Record<string, string | number>> = {};
    const extra: Record<string, unknown> = {};
    let variantsRequested = 0;

    if (STORES.includes("shopify")) {
      await emulators.control(emulators.shopifyUrl, "POST", "/_control/shops", {
        domain: SHOP,
        plan: PLAN.name,
        currency: "KES",
      });
      await emulators.control(emulators.shopifyUrl, "POST", "/_control/apps", APP);
      const { accessToken } = await emulators.control<{ accessToken: string }>(
        emulators.shopifyUrl,
        "POST",
        "/_control/apps/install",
        { shop: SHOP, apiKey: APP.apiKey },
      );
      const tally: CostTally = {
        requests: 0,
        points: 0,
        requested: 0,
        throttled: 0,
        byOperation: new Map(),
        lowestAvailable: PLAN.bucket,
      };
      const channel = shopify.createShopifyChannel({
        shop: SHOP,
        accessToken,
        log,
        fetch: shopify.routeShopifyFetch(emulators.shopifyUrl, costCountingFetch(tally)),
      });
      const run = await push(channel, drafts);
      variantsRequested = run.variantsRequested;
      const bound = Math.max(0, tally.points - PLAN.bucket) / PLAN.restoreRate;
      const ratio = bound > 0 ? round(run.seconds / bound, 3) : null;
      rows[`Shopify (${PLAN.name}, ${PLAN.restoreRate} points/s)`] = {
        seconds: run.seconds,
        "bound s": round(bound, 1),
        "x bound": ratio ?? "",
        "variants created": run.variantsCreated,
        "products failed": run.failed,
        "variants/s": round(run.variantsCreated / run.seconds, 1),
        requests: tally.requests,
        points: tally.points,
        throttled: tally.throttled,
        "RSS before MB": run.rssBeforeMb,
        "peak RSS MB": run.peakRssMb,
        "peak heap MB": run.peakHeapMb,
      };
      extra.shopify = {
        plan: PLAN,
        pointsSpent: tally.points,
        pointsRequested: tally.requested,
        boundSeconds: round(bound, 2),
        ratioToBound: ratio,
        lowestAvailableSeen: tally.lowestAvailable,
        byOperation: Object.fromEntries(tally.byOperation),
        firstFailure: run.firstFailure,
      };
    }

    if (STORES.includes("woocommerce")) {
      const site = await emulators.control<{ url: string; consumerKey: string; consumerSecret: string }>(
        emulators.wooUrl,
        "POST",
        "/_control/sites",
        { slug: "bench-push", name: "Bench push" },
      );
      const before = await emulators.stats();
      const channel = woocommerce.createWooCommerceChannel({
        siteUrl: site.url,
        consumerKey: site.consumerKey,
        consumerSecret: site.consumerSecret,
        log,
      });
      const run = await push(channel, drafts);
      variantsRequested = run.variantsRequested;
      const requests = (await emulators.stats()).wooRequests - before.wooRequests;
      rows.WooCommerce = {
        seconds: run.seconds,
        "variants created": run.variantsCreated,
        "products failed": run.failed,
        "variants/s": round(run.variantsCreated / run.seconds, 1),
        requests,
        "RSS before MB": run.rssBeforeMb,
        "peak RSS MB": run.peakRssMb,
        "peak heap MB": run.peakHeapMb,
      };
      extra.woocommerce = { requests, firstFailure: run.firstFailure };
    }

    report(
      "catalogue-push",
      `Catalogue push: ${drafts.length} products x ${SIZES.length} variants (${variantsRequested} variants), channel.createProducts in batches of ${PRODUCT_BATCH}; emulators in a separate process`,
      rows,
      {
        ...extra,
        emulatorProcessPeakRssMb: (await emulators.stats()).peakRssMb,
        targets: { ratioToBound: 1.15, peakRssMb: 400 },
      },
    );
  } finally {
    await emulators.stop();
  }
}

function buildDrafts(products: number): ProductDraft[] {
  return Array.from({ length: products }, (_, p) => {
    const code = String(p + 1).padStart(5, "0");
    return {
      title: `Bench Shirt ${code}`,
      descriptionHtml: `<p>Cotton shirt ${code}</p>`,
      imageUrls: [],
      status: "active",
      optionName: "Size",
      variants: SIZES.map((size, s) => ({
        sku: `PUSH-${code}-${size}`,
        optionValue: size,
        price: `${1_000 + s * 100}.00`,
        quantity: 10 + s,
      })),
    } satisfies ProductDraft;
  });
}

async function push(channel: Channel, drafts: ProductDraft[]) {
  const variantsRequested = drafts.reduce((sum, d) => sum + d.variants.length, 0);
  const rssBeforeMb = round(process.memoryUsage.rss() / 1024 / 1024, 1);
  let peakHeap = process.memoryUsage().heapUsed;
  const heapTimer = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 25);
  const started = performance.now();
  const { result, peakRssMb } = await withPeakRss(async () => {
    const total: CreateProductsResult = { created: [], failed: [] };
    for (let i = 0; i < drafts.length; i += PRODUCT_BATCH) {
      const batch = await channel.createProducts(drafts.slice(i, i + PRODUCT_BATCH));
      total.created.push(...batch.created);
      total.failed.push(...batch.failed);
    }
    return total;
  });
  const seconds = round((performance.now() - started) / 1000, 2);
  clearInterval(heapTimer);
  return {
    seconds,
    peakRssMb,
    peakHeapMb: round(peakHeap / 1024 / 1024, 1),
    rssBeforeMb,
    variantsRequested,
    variantsCreated: result.created.reduce((sum, p) => sum + p.variants.length, 0),
    failed: result.failed.length,
    firstFailure: result.failed[0] ?? null,
  };
}

/** A fetch that reads `extensions.cost` from every GraphQL answer before handing it on. */
function costCountingFetch(tally: CostTally): shopify.FetchLike {
  return async (url, init) => {
    const response = await fetch(url, init);
    if (!url.includes("/graphql.json")) return response;
    const text = await response.text();
    tally.requests += 1;
    try {
      const body = JSON.parse(text) as {
        errors?: { extensions?: { code?: string } }[];
        extensions?: {
          cost?: {
            requestedQueryCost?: number;
            actualQueryCost?: number | null;
            throttleStatus?: { currentlyAvailable: number };
          };
        };
      };
      const cost = body.extensions?.cost;
      const operation =
        /(?:mutation|query)\s+(\w+)/u.exec(String(JSON.parse(String(init?.body ?? "{}")).query ?? ""))?.[1] ??
        "unknown";
      const actual = cost?.actualQueryCost ?? 0;
      tally.points += actual;
      tally.requested += cost?.requestedQueryCost ?? 0;
      if (cost?.throttleStatus)
        tally.lowestAvailable = Math.min(tally.lowestAvailable, cost.throttleStatus.currentlyAvailable);
      if (Array.isArray(body.errors) && body.errors.some((e) => e.extensions?.code === "THROTTLED"))
        tally.throttled += 1;
      const entry = tally.byOperation.get(operation) ?? { count: 0, points: 0 };
      entry.count += 1;
      entry.points += actual;
      tally.byOperation.set(operation, entry);
    } catch {
      // not JSON (a proxy page): nothing to count
    }
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

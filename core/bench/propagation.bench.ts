/**
 * Propagation: a sale on the emulated Shopify shop reaches the emulated WooCommerce site.
 *
 * The emulators run in a separate process (bench-emulators.ts); this process runs what
 * `npm start` runs: the webhook receiver (HTTP), the inbox, the ledger on an embedded PostgreSQL,
 * the pg-boss workers and the real adapters (wired as in test/sync-e2e.test.ts, central mode).
 * A catalogue of 300 SKUs (150 simple products, 50 products x 3 sizes) is linked on both stores.
 * Orders of one unit are placed on Shopify through its control API at a fixed rate (default
 * 50/s for 20 s, open loop: an order is sent on schedule whether or not the previous answered),
 * cycling through the SKUs.
 *
 * One SKU is kept for a warm-up sale; the other 299 take the load.
 *
 * Per order: from the moment the backend stored its orders/create webhook (WebhookEvent.receivedAt)
 * to the moment the WooCommerce emulator had answered the batch write that set the SKU to the
 * quantity after that sale (or lower), as logged by the emulator process (same machine, same
 * clock). Broken down into received -> the inbox processed that delivery (processedAt) -> written,
 * and by the 5-second window the order was sent in (a backlog shows as later windows waiting
 * less than earlier ones). Also shown: order placed -> WooCommerce written, and order placed ->
 * webhook received (the emulator's delivery leg). Target: p95 <= 1 s. Orders never propagated
 * within the timeout are counted. The JSON also has the inbox's throughput, the backend's Shopify
 * calls by operation (count, time, points requested/actual), CPU use and PostgreSQL commits/s.
 *
 * BENCH_ORDERS_PER_SECOND, BENCH_PROPAGATION_SECONDS, BENCH_PROPAGATION_TIMEOUT (s) change the load,
 * BENCH_SHOPIFY_PLAN the shop's API plan (default standard, 100 points/s);
 * BENCH_PROPAGATION_DUMP=<file> writes per-order timestamps and the backend's Shopify calls.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import type { PgBoss } from "pg-boss";
import { buildServer, Health, Metrics, registerWebhookRoutes } from "../src/api/index.ts";
import { shopify, woocommerce, type Channel, type StoreVariant } from "../src/channels/index.ts";
import { channelForConnection, sealStoreCredentials } from "../src/connections/index.ts";
import { matchBySku, normalizeSku } from "../src/domain/index.ts";
import { QUEUES, requestRunSoon, startQueue, startWorkers } from "../src/jobs/index.ts";
import { createLogger } from "../src/log/index.ts";
import { encryptSecret, generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { applyMigrations, connectDatabase, ensureDatabase, startEmbeddedPostgres } from "../src/store/index.ts";
import { percentile, report, round } from "./report.ts";
import { startEmulatorProcess, type EmulatorProcess } from "./start-emulators.ts";

const RATE = Number(process.env.BENCH_ORDERS_PER_SECOND ?? 50);
const SECONDS = Number(process.env.BENCH_PROPAGATION_SECONDS ?? 20);
const TIMEOUT_SECONDS = Number(process.env.BENCH_PROPAGATION_TIMEOUT ?? 60);
/** The shop's API plan: standard (100 points/s), advanced (200/s) or plus (1,000/s). */
const SHOPIFY_PLAN = process.env.BENCH_SHOPIFY_PLAN ?? "standard";
const SIMPLE_PRODUCTS = 150;
const SIZED_PRODUCTS = 50;
const SIZES = ["S", "M", "L"];
const OPENING_STOCK = 1_000;
const SHOP = "bench-propagation.myshopify.com";
const SITE = "bench-propagation";
const APP = { apiKey: "bench-propagation-app", apiSecret: "bench-propagation-secret" };

interface ShopifyCall {
  operation: string;
  start: number;
  end: number;
  requested: number;
  actual: number;
  available: number | null;
}

/** A fetch that notes each GraphQL call's operation, timing and cost. */
function recordingFetch(calls: ShopifyCall[]): shopify.FetchLike {
  return async (url, init) => {
    const start = Date.now();
    const response = await fetch(url, init);
    if (!url.includes("/graphql.json")) return response;
    const text = await response.text();
    const call: ShopifyCall = {
      operation: "unknown",
      start,
      end: Date.now(),
      requested: 0,
      actual: 0,
      available: null,
    };
    try {
      call.operation =
        /(?:mutation|query)\s+(\w+)/u.exec(
          String((JSON.parse(String(init?.body ?? "{}")) as { query?: unknown }).query ?? ""),
        )?.[1] ?? "unknown";
      const cost = (
        JSON.parse(text) as {
          extensions?: {
            cost?: {
              requestedQueryCost?: number;
              actualQueryCost?: number | null;
              throttleStatus?: { currentlyAvailable: number };
            };
          };
        }
      ).extensions?.cost;
      call.requested = cost?.requestedQueryCost ?? 0;
      call.actual = cost?.actualQueryCost ?? 0;
      call.available = cost?.throttleStatus?.currentlyAvailable ?? null;
    } catch {
      // not JSON: timing only
    }
    calls.push(call);
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

interface PlacedOrder {
  index: number;
  sku: string;
  /** WooCommerce's quantity once this sale has been carried over. */
  expected: number;
  sentAt: number;
  placedAt: number | null;
  orderId: string | null;
  error: string | null;
}

export async function propagationBenchmark(): Promise<void> {
  const log = createLogger({ level: process.env.BENCH_LOG ?? "silent" });
  const key = parseEncryptionKey(generateEncryptionKey());
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(path.join(tmpdir(), "prokip-propagation-")),
    persistent: false,
  });
  let emulators: EmulatorProcess | null = null;
  let boss: PgBoss | null = null;
  let database: ReturnType<typeof connectDatabase> | null = null;
  const health = new Health("bench");
  const metrics = new Metrics();
  const app = buildServer({ log, health, metrics });
  try {
    await ensureDatabase(server.adminUrl, "propagation");
    const url = server.urlFor("propagation");
    await applyMigrations(url);
    const db = connectDatabase(url, { poolSize: 12 });
    database = db;
    const { prisma, pool } = db;
    emulators = await startEmulatorProcess({ shopifyTimeScale: 0.001 });
    const stores = await seedStores(emulators);

    // ---- the backend: webhook receiver + workers, in this process ----
    health.ready(db);
    await registerWebhookRoutes(app, {
      database: () => db,
      metrics,
      shopifyApiSecret: APP.apiSecret,
      encryptionKey: key,
      onStored: async (connectionId) => {
        if (boss) await requestRunSoon(boss, QUEUES.inbox, connectionId); // as main.ts does
      },
    });
    const base = await app.listen({ port: 0, host: "127.0.0.1" });

    const business = await prisma.business.create({ data: { name: "Propagation bench", authorityMode: "central" } });
    const location = await prisma.location.create({ data: { businessId: business.id, name: "Main" } });
    const wooSecret = randomBytes(24).toString("hex");
    // lastSyncAt now: as after a setup, so the minute tick does not start a reconciliation mid-run.
    const shopifyConnection = await prisma.connection.create({
      data: {
        businessId: business.id,
        platform: "shopify",
        storeDomain: SHOP,
        locationId: location.id,
        lastSyncAt: new Date(),
        credentials: sealStoreCredentials({ platform: "shopify", accessToken: stores.shopifyToken }, key),
      },
    });
    const wooConnection = await prisma.connection.create({
      data: {
        businessId: business.id,
        platform: "woocommerce",
        storeDomain: stores.site.url,
        locationId: location.id,
        lastSyncAt: new Date(),
        credentials: sealStoreCredentials(
          { platform: "woocommerce", consumerKey: stores.site.consumerKey, consumerSecret: stores.site.consumerSecret },
          key,
        ),
        webhookSecret: encryptSecret(wooSecret, key),
      },
    });
    // The backend's Shopify calls, timed and costed (what else the Shopify side of the run did).
    const shopifyCalls: ShopifyCall[] = [];
    const shopifyFetch = shopify.routeShopifyFetch(emulators.shopifyUrl, recordingFetch(shopifyCalls));
    const shopifyChannel = channelForConnection(shopifyConnection, { encryptionKey: key, log, shopifyFetch });
    const wooChannel = channelForConnection(wooConnection, { encryptionKey: key, log });

    // ---- link the two catalogues by SKU (as a setup would) ----
    const shopVariants = await collect(shopifyChannel);
    const siteVariants = await collect(wooChannel);
    // The store's own spelling of each SKU (the match key is the normalised one).
    const matched = matchBySku(
      shopVariants.map((v) => ({ sku: v.sku, item: v })),
      siteVariants.map((v) => ({ sku: v.sku, item: v })),
    ).matched.map((m) => ({ ...m, sku: m.prokip.sku! }));
    const variants = await prisma.variant.createManyAndReturn({
      data: matched.map(({ sku, prokip: v }) => ({
        businessId: business.id,
        sku,
        normalizedSku: normalizeSku(sku)!,
        title: v.title,
        productTitle: v.productTitle,
      })),
    });
    const variantIdBySku = new Map(variants.map((v) => [v.sku, v.id]));
    await prisma.listing.createMany({
      data: matched.flatMap(({ sku, prokip: shopVariant, store: siteVariant }) =>
        (
          [
            [shopifyConnection.id, shopVariant],
            [wooConnection.id, siteVariant],
          ] as const
        ).map(([connectionId, item]) => ({
          businessId: business.id,
          connectionId,
          variantId: variantIdBySku.get(sku)!,
          externalProductId: item.externalProductId,
          externalVariantId: item.externalVariantId,
          externalInventoryItemId: item.externalInventoryItemId,
          sku,
          normalizedSku: normalizeSku(sku)!,
          title: item.title,
          matchStatus: "matched" as const,
          storeQuantity: item.quantity,
          lastPushedQuantity: item.quantity,
        })),
      ),
    });
    await prisma.stockMovement.createMany({
      data: matched.map(({ sku, prokip: v }) => ({
        businessId: business.id,
        locationId: location.id,
        variantId: variantIdBySku.get(sku)!,
        delta: v.quantity ?? 0,
        reason: "import" as const,
        idempotencyKey: `import:${variantIdBySku.get(sku)}`,
      })),
    });
    await prisma.stockLevel.createMany({
      data: matched.map(({ sku, prokip: v }) => ({
        businessId: business.id,
        locationId: location.id,
        variantId: variantIdBySku.get(sku)!,
        available: v.quantity ?? 0,
      })),
    });
    const wooIdBySku = new Map(matched.map(({ sku, store }) => [sku, Number(store.externalVariantId)]));

    await shopifyChannel.ensureWebhooks({
      url: `${base}/webhooks/shopify`,
      topics: shopify.SHOPIFY_WEBHOOK_TOPICS,
      secret: "unused",
    });
    await wooChannel.ensureWebhooks({
      url: `${base}/webhooks/woocommerce/${wooConnection.id}`,
      topics: woocommerce.WOOCOMMERCE_WEBHOOK_TOPICS,
      secret: wooSecret,
    });
    boss = await startQueue(url, log);
    await startWorkers({
      pool,
      prisma,
      boss,
      log,
      publicUrl: base,
      prokipClient: null,
      channels: { encryptionKey: key, log, shopifyFetch },
    });

    // ---- warm-up: one sale on a SKU kept out of the measured rotation ----
    const skus = matched.map((m) => m.sku).sort();
    const warmupSku = skus.pop()!;
    await placeOrder(emulators, warmupSku);
    await waitFor(
      emulators,
      (writes) => writes.some(([, id, qty]) => id === wooIdBySku.get(warmupSku) && qty <= OPENING_STOCK - 1),
      30_000,
    );

    // ---- the load: RATE orders/s for SECONDS, open loop ----
    const commits = async () =>
      Number((await pool.query<{ n: string }>(`SELECT sum("xact_commit") AS "n" FROM pg_stat_database`)).rows[0]!.n);
    const commitsBefore = await commits();
    const cpuBefore = process.cpuUsage();
    const emulatorCpuBefore = (await emulators.stats()).cpuSeconds;
    const total = Math.round(RATE * SECONDS);
    const sold = new Map<string, number>();
    const orders: PlacedOrder[] = [];
    const inFlight: Promise<void>[] = [];
    const start = performance.now() + 50;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const sku = skus[i % skus.length]!;
      const count = (sold.get(sku) ?? 0) + 1;
      sold.set(sku, count);
      const order: PlacedOrder = {
        index: i,
        sku,
        expected: OPENING_STOCK - count,
        sentAt: Date.now(),
        placedAt: null,
        orderId: null,
        error: null,
      };
      orders.push(order);
      inFlight.push(
        placeOrder(emulators, sku).then(
          (id) => {
            order.placedAt = Date.now();
            order.orderId = id;
          },
          (error: unknown) => {
            order.error = (error as Error).message;
          },
        ),
      );
    }
    await Promise.all(inFlight);
    const driveSeconds = (performance.now() - start) / 1000;
    const placed = orders.filter((o) => o.orderId !== null);

    // ---- wait until every placed sale shows in WooCommerce (or the timeout) ----
    const propagatedAt = (writes: [number, number, number][]) => {
      const byId = new Map<number, [number, number][]>();
      for (const [at, id, qty] of writes) {
        const list = byId.get(id) ?? [];
        list.push([at, qty]);
        byId.set(id, list);
      }
      return (order: PlacedOrder): number | null =>
        byId.get(wooIdBySku.get(order.sku)!)?.find(([, qty]) => qty <= order.expected)?.[0] ?? null;
    };
    const writes = await waitFor(
      emulators,
      (all) => placed.every((o) => propagatedAt(all)(o) !== null),
      TIMEOUT_SECONDS * 1000,
    );
    const writtenAt = propagatedAt(writes);
    const cpu = process.cpuUsage(cpuBefore);
    const busySeconds = (performance.now() - start) / 1000;
    const emulatorCpu = (await emulators.stats()).cpuSeconds - emulatorCpuBefore;
    const postgresCommits = (await commits()) - commitsBefore;

    // ---- when the backend received each orders/create webhook ----
    const { rows } = await pool.query<{ id: string; receivedAt: Date; processedAt: Date | null }>(
      `SELECT "payload"->>'id' AS "id", min("receivedAt") AS "receivedAt", min("processedAt") AS "processedAt" FROM "WebhookEvent"
        WHERE "connectionId" = $1 AND "topic" = 'orders/create' GROUP BY 1`,
      [shopifyConnection.id],
    );
    const receivedAt = new Map(rows.map((r) => [r.id, r.receivedAt.getTime()]));
    const processedAt = new Map(rows.map((r) => [r.id, r.processedAt?.getTime() ?? null]));

    const receivedToWritten: number[] = [];
    const placedToWritten: number[] = [];
    const placedToReceived: number[] = [];
    const receivedToProcessed: number[] = [];
    const processedToWritten: number[] = [];
    /** received -> written by the 5-second window of the run the order was sent in. */
    const windows = new Map<number, number[]>();
    let neverPropagated = 0;
    let webhookMissing = 0;
    for (const order of placed) {
      const written = writtenAt(order);
      const id = shopify.legacyId(order.orderId!);
      const received = receivedAt.get(id);
      const processed = processedAt.get(id) ?? null;
      if (written === null) neverPropagated += 1;
      if (received === undefined) webhookMissing += 1;
      if (written !== null) placedToWritten.push(written - order.placedAt!);
      if (received !== undefined) placedToReceived.push(received - order.placedAt!);
      if (written !== null && received !== undefined) {
        receivedToWritten.push(written - received);
        const window = Math.floor(order.index / RATE / 5) * 5;
        windows.set(window, [...(windows.get(window) ?? []), written - received]);
      }
      if (processed !== null && received !== undefined) receivedToProcessed.push(processed - received);
      if (processed !== null && written !== null) processedToWritten.push(written - processed);
    }
    if (process.env.BENCH_PROPAGATION_DUMP) {
      // Per order [sentAt, placedAt, receivedAt, processedAt, writtenAt] (ms since epoch), for a closer look.
      const rowsOut = placed.map((o) => {
        const id = shopify.legacyId(o.orderId!);
        return [o.sentAt, o.placedAt, receivedAt.get(id) ?? null, processedAt.get(id) ?? null, writtenAt(o)];
      });
      writeFileSync(process.env.BENCH_PROPAGATION_DUMP, JSON.stringify({ orders: rowsOut, shopifyCalls }));
    }
    const runCalls = shopifyCalls.filter((c) => c.start >= orders[0]!.sentAt);
    const shopifyByOperation: Record<
      string,
      { calls: number; seconds: number; pointsRequested: number; pointsActual: number }
    > = {};
    for (const call of runCalls) {
      const entry = (shopifyByOperation[call.operation] ??= {
        calls: 0,
        seconds: 0,
        pointsRequested: 0,
        pointsActual: 0,
      });
      entry.calls += 1;
      entry.seconds = round(entry.seconds + (call.end - call.start) / 1000, 2);
      entry.pointsRequested += call.requested;
      entry.pointsActual += call.actual;
    }
    const lowestShopifyAvailable = Math.min(...runCalls.map((c) => c.available ?? Infinity));
    const wooBatches = new Set(writes.map(([at]) => at)).size;
    // How fast the inbox worked through the Shopify deliveries of the run (one per transaction).
    const inboxRun = await pool.query<{ topic: string; deliveries: string; first: Date; last: Date }>(
      `SELECT "topic", count(*) AS "deliveries", min("processedAt") AS "first", max("processedAt") AS "last" FROM "WebhookEvent"
        WHERE "connectionId" = $1 AND "receivedAt" >= $2 AND "processedAt" IS NOT NULL GROUP BY 1 ORDER BY 1`,
      [shopifyConnection.id, new Date(orders[0]!.sentAt)],
    );
    const inboxDeliveries = inboxRun.rows.reduce((sum, r) => sum + Number(r.deliveries), 0);
    const inboxSeconds =
      inboxRun.rows.length === 0
        ? 0
        : (Math.max(...inboxRun.rows.map((r) => r.last.getTime())) -
            Math.min(...inboxRun.rows.map((r) => r.first.getTime()))) /
          1000;
    const inboxStates = await pool.query<{ state: string; count: string }>(
      `SELECT "state", count(*) AS "count" FROM "WebhookEvent" GROUP BY 1 ORDER BY 1`,
    );
    const stats = await emulators.stats();

    report(
      "propagation",
      `Propagation: ${placed.length} one-unit Shopify orders at ${RATE}/s for ${SECONDS} s over ${skus.length} SKUs (Shopify plan ${SHOPIFY_PLAN}) -> WooCommerce; emulators in a separate process, backend + workers + embedded PostgreSQL here`,
      {
        "webhook received -> WooCommerce written": summary(receivedToWritten),
        "  received -> inbox processed the order": summary(receivedToProcessed),
        "  inbox processed -> WooCommerce written": summary(processedToWritten),
        ...Object.fromEntries(
          [...windows]
            .sort(([a], [b]) => a - b)
            .map(([from, values]) => [`  orders sent at ${from}-${from + 5} s`, summary(values)]),
        ),
        "order placed -> WooCommerce written": summary(placedToWritten),
        "order placed -> webhook received": summary(placedToReceived),
      },
      {
        ordersSent: orders.length,
        ordersPlaced: placed.length,
        placementErrors: orders.length - placed.length,
        firstPlacementError: orders.find((o) => o.error)?.error ?? null,
        ordersPerSecondAchieved: round(placed.length / driveSeconds, 1),
        neverPropagated,
        orderWebhooksMissing: webhookMissing,
        wooBatchWrites: wooBatches,
        wooQuantitiesWritten: writes.length,
        shopifyDeliveriesHandled: inboxDeliveries,
        shopifyDeliveriesByTopic: Object.fromEntries(inboxRun.rows.map((r) => [r.topic, Number(r.deliveries)])),
        shopifyDeliveriesPerOrder: round(inboxDeliveries / Math.max(1, placed.length), 2),
        inboxDeliveriesPerSecond: inboxSeconds > 0 ? round(inboxDeliveries / inboxSeconds, 1) : null,
        backendShopifyCalls: shopifyByOperation,
        lowestShopifyPointsAvailable: Number.isFinite(lowestShopifyAvailable) ? lowestShopifyAvailable : null,
        inboxStates: Object.fromEntries(inboxStates.rows.map((r) => [r.state, Number(r.count)])),
        emulatorProcess: stats,
        cpu: {
          cores: availableParallelism(),
          seconds: round(busySeconds, 1),
          benchProcessCores: round((cpu.user + cpu.system) / 1e6 / busySeconds, 2),
          emulatorProcessCores: round(emulatorCpu / busySeconds, 2),
        },
        postgresCommitsPerSecond: round(postgresCommits / busySeconds, 1),
        targets: { p95Ms: 1000 },
      },
    );
  } finally {
    // The emulators first: they stop sending webhooks; then the workers, the server, the pool.
    await emulators?.stop();
    await boss?.stop({ graceful: false, timeout: 2_000 }).catch(() => undefined);
    await app.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    await server.stop();
  }
}

function summary(values: number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    orders: sorted.length,
    "p50 ms": Math.round(percentile(sorted, 50)),
    "p95 ms": Math.round(percentile(sorted, 95)),
    "p99 ms": Math.round(percentile(sorted, 99)),
    "max ms": Math.round(sorted.at(-1) ?? 0),
  };
}

/** A shop (standard plan unless BENCH_SHOPIFY_PLAN says otherwise) and a site, each with the same 300 SKUs at OPENING_STOCK. */
async function seedStores(emulators: EmulatorProcess) {
  const { shopifyUrl, wooUrl } = emulators;
  await emulators.control(shopifyUrl, "POST", "/_control/shops", { domain: SHOP, plan: SHOPIFY_PLAN, currency: "KES" });
  await emulators.control(shopifyUrl, "POST", "/_control/apps", APP);
  const { accessToken } = await emulators.control<{ accessToken: string }>(
    shopifyUrl,
    "POST",
    "/_control/apps/install",
    { shop: SHOP, apiKey: APP.apiKey },
  );
  const site = await emulators.control<{ url: string; consumerKey: string; consumerSecret: string }>(
    wooUrl,
    "POST",
    "/_control/sites",
    { slug: SITE, name: "Propagation bench" },
  );
  for (let p = 0; p < SIMPLE_PRODUCTS; p++) {
    const sku = `PROP-${String(p).padStart(3, "0")}`;
    await emulators.control(shopifyUrl, "POST", "/_control/products", {
      shop: SHOP,
      title: `Mug ${p}`,
      variants: [{ sku, price: "500.00", stock: OPENING_STOCK }],
    });
    await emulators.control(wooUrl, "POST", `/_control/sites/${SITE}/products`, {
      name: `Mug ${p}`,
      sku,
      price: "500.00",
      stock: OPENING_STOCK,
    });
  }
  for (let p = 0; p < SIZED_PRODUCTS; p++) {
    const code = `PROP-T${String(p).padStart(3, "0")}`;
    await emulators.control(shopifyUrl, "POST", "/_control/products", {
      shop: SHOP,
      title: `Shirt ${p}`,
      optionName: "Size",
      variants: SIZES.map((size) => ({ sku: `${code}-${size}`, option: size, price: "1500.00", stock: OPENING_STOCK })),
    });
    await emulators.control(wooUrl, "POST", `/_control/sites/${SITE}/products`, {
      name: `Shirt ${p}`,
      optionName: "Size",
      variations: SIZES.map((size) => ({
        sku: `${code}-${size}`,
        option: size,
        price: "1500.00",
        stock: OPENING_STOCK,
      })),
    });
  }
  return { shopifyToken: accessToken, site };
}

async function placeOrder(emulators: EmulatorProcess, sku: string): Promise<string> {
  const order = await emulators.control<{ id: string }>(emulators.shopifyUrl, "POST", "/_control/orders", {
    shop: SHOP,
    lines: [{ sku, quantity: 1 }],
  });
  return order.id;
}

async function collect(channel: Channel): Promise<StoreVariant[]> {
  const items: StoreVariant[] = [];
  for await (const page of channel.listVariants()) items.push(...page);
  return items;
}

/** Polls the emulator's log of WooCommerce quantity writes until `done` holds or the timeout. */
async function waitFor(
  emulators: EmulatorProcess,
  done: (writes: [number, number, number][]) => boolean,
  timeoutMs: number,
): Promise<[number, number, number][]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { writes } = await emulators.control<{ writes: [number, number, number][] }>(
      emulators.wooUrl,
      "GET",
      "/_bench/woo-writes",
    );
    if (done(writes) || Date.now() > deadline) return writes;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

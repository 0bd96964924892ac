/**
 * The chaos suite: nothing is lost or counted twice under faults.
 *
 * Processes, as in a split deployment: the web process (`core/src/main.ts`, sandbox mode, so
 * the emulated Shopify shop, WooCommerce site and Prokip business live in it, with
 * PROKIP_SYNC_WORKERS=off) and a worker process (`core/src/worker.ts`). PUBLIC_URL points at a
 * proxy in this test process (support/chaos-proxy.ts) through which every webhook delivery and
 * every API call of the product passes. The demo business (Prokip authority) is connected to
 * both stores by a real push at start.
 *
 * Faults, with fixed seeds: every emulator answers 10% of API requests with a 5xx and starts
 * 429 bursts; every webhook is delivered three times and 30% are held back and arrive after
 * later ones. The worker is killed with SIGKILL while a drain's write is in flight (the store
 * applied it, the worker never heard) and, later, while a Prokip sell is in flight; both times
 * it is started again. While the worker is down the backend is unreachable for WooCommerce's
 * deliveries until WooCommerce disables a webhook; "Sync now" (reconciliation) re-enables it.
 *
 * Workload: 200 random operations from a seeded PRNG (support/chaos-workload.ts): orders of
 * 1-3 lines on either store, refunds with and without restock, cancellations, stock
 * adjustments in Prokip.
 *
 * End: faults off, "Sync now" until quiet, then every store shows its target for every linked
 * SKU, Prokip shows exactly initial - units kept sold + adjustments (computed by the test from
 * its own operations), no sale is in Prokip twice, and every delivery the stores made is
 * accounted for in the inbox exactly once, processed or ignored.
 *
 * CHAOS_SEED=<n> replays another workload and fault schedule.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEMO_BUSINESS_NAME } from "../src/demo/index.ts";
import { storeTarget } from "../src/domain/index.ts";
import { generateEncryptionKey } from "../src/security/index.ts";
import { freePort } from "../src/store/index.ts";
import { ChaosProxy, type ProxiedRequest } from "./support/chaos-proxy.ts";
import { ProductProcess } from "./support/chaos-processes.ts";
import { control, Workload, type PlacedOrder, type SkuInfo } from "./support/chaos-workload.ts";
import { testDatabase } from "./support/database.ts";

const SEED = Number(process.env.CHAOS_SEED ?? 7_302_611);
const OPERATIONS = 200;
/** Pause between operations (each also waits for its control call): 200 operations take ~50 s. */
const OPERATION_GAP_MS = 200;
const FAULTS = {
  errorRate: 0.1,
  throttleBurstRate: 0.05,
  throttleBurstLength: 3,
  webhookCopies: 3,
  webhookReorderRate: 0.3,
} as const;
const NO_FAULTS = { seed: 1 } as const;
const QUEUES = ["inbox", "drain", "check", "posting", "reconcile"];

const database = await testDatabase({ poolSize: 4 });
const { pool } = database;
const proxy = new ChaosProxy();
const publicUrl = await proxy.listen();
const webPort = await freePort();
const web = `http://127.0.0.1:${webPort}`;
proxy.upstream = web;

const common = {
  DATABASE_URL: database.url,
  PUBLIC_URL: publicUrl,
  NODE_ENV: "development",
  PROKIP_SYNC_SANDBOX: "on",
  PROKIP_SYNC_ENCRYPTION_KEY: generateEncryptionKey(),
};
const webProcess = new ProductProcess("web", "main.ts", {
  ...common,
  PORT: String(webPort),
  HOST: "127.0.0.1",
  PROKIP_SYNC_WORKERS: "off",
  LOG_LEVEL: "warn",
});
const worker = new ProductProcess("worker", "worker.ts", { ...common, LOG_LEVEL: "info" });

interface Demo {
  businessId: string;
  locationId: string;
  prokipLocationId: number;
  shopifyConnectionId: string;
  wooConnectionId: string;
  shop: string;
  site: string;
  skus: (SkuInfo & { variantId: string })[];
}
let demo: Demo;

const t0 = Date.now();
/** A line on the test's output while it runs (the summary comes at the end). */
const progress = (line: string) => console.log(`[chaos +${Math.round((Date.now() - t0) / 1000)}s] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(
  what: string,
  check: () => Promise<T | null | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  assert.fail(
    `timed out after ${timeoutMs} ms waiting for: ${what}${last ? ` (last error: ${String(last)})` : ""}\n--- worker ---\n${worker.tail(25)}\n--- web ---\n${webProcess.tail(15)}`,
  );
}

before(async () => {
  webProcess.start();
  await eventually(
    "the web process is ready",
    async () => (await fetch(`${web}/healthz`).catch(() => null))?.status === 200,
    120_000,
    300,
  );
  worker.start();
  await worker.waitForLog("workers started", 60_000);

  const credentials = await control<{ shopify: { shop: string } }>("GET", `${web}/sandbox/api/credentials`);
  const { rows: businesses } = await pool.query<{ id: string }>(`SELECT "id" FROM "Business" WHERE "name" = $1`, [
    DEMO_BUSINESS_NAME,
  ]);
  assert.equal(businesses.length, 1);
  const businessId = businesses[0]!.id;
  const { rows: locations } = await pool.query<{ id: string; prokipLocationId: number }>(
    `SELECT "id", "prokipLocationId" FROM "Location" WHERE "businessId" = $1`,
    [businessId],
  );
  const { rows: connections } = await pool.query<{ id: string; platform: string }>(
    `SELECT "id", "platform" FROM "Connection" WHERE "businessId" = $1`,
    [businessId],
  );
  const { rows: variants } = await pool.query<{ id: string; sku: string; prokipVariationId: number }>(
    `SELECT v."id", v."sku", v."prokipVariationId" FROM "Variant" v
     WHERE v."businessId" = $1 AND v."prokipVariationId" IS NOT NULL
       AND (SELECT count(DISTINCT l."connectionId") FROM "Listing" l WHERE l."variantId" = v."id" AND l."matchStatus" = 'matched') = 2
     ORDER BY v."sku"`,
    [businessId],
  );
  const prokipLocationId = locations[0]!.prokipLocationId;
  const skus = [];
  for (const variant of variants) {
    const stock = await control<{ quantity: number | string | null }>(
      "GET",
      `${web}/sandbox/prokip/_control/stock?variationId=${variant.prokipVariationId}&locationId=${prokipLocationId}`,
    );
    skus.push({
      sku: variant.sku,
      variationId: variant.prokipVariationId,
      variantId: variant.id,
      initial: Number(stock.quantity ?? 0),
    });
  }
  demo = {
    businessId,
    locationId: locations[0]!.id,
    prokipLocationId,
    shopifyConnectionId: connections.find((c) => c.platform === "shopify")!.id,
    wooConnectionId: connections.find((c) => c.platform === "woocommerce")!.id,
    shop: credentials.shopify.shop,
    site: "demo",
    skus,
  };
  assert.ok(skus.length >= 20, `the demo catalogue is linked on both stores (${skus.length} SKUs)`);
});

after(async () => {
  proxy.interceptor = null;
  await worker.stop();
  await webProcess.stop();
  await proxy.close();
});

// ---- Reading the systems ----

async function shopifyQuantity(sku: string): Promise<number | null> {
  const level = await control<{ available?: number }>(
    "GET",
    `${web}/sandbox/shopify/_control/stock?shop=${demo.shop}&sku=${encodeURIComponent(sku)}`,
  );
  return level.available ?? null;
}

async function wooQuantity(sku: string): Promise<number | null> {
  const product = await control<{ stock_quantity?: number | null }>(
    "GET",
    `${web}/sandbox/woocommerce/_control/sites/${demo.site}/products/${encodeURIComponent(sku)}`,
  );
  return product.stock_quantity ?? null;
}

async function prokipQuantity(sku: SkuInfo): Promise<number> {
  const stock = await control<{ quantity: number | string | null }>(
    "GET",
    `${web}/sandbox/prokip/_control/stock?variationId=${sku.variationId}&locationId=${demo.prokipLocationId}`,
  );
  return Number(stock.quantity ?? 0);
}

interface Figures {
  sku: string;
  expected: number;
  prokip: number;
  available: number;
  shopify: number | null;
  shopifyTarget: number;
  woocommerce: number | null;
  wooTarget: number;
}

async function figures(expected: Map<string, number> | null): Promise<Figures[]> {
  const { rows } = await pool.query<{ variantId: string; available: number }>(
    `SELECT "variantId", "available" FROM "StockLevel" WHERE "businessId" = $1 AND "locationId" = $2`,
    [demo.businessId, demo.locationId],
  );
  const { rows: buffers } = await pool.query<{ id: string; buffer: number }>(
    `SELECT "id", "buffer" FROM "Connection" WHERE "businessId" = $1`,
    [demo.businessId],
  );
  const buffer = (id: string) => buffers.find((b) => b.id === id)?.buffer ?? 0;
  const out: Figures[] = [];
  for (const sku of demo.skus) {
    const available = rows.find((r) => r.variantId === sku.variantId)?.available ?? 0;
    out.push({
      sku: sku.sku,
      expected: expected?.get(sku.sku) ?? sku.initial,
      prokip: await prokipQuantity(sku),
      available,
      shopify: await shopifyQuantity(sku.sku),
      shopifyTarget: storeTarget(available, buffer(demo.shopifyConnectionId)),
      woocommerce: await wooQuantity(sku.sku),
      wooTarget: storeTarget(available, buffer(demo.wooConnectionId)),
    });
  }
  return out;
}

const settled = (f: Figures) =>
  f.prokip === f.expected &&
  f.available === f.expected &&
  f.shopify === f.shopifyTarget &&
  f.woocommerce === f.wooTarget &&
  f.shopifyTarget === Math.max(0, f.expected);

/** What is still to do: queued or running jobs, dirty listings, unprocessed deliveries, unposted orders. */
async function pendingWork(): Promise<Record<string, number | string[]>> {
  const pending: Record<string, number | string[]> = {};
  const { rows: jobs } = await pool.query<{ name: string; state: string; count: number }>(
    `SELECT "name", "state"::text AS "state", count(*)::int AS "count" FROM pgboss.job WHERE "name" = ANY($1) AND "state" IN ('created', 'retry', 'active') GROUP BY 1, 2`,
    [QUEUES],
  );
  for (const job of jobs) pending[`job ${job.name} ${job.state}`] = job.count;
  const counts = await pool.query<{ dirty: number; received: number }>(
    `SELECT (SELECT count(*)::int FROM "Listing" WHERE "businessId" = $1 AND "dirty") AS "dirty",
            (SELECT count(*)::int FROM "WebhookEvent" WHERE "businessId" = $1 AND "state" = 'received') AS "received"`,
    [demo.businessId],
  );
  for (const [key, value] of Object.entries(counts.rows[0]!)) if (value > 0) pending[key] = value;
  // Unposted orders by posting state, and the last error of each (what a failure report needs).
  const { rows: unposted } = await pool.query<{
    number: string | null;
    postingState: string;
    postingAttempts: number;
    postingError: string | null;
  }>(
    `SELECT "number", "postingState"::text AS "postingState", "postingAttempts", "postingError" FROM "Order"
     WHERE "businessId" = $1 AND "postingState" NOT IN ('posted', 'not_required') ORDER BY "number"`,
    [demo.businessId],
  );
  for (const order of unposted) {
    const key = `unposted ${order.postingState}`;
    pending[key] = Number(pending[key] ?? 0) + 1;
  }
  if (unposted.length > 0 && unposted.length <= 3)
    pending.unpostedOrders = unposted.map(
      (o) => `${o.number} ${o.postingState} x${o.postingAttempts}: ${o.postingError ?? "-"}`,
    );
  return pending;
}

interface ReconcileReport {
  webhooks: { healthy: string[]; created: string[]; reenabled: string[] } | null;
  ordersReread: number;
  drift: number;
  postingsToRetry: string[];
}

/** The sandbox's "Sync now": reconciles both stores in the web process; retried when a fault breaks it. */
async function syncNow(attempts = 4): Promise<Record<string, ReconcileReport>> {
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const response = await fetch(`${web}/sandbox/api/sync-now`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
      signal: AbortSignal.timeout(150_000),
    }).catch((error: unknown) => {
      last = String(error);
      return null;
    });
    if (response?.ok) return ((await response.json()) as { result: Record<string, ReconcileReport> }).result;
    if (response) last = `${response.status} ${await response.text()}`;
    await sleep(1_000);
  }
  assert.fail(`sync now failed ${attempts} times: ${last}\n${webProcess.tail(20)}`);
}

async function setFaults(plan: object): Promise<void> {
  await control("PUT", `${web}/sandbox/shopify/_control/faults`, plan);
  await control("PUT", `${web}/sandbox/woocommerce/_control/faults`, plan);
  await control("PUT", `${web}/sandbox/prokip/_control/faults`, plan);
}

interface WooWebhook {
  id: number;
  topic: string;
  status: "active" | "paused" | "disabled";
  failureCount: number;
}

const wooWebhooks = () =>
  control<WooWebhook[]>("GET", `${web}/sandbox/woocommerce/_control/sites/${demo.site}/webhooks`);

/**
 * Arms a SIGKILL of the worker for the first request `match` picks that succeeds: it is
 * forwarded, the emulator applies it, and the worker is killed before the answer reaches it.
 */
function armKill(what: string, match: (request: ProxiedRequest) => boolean): Promise<string> {
  return new Promise<string>((resolve) => {
    let fired = false;
    proxy.interceptor = (request) => {
      if (fired || !worker.running || !match(request)) return null;
      return (status) => {
        // A refused request (a 429 or 5xx fault) changed nothing: wait for one that did.
        if (fired || status < 200 || status >= 300 || !worker.running) return false;
        fired = true;
        proxy.interceptor = null;
        worker.killHard();
        resolve(
          `${what}: ${request.method} ${request.url.replace(/\?.*$/u, "")} answered ${status}, worker killed before hearing it`,
        );
        return true;
      };
    };
  });
}

const isDrainWrite = (request: ProxiedRequest) =>
  (request.route === "shopify-api" && request.method === "POST" && request.body.includes("inventorySetQuantities")) ||
  (request.route === "woocommerce-api" &&
    request.method === "POST" &&
    /\/(products|variations)\/batch/u.test(request.url));
const isProkipSell = (request: ProxiedRequest) =>
  request.route === "prokip-api" &&
  request.method === "POST" &&
  /\/connector\/api\/sell$/u.test(request.url.replace(/\?.*$/u, ""));

/** A JSON value with object keys sorted: the stored jsonb and the sent body compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

describe("chaos", () => {
  it(
    "200 random orders, refunds and cancellations under faults: nothing lost, nothing counted twice",
    { timeout: 420_000 },
    async (t) => {
      const started = Date.now();
      const summary: Record<string, unknown> = { seed: SEED };
      const report = () => t.diagnostic(`chaos summary ${JSON.stringify(summary, null, 1).replace(/\n\s*/gu, " ")}`);

      try {
        // ---- Start: every system agrees, a first reconciliation has run, then the faults go on ----
        const initial = await figures(null);
        for (const f of initial)
          assert.ok(
            f.prokip === f.available && f.shopify === f.prokip && f.woocommerce === f.prokip,
            `${f.sku} starts equal everywhere: ${JSON.stringify(f)}`,
          );
        await syncNow();
        await eventually("the start is quiet", async () => Object.keys(await pendingWork()).length === 0, 30_000);
        await setFaults({ ...FAULTS, seed: SEED });

        const workload = new Workload(SEED, demo.skus, {
          web,
          shop: demo.shop,
          site: demo.site,
          prokipLocationId: demo.prokipLocationId,
          exclusiveProkip: (change) => proxy.exclusiveProkip(change),
        });
        const kills: string[] = [];
        // The timeline: kill mid-drain at operation 50; WooCommerce's deliveries refused until it
        // disables a webhook (and at least 6 s of worker downtime); restart and "Sync now"; kill
        // mid-sell from operation 130 (whenever the next sell leaves: postings lag behind); restart.
        let phase: "before" | "armed-drain" | "outage" | "after-outage" | "armed-sell" | "after-sell" = "before";
        let armedAt = 0;
        let killedAt = 0;
        let killed: Promise<string> = new Promise(() => undefined);
        let killNote: string | null = null;
        let disabledTopics: string[] = [];
        let restart: Promise<void> = Promise.resolve();
        let reenable: Promise<Record<string, ReconcileReport>> | null = null;
        const arm = (what: string, match: (request: ProxiedRequest) => boolean) => {
          armedAt = Date.now();
          killNote = null;
          killed = armKill(what, match);
          void killed.then((note) => (killNote = note));
        };
        const tookKill = () => {
          if (!killNote) return false;
          kills.push(killNote);
          progress(killNote);
          killNote = null;
          killedAt = Date.now();
          return true;
        };
        const restartWorker = () => {
          worker.start();
          restart = worker.waitForLog("workers started", 60_000);
        };

        for (let op = 0; op < OPERATIONS; op += 1) {
          if (phase === "before" && op >= 50) {
            phase = "armed-drain";
            arm("mid-drain", isDrainWrite);
          }
          if (phase === "armed-drain") {
            if (tookKill()) {
              phase = "outage";
              proxy.refuseWooCommerceDeliveries = true;
              workload.wooShare = 0.85;
            } else assert.ok(Date.now() - armedAt < 30_000, "a drain wrote to a store within 30 s of arming the kill");
          }
          if (phase === "outage") {
            const disabled = (await wooWebhooks()).filter((w) => w.status === "disabled");
            if (disabled.length > 0 && Date.now() - killedAt >= 6_000) {
              disabledTopics = disabled.map((w) => w.topic);
              progress(
                `WooCommerce disabled ${disabledTopics.join(", ")}; deliveries reach the backend again; worker restarted; sync now`,
              );
              proxy.refuseWooCommerceDeliveries = false;
              workload.wooShare = 0.5;
              restartWorker();
              // Reconciliation finds the disabled webhooks and sets them active again.
              reenable = syncNow();
              phase = "after-outage";
            } else
              assert.ok(
                Date.now() - killedAt < 45_000,
                `WooCommerce disabled a webhook within 45 s of failing deliveries: ${JSON.stringify(await wooWebhooks())}`,
              );
          }
          if (phase === "after-outage" && op >= 130) {
            await restart;
            phase = "armed-sell";
            arm("mid-sell", isProkipSell);
          }
          if (phase === "armed-sell" && tookKill()) phase = "after-sell";
          if (phase === "after-sell" && !worker.running && Date.now() - killedAt >= 2_000) restartWorker();

          await workload.next();
          if (op % 25 === 24) progress(`operation ${op + 1}: ${phase}; pending ${JSON.stringify(await pendingWork())}`);
          await sleep(OPERATION_GAP_MS);
        }
        summary.workloadSeconds = Math.round((Date.now() - started) / 1000);
        summary.operations = {
          total: workload.performed.length,
          ...workload.counts(),
          refusedByStoreAndDrawnAgain: workload.refused,
        };
        assert.equal(workload.performed.length, OPERATIONS);
        assert.ok(
          phase === "armed-sell" || phase === "after-sell",
          `the workload went through the outage (phase ${phase})`,
        );
        if (phase === "armed-sell") {
          // Postings lag behind the workload (Prokip allows 60 requests a minute): wait for the next sell.
          const note = await Promise.race([killed, sleep(90_000).then(() => null)]);
          assert.ok(note, "a sell was posted to Prokip within 90 s of arming the kill");
          assert.ok(tookKill());
        }
        if (!worker.running) {
          await sleep(Math.max(0, killedAt + 2_000 - Date.now()));
          restartWorker();
        }
        await restart;
        assert.equal(kills.length, 2, `the worker was killed twice: ${JSON.stringify(kills)}`);
        summary.kills = kills;

        // "Sync now" after the outage set active again what WooCommerce had disabled (WooCommerce
        // itself never does), and said so.
        assert.ok(disabledTopics.length > 0, "WooCommerce disabled a webhook after failed deliveries");
        const reenabled = (await reenable!)[demo.wooConnectionId]?.webhooks?.reenabled ?? [];
        assert.ok(reenabled.length > 0, "reconciliation reports re-enabled webhooks");
        assert.deepEqual(
          reenabled.filter((topic) => !disabledTopics.includes(topic)),
          [],
          "only disabled webhooks were re-enabled",
        );
        assert.deepEqual(
          (await wooWebhooks()).filter((w) => w.status !== "active").map((w) => w.topic),
          [],
          "every WooCommerce webhook is active after the reconciliation",
        );
        summary.wooCommerceWebhooks = {
          disabledByFailures: disabledTopics,
          reenabledByReconciliation: reenabled,
          deliveriesRefusedWhileUnreachable: proxy.refusedDeliveries,
        };

        // ---- End: faults off, deliveries flushed, "Sync now" until quiet ----
        proxy.interceptor = null;
        await setFaults(NO_FAULTS);
        await control("POST", `${web}/sandbox/woocommerce/_control/webhooks/flush`, {});
        await Promise.race([control("POST", `${web}/sandbox/shopify/_control/deliveries/wait`, {}), sleep(30_000)]);
        let rounds = 0;
        let final: Figures[] = [];
        const convergeStarted = Date.now();
        for (;;) {
          rounds += 1;
          await syncNow();
          let pending: Record<string, number | string[]> = {};
          await eventually(
            "the queues, the inbox and the postings are quiet",
            async () => {
              const now = await pendingWork();
              if (JSON.stringify(now) !== JSON.stringify(pending))
                progress(`converging (round ${rounds}): pending ${JSON.stringify(now)}`);
              pending = now;
              return Object.keys(pending).length === 0;
            },
            210_000,
            1_000,
          ).catch((error: unknown) => {
            throw new Error(`${String(error)}\npending: ${JSON.stringify(pending)}`);
          });
          final = await figures(workload.expected);
          if (final.every(settled) || rounds >= 4) break;
        }
        summary.convergence = { syncNowRounds: rounds, seconds: Math.round((Date.now() - convergeStarted) / 1000) };

        // ---- Every store equals its target; Prokip equals the expected figure ----
        const wrong = final.filter((f) => !settled(f));
        assert.deepEqual(
          wrong,
          [],
          "every SKU: Prokip = initial - kept sold + adjustments = available, and both stores show the target",
        );
        const net = workload.netSold();
        for (const sku of demo.skus) {
          assert.equal(
            sku.initial - (net.get(sku.sku) ?? 0) + (workload.adjustments.get(sku.sku) ?? 0),
            workload.expected.get(sku.sku),
            `${sku.sku}: the model adds up`,
          );
        }
        assert.ok(
          final.every((f) => f.expected >= 0),
          "no SKU was oversold",
        );
        summary.stock = {
          skus: final.length,
          unitsKeptSold: [...net.values()].reduce((a, b) => a + b, 0),
          prokipAdjustments: [...workload.adjustments.values()].reduce((a, b) => a + b, 0),
          prokipUnitsAtStart: demo.skus.reduce((a, s) => a + s.initial, 0),
          prokipUnitsAtEnd: final.reduce((a, f) => a + f.prokip, 0),
        };

        // ---- Zero duplicate sells ----
        const sells = await control<
          {
            id: number;
            type: "sell" | "sell_return";
            invoiceNo: string;
            returnParentId: number | null;
            lines: { variationId: number; quantity: number | string; quantityReturned: number | string }[];
          }[]
        >("GET", `${web}/sandbox/prokip/_control/sells`);
        const sold = sells.filter((s) => s.type === "sell");
        const byInvoice = new Map<string, number>();
        for (const sell of sold) byInvoice.set(sell.invoiceNo, (byInvoice.get(sell.invoiceNo) ?? 0) + 1);
        const duplicateInvoices = [...byInvoice].filter(([, n]) => n > 1);
        assert.deepEqual(duplicateInvoices, [], "no invoice number is in Prokip twice");
        const returnsPerSell = new Map<number, number>();
        for (const ret of sells.filter((s) => s.type === "sell_return"))
          returnsPerSell.set(ret.returnParentId ?? 0, (returnsPerSell.get(ret.returnParentId ?? 0) ?? 0) + 1);
        assert.deepEqual(
          [...returnsPerSell].filter(([, n]) => n > 1),
          [],
          "at most one return per sell",
        );
        const variationSku = new Map(demo.skus.map((s) => [s.variationId, s.sku]));
        const invoiceOf = (order: PlacedOrder) =>
          `${order.store === "shopify" ? "SHOP" : "WOO"}-${order.name.replace(/^#/u, "")}`;
        const sellsOf = (order: PlacedOrder) =>
          sold.filter((s) => s.invoiceNo === invoiceOf(order) || s.invoiceNo.startsWith(`${invoiceOf(order)}-`));
        const problems: string[] = [];
        for (const order of workload.orders) {
          const found = sellsOf(order);
          if (order.cancelled) {
            if (found.length > 0)
              problems.push(`${invoiceOf(order)} was cancelled but Prokip holds ${found.length} sell(s)`);
            continue;
          }
          // One sell at most (no order is edited up); what it holds, net of its return, is what the
          // order kept: lines refunded with restock before the first posting are simply not in it.
          if (found.length > 1) problems.push(`${invoiceOf(order)} has ${found.length} sells in Prokip`);
          const held = new Map<string, number>();
          for (const line of found.flatMap((sell) => sell.lines)) {
            const sku = variationSku.get(line.variationId) ?? `variation ${line.variationId}`;
            held.set(sku, (held.get(sku) ?? 0) + Number(line.quantity) - Number(line.quantityReturned));
          }
          const kept = new Map(order.lines.map((line) => [line.sku, line.quantity - line.restocked]));
          const describe = (m: Map<string, number>) =>
            [...m]
              .filter(([, n]) => n !== 0)
              .map(([sku, n]) => `${sku}:${n}`)
              .sort()
              .join(" ");
          if (describe(held) !== describe(kept))
            problems.push(
              `${invoiceOf(order)}: Prokip holds ${describe(held) || "nothing"}, the store order keeps ${describe(kept) || "nothing"}`,
            );
          if (found.length === 0 && describe(kept) !== "") problems.push(`${invoiceOf(order)} is not in Prokip`);
        }
        const ours = new Set(workload.orders.map(invoiceOf));
        const strangers = sold.filter((s) => !ours.has(s.invoiceNo.replace(/-\d+$/u, "")) && !ours.has(s.invoiceNo));
        assert.deepEqual(
          strangers.map((s) => s.invoiceNo),
          [],
          "every sell in Prokip belongs to an order the test placed",
        );
        assert.deepEqual(
          problems,
          [],
          "each store order is at most one sell in Prokip, holding what the order kept (nothing for cancelled orders)",
        );
        summary.prokip = {
          sells: sold.length,
          returns: sells.length - sold.length,
          duplicateSells: duplicateInvoices.length,
          ordersCancelled: workload.orders.filter((o) => o.cancelled).length,
        };

        // ---- Every delivery accounted for in the inbox ----
        const { rows: events } = await pool.query<{
          connectionId: string;
          deliveryId: string;
          topic: string;
          state: string;
          payload: unknown;
        }>(
          `SELECT "connectionId", "deliveryId", "topic", "state"::text AS "state", "payload" FROM "WebhookEvent" WHERE "businessId" = $1`,
          [demo.businessId],
        );
        const states: Record<string, number> = {};
        for (const event of events) states[event.state] = (states[event.state] ?? 0) + 1;
        assert.deepEqual(
          Object.keys(states).filter((s) => s !== "processed" && s !== "ignored"),
          [],
          `every delivery is processed or ignored: ${JSON.stringify(states)}`,
        );

        const shopifyRecords = await control<
          { eventId: string; topic: string; status: string; copies: number; attempts: { status: number | null }[] }[]
        >("GET", `${web}/sandbox/shopify/_control/deliveries?shop=${demo.shop}`);
        assert.deepEqual(
          shopifyRecords.filter((r) => r.status !== "delivered").map((r) => `${r.topic} ${r.status}`),
          [],
          "Shopify delivered every notification",
        );
        const shopifyEvents = events.filter((e) => e.connectionId === demo.shopifyConnectionId);
        const shopifySent = new Set(shopifyRecords.map((r) => r.eventId));
        const shopifyStored = new Set(shopifyEvents.map((e) => e.deliveryId));
        assert.equal(shopifyEvents.length, shopifyStored.size);
        assert.deepEqual(
          [...shopifySent].filter((id) => !shopifyStored.has(id)),
          [],
          "every Shopify event is in the inbox",
        );
        assert.deepEqual(
          [...shopifyStored].filter((id) => !shopifySent.has(id)),
          [],
          "the inbox holds nothing Shopify did not send",
        );
        const shopifyCopies = shopifyRecords.reduce(
          (n, r) => n + r.attempts.filter((a) => a.status !== null && a.status >= 200 && a.status < 300).length,
          0,
        );

        const wooLog = await control<
          {
            kind: string;
            outcome: string;
            deliveryId: string | null;
            topic: string | null;
            requestBody: string;
            success: boolean;
            heldBack: boolean;
          }[]
        >("GET", `${web}/sandbox/woocommerce/_control/deliveries?site=${demo.site}`);
        const wooSent = wooLog.filter((d) => d.kind === "delivery" && d.outcome === "sent");
        const wooDelivered = wooSent.filter((d) => d.success);
        const wooEvents = events.filter((e) => e.connectionId === demo.wooConnectionId);
        // A delivery is its id and its bytes: WooCommerce's id is a hash of the webhook and the
        // second it was sent, so two different notifications can share one.
        const key = (id: string, topic: string | null, body: string) => `${id}|${topic}|${body}`;
        const delivered = new Set(
          wooDelivered.map((d) => key(d.deliveryId!, d.topic, canonical(JSON.parse(d.requestBody)))),
        );
        const stored = new Map<string, number>();
        for (const event of wooEvents) {
          const k = key(event.deliveryId.split(":")[0]!, event.topic, canonical(event.payload));
          stored.set(k, (stored.get(k) ?? 0) + 1);
        }
        const missing = [...delivered].filter((k) => !stored.has(k));
        assert.deepEqual(
          missing.map((k) => k.slice(0, 160)),
          [],
          `every WooCommerce delivery the backend acknowledged is in the inbox (${missing.length} of ${delivered.size} missing)`,
        );
        assert.deepEqual(
          [...stored].filter(([k, n]) => n > 1 || !delivered.has(k)).map(([k]) => k.slice(0, 160)),
          [],
          "each once, and nothing else",
        );
        summary.deliveries = {
          shopify: {
            events: shopifySent.size,
            copiesAcknowledged: shopifyCopies,
            inbox: shopifyEvents.length,
            duplicatesDropped: shopifyCopies - shopifyEvents.length,
          },
          woocommerce: {
            sent: wooSent.length,
            acknowledged: wooDelivered.length,
            refusedWhileUnreachable: wooSent.length - wooDelivered.length,
            heldBack: wooSent.filter((d) => d.heldBack).length,
            distinct: delivered.size,
            inbox: wooEvents.length,
            duplicatesDropped: wooDelivered.length - wooEvents.length,
          },
          inboxStates: states,
        };

        // ---- Every Woo webhook active again ----
        assert.deepEqual(
          (await wooWebhooks()).filter((w) => w.status !== "active").map((w) => w.topic),
          [],
          "every WooCommerce webhook is active at the end",
        );

        summary.retriesSeen = {
          faultAnswersToTheProduct: proxy.faultAnswers(),
          requestsThroughTheProxy: Object.fromEntries(proxy.requests),
          jobFailures: worker.messages.get("job failed") ?? 0,
        };
        const routine = new Set([
          "inbox processed",
          "drain finished",
          "order posted to prokip",
          "reconciled",
          "workers started",
        ]);
        summary.worker = {
          starts: worker.starts,
          kills: worker.kills,
          notableLogLines: Object.fromEntries(
            [...worker.messages].filter(([msg]) => !routine.has(msg)).map(([msg, n]) => [msg.slice(0, 80), n]),
          ),
        };
        summary.seconds = Math.round((Date.now() - started) / 1000);
      } finally {
        report();
      }
    },
  );
});

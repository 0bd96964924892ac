/**
 * Webhook ingest: signed Shopify order webhooks at POST /webhooks/shopify, 32 concurrent
 * connections (autocannon), against the backend process (npm start's main.ts) on an embedded
 * PostgreSQL, and against a bare baseline on the same machine: an HTTP server doing one INSERT
 * per request with no verification. Both servers run in their own process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import {
  applyMigrations,
  connectDatabase,
  ensureDatabase,
  freePort,
  startEmbeddedPostgres,
} from "../src/store/index.ts";
import { report, round } from "./report.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const SECRET = "bench-app-secret";
const SHOP = "bench-ingest.myshopify.com";
const CONNECTIONS = 32;
const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

export async function webhookIngestBenchmark(): Promise<void> {
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(path.join(tmpdir(), "prokip-ingest-")),
    persistent: false,
  });
  const children: ChildProcess[] = [];
  try {
    await ensureDatabase(server.adminUrl, "ingest");
    await ensureDatabase(server.adminUrl, "baseline");
    const url = server.urlFor("ingest");
    await applyMigrations(url);
    const db = connectDatabase(url, { poolSize: 2 });
    const business = await db.prisma.business.create({ data: { name: "Ingest bench" } });
    const location = await db.prisma.location.create({ data: { businessId: business.id, name: "Main" } });
    await db.prisma.connection.create({
      data: { businessId: business.id, platform: "shopify", storeDomain: SHOP, locationId: location.id },
    });

    // The web process as deployed with PROKIP_SYNC_WORKERS=off (workers in `npm run worker`
    // elsewhere): what the endpoint itself takes. Then `npm start` as is, its workers applying
    // every order in the same process while the deliveries pour in (on this 2-core machine they
    // take CPU from the endpoint; the endpoint still answers only once a delivery is stored).
    const webAlone = await startProcess(["--import", "tsx", path.join(here, "../src/main.ts")], {
      DATABASE_URL: url,
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SHOPIFY_API_SECRET: SECRET,
      PROKIP_SYNC_SANDBOX: "off",
      PROKIP_SYNC_WORKERS: "off",
    });
    children.push(webAlone.child);
    const ours = await load(`${webAlone.url}/webhooks/shopify`);
    webAlone.child.kill("SIGTERM");
    const withWorkers = await startProcess(["--import", "tsx", path.join(here, "../src/main.ts")], {
      DATABASE_URL: url,
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      SHOPIFY_API_SECRET: SECRET,
      PROKIP_SYNC_SANDBOX: "off",
    });
    children.push(withWorkers.child);
    const oursWithWorkers = await load(`${withWorkers.url}/webhooks/shopify`);
    const stored = await db.prisma.webhookEvent.count();
    await db.close();

    const basePort = await freePort();
    children.push(
      await startBaseline(
        ["--import", "tsx", path.join(here, "baseline-http-server.ts"), server.urlFor("baseline"), String(basePort)],
        `http://127.0.0.1:${basePort}/`,
      ),
    );
    const baseline = await load(`http://127.0.0.1:${basePort}/`);

    report(
      "webhook-ingest",
      `Webhook ingest: signed Shopify order webhooks, ${CONNECTIONS} concurrent connections, ${DURATION_SECONDS} s each`,
      {
        "POST /webhooks/shopify (web process)": ours.row,
        "POST /webhooks/shopify (npm start, workers in-process)": oursWithWorkers.row,
        "bare HTTP + INSERT baseline": baseline.row,
      },
      {
        ratioToBaseline: round(ours.perSecond / baseline.perSecond, 2),
        ratioToBaselineWithWorkers: round(oursWithWorkers.perSecond / baseline.perSecond, 2),
        inboxRows: stored,
        targets: { requestsPerSecond: 1000, p99Ms: 50 },
      },
    );
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await server.stop();
  }
}

/** A realistic orders/create body (Shopify's documented example shape, three lines). */
function orderBody(id: number): string {
  return JSON.stringify({
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${id}`,
    created_at: "2026-11-21T10:00:00+03:00",
    updated_at: "2026-11-21T10:00:00+03:00",
    cancelled_at: null,
    financial_status: "paid",
    currency: "KES",
    total_price: "4500.00",
    line_items: [1, 2, 3].map((n) => ({
      id: id * 10 + n,
      admin_graphql_api_id: `gid://shopify/LineItem/${id * 10 + n}`,
      variant_id: 4000 + n,
      product_id: 3000 + n,
      sku: `SKU-${n}`,
      title: `Product ${n}`,
      quantity: n,
      current_quantity: n,
      price: "1500.00",
      fulfillable_quantity: n,
    })),
    refunds: [],
  });
}

async function load(target: string) {
  let next = 1;
  const result = await autocannon({
    url: target,
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    requests: [
      {
        method: "POST",
        setupRequest: (request) => {
          const body = orderBody(next++);
          return {
            ...request,
            body,
            headers: {
              "content-type": "application/json",
              "x-shopify-topic": "orders/create",
              "x-shopify-shop-domain": SHOP,
              "x-shopify-api-version": "2026-10",
              "x-shopify-event-id": randomUUID(),
              "x-shopify-webhook-id": randomUUID(),
              "x-shopify-triggered-at": new Date().toISOString(),
              "x-shopify-hmac-sha256": createHmac("sha256", SECRET).update(body, "utf8").digest("base64"),
            },
          };
        },
      },
    ],
  });
  const perSecond = Math.round(result.requests.average);
  return {
    perSecond,
    row: {
      "requests/s": perSecond,
      "p50 ms": result.latency.p50,
      "p99 ms": result.latency.p99,
      "non-2xx": result.non2xx,
      errors: result.errors,
      requests: result.requests.total,
    },
  };
}

/** Starts the backend on the PORT in `env` and waits for /healthz. */
async function startProcess(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const url = `http://127.0.0.1:${env.PORT}`;
  return { child: await startChild(args, env, `${url}/healthz`), url };
}

async function startBaseline(args: string[], readyUrl: string): Promise<ChildProcess> {
  return startChild(args, {}, readyUrl);
}

async function startChild(args: string[], env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(readyUrl, {
        method: readyUrl.endsWith("/healthz") ? "GET" : "POST",
        body: readyUrl.endsWith("/healthz") ? undefined : "{}",
      });
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill("SIGKILL");
  throw new Error(`${args.join(" ")} did not become ready`);
}

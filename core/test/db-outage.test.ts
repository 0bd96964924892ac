/**
 * A database outage under load: PostgreSQL stops for six seconds while signed deliveries keep
 * arriving, then starts again on the same data directory and port.
 *
 * Processes: the backend (`core/src/main.ts`, sandbox mode, its workers in-process as `npm start`
 * runs them) and a worker process (`core/src/worker.ts`) beside it, both on a PostgreSQL this
 * test starts and stops itself. The test sends Shopify `orders/create` deliveries for the demo
 * shop, signed with the demo app's secret, at a steady pace throughout, and polls `/healthz`.
 *
 * Expected: both processes live through it; every delivery is answered 200 or 503 with the
 * `database_unavailable` error (never a 500, never a dropped socket); `/healthz` is 503 while the
 * database is down and 200 after; every acknowledged delivery, and every refused one once
 * delivered again (as Shopify retries), is processed into an order and its ledger movement
 * without anyone restarting anything; nothing unhandled reaches either process's stderr.
 */
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { generateEncryptionKey } from "../src/security/index.ts";
import {
  connectDatabase,
  ensureDatabase,
  freePort,
  isDatabaseUnavailable,
  PrismaClient,
  startEmbeddedPostgres,
  surviveLostConnections,
  type Database,
  type EmbeddedPostgresHandle,
} from "../src/store/index.ts";
import { ProductProcess } from "./support/chaos-processes.ts";
import { eventually } from "./support/eventually.ts";

const OUTAGE_MS = 6_000;
/** Deliveries in flight at once, each followed by the next as soon as it is answered (plus a short gap). */
const SENDERS = 3;
const SEND_GAP_MS = 40;

const dataDir = mkdtempSync(path.join(tmpdir(), "prokip-sync-outage-"));
const pgPort = await freePort();
const startPostgres = () => startEmbeddedPostgres({ dataDir, persistent: true, fast: true, port: pgPort });
let postgres: EmbeddedPostgresHandle = await startPostgres();
await ensureDatabase(postgres.adminUrl, "prokip_outage");
const databaseUrl = postgres.urlFor("prokip_outage");

const webPort = await freePort();
const web = `http://127.0.0.1:${webPort}`;
const common = {
  DATABASE_URL: databaseUrl,
  PUBLIC_URL: web,
  NODE_ENV: "development",
  PROKIP_SYNC_SANDBOX: "on",
  PROKIP_SYNC_ENCRYPTION_KEY: generateEncryptionKey(),
  LOG_LEVEL: "warn",
};
const backend = new ProductProcess("web", "main.ts", { ...common, PORT: String(webPort), HOST: "127.0.0.1" });
const worker = new ProductProcess("worker", "worker.ts", { ...common, LOG_LEVEL: "info" });
let database: Database;

type Phase = "before" | "down" | "after";
let phase: Phase = "before";

interface Sent {
  eventId: string;
  orderId: number;
  body: string;
  /** When it was sent. */
  phase: Phase;
  /** When it was answered. */
  answered: Phase;
  /** The HTTP status, or the error of a request that got no answer. */
  status: number | string;
  code: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logs = () =>
  [backend, worker]
    .map(
      (child) =>
        `--- ${child.name} (${child.running ? "running" : "exited"}) ---\n${child.tail(child === backend ? 20 : 10)}` +
        (child.stderr ? `\n--- ${child.name}'s stderr ---\n${child.stderr.slice(-1500)}` : ""),
    )
    .join("\n");

before(async () => {
  backend.start();
  await eventually(
    "the backend is ready",
    async () => (await fetch(`${web}/healthz`).catch(() => null))?.status === 200,
    {
      timeoutMs: 90_000,
      everyMs: 300,
      context: logs,
    },
  );
  worker.start();
  await worker.waitForLog("workers started", 60_000);
  database = connectDatabase(databaseUrl, { poolSize: 2 });
});

after(async () => {
  await worker.stop();
  await backend.stop();
  await database?.close();
  await postgres.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a database outage under a steady stream of deliveries", () => {
  it("keeps the processes alive, answers 503 while down, and processes every acknowledged delivery after", async () => {
    const credentials = (await (await fetch(`${web}/sandbox/api/credentials`)).json()) as {
      shopify: { shop: string; apiSecret: string };
    };
    const { rows: skus } = await database.pool.query<{ sku: string }>(
      `SELECT v."sku" FROM "Variant" v JOIN "Listing" l ON l."variantId" = v."id"
       JOIN "Connection" c ON c."id" = l."connectionId"
       WHERE c."platform" = 'shopify' AND l."matchStatus" = 'matched' ORDER BY v."sku" LIMIT 5`,
    );
    assert.ok(skus.length > 0, "the demo shop has linked products");

    // Ids below 2^53 but as long as a live shop's, unique per run.
    let nextOrder = 7_100_000_000_000 + Number.parseInt(randomBytes(3).toString("hex"), 16) * 1_000;
    const delivery = () => {
      const orderId = nextOrder++;
      const now = new Date().toISOString();
      const body = JSON.stringify({
        id: orderId,
        admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
        name: `#${orderId}`,
        created_at: now,
        updated_at: now,
        cancelled_at: null,
        financial_status: "paid",
        line_items: [
          {
            id: orderId + 1,
            admin_graphql_api_id: `gid://shopify/LineItem/${orderId + 1}`,
            sku: skus[orderId % skus.length]!.sku,
            title: "Outage order line",
            quantity: 1,
            current_quantity: 1,
            price: "10.00",
          },
        ],
        refunds: [],
      });
      return { eventId: `outage-${orderId}`, orderId, body };
    };
    const send = async (item: {
      eventId: string;
      body: string;
    }): Promise<{ status: number | string; code: string | null }> => {
      try {
        const response = await fetch(`${web}/webhooks/shopify`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-shopify-topic": "orders/create",
            "x-shopify-shop-domain": credentials.shopify.shop,
            "x-shopify-event-id": item.eventId,
            "x-shopify-webhook-id": item.eventId,
            "x-shopify-triggered-at": new Date().toISOString(),
            "x-shopify-hmac-sha256": createHmac("sha256", credentials.shopify.apiSecret)
              .update(item.body)
              .digest("base64"),
          },
          body: item.body,
          signal: AbortSignal.timeout(15_000),
        });
        const answer = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
        return { status: response.status, code: answer?.error?.code ?? null };
      } catch (error) {
        return { status: `no answer: ${(error as Error).message}`, code: null };
      }
    };

    const restart = { at: 0 };
    const sent: Sent[] = [];
    const health: { phase: Phase; status: number | string }[] = [];
    let sending = true;
    const senders = Array.from({ length: SENDERS }, async () => {
      while (sending) {
        const item = delivery();
        const at = phase;
        const answer = await send(item);
        sent.push({ ...item, phase: at, answered: phase, ...answer });
        await sleep(SEND_GAP_MS);
      }
    });
    const healthPoller = (async () => {
      while (sending) {
        const at = phase;
        const status = await fetch(`${web}/healthz`, { signal: AbortSignal.timeout(5_000) })
          .then((response) => response.status)
          .catch((error: Error) => `no answer: ${error.message}`);
        health.push({ phase: at, status });
        await sleep(200);
      }
    })();

    try {
      await sleep(2_000);
      phase = "down";
      await postgres.stop();
      await sleep(OUTAGE_MS);
      postgres = await startPostgres();
      restart.at = Date.now();
      phase = "after";
      await eventually(
        "/healthz answers 200 again",
        async () => {
          if (!backend.running || !worker.running) assert.fail(`a process died in the outage\n${logs()}`);
          return health.at(-1)?.phase === "after" && health.at(-1)?.status === 200;
        },
        {
          timeoutMs: 30_000,
          context: () =>
            `health: ${JSON.stringify(health.slice(-5))}\nlast sent: ${JSON.stringify(sent.slice(-3).map(({ eventId, phase: at, status, code }) => ({ eventId, at, status, code })))}\n${logs()}`,
        },
      );
      await sleep(2_000);
    } finally {
      sending = false;
      await Promise.all([...senders, healthPoller]);
    }

    assert.ok(backend.running, `the backend is alive\n${logs()}`);
    assert.ok(worker.running, `the worker is alive\n${logs()}`);

    const answers = (where: Phase) => sent.filter((item) => item.phase === where);
    const unexpected = sent.filter((item) => item.status !== 200 && item.status !== 503);
    assert.deepEqual(
      unexpected.map(({ eventId, phase: at, status, code }) => ({ eventId, phase: at, status, code })),
      [],
      "every delivery is answered 200 or 503",
    );
    const refused = sent.filter((item) => item.status === 503);
    assert.ok(
      answers("down").some((item) => item.status === 503),
      "deliveries made while the database is down are refused",
    );
    assert.deepEqual(
      [...new Set(refused.map((item) => item.code))],
      ["database_unavailable"],
      "a refusal says the database is unavailable",
    );
    assert.ok(
      answers("before")
        .filter((item) => item.answered === "before")
        .every((item) => item.status === 200),
      "deliveries before the outage are acknowledged",
    );
    assert.ok(
      answers("after").some((item) => item.status === 200),
      "deliveries after the outage are acknowledged again",
    );
    assert.ok(
      health.some((check) => check.phase === "down" && check.status === 503),
      "/healthz answers 503 while the database is down",
    );
    assert.ok(
      health.every((check) => check.status === 200 || check.status === 503),
      "/healthz always answers",
    );
    assert.equal(health.at(-1)?.status, 200, "/healthz answers 200 after");

    // Shopify delivers a refused delivery again; now it is taken.
    for (const item of refused) {
      const again = await send(item);
      assert.equal(again.status, 200, `${item.eventId} is acknowledged when delivered again`);
    }

    const eventIds = sent.map((item) => item.eventId);
    const externalIds = sent.map((item) => `gid://shopify/Order/${item.orderId}`);
    const count = async () => {
      const { rows } = await database.pool.query<{ processed: number; orders: number; moved: number }>(
        `SELECT
           (SELECT count(*)::int FROM "WebhookEvent" WHERE "deliveryId" = ANY($1) AND "state" = 'processed') AS "processed",
           (SELECT count(*)::int FROM "Order" WHERE "externalId" = ANY($2)) AS "orders",
           (SELECT count(DISTINCT o."id")::int FROM "Order" o JOIN "StockMovement" m ON m."orderId" = o."id"
             WHERE o."externalId" = ANY($2) AND m."reason" = 'sale' AND m."delta" = -1) AS "moved"`,
        [eventIds, externalIds],
      );
      return rows[0]!;
    };
    await eventually(
      `all ${sent.length} deliveries are processed into orders with their sale`,
      async () => {
        const counts = await count().catch(() => null);
        return counts !== null && counts.processed === sent.length && counts.moved === sent.length;
      },
      { timeoutMs: 45_000, everyMs: 500, context: () => `${JSON.stringify(sent.length)} sent\n${logs()}` },
    );
    const processedAfterMs = Date.now() - restart.at;
    assert.deepEqual(await count(), { processed: sent.length, orders: sent.length, moved: sent.length });
    // The stores' own deliveries too (inventory echoes of the drains' writes), which keep coming.
    await eventually(
      "no stored delivery is left unprocessed",
      async () => {
        const { rows } = await database.pool.query<{ n: number }>(
          `SELECT count(*)::int AS "n" FROM "WebhookEvent" WHERE "state" NOT IN ('processed', 'ignored')`,
        );
        return rows[0]!.n === 0;
      },
      { timeoutMs: 20_000, everyMs: 500, context: logs },
    );

    assert.ok(backend.running && worker.running, `both processes are still alive\n${logs()}`);
    for (const child of [backend, worker]) {
      assert.doesNotMatch(child.stderr, /unhandled|uncaught|^\s+at /imu, `${child.name}'s stderr: ${child.stderr}`);
    }
    console.log(
      `[db-outage] ${sent.length} deliveries (${answers("down").length} while down, ${refused.length} refused with 503), ` +
        `${health.filter((check) => check.status === 503).length} health checks answered 503; ` +
        `all processed ${Math.round(processedAfterMs / 1000)} s after the restart`,
    );
  });

  it("starts the embedded PostgreSQL again when it is killed, and the processes carry on", async () => {
    const startedAt = async () =>
      (await database.pool.query<{ at: Date }>("SELECT pg_postmaster_start_time() AS at")).rows[0]!.at.getTime();
    const before = await startedAt();
    const postmaster = Number.parseInt(readFileSync(path.join(dataDir, "cluster", "postmaster.pid"), "utf8"), 10);
    process.kill(postmaster, "SIGKILL");
    await eventually(
      "the embedded PostgreSQL answers again, started anew",
      async () => (await startedAt().catch(() => before)) > before,
      { timeoutMs: 30_000, everyMs: 300 },
    );
    await eventually(
      "/healthz answers 200 again",
      async () => {
        if (!backend.running || !worker.running) assert.fail(`a process died\n${logs()}`);
        return (await fetch(`${web}/healthz`).catch(() => null))?.status === 200;
      },
      { timeoutMs: 30_000, context: logs },
    );
    for (const child of [backend, worker]) {
      assert.doesNotMatch(child.stderr, /unhandled|uncaught|^\s+at /imu, `${child.name}'s stderr: ${child.stderr}`);
    }
  });
});

describe("telling a database outage from other failures", () => {
  it("recognises what pg, pg-pool and Prisma raise for a server that is gone, and nothing else", async () => {
    const closedPort = await freePort();
    const closedUrl = `postgresql://postgres:x@127.0.0.1:${closedPort}/none`;
    const failure = (work: () => Promise<unknown>) =>
      work().then(
        () => assert.fail("expected a failure"),
        (error: unknown) => error,
      );

    const refused = await failure(async () => {
      const client = new pg.Client({ connectionString: closedUrl });
      client.on("error", () => undefined);
      await client.connect();
    });
    const pooled = await failure(async () => {
      const pool = surviveLostConnections(new pg.Pool({ connectionString: closedUrl }));
      try {
        await pool.query("SELECT 1");
      } finally {
        await pool.end();
      }
    });
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: closedUrl }) });
    const prismaRefused = await failure(() => prisma.business.count());
    await prisma.$disconnect();
    // A backend terminated by an administrator: the held client's next query fails with 57P01.
    const held = await database.pool.connect();
    const { rows } = await held.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    await database.pool.query("SELECT pg_terminate_backend($1)", [rows[0]!.pid]);
    const terminated = await failure(async () => {
      await sleep(200);
      await held.query("SELECT 1");
    });
    held.release(terminated as Error);

    for (const [what, error] of Object.entries({ refused, pooled, prismaRefused, terminated })) {
      assert.equal(isDatabaseUnavailable(error), true, `${what}: ${String(error)}`);
    }

    const divisionByZero = await failure(() => database.pool.query("SELECT 1 / 0"));
    const prismaUnique = await failure(async () => {
      const name = `outage-${randomBytes(4).toString("hex")}`;
      const business = await database.prisma.business.create({ data: { name, authorityMode: "central" } });
      await database.prisma.business.create({ data: { id: business.id, name, authorityMode: "central" } });
    });
    // Another service refusing (Prokip, a store): fetch carries ECONNREFUSED in its cause.
    const otherService = await failure(() => fetch(`http://127.0.0.1:${closedPort}/`));
    for (const [what, error] of Object.entries({ divisionByZero, prismaUnique, otherService })) {
      assert.equal(isDatabaseUnavailable(error), false, `${what}: ${String(error)}`);
    }
  });
});

/**
 * A sandbox started again on the same database (the emulators start empty, the database does
 * not) does not inherit its dead demo business: the old demo's queued Prokip postings are
 * dropped at once, not failed and retried ahead of the new demo's work.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { requestPosting, startQueue } from "../src/jobs/index.ts";
import { createLogger } from "../src/log/index.ts";
import { freePort } from "../src/store/index.ts";
import { testDatabase } from "./support/database.ts";
import { eventually } from "./support/eventually.ts";

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");
const database = await testDatabase({ poolSize: 2 });
const { pool } = database;
const DEMO = "Prokip Sync demo (sandbox)";
let child: ChildProcess | null = null;
let logs = "";

async function startSandbox(): Promise<void> {
  const port = await freePort();
  logs = "";
  child = spawn(process.execPath, ["--import", "tsx", main], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      NODE_ENV: "development",
      PROKIP_SYNC_SANDBOX: "on",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  await eventually(
    "the backend is ready",
    async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status === 200,
    { timeoutMs: 90_000, everyMs: 500, context: () => logs.slice(-2_000) },
  );
}

async function stopSandbox(): Promise<void> {
  if (!child) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
  child = null;
}

after(stopSandbox);

describe("a sandbox started again on the same database", () => {
  it("drops the old demo's queued postings instead of failing them ahead of the new demo", async () => {
    await startSandbox();
    await stopSandbox();
    const { rows } = await pool.query<{ businessId: string; connectionId: string }>(
      `SELECT b."id" AS "businessId", c."id" AS "connectionId" FROM "Business" b JOIN "Connection" c ON c."businessId" = b."id"
       WHERE b."name" = $1 AND c."platform" = 'shopify'`,
      [DEMO],
    );
    const old = rows[0]!;

    // The old demo had sales waiting for Prokip when it stopped, their postings queued.
    const orderIds = Array.from({ length: 200 }, () => randomUUID());
    await pool.query(
      `INSERT INTO "Order" ("id", "businessId", "connectionId", "externalId", "number", "storeUpdatedAt", "payloadDigest", "postingState", "updatedAt")
       SELECT id, $1, $2, id::text, '#' || n, now(), $3, 'pending', now() FROM unnest($4::uuid[]) WITH ORDINALITY AS o(id, n)`,
      [old.businessId, old.connectionId, createHash("sha256").update("x").digest("hex"), orderIds],
    );
    const boss = await startQueue(database.url, createLogger({ level: "silent" }));
    for (const orderId of orderIds) await requestPosting(boss, { businessId: old.businessId, orderId });
    await boss.stop({ graceful: true, timeout: 5_000 });

    await startSandbox();
    const { rows: demos } = await pool.query<{ id: string }>(`SELECT "id" FROM "Business" WHERE "name" = $1`, [DEMO]);
    assert.equal(demos.length, 1);
    assert.notEqual(demos[0]!.id, old.businessId, "the demo business was made anew");

    const unfinished = async () => {
      const { rows: jobs } = await pool.query<{ count: number }>(
        `SELECT count(*)::int AS "count" FROM pgboss.job
         WHERE name = 'posting' AND data->>'businessId' = $1 AND state <> 'completed'`,
        [old.businessId],
      );
      return jobs[0]!.count;
    };
    await eventually("every posting of the old demo is done with", async () => (await unfinished()) === 0, {
      timeoutMs: 60_000,
      context: () => logs.slice(-2_000),
    });
    assert.doesNotMatch(logs, /not signed in to Prokip/u, "no posting failed for the old demo");
  });
});

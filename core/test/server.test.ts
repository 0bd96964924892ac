/**
 * The backend process as a person runs it (`npm start`), against the test PostgreSQL:
 * /healthz is 200 once migrations are applied, 503 with a reason while the database is
 * unreachable, and SIGTERM shuts it down cleanly.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../src/store/index.ts";
import { testDatabase } from "./support/database.ts";

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");
const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.kill("SIGKILL")));

async function startBackend(databaseUrl: string, extraEnv: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      NODE_ENV: "development",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let logs = "";
  child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  return { child, url: `http://127.0.0.1:${port}`, logs: () => logs };
}

async function healthUntil(
  url: string,
  wanted: (status: number, body: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  let last: { status: number; body: Record<string, unknown> } | null = null;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/healthz`);
      last = { status: response.status, body: (await response.json()) as Record<string, unknown> };
      if (wanted(last.status, last.body)) return last;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`health never matched; last answer ${JSON.stringify(last)}`);
}

describe("npm start", () => {
  it("answers 200 with db ok once migrations are applied, and stops cleanly on SIGTERM", async () => {
    const database = await testDatabase({ poolSize: 1 });
    const backend = await startBackend(database.url);
    const health = await healthUntil(backend.url, (status) => status === 200);
    assert.equal(health.body.status, "ok");
    assert.equal(health.body.db, "ok");
    assert.equal(health.body.migrations, "applied");

    const missing = await fetch(`${backend.url}/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(((await missing.json()) as { error: { code: string } }).error.code, "not_found");

    backend.child.kill("SIGTERM");
    const [code] = (await once(backend.child, "exit")) as [number | null];
    // 128 + SIGTERM(15): the Unix convention for "ended by the signal it was sent", after a clean shutdown.
    assert.equal(code, 143, backend.logs());
    assert.match(backend.logs(), /"msg":"stopped"/u);
  });

  it("serves the emulators and the demo credentials in sandbox mode", async () => {
    const database = await testDatabase({ poolSize: 1 });
    const backend = await startBackend(database.url);
    await healthUntil(backend.url, (status) => status === 200);

    const page = await fetch(`${backend.url}/sandbox`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /everything on this page is emulated/iu);
    assert.match(html, /prokip-demo\.myshopify\.com/u);

    const credentials = (await (await fetch(`${backend.url}/sandbox/api/credentials`)).json()) as {
      shopify: { shop: string; adminApiUrl: string; accessToken: string };
      woocommerce: { siteUrl: string; consumerKey: string };
      prokip: {
        baseUrl: string;
        clientId: string;
        clientSecret: string;
        username: string;
        password: string;
        locations: { id: number }[];
      };
    };
    assert.equal(credentials.shopify.shop, "prokip-demo.myshopify.com");
    assert.equal(credentials.prokip.locations.length, 2);
    assert.match(credentials.woocommerce.consumerKey, /^ck_[0-9a-f]{40}$/u);

    // The mounted Shopify emulator answers the demo token with the demo catalogue.
    const graphql = await fetch(credentials.shopify.adminApiUrl.replace("http://localhost:", "http://127.0.0.1:"), {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopify-access-token": credentials.shopify.accessToken },
      body: JSON.stringify({
        query: '{ productVariants(first: 1, query: "sku:shirt1") { nodes { sku inventoryQuantity } } }',
      }),
    });
    assert.equal(graphql.status, 200);
    const variants = (
      (await graphql.json()) as { data: { productVariants: { nodes: { sku: string; inventoryQuantity: number }[] } } }
    ).data.productVariants.nodes;
    assert.deepEqual(variants, [{ sku: "shirt1", inventoryQuantity: 100 }]);

    // The mounted Prokip emulator logs the demo user in and serves its 15-row stock report.
    const prokipBase = credentials.prokip.baseUrl.replace("http://localhost:", "http://127.0.0.1:");
    const token = (await (
      await fetch(`${prokipBase}/oauth/token`, {
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "password",
          client_id: credentials.prokip.clientId,
          client_secret: credentials.prokip.clientSecret,
          username: credentials.prokip.username,
          password: credentials.prokip.password,
          scope: "",
        }),
      })
    ).json()) as { access_token: string };
    const report = await fetch(
      `${prokipBase}/connector/api/product-stock-report?location_id=${credentials.prokip.locations[0]!.id}`,
      {
        headers: { accept: "application/json", authorization: `Bearer ${token.access_token}` },
      },
    );
    assert.equal(report.status, 200);
    assert.equal(((await report.json()) as { data: unknown[] }).data.length, 15);

    backend.child.kill("SIGTERM");
    await once(backend.child, "exit");
  });

  it("serves no sandbox when it is turned off", async () => {
    const database = await testDatabase({ poolSize: 1 });
    const backend = await startBackend(database.url, { PROKIP_SYNC_SANDBOX: "off" });
    await healthUntil(backend.url, (status) => status === 200);
    assert.equal((await fetch(`${backend.url}/sandbox`)).status, 404);
    assert.equal((await fetch(`${backend.url}/sandbox/api/credentials`)).status, 404);
    backend.child.kill("SIGTERM");
    await once(backend.child, "exit");
  });

  it("answers 503 with a reason while the database is unreachable", async () => {
    const closedPort = await freePort();
    const backend = await startBackend(`postgresql://postgres:x@127.0.0.1:${closedPort}/nothing`);
    const health = await healthUntil(backend.url, (status, body) => status === 503 && body.db === "unreachable");
    assert.equal(health.body.status, "unavailable");
    assert.match(String(health.body.reason), /ECONNREFUSED|connect/iu);
    // The logs name the problem but never the password in the URL.
    assert.ok(!backend.logs().includes("postgres:x@"), "the database password must not be logged");
    backend.child.kill("SIGTERM");
    await once(backend.child, "exit");
  });
});

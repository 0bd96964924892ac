/**
 * Production hygiene, checked on the backend process as `npm start` runs it (core/src/main.ts in
 * its own process, over HTTP): the sandbox refuses to start in production unless acknowledged,
 * listens on the loopback interface by default, answers only under this machine's names and
 * refuses changes from other sites; /metrics wants its bearer token (and is not served in
 * production without one); every answer carries the security headers; and no log line carries
 * WooCommerce's consumer key or OAuth signature.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { generateEncryptionKey } from "../src/security/index.ts";
import { freePort } from "../src/store/index.ts";
import { testDatabase } from "./support/database.ts";
import { eventually } from "./support/eventually.ts";

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");
const ACKNOWLEDGEMENT = "i-understand-the-sandbox-is-public";
const METRICS_TOKEN = "metrics-token-0123456789abcdef";
const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.exitCode === null && child.kill("SIGKILL")));

interface Started {
  child: ChildProcess;
  port: number;
  base: string;
  logs(): string;
  exited: Promise<number | null>;
}

/** main.ts with exactly this environment on top of the test's (no HOST unless given). */
async function start(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const inherited = { ...process.env };
  for (const name of ["HOST", "PUBLIC_URL", "PROKIP_SYNC_SANDBOX", "PROKIP_SYNC_METRICS_TOKEN", "NODE_ENV"])
    delete inherited[name];
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...inherited, PORT: String(port), LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let logs = "";
  child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, port, base: `http://127.0.0.1:${port}`, logs: () => logs, exited };
}

async function stop(started: Started): Promise<void> {
  if (started.child.exitCode !== null) return;
  started.child.kill("SIGTERM");
  await started.exited;
}

async function healthy(started: Started): Promise<void> {
  await eventually(
    "the backend is ready",
    async () => (await fetch(`${started.base}/healthz`).catch(() => null))?.status === 200,
    { timeoutMs: 90_000, context: () => started.logs().slice(-3000) },
  );
}

/** One request with the exact headers given (fetch would not let a test set Host). */
function request(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string; address?: string },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: options.address ?? "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers ?? {},
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

const errorCode = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

describe("the sandbox in production", () => {
  it("refuses to start without PROKIP_SYNC_SANDBOX_IN_PRODUCTION, saying why in one log line, and exits 2", async () => {
    const closedPort = await freePort();
    const refused = await start({
      NODE_ENV: "production",
      PROKIP_SYNC_SANDBOX: "on",
      PROKIP_SYNC_ENCRYPTION_KEY: generateEncryptionKey(),
      // Nothing to connect to: the refusal comes before any database work.
      DATABASE_URL: `postgresql://postgres:x@127.0.0.1:${closedPort}/nothing`,
    });
    const code = await Promise.race([
      refused.exited,
      new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 30_000)),
    ]);
    assert.equal(code, 2, refused.logs());
    const lines = refused.logs().trim().split("\n");
    assert.equal(lines.length, 1, refused.logs());
    const line = JSON.parse(lines[0]!) as { level: number; msg: string };
    assert.equal(line.level, 60, "fatal");
    assert.match(line.msg, /^Refusing to start: PROKIP_SYNC_SANDBOX=on with NODE_ENV=production /u);
    assert.ok(line.msg.includes(`PROKIP_SYNC_SANDBOX_IN_PRODUCTION=${ACKNOWLEDGEMENT}`), line.msg);
    await assert.rejects(fetch(`${refused.base}/healthz`), "nothing listens");
  });

  it("starts when acknowledged, warns that the sandbox is public, and serves /metrics only with the bearer token", async () => {
    const database = await testDatabase({ poolSize: 1 });
    const backend = await start({
      NODE_ENV: "production",
      PROKIP_SYNC_SANDBOX: "on",
      PROKIP_SYNC_SANDBOX_IN_PRODUCTION: ACKNOWLEDGEMENT,
      PROKIP_SYNC_ENCRYPTION_KEY: generateEncryptionKey(),
      PROKIP_SYNC_METRICS_TOKEN: METRICS_TOKEN,
      DATABASE_URL: database.url,
    });
    try {
      await healthy(backend);
      const warnings = backend
        .logs()
        .split("\n")
        .filter((line) => line.includes("sandbox mode in production"));
      assert.equal(warnings.length, 1, backend.logs().slice(-3000));
      assert.equal((JSON.parse(warnings[0]!) as { level: number }).level, 40, "warn");
      assert.equal((await fetch(`${backend.base}/sandbox/api/credentials`)).status, 200);

      const anonymous = await fetch(`${backend.base}/metrics`);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.headers.get("www-authenticate"), 'Bearer realm="metrics"');
      assert.equal(errorCode(await anonymous.text()), "invalid_metrics_token");
      const wrong = await fetch(`${backend.base}/metrics`, {
        headers: { authorization: "Bearer not-the-token-at-all" },
      });
      assert.equal(wrong.status, 401);
      assert.equal(errorCode(await wrong.text()), "invalid_metrics_token");
      const basic = await fetch(`${backend.base}/metrics`, {
        headers: { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString("base64")}` },
      });
      assert.equal(basic.status, 401);

      const scraped = await fetch(`${backend.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(scraped.status, 200);
      assert.match(scraped.headers.get("content-type") ?? "", /^text\/plain/u);
      assert.match(await scraped.text(), /^# HELP prokip_sync_webhook_signature_failures_total /mu);
    } finally {
      await stop(backend);
    }
  });

  it("does not serve /metrics without a token, and listens on every interface when the sandbox is off", async () => {
    const database = await testDatabase({ poolSize: 1 });
    const backend = await start({
      NODE_ENV: "production",
      PROKIP_SYNC_SANDBOX: "off",
      PROKIP_SYNC_ENCRYPTION_KEY: generateEncryptionKey(),
      DATABASE_URL: database.url,
    });
    try {
      await healthy(backend);
      const metrics = await fetch(`${backend.base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(metrics.status, 404);
      assert.equal(errorCode(await metrics.text()), "not_found");
      assert.match(backend.logs(), /"msg":"GET \/metrics is not served: set PROKIP_SYNC_METRICS_TOKEN/u);
      if (process.platform === "linux") {
        // 127.0.0.2 is this machine too, but only a server on 0.0.0.0 answers there.
        const other = await request(backend.port, { path: "/healthz", address: "127.0.0.2" });
        assert.equal(other.status, 200);
      }
    } finally {
      await stop(backend);
    }
  });
});

// At the top level, so the database outlives the tests below (testDatabase drops it in an after hook).
const developmentDatabase = await testDatabase({ poolSize: 2 });

describe("the sandbox in development", () => {
  let backend: Started;
  let consumerKey = "";

  before(async () => {
    backend = await start({
      NODE_ENV: "development",
      PROKIP_SYNC_SANDBOX: "on",
      DATABASE_URL: developmentDatabase.url,
    });
    await healthy(backend);
    const credentials = (await (await fetch(`${backend.base}/sandbox/api/credentials`)).json()) as {
      woocommerce: { consumerKey: string };
    };
    consumerKey = credentials.woocommerce.consumerKey;
  });
  after(() => stop(backend));

  const shirtStock = async () => {
    const { skus } = (await (await fetch(`${backend.base}/sandbox/api/state`)).json()) as {
      skus: { sku: string; shopify: number | null }[];
    };
    return skus.find((row) => row.sku === "shirt1")!.shopify;
  };
  const order = JSON.stringify({ store: "shopify", lines: [{ sku: "shirt1", quantity: 1 }] });

  it("listens on 127.0.0.1 only when HOST is not set", async () => {
    const listening = [...backend.logs().matchAll(/"msg":"Server listening at ([^"]+)"/gu)].map((match) => match[1]);
    assert.deepEqual(listening, [`http://127.0.0.1:${backend.port}`]);
    if (process.platform === "linux")
      await assert.rejects(request(backend.port, { path: "/healthz", address: "127.0.0.2" }), /ECONNREFUSED/u);
  });

  it("answers sandbox routes only under this machine's names: another Host gets 421", async () => {
    for (const host of ["rebound.example", `rebound.example:${backend.port}`, "10.0.0.5"]) {
      const answer = await request(backend.port, { path: "/sandbox/api/credentials", headers: { host } });
      assert.equal(answer.status, 421, host);
      assert.equal(errorCode(answer.body), "host_not_allowed");
      assert.ok(!answer.body.includes(consumerKey), "no credential in the refusal");
    }
    const page = await request(backend.port, { path: "/sandbox", headers: { host: "rebound.example" } });
    assert.equal(page.status, 421);
    for (const host of [`localhost:${backend.port}`, `127.0.0.1:${backend.port}`, "localhost"]) {
      const answer = await request(backend.port, { path: "/sandbox/api/credentials", headers: { host } });
      assert.equal(answer.status, 200, host);
    }
    // Not the sandbox's: health answers under any name.
    const health = await request(backend.port, { path: "/healthz", headers: { host: "rebound.example" } });
    assert.equal(health.status, 200);
  });

  it("refuses a cross-site form post or fetch with 403, and places nothing", async () => {
    const before = await shirtStock();
    const crossSite: Record<string, string>[] = [
      // A form on another site posting as text/plain (the body is still JSON).
      { "content-type": "text/plain", origin: "https://attacker.example", "sec-fetch-site": "cross-site" },
      { "content-type": "application/x-www-form-urlencoded", origin: "https://attacker.example" },
      // Another port of localhost is same-site, not same-origin.
      { "content-type": "application/json", origin: "http://localhost:1", "sec-fetch-site": "same-site" },
      { "content-type": "application/json", origin: "null" },
    ];
    for (const headers of crossSite) {
      const answer = await request(backend.port, { method: "POST", path: "/sandbox/api/orders", headers, body: order });
      assert.equal(answer.status, 403, JSON.stringify(headers));
      assert.equal(errorCode(answer.body), "cross_site_request");
    }
    const syncNow = await request(backend.port, {
      method: "POST",
      path: "/sandbox/api/sync-now",
      headers: { origin: "https://attacker.example", "sec-fetch-site": "cross-site" },
    });
    assert.equal(syncNow.status, 403);
    // The emulators' control routes are the sandbox's too (this one mints session tokens).
    const control = await request(backend.port, {
      method: "POST",
      path: "/sandbox/shopify/_control/session-token",
      headers: { "content-type": "application/json", "sec-fetch-site": "cross-site" },
      body: JSON.stringify({ shop: "prokip-demo.myshopify.com" }),
    });
    assert.equal(control.status, 403);
    assert.equal(errorCode(control.body), "cross_site_request");
    assert.equal(await shirtStock(), before, "no order was placed");

    // The console's own fetch (same origin) and scripts (no browser headers) still place orders.
    const own = await request(backend.port, {
      method: "POST",
      path: "/sandbox/api/orders",
      headers: {
        "content-type": "application/json",
        origin: `http://127.0.0.1:${backend.port}`,
        "sec-fetch-site": "same-origin",
      },
      body: order,
    });
    assert.equal(own.status, 201, own.body);
    const script = await fetch(`${backend.base}/sandbox/api/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: order,
    });
    assert.equal(script.status, 201);
    assert.equal(await shirtStock(), before! - 2);
  });

  it("sends nosniff, a referrer policy and no-framing headers on every answer", async () => {
    for (const route of ["/healthz", "/sandbox", "/sandbox/api/state", "/metrics", "/no-such-page"]) {
      const answer = await fetch(`${backend.base}${route}`);
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", route);
      assert.equal(answer.headers.get("referrer-policy"), "strict-origin-when-cross-origin", route);
      assert.equal(answer.headers.get("content-security-policy"), "frame-ancestors 'none'", route);
      assert.equal(answer.headers.get("x-frame-options"), "DENY", route);
    }
    const refused = await request(backend.port, { path: "/sandbox", headers: { host: "rebound.example" } });
    assert.equal(refused.headers["x-content-type-options"], "nosniff");
  });

  it("logs WooCommerce API requests without the consumer key or the OAuth signature", async () => {
    // Start-up connected the demo site through the WooCommerce adapter (OAuth 1.0a over http).
    const logs = backend.logs();
    const wooRequests = logs.split("\n").filter((line) => line.includes("/sandbox/woocommerce/"));
    assert.ok(wooRequests.length > 0, "the WooCommerce emulator's requests are logged");
    assert.match(logs, /oauth_consumer_key=\[redacted\]/u);
    assert.match(logs, /oauth_signature=\[redacted\]/u);
    assert.ok(!logs.includes(consumerKey), "the consumer key appears in no log line");
    assert.doesNotMatch(logs, /(oauth_[a-z_]+|consumer_(key|secret))=(?!\[redacted\])/u);
  });
});

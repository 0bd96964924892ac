/**
 * The sandbox run, as a newcomer sees it: `npm start` with nothing configured but a database,
 * driven only through the /sandbox JSON API. The reference scenario: SKU shirt1 at 100 in
 * Prokip, linked on both stores; Shopify sells 2, WooCommerce sells 3, Shopify refunds 1 with
 * restock; every system follows, and Prokip holds 2 sells and 1 return.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../src/store/index.ts";
import { testDatabase } from "./support/database.ts";
import { eventually as waitFor } from "./support/eventually.ts";

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");
const database = await testDatabase({ poolSize: 2 });
let child: ChildProcess;
let base = "";
let logs = "";

interface SkuState {
  sku: string;
  prokip: number | null;
  shopify: number | null;
  woocommerce: number | null;
  available: number;
  target: number;
}

before(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
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
    async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200,
    90_000,
  );
});

after(async () => {
  child.kill("SIGTERM");
  await once(child, "exit");
});

async function state(sku: string): Promise<SkuState> {
  const response = await fetch(`${base}/sandbox/api/state`);
  assert.equal(response.status, 200);
  const found = ((await response.json()) as { skus: SkuState[] }).skus.find((row) => row.sku === sku);
  assert.ok(found, `${sku} is in the sandbox state`);
  return found;
}

async function post(pathName: string, body: unknown): Promise<Response> {
  return fetch(`${base}${pathName}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

const eventually = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) =>
  waitFor(what, check, { timeoutMs, context: () => logs.slice(-3000) });

const everywhere = (n: number) => async () => {
  const row = await state("shirt1");
  return row.prokip === n && row.shopify === n && row.woocommerce === n && row.target === n;
};

describe("the sandbox run", () => {
  it("follows the reference scenario on every system", async () => {
    assert.deepEqual(await state("shirt1"), {
      ...(await state("shirt1")),
      prokip: 100,
      shopify: 100,
      woocommerce: 100,
      target: 100,
    });

    const shopifyOrder = (await (
      await post("/sandbox/api/orders", { store: "shopify", lines: [{ sku: "shirt1", quantity: 2 }] })
    ).json()) as { orderId: string };
    await eventually("98 everywhere", everywhere(98));

    const wooOrder = await post("/sandbox/api/orders", {
      store: "woocommerce",
      lines: [{ sku: "shirt1", quantity: 3 }],
    });
    assert.equal(wooOrder.status, 201);
    await eventually("95 everywhere", everywhere(95));

    const refund = await post("/sandbox/api/refunds", {
      store: "shopify",
      orderId: shopifyOrder.orderId,
      lines: [{ sku: "shirt1", quantity: 1 }],
      restock: true,
    });
    assert.equal(refund.status, 201);
    await eventually("96 everywhere", everywhere(96));

    // Prokip holds exactly two sells and one return, with the right lines.
    const credentials = (await (await fetch(`${base}/sandbox/api/credentials`)).json()) as {
      prokip: { baseUrl: string };
    };
    const sells = (await (
      await fetch(`${credentials.prokip.baseUrl.replace("localhost", "127.0.0.1")}/_control/sells`)
    ).json()) as {
      id: number;
      type: "sell" | "sell_return";
      invoiceNo: string;
      returnParentId: number | null;
      lines: { quantity: number; quantityReturned: number }[];
    }[];
    const sold = sells.filter((sell) => sell.type === "sell");
    const returns = sells.filter((sell) => sell.type === "sell_return");
    assert.deepEqual(
      sold.map((sell) => sell.lines.map((line) => Number(line.quantity)).join("+")).sort(),
      ["2", "3"],
      JSON.stringify(sells),
    );
    assert.equal(returns.length, 1, JSON.stringify(sells));
    // A return is recorded against its sell: the Shopify sale's line shows 1 returned.
    const returned = sold.find((sell) => sell.id === returns[0]!.returnParentId);
    assert.ok(returned?.invoiceNo.startsWith("SHOP-"), JSON.stringify(sells));
    assert.deepEqual(
      returned!.lines.map((line) => Number(line.quantityReturned)),
      [1],
    );
    assert.equal(sells.length, 3, "nothing else was posted to Prokip");
  });

  it("carries a stock change made in Prokip to both stores on sync now", async () => {
    const set = await post("/sandbox/api/prokip-stock", { sku: "shirt1", quantity: 50 });
    assert.equal(set.status, 200);
    assert.equal((await post("/sandbox/api/sync-now", {})).status, 200);
    await eventually("50 everywhere", everywhere(50));
  });

  it("refuses bad input with a code and changes nothing", async () => {
    const before = await state("shirt1");
    const bad = await post("/sandbox/api/orders", { store: "etsy", lines: [{ sku: "shirt1", quantity: 1 }] });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, "invalid_input");
    assert.equal((await post("/sandbox/api/prokip-stock", { sku: "no-such-sku", quantity: 1 })).status, 404);
    // The platform's own refusals are the person's to fix: 4xx with the platform's code, not 500.
    const tooMany = await post("/sandbox/api/orders", { store: "shopify", lines: [{ sku: "shirt1", quantity: 999 }] });
    assert.ok(tooMany.status >= 400 && tooMany.status < 500, `status ${tooMany.status}`);
    assert.notEqual(((await tooMany.json()) as { error: { code: string } }).error.code, "internal");
    const unknownOrder = await post("/sandbox/api/cancellations", { store: "woocommerce", orderId: 999999 });
    assert.ok(unknownOrder.status >= 400 && unknownOrder.status < 500, `status ${unknownOrder.status}`);
    assert.deepEqual(await state("shirt1"), before);
  });
});

/**
 * The /sandbox page: the HTML a newcomer opens after `npm start`. Checked as served by the real
 * backend (banner, stock table, labelled forms, credentials, the API routes its script calls),
 * escaping of data placed in the HTML, and the page script's helpers run in Node against the
 * live JSON API so the page and the API agree on shapes. (Browser tests come later.)
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import vm from "node:vm";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { sandboxPage, type SandboxCredentials } from "@prokip-sync/sandbox";
import { freePort } from "../src/store/index.ts";
import { testDatabase } from "./support/database.ts";
import { eventually as waitFor } from "./support/eventually.ts";

interface SkuState {
  sku: string;
  product: string;
  prokip: number | null;
  shopify: number | null;
  woocommerce: number | null;
  available: number;
  target: number;
}
interface CellView {
  text: string;
  waiting: boolean;
  title: string;
}
/** The pure helpers the page script declares before it touches the DOM. */
interface PageHelpers {
  esc(value: unknown): string;
  cellView(row: SkuState, column: string): CellView;
  errorText(status: number, body: unknown): string;
  shortOrderId(orderId: string): string;
  orderStatus(order: { cancelled: boolean; refunded: number; quantity: number }): string;
}

const ROUTES = [
  "/sandbox/api/state",
  "/sandbox/api/orders",
  "/sandbox/api/refunds",
  "/sandbox/api/cancellations",
  "/sandbox/api/prokip-stock",
  "/sandbox/api/sync-now",
];

function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/gu)].map((match) => match[1]!);
}

/** Runs the page script where there is no document: it only declares its helpers. */
function pageHelpers(html: string): PageHelpers {
  const scripts = inlineScripts(html);
  assert.equal(scripts.length, 1, "one inline script");
  const context = vm.createContext({});
  vm.runInContext(scripts[0]!, context);
  return context as unknown as PageHelpers;
}

const evil = "<script>alert(1)</script>";
const credentials: SandboxCredentials = {
  shopify: {
    shop: evil,
    adminApiUrl: "http://localhost/admin?a=1&b=2",
    accessToken: 'shpat_"quoted"',
    apiKey: "key",
    apiSecret: "secret",
    apiVersion: "2025-07",
  },
  woocommerce: { siteUrl: "http://localhost/site", consumerKey: "ck_1", consumerSecret: "cs_'1'" },
  prokip: {
    baseUrl: "http://localhost/prokip",
    clientId: "1",
    clientSecret: "s",
    username: "demo",
    password: evil,
    businessName: "Tom & Jerry's <Shop>",
    locations: [{ id: 7, name: "<b>Main</b>" }],
  },
};

describe("sandboxPage", () => {
  const html = sandboxPage(credentials);

  it("escapes every credential value placed in the HTML", () => {
    assert.ok(!html.includes("alert(1)</script>"), "no raw script from data");
    assert.ok(!html.includes("<b>Main</b>"));
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(html.includes("Tom &amp; Jerry&#39;s &lt;Shop&gt;"));
    assert.ok(html.includes("&lt;b&gt;Main&lt;/b&gt; (7)"));
    assert.ok(html.includes("shpat_&quot;quoted&quot;"));
    assert.ok(html.includes("http://localhost/admin?a=1&amp;b=2"));
    assert.equal(html.match(/<script/gu)?.length, 1, "only the page's own script");
  });

  it("is self-contained: no external script, style, font or image", () => {
    assert.doesNotMatch(html, /<link\b|\bsrc=|@import|url\(/iu);
    assert.doesNotMatch(html, /(href|action)="(https?:)?\/\//iu);
  });

  it("has a script that parses and only declares helpers outside a browser", () => {
    const helpers = pageHelpers(html);
    assert.equal(typeof helpers.cellView, "function");
    assert.doesNotMatch(inlineScripts(html)[0]!, /<\/script/iu);
  });

  it("shows numbers, marks what waits for a sync, and explains why", () => {
    const { cellView } = pageHelpers(html);
    const row: SkuState = {
      sku: "a",
      product: "A",
      prokip: 10,
      shopify: 8,
      woocommerce: null,
      available: 10,
      target: 10,
    };
    assert.deepEqual({ ...cellView(row, "prokip") }, { text: "10", waiting: false, title: "In sync" });
    const shopify = cellView(row, "shopify");
    assert.equal(shopify.text, "8");
    assert.equal(shopify.waiting, true);
    assert.match(shopify.title, /^Waiting to sync: .*\(10\)$/u);
    assert.equal(cellView(row, "woocommerce").text, "-");
    assert.equal(cellView(row, "woocommerce").waiting, false);
    assert.equal(cellView({ ...row, prokip: 12 }, "prokip").waiting, true, "Prokip changed, not read yet");
    assert.equal(cellView(row, "target").text, "10");
  });

  it("turns API errors into sentences, with their details", () => {
    const { errorText, shortOrderId, orderStatus, esc } = pageHelpers(html);
    assert.equal(
      errorText(400, {
        error: {
          code: "invalid_input",
          message: "The request is not valid",
          details: [{ path: "lines.0.quantity", message: "Too small" }],
        },
      }),
      "The request is not valid (lines.0.quantity: Too small)",
    );
    assert.equal(
      errorText(409, { error: { code: "insufficient_stock", message: "Only 2 of x available" } }),
      "Only 2 of x available",
    );
    assert.match(
      errorText(503, { error: { code: "starting", message: "The sandbox is still starting" } }),
      /still starting/u,
    );
    assert.match(
      errorText(500, { error: { code: "internal", message: "Internal error" } }),
      /^Internal error\. The server log/u,
    );
    assert.equal(errorText(502, null), "The server answered 502.");
    assert.equal(shortOrderId("gid://shopify/Order/1000152"), "1000152");
    assert.equal(shortOrderId("41"), "41");
    assert.equal(orderStatus({ cancelled: false, refunded: 1, quantity: 2 }), "Refunded 1 of 2");
    assert.equal(orderStatus({ cancelled: true, refunded: 0, quantity: 2 }), "Cancelled");
    assert.equal(esc(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});

// At the top level, so the database outlives every test (testDatabase drops it in an after hook).
const database = await testDatabase({ poolSize: 2 });

describe("the /sandbox page served by the backend", () => {
  let child: ChildProcess;
  let base = "";
  let logs = "";

  before(async () => {
    const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
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
      "the sandbox state is ready",
      async () => (await fetch(`${base}/sandbox/api/state`).catch(() => null))?.status === 200,
      90_000,
    );
  });

  after(async () => {
    if (!child || child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  });

  const eventually = (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) =>
    waitFor(what, check, { timeoutMs, context: () => logs.slice(-3000) });

  async function page(): Promise<string> {
    const response = await fetch(`${base}/sandbox`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/u);
    return response.text();
  }

  async function state(): Promise<SkuState[]> {
    const response = await fetch(`${base}/sandbox/api/state`);
    assert.equal(response.status, 200, logs.slice(-3000));
    return ((await response.json()) as { skus: SkuState[] }).skus;
  }

  const post = (route: string, body: unknown) =>
    fetch(`${base}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("shows the sandbox banner, the stock table and the actions", async () => {
    const html = await page();
    assert.match(
      html,
      /<div class="banner" role="note">\s*<strong class="pill">Sandbox<\/strong>\s*<span>Everything on this page is emulated\./u,
    );
    assert.match(html, /<table id="stock">/u);
    for (const column of ["Product", "SKU", "Prokip", "Shopify", "WooCommerce", "Target"])
      assert.match(html, new RegExp(`<th scope="col"[^>]*>\\s*${column}\\s*</th>`, "u"));
    for (const form of ["order-form", "prokip-form"]) assert.ok(html.includes(`<form id="${form}">`), form);
    assert.ok(html.includes(`<button type="button" id="sync-now">Sync now</button>`));
    assert.ok(html.includes("Orders placed here"));
  });

  it("labels every form control", async () => {
    // The page's markup; the script builds each order's refund form, labelled the same way.
    const html = (await page()).replace(/<script>[\s\S]*?<\/script>/gu, "");
    const controls = [...html.matchAll(/<(input|select)\b[^>]*\bid="([^"]+)"/gu)].map((match) => match[2]!);
    assert.deepEqual(controls, ["order-store", "order-sku", "order-quantity", "prokip-sku", "prokip-quantity"]);
    for (const id of controls)
      assert.match(html, new RegExp(`<label for="${id}">[^<]+</label>`, "u"), `a label for ${id}`);
    assert.equal([...html.matchAll(/<(input|select)\b(?![^>]*\bid=)/gu)].length, 0, "no control without an id");
  });

  it("shows the demo credentials and links to them as JSON", async () => {
    const html = await page();
    const served = (await (await fetch(`${base}/sandbox/api/credentials`)).json()) as SandboxCredentials;
    assert.match(html, /<details class="card">\s*<summary><h2>Demo credentials<\/h2><\/summary>/u);
    assert.ok(html.includes(`<a href="/sandbox/api/credentials">`));
    for (const value of [
      served.shopify.shop,
      served.shopify.accessToken,
      served.woocommerce.consumerKey,
      served.woocommerce.consumerSecret,
      served.prokip.clientSecret,
      served.prokip.password,
    ]) {
      assert.ok(html.includes(`<code>${value}</code>`), `credential ${value} is shown`);
    }
  });

  it("calls every sandbox API route it uses", async () => {
    const [script] = inlineScripts(await page());
    for (const route of ROUTES) assert.ok(script!.includes(`"${route}"`), `the script calls ${route}`);
  });

  it("agrees with the live API: cells, waiting marks, order ids and error messages", async () => {
    const helpers = pageHelpers(await page());
    const rows = await state();
    assert.ok(rows.length > 1);
    for (const row of rows) {
      assert.equal(typeof row.product, "string");
      for (const column of ["prokip", "shopify", "woocommerce", "target"] as const) {
        const view = helpers.cellView(row, column);
        assert.equal(view.text, row[column] === null ? "-" : String(row[column]), `${row.sku} ${column}`);
        assert.equal(view.waiting, false, `${row.sku} ${column} is in sync once the sandbox is ready`);
      }
    }

    // An order's id, as the page shows it.
    const sku = rows[0]!.sku;
    const placed = await post("/sandbox/api/orders", { store: "shopify", lines: [{ sku, quantity: 1 }] });
    assert.equal(placed.status, 201);
    assert.match(helpers.shortOrderId(((await placed.json()) as { orderId: string }).orderId), /^\d+$/u);

    // A Prokip change (on another SKU than the order's) shows as waiting until Prokip Sync reads
    // it; sync now settles every cell.
    const other = rows[1]!.sku;
    const wanted = rows[1]!.prokip! + 7;
    assert.equal((await post("/sandbox/api/prokip-stock", { sku: other, quantity: wanted })).status, 200);
    const changed = (await state()).find((row) => row.sku === other)!;
    assert.equal(helpers.cellView(changed, "prokip").text, String(wanted));
    assert.equal(helpers.cellView(changed, "prokip").waiting, true);
    assert.equal((await post("/sandbox/api/sync-now", {})).status, 200);
    await eventually("every cell in sync", async () => {
      const row = (await state()).find((r) => r.sku === other)!;
      return (
        row.target === wanted &&
        (["prokip", "shopify", "woocommerce"] as const).every((column) => !helpers.cellView(row, column).waiting)
      );
    });

    // Refused input comes back as a sentence naming the field.
    const refused = await post("/sandbox/api/orders", { store: "shopify", lines: [{ sku, quantity: 0 }] });
    assert.equal(refused.status, 400);
    assert.match(
      helpers.errorText(refused.status, await refused.json()),
      /^The request is not valid \(lines\.0\.quantity: .+\)$/u,
    );
    const unknown = await post("/sandbox/api/prokip-stock", { sku: "no-such-sku", quantity: 1 });
    assert.equal(helpers.errorText(unknown.status, await unknown.json()), "No Prokip product with SKU no-such-sku");
  });
});

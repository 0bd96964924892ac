/**
 * Set up products (/app/setup) and its file of products missing in Prokip
 * (/app/setup/missing/<run>): a store connected through core's merchant functions, then the
 * wizard's loader and actions: previews (pull and push) with their counts, options refused on
 * their field, a pull run queued, carried out by core's setup worker, followed to its summary,
 * and the import file. Expected figures come from the shared demo catalogue.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { SyncRunView } from "@prokip-sync/core";
import {
  database,
  jobRequests,
  json,
  load,
  post,
  PROKIP_ONLY_SKUS,
  redirectPath,
  refusals,
  runRequestedSetups,
  SHOPIFY_DEMO_SKUS,
  stopAll,
  STORE_ONLY,
  connectTestStore,
} from "./support/screens.ts";

const setup = await import("../app/routes/app.setup.tsx");
const missing = await import("../app/routes/app.setup.missing.$runId.tsx");
const home = await import("../app/routes/app._index.tsx");
const { prisma } = database;

let connectionId = "";
before(async () => {
  connectionId = await connectTestStore();
});
after(stopAll);

/** The run the wizard was sent to (`?run=<id>`). */
function runOf(response: Response | null): string {
  const location = response?.headers.get("location");
  assert.ok(location, "expected a redirect");
  const url = new URL(location, "https://app.example");
  assert.equal(url.pathname, "/app/setup");
  return url.searchParams.get("run")!;
}

async function runView(runId: string): Promise<SyncRunView> {
  const { data, response } = await load(setup.loader, `/app/setup?run=${runId}`);
  assert.equal(response, null);
  const view = data as { view: string; run: SyncRunView };
  assert.equal(view.view, "run");
  return view.run;
}

describe("Set up products", () => {
  it("refuses requests without a session token and with a wrongly signed one", async () => {
    for (const [handler, method, path] of [
      [setup.loader, "GET", "/app/setup"],
      [setup.action, "POST", "/app/setup"],
      [missing.loader, "GET", "/app/setup/missing/00000000-0000-0000-0000-000000000000"],
    ] as const) {
      const { none, wrongFetch } = await refusals(handler, path, method, { intent: "preview", strategy: "pull" });
      assert.equal(none.response?.status, 302, path);
      assert.equal(none.response?.headers.get("location"), "/auth/login");
      assert.equal(wrongFetch.response?.status, 401, path);
    }
    assert.equal(await prisma.syncRun.count(), 0);
  });

  it("a connected store opens on the wizard's first step", async () => {
    assert.equal(redirectPath((await load(home.loader, "/app")).response), "/app/setup");
    const { data } = await load(setup.loader, "/app/setup");
    assert.deepEqual(data, { view: "start", lastRun: null });
  });

  it("no strategy, or an unknown one, is refused on its field (400)", async () => {
    const { response } = await post(setup.action, "/app/setup", { intent: "preview", strategy: "sideways" });
    assert.equal(response?.status, 400);
    const body = await json<{ error: { code: string; details: { path: string; message: string }[] } }>(response);
    assert.equal(body.error.code, "invalid_input");
    assert.deepEqual(body.error.details, [{ path: "strategy", message: "Choose how to set up your products" }]);
  });

  it("preview of 'Use my store's products' (pull): every store product with what will happen, nothing changed", async () => {
    const { response } = await post(setup.action, "/app/setup", { intent: "preview", strategy: "pull" });
    assert.equal(response?.status, 302);
    const run = await runView(runOf(response));
    assert.equal(run.dryRun, true);
    assert.equal(run.kind, "pull");
    assert.deepEqual(run.counts, {
      match: SHOPIFY_DEMO_SKUS.length,
      create_in_store: 0,
      missing_in_prokip: 1,
      conflict: 0,
    });
    const rows = run.preview!;
    assert.equal(rows.length, SHOPIFY_DEMO_SKUS.length + 1);
    const basket = rows.find((row) => row.sku === STORE_ONLY.sku)!;
    assert.equal(basket.action, "missing_in_prokip");
    assert.equal(basket.storeQuantity, STORE_ONLY.stock);
    assert.equal(basket.prokipQuantity, null);
    const shirt = rows.find((row) => row.sku === "shirt1")!;
    assert.equal(shirt.action, "match");
    assert.equal(shirt.prokipQuantity, 100);
    // A preview writes nothing: no listings, no job.
    assert.equal(await prisma.listing.count({ where: { connectionId } }), 0);
    assert.deepEqual(jobRequests, []);
  });

  it("preview of 'Use my Prokip products' (push): Prokip's products the store lacks will be created", async () => {
    const { response } = await post(setup.action, "/app/setup", { intent: "preview", strategy: "push" });
    const run = await runView(runOf(response));
    assert.equal(run.kind, "push");
    assert.equal(run.counts!.match, SHOPIFY_DEMO_SKUS.length);
    assert.equal(run.counts!.create_in_store, PROKIP_ONLY_SKUS.length);
    assert.equal(run.counts!.conflict, 0);
    const created = run
      .preview!.filter((row) => row.action === "create_in_store")
      .map((row) => row.sku)
      .sort();
    assert.deepEqual(created, [...PROKIP_ONLY_SKUS].sort());
  });

  it("push options that don't parse are refused on their fields, and nothing is queued", async () => {
    const { response } = await post(setup.action, "/app/setup", {
      intent: "start",
      strategy: "push",
      priceAdjustmentPercent: "ten",
      sendImages: "maybe",
      sendDescriptions: "true",
      status: "draft",
    });
    assert.equal(response?.status, 400);
    const body = await json<{ error: { details: { path: string }[] } }>(response);
    assert.deepEqual(body.error.details.map((d) => d.path).sort(), ["priceAdjustmentPercent", "sendImages"]);
    // Core's own limits are core's: a 100 % price cut is refused by setup's schema, with the field named.
    const cut = await post(setup.action, "/app/setup", {
      intent: "start",
      strategy: "push",
      priceAdjustmentPercent: "-100",
      sendImages: "true",
      sendDescriptions: "true",
      status: "draft",
    });
    assert.equal(cut.response?.status, 400);
    const cutBody = await json<{ error: { code: string; details: { path: string }[] } }>(cut.response);
    assert.equal(cutBody.error.code, "invalid_input");
    assert.ok(
      cutBody.error.details.some((d) => d.path.endsWith("priceAdjustmentPercent")),
      JSON.stringify(cutBody),
    );
    assert.equal(await prisma.syncRun.count({ where: { connectionId, dryRun: false } }), 0);
    assert.deepEqual(jobRequests, []);
  });

  it("starting a pull queues a run and asks a worker for it; the wizard follows it to succeeded with its summary", async () => {
    const { response } = await post(setup.action, "/app/setup", { intent: "start", strategy: "pull" });
    assert.equal(response?.status, 302);
    const runId = runOf(response);
    assert.deepEqual(jobRequests, [{ kind: "setup", connectionId, runId }]);
    const queued = await runView(runId);
    assert.equal(queued.dryRun, false);
    assert.equal(queued.state, "queued");
    // Opening the wizard while it runs goes straight to it; a second start answers the same run.
    const reopened = await load(setup.loader, "/app/setup");
    assert.equal(runOf(reopened.response), runId);
    const again = await post(setup.action, "/app/setup", { intent: "start", strategy: "pull" });
    assert.equal(runOf(again.response), runId);

    await runRequestedSetups();
    const done = await runView(runId);
    assert.equal(done.state, "succeeded");
    assert.equal(done.done, done.total);
    assert.equal(done.failed, 0);
    assert.deepEqual(done.errors, []);
    assert.equal(done.results!.listingsMatched, SHOPIFY_DEMO_SKUS.length);
    assert.equal(done.results!.productsCreated, 0);
    assert.match(done.missingInProkipCsv ?? "", new RegExp(STORE_ONLY.sku, "u"));
    // Rows: every store product has a listing, the demo ones linked to Prokip.
    assert.equal(await prisma.listing.count({ where: { connectionId } }), SHOPIFY_DEMO_SKUS.length + 1);
    assert.equal(
      await prisma.listing.count({ where: { connectionId, variantId: { not: null } } }),
      SHOPIFY_DEMO_SKUS.length,
    );
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    assert.equal(connection.setupStrategy, "pull");
  });

  it("the file of products missing in Prokip downloads as CSV; another run's id is not found", async () => {
    const run = await prisma.syncRun.findFirstOrThrow({ where: { connectionId, dryRun: false, state: "succeeded" } });
    const { response } = await load(missing.loader, `/app/setup/missing/${run.id}`, { runId: run.id });
    assert.equal(response?.status, 200);
    assert.equal(response?.headers.get("content-type"), "text/csv; charset=utf-8");
    assert.match(
      response?.headers.get("content-disposition") ?? "",
      /^attachment; filename="products-missing-in-prokip-[\w.-]+\.csv"$/u,
    );
    const csv = await response!.text();
    assert.match(csv, new RegExp(STORE_ONLY.sku, "u"));
    assert.match(csv, new RegExp(STORE_ONLY.title, "u"));
    assert.doesNotMatch(csv, /shirt1/u);

    const unknown = "00000000-0000-4000-8000-000000000000";
    const notFound = await load(missing.loader, `/app/setup/missing/${unknown}`, { runId: unknown });
    assert.equal(notFound.response?.status, 404);
    assert.equal((await json<{ error: { code: string } }>(notFound.response)).error.code, "not_found");
  });

  it("once set up, the app opens on the dashboard and the wizard says the products are set up", async () => {
    const opened = await load(home.loader, "/app");
    assert.equal(opened.response, null);
    assert.equal((opened.data as { dashboard: { status: string } }).dashboard.status, "active");
    assert.deepEqual((await load(setup.loader, "/app/setup")).data, { view: "set_up" });
  });
});

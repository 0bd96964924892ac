/**
 * "Set up products" as the wizard drives it: preview, a run queued by the screen and carried out
 * by the `setup` queue's worker (pg-boss on the real PostgreSQL, the emulated Prokip and Shopify
 * over HTTP), progress polled until it ends, the stage it leads to, and a store kept out of
 * another store's runs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PgBoss } from "pg-boss";
import { demoCatalogue } from "@prokip-sync/sandbox";
import { SyncError, type ErrorCode } from "../src/domain/index.ts";
import {
  merchantJobRequests,
  runSetupJob,
  startQueue,
  startWorkers,
  type WorkerDependencies,
} from "../src/jobs/index.ts";
import {
  chooseLocation,
  missingInProkipFile,
  previewStoreSetup,
  signInToProkip,
  startStoreSetup,
  storeDashboard,
  storeSetupRun,
  storeStage,
} from "../src/merchant/index.ts";
import type { MerchantDeps, StoreRef, SyncRunView } from "../src/merchant/types.ts";
import { eventually } from "./support/eventually.ts";
import { merchantWorld } from "./support/merchant.ts";

const world = await merchantWorld({ poolSize: 12 });
const { prisma, pool, demo } = world;
const cbd = demo.locations[0]!;
let boss: PgBoss;
let workers: WorkerDependencies;
let deps: MerchantDeps;

before(async () => {
  boss = await startQueue(world.database.url, world.log);
  workers = {
    pool,
    prisma,
    boss,
    log: world.log,
    publicUrl: world.publicUrl,
    prokipClient: { clientId: demo.clientId, clientSecret: demo.clientSecret },
    channels: { encryptionKey: world.encryptionKey, log: world.log, shopifyFetch: world.shopifyFetch },
  };
  await startWorkers(workers);
  deps = world.deps({ jobs: merchantJobRequests({ boss, pool }) });
});

after(async () => {
  await boss?.stop({ graceful: false, timeout: 2_000 });
});

const failsWith = (code: ErrorCode) => (error: unknown) => error instanceof SyncError && error.code === code;

/** A shop holding the demo catalogue's Shopify products, connected at CBD. */
async function connectedShop(): Promise<{ store: StoreRef; connectionId: string }> {
  const shop = world.newShop({ products: true });
  await signInToProkip(deps, shop.store, { username: demo.username, password: demo.password });
  const { connectionId } = await chooseLocation(deps, shop.store, {
    prokipLocationId: cbd.id,
    credentials: { platform: "shopify", accessToken: shop.accessToken },
  });
  return { store: shop.store, connectionId };
}

async function finished(store: StoreRef, runId: string): Promise<SyncRunView> {
  let run: SyncRunView | null = null;
  await eventually(
    "the setup run to finish",
    async () => {
      run = await storeSetupRun(deps, store, runId);
      return run.state === "succeeded" || run.state === "failed";
    },
    { timeoutMs: 60_000, everyMs: 200, context: () => JSON.stringify(run) },
  );
  return run!;
}

const shopifySkus = demoCatalogue.filter((p) => p.inShopify).flatMap((p) => p.variants.map((v) => v.sku));
const prokipSkus = demoCatalogue.flatMap((p) => p.variants.map((v) => v.sku));

describe("setting up a store's products", () => {
  it("previews, then runs the setup in a worker while the screen polls; the store is then ready", async () => {
    const { store, connectionId } = await connectedShop();

    const preview = await previewStoreSetup(deps, store, { strategy: "push", options: { status: "active" } });
    assert.equal(preview.connectionId, connectionId);
    assert.equal(preview.counts.match, shopifySkus.length);
    assert.equal(preview.counts.create_in_store + preview.counts.match + preview.counts.conflict, prokipSkus.length);
    // The preview is the store's own to read again; nothing was set up.
    assert.equal((await storeSetupRun(deps, store, preview.runId)).dryRun, true);
    assert.equal(await prisma.listing.count({ where: { connectionId } }), 0);

    // Two clicks at once: one run, answered to both.
    const [queued, again] = await Promise.all([
      startStoreSetup(deps, store, { strategy: "push", options: { status: "active" } }),
      startStoreSetup(deps, store, { strategy: "push", options: { status: "active" } }),
    ]);
    assert.equal(again.id, queued.id);
    assert.equal(queued.dryRun, false);
    assert.equal(queued.connectionId, connectionId);
    assert.equal(
      await prisma.syncRun.count({ where: { connectionId, dryRun: false, state: { not: "cancelled" } } }),
      1,
    );
    const stage = await storeStage(deps, store);
    if (stage.stage === "set_up_products") assert.equal(stage.activeRun?.id ?? stage.lastRun?.id, queued.id);

    const run = await finished(store, queued.id);
    assert.equal(run.state, "succeeded", JSON.stringify(run.errors));
    assert.equal(run.progress, 1);
    assert.equal(run.done, run.total);
    assert.equal(run.total, preview.rows.length);
    assert.equal(run.failed, 0);
    assert.equal(run.results?.listingsMatched, preview.counts.match + preview.counts.create_in_store);

    assert.deepEqual(await storeStage(deps, store), { stage: "ready", connectionId });
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    assert.equal(connection.setupStrategy, "push");
    assert.equal(
      await prisma.listing.count({ where: { connectionId, matchStatus: "matched" } }),
      run.results?.listingsMatched,
    );
    const activity = await prisma.activityEvent.findMany({ where: { connectionId, type: "setup_finished" } });
    assert.equal(activity.length, 1);
    assert.equal(activity[0]?.severity, "info");

    const dashboard = await storeDashboard(deps, store);
    assert.equal(dashboard.setup.strategy, "push");
    assert.equal(dashboard.setup.lastRunId, run.id);
    assert.equal(dashboard.counts.synced + dashboard.counts.waiting, run.results?.listingsMatched);
    assert.ok(!dashboard.problems.some((p) => p.code === "setup_errors"));
  });

  it("pulls: the products Prokip lacks come as an import file, for this store only", async () => {
    const { store, connectionId } = await connectedShop();
    world.shopifyStore.emulator.control.createProduct({
      shop: store.storeDomain,
      title: "Hand-made Basket",
      variants: [{ sku: "BASKET-1", price: "1500", stock: 4 }],
    });

    const queued = await startStoreSetup(deps, store, { strategy: "pull" });
    const run = await finished(store, queued.id);
    assert.equal(run.state, "succeeded", JSON.stringify(run.errors));
    assert.equal(run.counts?.missing_in_prokip, 1);

    const file = await missingInProkipFile(deps, store, run.id);
    assert.match(
      file.filename,
      /^products-missing-in-prokip-merchant-[a-z0-9-]+-myshopify-com-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    assert.match(file.csv, /BASKET-1/);
    assert.match(file.csv, /Hand-made Basket/);
    assert.equal((await storeStage(deps, store)).stage, "ready");
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } })).setupStrategy, "pull");

    // Another store cannot read this store's runs, by any id.
    const other = await connectedShop();
    await assert.rejects(storeSetupRun(deps, other.store, run.id), failsWith("not_found"));
    await assert.rejects(missingInProkipFile(deps, other.store, run.id), failsWith("not_found"));
    await assert.rejects(storeSetupRun(deps, other.store, "not-a-run"), failsWith("not_found"));
    await assert.rejects(
      storeSetupRun(deps, { platform: "shopify", storeDomain: "never-seen.myshopify.com" }, run.id),
      failsWith("not_found"),
    );
  });

  it("refuses a request that is not a setup, and a setup for a store that is not connected", async () => {
    const { store } = await connectedShop();
    const before = await prisma.syncRun.count();
    await assert.rejects(startStoreSetup(deps, store, { strategy: "sideways" as "push" }), failsWith("invalid_input"));
    await assert.rejects(
      startStoreSetup(deps, store, { strategy: "pull", options: { status: "active" } }),
      failsWith("invalid_input"),
    );
    await assert.rejects(
      startStoreSetup(deps, store, { strategy: "push", connectionId: "00000000-0000-0000-0000-000000000000" } as never),
      failsWith("invalid_input"),
    );
    await assert.rejects(
      previewStoreSetup(deps, store, { strategy: "push", options: { priceAdjustmentPercent: -100 } }),
      failsWith("invalid_input"),
    );
    await assert.rejects(
      startStoreSetup(deps, world.newShop().store, { strategy: "push" }),
      failsWith("store_not_connected"),
    );
    assert.equal(await prisma.syncRun.count(), before);
  });

  it("fails a run its worker left running, rather than create products twice", async () => {
    const { store, connectionId } = await connectedShop();
    const { businessId } = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    const run = await prisma.syncRun.create({
      data: { businessId, connectionId, kind: "push", state: "running", startedAt: new Date() },
    });
    const result = await runSetupJob(workers, { connectionId, runId: run.id });
    assert.equal(result?.state, "failed");
    assert.match(result?.errors.at(-1)?.message ?? "", /interrupted/);
    const stage = await storeStage(deps, store);
    assert.equal(stage.stage, "set_up_products");
    assert.equal(stage.stage === "set_up_products" ? stage.lastRun?.id : null, run.id);
    // A run of another store is not this job's to touch.
    const other = await connectedShop();
    assert.equal(await runSetupJob(workers, { connectionId: other.connectionId, runId: run.id }), null);
  });
});

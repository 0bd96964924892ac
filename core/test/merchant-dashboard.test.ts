/**
 * The dashboard's store card and its actions, on a real PostgreSQL: counts and problems asserted
 * against rows made for them, Prokip refusing a business's saved sign-in (the emulated Prokip
 * over HTTP) and signing in again, and pause / resume / sync now / retry orders asserted on the
 * connection, its activity, its orders and the jobs they ask the real queue (pg-boss) for.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { PgBoss } from "pg-boss";
import { ChannelError } from "../src/channels/index.ts";
import { posForBusiness, sealProkipCredentials } from "../src/connections/index.ts";
import { normalizeSku, SyncError, type ErrorCode } from "../src/domain/index.ts";
import { merchantJobRequests, startQueue } from "../src/jobs/index.ts";
import {
  pauseStore,
  resumeStore,
  retryOrders,
  signInToProkip,
  storeDashboard,
  syncStoreNow,
} from "../src/merchant/index.ts";
import type { MerchantDeps, StoreRef } from "../src/merchant/types.ts";
import { createShop, type Shop } from "./support/fixtures.ts";
import { merchantWorld } from "./support/merchant.ts";

const world = await merchantWorld();
const { prisma, pool, demo } = world;
let boss: PgBoss;
let deps: MerchantDeps;

before(async () => {
  // The queue only: jobs asked for stay in pgboss.job, where the tests read them.
  boss = await startQueue(world.database.url, world.log);
  deps = world.deps({ jobs: merchantJobRequests({ boss, pool }) });
});
after(async () => {
  await boss?.stop({ graceful: false, timeout: 2_000 });
});

const failsWith = (code: ErrorCode) => (error: unknown) => error instanceof SyncError && error.code === code;

async function store(shop: Shop): Promise<StoreRef> {
  const { storeDomain } = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
  return { platform: "shopify", storeDomain };
}

let counter = 0;
/** A listing of the shop in a given state (a linked one gets its own variant). */
async function listing(
  shop: Shop,
  state: {
    linked: boolean;
    matchStatus?: "matched" | "unmatched" | "conflict" | "excluded";
    dirty?: boolean;
    failed?: boolean;
    pushedAt?: Date;
  },
) {
  counter += 1;
  const sku = `SKU-${counter}`;
  const variant = state.linked
    ? await prisma.variant.create({
        data: { businessId: shop.businessId, sku, normalizedSku: normalizeSku(sku)!, title: sku, productTitle: sku },
      })
    : null;
  await prisma.listing.create({
    data: {
      businessId: shop.businessId,
      connectionId: shop.connectionId,
      variantId: variant?.id ?? null,
      externalProductId: `p-${counter}`,
      externalVariantId: `v-${counter}`,
      sku,
      normalizedSku: normalizeSku(sku),
      title: `Product ${counter}`,
      matchStatus: state.matchStatus ?? (state.linked ? "matched" : "unmatched"),
      dirty: state.dirty ?? false,
      dirtySince: state.dirty ? new Date() : null,
      pushFailedAt: state.failed ? new Date() : null,
      pushError: state.failed ? "Shopify refused the quantity" : null,
      lastPushedAt: state.pushedAt ?? null,
    },
  });
}

async function order(
  shop: Shop,
  postingState: "not_required" | "pending" | "posting" | "posted" | "failed" | "needs_attention",
  attempts = 0,
) {
  const row = await prisma.order.create({
    data: {
      businessId: shop.businessId,
      connectionId: shop.connectionId,
      externalId: `gid://shopify/Order/${randomUUID()}`,
      storeUpdatedAt: new Date(),
      payloadDigest: randomUUID(),
      postingState,
      postingAttempts: attempts,
      postingError: postingState === "failed" || postingState === "needs_attention" ? "Prokip refused the sell" : null,
    },
  });
  return row.id;
}

/** Jobs of `queue` asked for with this key (a connection, or an order for postings). */
async function jobs(queue: string, key: string): Promise<number> {
  const { rows } = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS "count" FROM pgboss.job WHERE "name" = $1 AND "singleton_key" = $2`,
    [queue, key],
  );
  return rows[0]!.count;
}

const activity = (connectionId: string, type: string) => prisma.activityEvent.count({ where: { connectionId, type } });

describe("the store card", () => {
  it("counts listings by product status and orders Prokip has not accepted, from the rows", async () => {
    const shop = await createShop(prisma, { mode: "prokip", platform: "shopify" });
    const pushedAt = new Date(Date.now() - 5 * 60_000);
    await prisma.connection.update({
      where: { id: shop.connectionId },
      data: { setupStrategy: "push", lastSyncAt: new Date(Date.now() - 60 * 60_000) },
    });
    await listing(shop, { linked: true, pushedAt });
    await listing(shop, { linked: true });
    await listing(shop, { linked: true, dirty: true });
    await listing(shop, { linked: true, dirty: true, failed: true });
    await listing(shop, { linked: false });
    await listing(shop, { linked: false, matchStatus: "excluded" });
    await listing(shop, { linked: false, matchStatus: "conflict" });
    await listing(shop, { linked: false, matchStatus: "conflict" });
    for (const state of ["not_required", "posted", "pending", "posting", "failed", "needs_attention"] as const)
      await order(shop, state);

    const dashboard = await storeDashboard(deps, await store(shop));
    assert.deepEqual(dashboard.counts, {
      synced: 2,
      waiting: 1,
      failed: 1,
      unlinked: 1,
      excluded: 1,
      conflicts: 2,
      ordersNotPosted: 4,
    });
    assert.equal(dashboard.status, "active");
    assert.equal(dashboard.connectionId, shop.connectionId);
    assert.deepEqual(dashboard.prokipLocation, { prokipLocationId: 1, name: "Main store" });
    // The latest of the last reconciliation and the last stock sent.
    assert.equal(dashboard.lastSyncAt?.getTime(), pushedAt.getTime());
    assert.deepEqual(dashboard.setup, { strategy: "push", lastRunId: null });
    assert.deepEqual(
      dashboard.problems.map((p) => [p.code, p.fix.kind, p.count]),
      [
        ["orders_not_posted", "retry_orders", 2],
        ["stock_not_sent", "open_products", 1],
        ["sku_conflicts", "open_products", 2],
      ],
    );
    assert.deepEqual(dashboard.problems.find((p) => p.code === "sku_conflicts")?.fix, {
      kind: "open_products",
      label: "Resolve SKU conflicts",
      filter: "conflict",
    });
    assert.equal(
      dashboard.problems.find((p) => p.code === "orders_not_posted")?.message,
      "2 orders have not been recorded in Prokip.",
    );
  });

  it("reports a failed sync, setup errors and repaired webhooks; an empty store has no problems", async () => {
    const quiet = await createShop(prisma, { platform: "shopify" });
    const empty = await storeDashboard(deps, await store(quiet));
    assert.deepEqual(empty.problems, []);
    assert.deepEqual(empty.counts, {
      synced: 0,
      waiting: 0,
      failed: 0,
      unlinked: 0,
      excluded: 0,
      conflicts: 0,
      ordersNotPosted: 0,
    });
    assert.equal(empty.lastSyncAt, null);

    const shop = await createShop(prisma, { platform: "shopify" });
    await prisma.connection.update({
      where: { id: shop.connectionId },
      data: { lastError: "Shopify answered 503 after 5 attempts" },
    });
    const run = await prisma.syncRun.create({
      data: {
        businessId: shop.businessId,
        connectionId: shop.connectionId,
        kind: "push",
        state: "succeeded",
        total: 10,
        done: 10,
        failed: 2,
      },
    });
    await prisma.activityEvent.create({
      data: {
        businessId: shop.businessId,
        connectionId: shop.connectionId,
        type: "webhooks_repaired",
        message: "registered again",
      },
    });
    // A repair from two days ago is not news any more.
    await prisma.activityEvent.create({
      data: {
        businessId: quiet.businessId,
        connectionId: quiet.connectionId,
        type: "webhooks_repaired",
        message: "old",
        createdAt: new Date(Date.now() - 48 * 3_600_000),
      },
    });

    const dashboard = await storeDashboard(deps, await store(shop));
    assert.deepEqual(
      dashboard.problems.map((p) => [p.code, p.fix.kind]),
      [
        ["store_unreachable", "sync_now"],
        ["setup_errors", "open_activity"],
        ["webhooks_repaired", "none"],
      ],
    );
    assert.equal(dashboard.problems[0]?.message, "The last sync did not finish: Shopify answered 503 after 5 attempts");
    assert.equal(dashboard.problems[1]?.message, "Product setup could not set up 2 products.");
    assert.equal(dashboard.setup.lastRunId, run.id);
    assert.deepEqual((await storeDashboard(deps, await store(quiet))).problems, []);

    // A setup that stopped says why.
    await prisma.syncRun.create({
      data: {
        businessId: shop.businessId,
        connectionId: shop.connectionId,
        kind: "pull",
        state: "failed",
        errors: [{ sku: null, product: null, message: "Prokip is not reachable" }],
      },
    });
    assert.equal(
      (await storeDashboard(deps, await store(shop))).problems.find((p) => p.code === "setup_errors")?.message,
      "Product setup stopped: Prokip is not reachable",
    );
  });

  it("asks the merchant to sign in to Prokip again once Prokip refuses the saved sign-in, until they do", async () => {
    const shop = await createShop(prisma, { mode: "prokip", platform: "shopify" });
    // Tokens Prokip never issued (or has revoked), for the emulated Prokip's demo business.
    await prisma.business.update({
      where: { id: shop.businessId },
      data: {
        prokipBaseUrl: world.prokip.url,
        prokipBusinessId: demo.businessId,
        prokipCredentials: sealProkipCredentials(
          demo.username,
          { accessToken: "revoked", refreshToken: "revoked", expiresAt: null },
          world.encryptionKey,
        ),
      },
    });
    await prisma.connection.update({
      where: { id: shop.connectionId },
      data: { lastError: "Prokip no longer accepts the saved sign-in" },
    });
    const environment = { client: deps.prokip.client, encryptionKey: world.encryptionKey, log: world.log };
    const pos = await posForBusiness(prisma, shop.businessId, environment);
    await assert.rejects(
      pos.listLocations(),
      (error) => error instanceof ChannelError && error.code === "unauthorized",
    );
    assert.ok((await prisma.business.findUniqueOrThrow({ where: { id: shop.businessId } })).prokipSignedOutAt);

    const signedOut = await storeDashboard(deps, await store(shop));
    // The refused sign-in explains the failed sync: one problem, with its fix.
    assert.deepEqual(
      signedOut.problems.map((p) => [p.code, p.fix]),
      [["prokip_signed_out", { kind: "reconnect_prokip", label: "Sign in to Prokip again" }]],
    );

    // The fix: signing in again from the store's screens replaces the refused sign-in.
    await signInToProkip(deps, await store(shop), { username: demo.username, password: demo.password });
    assert.equal((await prisma.business.findUniqueOrThrow({ where: { id: shop.businessId } })).prokipSignedOutAt, null);
    assert.equal((await (await posForBusiness(prisma, shop.businessId, environment)).listLocations()).length, 2);
    assert.ok(!(await storeDashboard(deps, await store(shop))).problems.some((p) => p.code === "prokip_signed_out"));
  });

  it("answers store_not_connected for a store without a live connection", async () => {
    await assert.rejects(
      storeDashboard(deps, { platform: "shopify", storeDomain: "never-connected.myshopify.com" }),
      failsWith("store_not_connected"),
    );
    const shop = await createShop(prisma, { platform: "shopify" });
    await prisma.connection.update({ where: { id: shop.connectionId }, data: { status: "disconnected" } });
    await assert.rejects(storeDashboard(deps, await store(shop)), failsWith("store_not_connected"));
    await assert.rejects(pauseStore(deps, await store(shop)), failsWith("store_not_connected"));
    await assert.rejects(storeDashboard(deps, { platform: "shopify", storeDomain: "" }), failsWith("invalid_input"));
  });
});

describe("the store card's actions", () => {
  it("pauses and resumes: status and activity change, resuming asks for a reconciliation and the waiting stock", async () => {
    const shop = await createShop(prisma, { platform: "shopify" });
    await listing(shop, { linked: true, dirty: true });
    const ref = await store(shop);

    const paused = await pauseStore(deps, ref);
    assert.equal(paused.status, "paused");
    assert.equal(paused.counts.waiting, 1);
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } })).status, "paused");
    assert.equal(await activity(shop.connectionId, "connection_paused"), 1);
    // Asking twice is fine and changes nothing more.
    assert.equal((await pauseStore(deps, ref)).status, "paused");
    assert.equal(await activity(shop.connectionId, "connection_paused"), 1);

    const resumed = await resumeStore(deps, ref);
    assert.equal(resumed.status, "active");
    assert.equal(await activity(shop.connectionId, "connection_resumed"), 1);
    assert.equal(await jobs("reconcile", shop.connectionId), 1);
    assert.equal(await jobs("drain", shop.connectionId), 1);
  });

  it("syncs now: a reconciliation is asked for and the request is in the activity", async () => {
    const shop = await createShop(prisma, { platform: "shopify" });
    const dashboard = await syncStoreNow(deps, await store(shop));
    assert.equal(dashboard.status, "active");
    assert.equal(await jobs("reconcile", shop.connectionId), 1);
    assert.equal(await activity(shop.connectionId, "sync_requested"), 1);
  });

  it("retries orders Prokip did not accept: back to pending with fresh attempts, each asked to be posted again", async () => {
    const shop = await createShop(prisma, { mode: "prokip", platform: "shopify" });
    const failed = await order(shop, "failed", 3);
    const stuck = await order(shop, "needs_attention", 8);
    const waiting = await order(shop, "pending");
    const posted = await order(shop, "posted");
    const ref = await store(shop);
    assert.ok((await storeDashboard(deps, ref)).problems.some((p) => p.code === "orders_not_posted"));

    const dashboard = await retryOrders(deps, ref);
    const rows = new Map(
      (await prisma.order.findMany({ where: { connectionId: shop.connectionId } })).map((o) => [o.id, o]),
    );
    for (const id of [failed, stuck]) {
      assert.equal(rows.get(id)?.postingState, "pending");
      assert.equal(rows.get(id)?.postingAttempts, 0);
      assert.equal(rows.get(id)?.postingError, null);
    }
    assert.equal(rows.get(posted)?.postingState, "posted");
    for (const id of [failed, stuck, waiting]) assert.equal(await jobs("posting", id), 1);
    assert.equal(await jobs("posting", posted), 0);
    assert.equal(dashboard.counts.ordersNotPosted, 3);
    assert.ok(!dashboard.problems.some((p) => p.code === "orders_not_posted"));
    assert.equal(await activity(shop.connectionId, "orders_retried"), 1);
  });
});

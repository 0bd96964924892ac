/**
 * The dashboard (/app once set up): a store connected and set up with "Use my Prokip products"
 * through core's merchant functions and setup worker; then the home loader's card and the
 * actions pause, resume, sync now, retry orders and disconnect, asserted on statuses, payloads,
 * rows and the jobs asked of the host's queue.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startStoreSetup, type Dashboard } from "@prokip-sync/core";
import {
  CBD,
  database,
  deps,
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
  store,
  TEST_SHOP,
  connectTestStore,
} from "./support/screens.ts";

const home = await import("../app/routes/app._index.tsx");
const { prisma } = database;

let connectionId = "";
before(async () => {
  connectionId = await connectTestStore();
  await startStoreSetup(deps, store, { strategy: "push", options: { status: "active" } });
  await runRequestedSetups();
  jobRequests.length = 0;
});
after(stopAll);

async function dashboard(): Promise<Dashboard> {
  const { data, response } = await load(home.loader, "/app");
  assert.equal(response, null);
  return (data as { dashboard: Dashboard }).dashboard;
}

describe("Dashboard", () => {
  it("refuses requests without a session token and with a wrongly signed one, changing nothing", async () => {
    for (const [handler, method] of [
      [home.loader, "GET"],
      [home.action, "POST"],
    ] as const) {
      const { none, wrong, wrongFetch } = await refusals(handler, "/app", method, { intent: "pause" });
      assert.equal(none.response?.status, 302);
      assert.equal(none.response?.headers.get("location"), "/auth/login");
      if (method === "GET") assert.match(wrong.response?.headers.get("location") ?? "", /^\/auth\/session-token\?/u);
      assert.equal(wrongFetch.response?.status, 401);
    }
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } })).status, "active");
  });

  it("the store card: active, Prokip location, counts of the set-up products, nothing needing attention", async () => {
    const card = await dashboard();
    assert.equal(card.connectionId, connectionId);
    assert.equal(card.storeDomain, TEST_SHOP);
    assert.equal(card.status, "active");
    assert.deepEqual(card.prokipLocation, { prokipLocationId: CBD.id, name: CBD.name });
    assert.equal(card.setup.strategy, "push");
    const linked = SHOPIFY_DEMO_SKUS.length + PROKIP_ONLY_SKUS.length;
    assert.equal(card.counts.synced + card.counts.waiting + card.counts.failed, linked);
    assert.equal(card.counts.failed, 0);
    assert.equal(card.counts.unlinked, 1); // the store's own product Prokip lacks
    assert.equal(card.counts.conflicts, 0);
    assert.equal(card.counts.ordersNotPosted, 0);
    assert.deepEqual(card.problems, []);
    assert.equal(await prisma.listing.count({ where: { connectionId, variantId: { not: null } } }), linked);
  });

  it("an unknown intent is refused (400) and changes nothing", async () => {
    const { response } = await post(home.action, "/app", { intent: "explode" });
    assert.equal(response?.status, 400);
    const body = await json<{ error: { code: string; details: { path: string }[] } }>(response);
    assert.equal(body.error.code, "invalid_input");
    assert.deepEqual(
      body.error.details.map((d) => d.path),
      ["intent"],
    );
    assert.deepEqual(jobRequests, []);
  });

  it("pause stops sending to the store: the connection is paused, and the card says so", async () => {
    const { data } = await post(home.action, "/app", { intent: "pause" });
    assert.deepEqual(data, { ok: true, message: "Sync paused" });
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } })).status, "paused");
    assert.equal((await dashboard()).status, "paused");
  });

  it("resume makes it active again and asks for a reconciliation and a drain", async () => {
    const { data } = await post(home.action, "/app", { intent: "resume" });
    assert.deepEqual(data, { ok: true, message: "Sync resumed" });
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } })).status, "active");
    assert.deepEqual(jobRequests.splice(0), [
      { kind: "reconcile", connectionId },
      { kind: "drain", connectionId },
    ]);
  });

  it("sync now asks for a reconciliation and notes it in the activity", async () => {
    const { data } = await post(home.action, "/app", { intent: "sync_now" });
    assert.deepEqual(data, { ok: true, message: "Sync started" });
    assert.deepEqual(jobRequests.splice(0), [{ kind: "reconcile", connectionId }]);
    assert.equal(await prisma.activityEvent.count({ where: { connectionId, type: "sync_requested" } }), 1);
  });

  it("retry orders asks for the store's postings to Prokip", async () => {
    const { data } = await post(home.action, "/app", { intent: "retry_orders" });
    assert.deepEqual(data, { ok: true, message: "Orders not yet in Prokip are being sent again" });
    assert.deepEqual(jobRequests.splice(0), [{ kind: "postings", connectionId }]);
  });

  it("disconnect stops sync and erases the store's credentials, keeps its products and history; the app goes back to Connect Prokip", async () => {
    const listings = await prisma.listing.count({ where: { connectionId } });
    const { data } = await post(home.action, "/app", { intent: "disconnect" });
    assert.deepEqual(data, { ok: true, message: "Store disconnected. Orders, stock history and activity are kept." });
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
    assert.equal(connection.status, "disconnected");
    assert.equal(connection.credentials, null);
    assert.equal(await prisma.listing.count({ where: { connectionId } }), listings);
    assert.ok((await prisma.activityEvent.count({ where: { connectionId } })) > 0);
    assert.equal(redirectPath((await load(home.loader, "/app")).response), "/app/connect");
    // A second disconnect (another tab) finds no connected store.
    const again = await post(home.action, "/app", { intent: "disconnect" });
    assert.equal(again.response?.status, 409);
    assert.equal((await json<{ error: { code: string } }>(again.response)).error.code, "store_not_connected");
  });
});

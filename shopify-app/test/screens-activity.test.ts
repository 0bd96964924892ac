/**
 * Activity (/app/activity) written by the real producers: a store set up with "Use my store's
 * products", two orders placed in the emulated shop whose notifications Shopify (the emulator)
 * delivers over HTTP to the app's own webhook route, into core's inbox; the inbox run and the
 * Prokip postings by core's workers: one posted (Prokip's invoice number), one Prokip refuses
 * (its stock ran out there before the store heard: needs attention after core's retries,
 * retryable from the screen). Then the loader's entries, links, filters
 * and pages, and the retry action.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { excludeProduct, includeProduct, listProducts, startStoreSetup, type ActivityPage } from "@prokip-sync/core";
import { runInbox, runPosting } from "../../core/src/jobs/index.ts";
import {
  CBD,
  database,
  deps,
  jobRequests,
  json,
  load,
  post,
  prokip,
  refusals,
  runRequestedSetups,
  shop,
  stopAll,
  store,
  TEST_SHOP,
  workers,
  connectTestStore,
} from "./support/screens.ts";

const activity = await import("../app/routes/app.activity.tsx");
const { prisma } = database;

let connectionId = "";
let businessId = "";
const orders = { posted: { id: "", number: "" }, refused: { id: "", number: "" } };

before(async () => {
  connectionId = await connectTestStore();
  await startStoreSetup(deps, store, { strategy: "pull" });
  await runRequestedSetups();
  ({ businessId } = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } }));

  // A Prokip business that refuses to oversell sells its last Linen Shirts elsewhere before the
  // store hears of it.
  prokip.emulator.control.updateBusiness({ businessId: prokip.demo.businessId, allowOverselling: false });
  const linen = prokip.demo.products.find((product) => product.sku === "shirt2")!.variations[0]!;
  prokip.emulator.control.setStock({ variationId: linen.variationId, locationId: CBD.id, quantity: 0 });

  // Two paid orders in the shop: one Prokip records, one it refuses (no stock left there).
  const shirtOrder = shop.control.placeOrder({ shop: TEST_SHOP, lines: [{ sku: "shirt1", quantity: 2 }], paid: true });
  const linenOrder = shop.control.placeOrder({ shop: TEST_SHOP, lines: [{ sku: "shirt2", quantity: 1 }], paid: true });
  await shop.control.waitForDeliveries();
  const created = shop.control.listDeliveries({ shop: TEST_SHOP, topic: "orders/create" });
  assert.equal(created.length, 2);
  assert.ok(
    created.every((delivery) => delivery.status === "delivered"),
    JSON.stringify(created.map((d) => d.status)),
  );
  // The app stored them in core's inbox and asked the host's queue for an inbox run.
  assert.ok(jobRequests.some((job) => job.kind === "inbox" && job.connectionId === connectionId));
  const worker = await workers();
  await runInbox(worker, connectionId);
  const byNumber = async (name: string) => prisma.order.findFirstOrThrow({ where: { connectionId, number: name } });
  const posted = await byNumber(shirtOrder.name);
  const refused = await byNumber(linenOrder.name);
  await runPosting(worker, { businessId, orderId: posted.id });
  // Each posting is one attempt (the queue would space them out); core gives up after its last.
  for (
    let attempt = 0;
    attempt < 10 &&
    (await prisma.order.findUniqueOrThrow({ where: { id: refused.id } })).postingState !== "needs_attention";
    attempt++
  ) {
    await runPosting(worker, { businessId, orderId: refused.id });
  }
  assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: posted.id } })).postingState, "posted");
  assert.equal((await prisma.order.findUniqueOrThrow({ where: { id: refused.id } })).postingState, "needs_attention");
  orders.posted = { id: posted.id, number: shirtOrder.name };
  orders.refused = { id: refused.id, number: linenOrder.name };
  jobRequests.length = 0;
});
after(stopAll);

async function page(query = ""): Promise<ActivityPage> {
  const { data, response } = await load(activity.loader, `/app/activity${query}`);
  assert.equal(response, null, `loader answered ${response?.status}`);
  return (data as { page: ActivityPage }).page;
}

describe("Activity", () => {
  it("refuses requests without a session token and with a wrongly signed one", async () => {
    for (const [handler, method] of [
      [activity.loader, "GET"],
      [activity.action, "POST"],
    ] as const) {
      const { none, wrongFetch } = await refusals(handler, "/app/activity", method, { intent: "retry_orders" });
      assert.equal(none.response?.status, 302);
      assert.equal(none.response?.headers.get("location"), "/auth/login");
      assert.equal(wrongFetch.response?.status, 401);
    }
    assert.deepEqual(jobRequests, []);
  });

  it("the timeline, newest first: orders received and posted with Prokip's invoice number, the refused one with a retry, setup and connection", async () => {
    const { entries } = await page();
    const times = entries.map((e) => new Date(e.at).getTime());
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const types = new Set(entries.map((e) => e.type));
    for (const type of ["order_received", "order_posted", "order_not_posted", "setup", "connection"] as const)
      assert.ok(types.has(type), `no ${type} entry`);

    const posted = entries.find((e) => e.type === "order_posted")!;
    assert.equal(posted.order?.orderId, orders.posted.id);
    assert.equal(posted.order?.number, orders.posted.number);
    assert.match(posted.order?.prokipInvoiceNo ?? "", /\S/u);
    assert.match(posted.order?.storeAdminUrl ?? "", /^https:\/\/admin\.shopify\.com\/store\/test-shop\/orders\/\d+$/u);
    assert.equal(posted.retry, null);

    const refused = entries.find((e) => e.type === "order_not_posted")!;
    assert.equal(refused.severity, "error");
    assert.equal(refused.order?.orderId, orders.refused.id);
    assert.deepEqual(refused.retry, { kind: "order_posting", orderId: orders.refused.id });
  });

  it("filters by type and by product SKU; an unknown type is refused (400)", async () => {
    const postedOnly = await page("?type=order_posted");
    assert.ok(postedOnly.entries.length > 0);
    assert.ok(postedOnly.entries.every((e) => e.type === "order_posted"));
    const linen = await page("?sku=shirt2");
    assert.ok(linen.entries.length > 0);
    assert.ok(linen.entries.every((e) => e.order?.orderId !== orders.posted.id));
    assert.ok(linen.entries.some((e) => e.order?.orderId === orders.refused.id));
    const unknown = await load(activity.loader, "/app/activity?type=everything");
    assert.equal(unknown.response?.status, 400);
    assert.deepEqual(
      (await json<{ error: { details: { path: string }[] } }>(unknown.response)).error.details.map((d) => d.path),
      ["type"],
    );
  });

  it("older entries a page at a time: the cursor's page continues where the first stopped", async () => {
    // Product corrections are activity too: enough of them for a second page of 30.
    const [cap] = (await listProducts(deps, store, { search: "cap-base" })).rows;
    for (let i = 0; i < 16; i++) {
      await excludeProduct(deps, store, cap!.listingId);
      await includeProduct(deps, store, cap!.listingId);
    }
    const first = await page();
    assert.equal(first.entries.length, 30);
    assert.ok(first.nextCursor);
    const second = await page(`?after=${encodeURIComponent(first.nextCursor)}`);
    assert.ok(second.entries.length > 0);
    const firstIds = new Set(first.entries.map((e) => e.id));
    assert.ok(second.entries.every((e) => !firstIds.has(e.id)));
    assert.ok(new Date(second.entries[0]!.at).getTime() <= new Date(first.entries.at(-1)!.at).getTime());
  });

  it("retry sends the store's orders Prokip has not accepted again: back to pending, postings asked for", async () => {
    jobRequests.length = 0; // the product corrections above asked for drains
    const { data } = await post(activity.action, "/app/activity", {
      intent: "retry_orders",
      orderId: orders.refused.id,
    });
    assert.deepEqual(data, { ok: true, message: "Orders not yet in Prokip are being sent again" });
    assert.deepEqual(jobRequests.splice(0), [{ kind: "postings", connectionId }]);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orders.refused.id } });
    assert.equal(order.postingState, "pending");
    const unknownIntent = await post(activity.action, "/app/activity", { intent: "retry_everything" });
    assert.equal(unknownIntent.response?.status, 400);
  });
});

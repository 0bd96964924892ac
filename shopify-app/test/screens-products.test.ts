/**
 * Products (/app/products): a store set up with "Use my store's products" (so some of its
 * products are not in Prokip) plus a few more store-only products, enough for two pages. The
 * loader's search, status filter, counts and cursors; the actions unlink, exclude, include and
 * link (by the product's Prokip SKU), asserted on rows, on the Listing table and on the jobs asked for.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startStoreSetup, type ProductPage, type ProductRow } from "@prokip-sync/core";
import {
  database,
  deps,
  jobRequests,
  json,
  load,
  post,
  refusals,
  runRequestedSetups,
  shop,
  SHOPIFY_DEMO_SKUS,
  stopAll,
  store,
  STORE_ONLY,
  TEST_SHOP,
  connectTestStore,
} from "./support/screens.ts";

const products = await import("../app/routes/app.products.tsx");
const { prisma } = database;

/** Store-only products beyond STORE_ONLY: the store then has more than one page (25) of products. */
const EXTRA = ["Woven Mat", "Clay Pot", "Beaded Bracelet", "Kikoi Wrap"].map((title, i) => ({
  title,
  sku: `extra-${i + 1}`,
}));
const TOTAL = SHOPIFY_DEMO_SKUS.length + 1 + EXTRA.length;

let connectionId = "";
before(async () => {
  for (const extra of EXTRA)
    shop.control.createProduct({
      shop: TEST_SHOP,
      title: extra.title,
      variants: [{ sku: extra.sku, price: "500.00", stock: 3 }],
    });
  connectionId = await connectTestStore();
  await startStoreSetup(deps, store, { strategy: "pull" });
  await runRequestedSetups();
  jobRequests.length = 0;
});
after(stopAll);

async function list(query = ""): Promise<ProductPage> {
  const { data, response } = await load(products.loader, `/app/products${query}`);
  assert.equal(response, null, `loader answered ${response?.status}`);
  return (data as { page: ProductPage }).page;
}

async function row(sku: string): Promise<ProductRow> {
  const page = await list(`?q=${encodeURIComponent(sku)}`);
  const found = page.rows.find((r) => r.sku === sku);
  assert.ok(found, `no row for ${sku}`);
  return found;
}

describe("Products", () => {
  it("refuses requests without a session token and with a wrongly signed one, changing nothing", async () => {
    for (const [handler, method] of [
      [products.loader, "GET"],
      [products.action, "POST"],
    ] as const) {
      const { none, wrongFetch } = await refusals(handler, "/app/products", method, {
        intent: "exclude",
        listingId: "00000000-0000-4000-8000-000000000000",
      });
      assert.equal(none.response?.status, 302);
      assert.equal(none.response?.headers.get("location"), "/auth/login");
      assert.equal(wrongFetch.response?.status, 401);
    }
    assert.equal(await prisma.listing.count({ where: { connectionId, matchStatus: "excluded" } }), 0);
  });

  it("the first page: 25 products in title order, counts per status over the store, a cursor to the next page", async () => {
    const page = await list();
    assert.equal(page.total, TOTAL);
    assert.equal(page.rows.length, 25);
    const titles = page.rows.map((r) => r.title);
    assert.deepEqual(
      titles,
      [...titles].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    assert.equal(page.counts.unlinked, 1 + EXTRA.length);
    assert.equal(page.counts.synced + page.counts.waiting, SHOPIFY_DEMO_SKUS.length);
    assert.equal(page.counts.conflict + page.counts.excluded + page.counts.failed, 0);
    assert.equal(page.previousCursor, null);
    assert.ok(page.nextCursor);

    const next = await list(`?after=${encodeURIComponent(page.nextCursor)}`);
    assert.equal(next.rows.length, TOTAL - 25);
    assert.equal(next.nextCursor, null);
    assert.ok(next.previousCursor);
    assert.deepEqual(new Set([...page.rows, ...next.rows].map((r) => r.listingId)).size, TOTAL);
    const back = await list(`?before=${encodeURIComponent(next.previousCursor)}`);
    assert.deepEqual(
      back.rows.map((r) => r.listingId),
      page.rows.map((r) => r.listingId),
    );
  });

  it("search (SKU or title) and the status filter narrow the rows; the tab counts stay the store's", async () => {
    const shirts = await list("?q=shirt");
    assert.deepEqual(shirts.rows.map((r) => r.sku).sort(), ["shirt1", "shirt2"]);
    assert.equal(shirts.total, 2);
    assert.equal(shirts.counts.unlinked, 1 + EXTRA.length);
    const unlinked = await list("?status=unlinked");
    assert.deepEqual(unlinked.rows.map((r) => r.sku).sort(), [STORE_ONLY.sku, ...EXTRA.map((e) => e.sku)].sort());
    assert.ok(unlinked.rows.every((r) => r.status === "unlinked" && r.linkedTo === null && r.prokipQuantity === null));
    const shirt = (await list("?q=Classic%20Shirt")).rows[0]!;
    assert.equal(shirt.linkedTo?.sku, "shirt1");
    assert.equal(shirt.prokipQuantity, 100);
    assert.match(shirt.storeAdminUrl ?? "", /^https:\/\/admin\.shopify\.com\/store\/test-shop\/products\/\d+$/u);
  });

  it("an unknown status or a made-up cursor is refused (400)", async () => {
    const status = await load(products.loader, "/app/products?status=lost");
    assert.equal(status.response?.status, 400);
    assert.deepEqual(
      (await json<{ error: { details: { path: string }[] } }>(status.response)).error.details.map((d) => d.path),
      ["status"],
    );
    const cursor = await load(products.loader, "/app/products?after=not-a-cursor");
    assert.equal(cursor.response?.status, 400);
    assert.equal((await json<{ error: { code: string } }>(cursor.response)).error.code, "invalid_input");
  });

  it("unlink, exclude and include change the row and the listing", async () => {
    const shirt = await row("shirt2");
    const unlinked = await post(products.action, "/app/products", { intent: "unlink", listingId: shirt.listingId });
    assert.deepEqual(unlinked.data, { ok: true, message: "Product unlinked" });
    assert.equal((await row("shirt2")).status, "unlinked");
    assert.equal((await prisma.listing.findUniqueOrThrow({ where: { id: shirt.listingId } })).variantId, null);

    const excluded = await post(products.action, "/app/products", { intent: "exclude", listingId: shirt.listingId });
    assert.deepEqual(excluded.data, { ok: true, message: "Product excluded from sync" });
    assert.equal((await row("shirt2")).status, "excluded");
    assert.equal((await list("?status=excluded")).total, 1);
    assert.equal((await prisma.listing.findUniqueOrThrow({ where: { id: shirt.listingId } })).matchStatus, "excluded");

    const included = await post(products.action, "/app/products", { intent: "include", listingId: shirt.listingId });
    assert.deepEqual(included.data, { ok: true, message: "Product included in sync" });
    assert.equal((await row("shirt2")).status, "unlinked");
  });

  it("link: an unlinked product is linked again by its Prokip SKU; an unknown SKU, or another product's, is refused on its field", async () => {
    // Linen Shirt was unlinked (and excluded, then included) above.
    const linen = await row("shirt2");
    assert.equal(linen.status, "unlinked");
    jobRequests.length = 0;

    const unknown = await post(products.action, "/app/products", {
      intent: "link",
      listingId: linen.listingId,
      prokipSku: "NO-SUCH-SKU",
    });
    assert.equal(unknown.response?.status, 400);
    const refusal = await json<{ error: { message: string; details: { path: string }[] } }>(unknown.response);
    assert.equal(refusal.error.message, 'No product in Prokip has the SKU "NO-SUCH-SKU"');
    assert.deepEqual(
      refusal.error.details.map((d) => d.path),
      ["prokipSku"],
    );

    // Store sales are matched by SKU: a product is only linked to the Prokip product with its own SKU.
    const basket = await row(STORE_ONLY.sku);
    const other = await post(products.action, "/app/products", {
      intent: "link",
      listingId: basket.listingId,
      prokipSku: "shirt1",
    });
    assert.equal(other.response?.status, 400);
    const otherRefusal = await json<{ error: { message: string; details: { path: string }[] } }>(other.response);
    assert.match(otherRefusal.error.message, /set the SKU of "Handmade Basket" in the store to "shirt1"/u);
    assert.deepEqual(
      otherRefusal.error.details.map((d) => d.path),
      ["prokipSku"],
    );
    assert.equal((await prisma.listing.findUniqueOrThrow({ where: { id: basket.listingId } })).variantId, null);
    assert.deepEqual(jobRequests, []);

    // SKUs are compared as everywhere: case and spaces do not matter.
    const linked = await post(products.action, "/app/products", {
      intent: "link",
      listingId: linen.listingId,
      prokipSku: " SHIRT2 ",
    });
    assert.deepEqual(linked.data, { ok: true, message: "Linked to Prokip product shirt2" });
    const after = await row("shirt2");
    assert.equal(after.linkedTo?.sku, "shirt2");
    assert.ok(after.status === "waiting" || after.status === "synced", after.status);
    assert.equal(after.prokipQuantity, 35);
    assert.deepEqual(jobRequests.splice(0), [{ kind: "drain", connectionId }]);
  });

  it("an action on a product that is not this store's, or without one, is refused", async () => {
    const missing = await post(products.action, "/app/products", {
      intent: "exclude",
      listingId: "00000000-0000-4000-8000-000000000000",
    });
    assert.equal(missing.response?.status, 404);
    assert.equal((await json<{ error: { code: string } }>(missing.response)).error.code, "not_found");
    const blank = await post(products.action, "/app/products", { intent: "link", listingId: "", prokipSku: "" });
    assert.equal(blank.response?.status, 400);
    assert.deepEqual(
      (await json<{ error: { details: { path: string }[] } }>(blank.response)).error.details.map((d) => d.path).sort(),
      ["listingId", "prokipSku"],
    );
  });
});

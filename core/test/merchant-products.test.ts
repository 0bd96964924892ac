/**
 * The Products screen's functions on a real database: status of each listing, search, filters,
 * pages both ways with counts, and the merchant's link / unlink / exclude / include, each
 * refused (with nothing changed) when it names something that is not this store's.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import { shopify as shopifyAdapter } from "../src/channels/index.ts";
import { isSyncError, normalizeSku, SyncError, type ErrorCode } from "../src/domain/index.ts";
import { applyMovements } from "../src/ledger/index.ts";
import { createLogger } from "../src/log/index.ts";
import { excludeProduct, includeProduct, linkProduct, listProducts, unlinkProduct } from "../src/merchant/products.ts";
import type { StoreRef } from "../src/merchant/types.ts";
import { withTransaction } from "../src/store/index.ts";
import { drainConnection } from "../src/sync/index.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, createShop, createVariant, type Shop } from "./support/fixtures.ts";
import { merchantDeps } from "./support/merchant-deps.ts";

const db = await testDatabase();
const { prisma, pool } = db;
const deps = merchantDeps(db);

async function storeOf(shop: Shop): Promise<StoreRef> {
  const connection = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
  return { platform: connection.platform, storeDomain: connection.storeDomain };
}

let counter = 0;
/** A store product without a Prokip link (or in conflict, or excluded). */
async function storeListing(
  shop: Shop,
  title: string,
  sku: string | null,
  matchStatus: "unmatched" | "conflict" | "excluded" = "unmatched",
  connectionId = shop.connectionId,
) {
  const listing = await prisma.listing.create({
    data: {
      businessId: shop.businessId,
      connectionId,
      externalProductId: `gid://shopify/Product/${9000 + ++counter}`,
      externalVariantId: `gid://shopify/ProductVariant/${counter}`,
      sku,
      normalizedSku: normalizeSku(sku),
      title,
      matchStatus,
    },
  });
  return listing.id;
}

async function listingOf(shop: Shop, variantId: string, connectionId = shop.connectionId) {
  return prisma.listing.findFirstOrThrow({ where: { businessId: shop.businessId, connectionId, variantId } });
}

async function refusal(action: Promise<unknown>, code: ErrorCode): Promise<{ message: string; details: unknown }> {
  const error = await action.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e,
  );
  assert.ok(isSyncError(error), `a SyncError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return { message: error.message, details: error.details };
}

const activityOf = (shop: Shop) =>
  prisma.activityEvent.findMany({ where: { businessId: shop.businessId }, orderBy: { id: "asc" } });

describe("listProducts", () => {
  it("shows each listing with its status, Prokip and sent quantities, link and store admin address", async () => {
    const shop = await createShop(prisma, { buffer: 2 });
    await prisma.connection.update({
      where: { id: shop.connectionId },
      data: { storeDomain: `prokip-demo-${randomUUID().slice(0, 8)}.myshopify.com` },
    });
    const store = await storeOf(shop);
    const synced = await createVariant(db, shop, "TEE-S", 10);
    await prisma.listing.updateMany({
      where: { variantId: synced },
      data: { lastPushedQuantity: 8, storeQuantity: 8, externalProductId: "gid://shopify/Product/4242" },
    });
    const waiting = await createVariant(db, shop, "TEE-M", 5);
    await prisma.listing.updateMany({
      where: { variantId: waiting },
      data: { dirty: true, dirtySince: new Date(), lastPushedQuantity: 1 },
    });
    const failed = await createVariant(db, shop, "TEE-L", 3);
    await prisma.listing.updateMany({
      where: { variantId: failed },
      data: { dirty: true, dirtySince: new Date(), pushFailedAt: new Date(), pushError: "refused" },
    });
    await storeListing(shop, "Mug", "MUG-1");
    await storeListing(shop, "Poster", null, "conflict");
    await storeListing(shop, "Cap (red)", "CAP", "conflict");
    await storeListing(shop, "Cap (blue)", "cap", "conflict");
    await storeListing(shop, "Gift card", "GIFT", "excluded");

    const page = await listProducts(deps, store, {});
    assert.deepEqual(
      page.rows.map((row) => [row.title, row.status]),
      [
        ["Cap (blue)", "conflict"],
        ["Cap (red)", "conflict"],
        ["Gift card", "excluded"],
        ["Mug", "unlinked"],
        ["Poster", "conflict"],
        ["TEE-L", "failed"],
        ["TEE-M", "waiting"],
        ["TEE-S", "synced"],
      ],
    );
    assert.deepEqual(page.counts, { synced: 1, waiting: 1, failed: 1, unlinked: 1, conflict: 3, excluded: 1 });
    assert.equal(page.total, 8);
    assert.equal(page.nextCursor, null);
    assert.equal(page.previousCursor, null);

    const tee = page.rows.find((row) => row.sku === "TEE-S")!;
    assert.deepEqual(tee, {
      listingId: (await listingOf(shop, synced)).id,
      sku: "TEE-S",
      title: "TEE-S",
      status: "synced",
      prokipQuantity: 10, // available at the location, before the buffer
      sentQuantity: 8, // what the store was told: 10 - buffer 2
      storeQuantity: 8,
      linkedTo: { variantId: synced, sku: "TEE-S", name: "Product TEE-S - TEE-S" },
      conflictReason: null,
      storeAdminUrl: `https://admin.shopify.com/store/${store.storeDomain.replace(".myshopify.com", "")}/products/4242`,
    });
    const mug = page.rows.find((row) => row.title === "Mug")!;
    assert.equal(mug.prokipQuantity, null);
    assert.equal(mug.linkedTo, null);
    assert.match(page.rows.find((row) => row.title === "Poster")!.conflictReason!, /no SKU/u);
    assert.match(
      page.rows.find((row) => row.title === "Cap (red)")!.conflictReason!,
      /2 products in your store use the SKU "CAP"/u,
    );
  });

  it("links a WooCommerce product to its edit page in wp-admin", async () => {
    const shop = await createShop(prisma, { platform: "woocommerce" });
    await prisma.connection.update({
      where: { id: shop.connectionId },
      data: { storeDomain: `https://woo-${randomUUID().slice(0, 8)}.example/` },
    });
    await createVariant(db, shop, "HAT", 4);
    await prisma.listing.updateMany({ where: { connectionId: shop.connectionId }, data: { externalProductId: "57" } });
    const store = await storeOf(shop);
    const [row] = (await listProducts(deps, store, {})).rows;
    assert.equal(row!.storeAdminUrl, `${store.storeDomain.replace(/\/$/u, "")}/wp-admin/post.php?post=57&action=edit`);
  });

  it("searches SKU (the store's or the linked Prokip one) and title without case, and filters by status", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    for (const sku of ["Denim-S", "DENIM-M", "shirt-s"]) await createVariant(db, shop, sku, 3);
    await prisma.listing.updateMany({
      where: { sku: "DENIM-M", connectionId: shop.connectionId },
      data: { title: "Jacket M", sku: "JKT-M" },
    });
    await storeListing(shop, "Denim bag", "BAG");
    await storeListing(shop, "100% cotton tee", "TEE");
    await storeListing(shop, "100 cotton tee", "TEE2");

    const denim = await listProducts(deps, store, { search: "denim" });
    assert.deepEqual(denim.rows.map((row) => row.title).sort(), ["Denim bag", "Denim-S", "Jacket M"]); // Jacket M: by its Prokip SKU
    assert.equal(denim.total, 3);
    assert.deepEqual(
      denim.counts,
      { synced: 3, waiting: 0, failed: 0, unlinked: 3, conflict: 0, excluded: 0 },
      "counts are the whole store's",
    );

    const linkedDenim = await listProducts(deps, store, { search: "  DENIM ", status: "synced" });
    assert.deepEqual(linkedDenim.rows.map((row) => row.title).sort(), ["Denim-S", "Jacket M"]);
    assert.equal(linkedDenim.total, 2);

    const percent = await listProducts(deps, store, { search: "100%" });
    assert.deepEqual(
      percent.rows.map((row) => row.title),
      ["100% cotton tee"],
      "% is a character, not a wildcard",
    );

    const unlinked = await listProducts(deps, store, { status: "unlinked" });
    assert.equal(unlinked.total, 3);
    assert.ok(unlinked.rows.every((row) => row.status === "unlinked"));
  });

  it("pages forwards and backwards with opaque cursors, the same rows either way", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    // 60 products, titles in a known order.
    await pool.query(
      `INSERT INTO "Listing" ("businessId", "connectionId", "externalProductId", "externalVariantId", "sku", "normalizedSku", "title", "matchStatus", "dirty", "updatedAt")
       SELECT $1, $2, 'p' || n, 'v' || n, 'SKU-' || n, 'sku-' || n, 'Product ' || lpad(n::text, 3, '0'), 'unmatched', false, now()
       FROM generate_series(1, 60) AS n`,
      [shop.businessId, shop.connectionId],
    );
    const titles = Array.from({ length: 60 }, (_, i) => `Product ${String(i + 1).padStart(3, "0")}`);

    const first = await listProducts(deps, store, { pageSize: 25 });
    assert.deepEqual(
      first.rows.map((row) => row.title),
      titles.slice(0, 25),
    );
    assert.equal(first.previousCursor, null);
    assert.ok(first.nextCursor);
    assert.equal(first.total, 60);
    assert.equal(first.counts.unlinked, 60);

    const second = await listProducts(deps, store, { pageSize: 25, after: first.nextCursor });
    assert.deepEqual(
      second.rows.map((row) => row.title),
      titles.slice(25, 50),
    );
    assert.ok(second.previousCursor && second.nextCursor);

    const third = await listProducts(deps, store, { pageSize: 25, after: second.nextCursor! });
    assert.deepEqual(
      third.rows.map((row) => row.title),
      titles.slice(50),
    );
    assert.equal(third.nextCursor, null);
    assert.ok(third.previousCursor);

    const back = await listProducts(deps, store, { pageSize: 25, before: third.previousCursor! });
    assert.deepEqual(
      back.rows.map((row) => row.title),
      titles.slice(25, 50),
    );
    assert.ok(back.nextCursor && back.previousCursor);
    const start = await listProducts(deps, store, { pageSize: 25, before: back.previousCursor! });
    assert.deepEqual(
      start.rows.map((row) => row.title),
      titles.slice(0, 25),
    );
    assert.equal(start.previousCursor, null, "nothing before the first page");
    assert.deepEqual((await listProducts(deps, store, { pageSize: 25, after: start.nextCursor! })).rows, second.rows);

    // A filter pages over its own rows; the counts stay the store's.
    const excludedTitles = titles.filter((_, i) => i % 3 === 0);
    await pool.query(
      `UPDATE "Listing" SET "matchStatus" = 'excluded' WHERE "connectionId" = $1 AND "title" = ANY($2)`,
      [shop.connectionId, excludedTitles],
    );
    const excluded1 = await listProducts(deps, store, { status: "excluded", pageSize: 15 });
    const excluded2 = await listProducts(deps, store, {
      status: "excluded",
      pageSize: 15,
      after: excluded1.nextCursor!,
    });
    assert.deepEqual(
      [...excluded1.rows, ...excluded2.rows].map((row) => row.title),
      excludedTitles,
    );
    assert.equal(excluded2.nextCursor, null);
    assert.equal(excluded2.total, 20);
    assert.deepEqual(excluded2.counts, { synced: 0, waiting: 0, failed: 0, unlinked: 40, conflict: 0, excluded: 20 });
  });

  it("refuses a query it does not take, a cursor it did not make, and a store that is not connected", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    await refusal(listProducts(deps, store, { pageSize: 0 }), "invalid_input");
    await refusal(listProducts(deps, store, { pageSize: 101 }), "invalid_input");
    await refusal(listProducts(deps, store, { status: "lost" as never }), "invalid_input");
    await refusal(listProducts(deps, store, { after: "x", before: "y" }), "invalid_input");
    const { details } = await refusal(listProducts(deps, store, { after: "not-a-cursor" }), "invalid_input");
    assert.deepEqual(details, [{ path: "after", message: "is not a cursor of this list" }]);
    await refusal(
      listProducts(deps, { platform: "shopify", storeDomain: "nobody.myshopify.com" }, {}),
      "store_not_connected",
    );
    await refusal(
      listProducts(deps, { platform: "woocommerce", storeDomain: store.storeDomain }, {}),
      "store_not_connected",
    );
    await prisma.connection.update({ where: { id: shop.connectionId }, data: { status: "disconnected" } });
    await refusal(listProducts(deps, store, {}), "store_not_connected");
  });

  it("stays fast on 10,000 listings: pages by index, counts in one pass", async (t) => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    await pool.query(
      `WITH v AS (
         INSERT INTO "Variant" ("businessId", "sku", "normalizedSku", "title", "productTitle", "updatedAt")
         SELECT $1, 'P-' || n, 'p-' || n, 'Default', 'Product ' || n, now() FROM generate_series(1, 10000) AS n
         RETURNING "id", "sku"
       ), s AS (
         INSERT INTO "StockLevel" ("businessId", "locationId", "variantId", "available", "updatedAt") SELECT $1, $3, "id", 7, now() FROM v
       )
       INSERT INTO "Listing" ("businessId", "connectionId", "variantId", "externalProductId", "externalVariantId", "sku", "normalizedSku", "title", "matchStatus", "dirty", "updatedAt")
       SELECT $1, $2, v."id", 'gid://shopify/Product/' || substr(v."sku", 3), 'v-' || v."sku", v."sku", lower(v."sku"), 'Product ' || substr(v."sku", 3), 'matched', substr(v."sku", 3)::int % 10 = 0, now() FROM v`,
      [shop.businessId, shop.connectionId, shop.locationId],
    );
    await pool.query(`ANALYZE "Listing"`);
    const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await work();
      const ms = performance.now() - started;
      t.diagnostic(`${label}: ${ms.toFixed(1)} ms`);
      // Alone on this machine each takes 10-90 ms; the bound only catches a plan gone wrong on a busy CI box.
      assert.ok(ms < 2_000, `${label} took ${ms.toFixed(0)} ms`);
      return result;
    };
    await listProducts(deps, store, {}); // first call plans the statements
    let page = await timed("first page", () => listProducts(deps, store, { pageSize: 100 }));
    assert.deepEqual(page.counts, { synced: 9000, waiting: 1000, failed: 0, unlinked: 0, conflict: 0, excluded: 0 });
    for (let i = 0; i < 50; i++) page = await listProducts(deps, store, { pageSize: 100, after: page.nextCursor! });
    page = await timed("page 52", () => listProducts(deps, store, { pageSize: 100, after: page.nextCursor! }));
    assert.equal(page.rows.length, 100);
    await timed("page 51, backwards", () => listProducts(deps, store, { pageSize: 100, before: page.previousCursor! }));
    await timed("search", () => listProducts(deps, store, { search: "product 99" }));
    await timed("status filter", () => listProducts(deps, store, { status: "waiting" }));

    const plan = await pool.query<{ "QUERY PLAN": string }>(
      `EXPLAIN SELECT l."id" FROM "Listing" l WHERE l."businessId" = $1 AND l."connectionId" = $2 AND (l."title", l."id") > ($3::text, $4::uuid) ORDER BY l."title", l."id" LIMIT 26`,
      [shop.businessId, shop.connectionId, "Product 5", randomUUID()],
    );
    assert.match(plan.rows.map((row) => row["QUERY PLAN"]).join("\n"), /Listing_businessId_connectionId_title_id_idx/u);
  });
});

describe("linkProduct", () => {
  it("links a store product to the Prokip product with that SKU, marks it for sending and says so", async () => {
    const shop = await createShop(prisma, { buffer: 1 });
    const store = await storeOf(shop);
    const variantId = await createVariant(db, shop, "MUG-1", 6);
    await prisma.listing.deleteMany({ where: { variantId } }); // Prokip has it, the store's copy is not linked
    const listingId = await storeListing(shop, "Mug", "mug-1");
    deps.jobs.requested.length = 0;

    const row = await linkProduct(deps, store, { listingId, prokipSku: "  MUG-1 " });
    assert.equal(row.status, "waiting");
    assert.deepEqual(row.linkedTo, { variantId, sku: "MUG-1", name: "Product MUG-1 - MUG-1" });
    assert.equal(row.prokipQuantity, 6);
    const listing = await prisma.listing.findUniqueOrThrow({ where: { id: listingId } });
    assert.equal(listing.variantId, variantId);
    assert.equal(listing.matchStatus, "matched");
    assert.equal(listing.dirty, true);
    assert.ok(listing.dirtySince);
    assert.deepEqual(deps.jobs.requested, [{ job: "drain", connectionId: shop.connectionId }]);
    const [event] = (await activityOf(shop)).filter((e) => e.type === "product_linked");
    assert.equal(event!.connectionId, shop.connectionId);
    assert.equal(event!.variantId, variantId);
    assert.equal(event!.severity, "info");
    assert.deepEqual(event!.data, { listingId, sku: "mug-1", prokipSku: "MUG-1" });

    // Asked again: already so, nothing new.
    await linkProduct(deps, store, { listingId, prokipSku: "mug-1" });
    assert.equal((await activityOf(shop)).filter((e) => e.type === "product_linked").length, 1);
  });

  it("refuses a link between different SKUs (sales are matched by SKU), changing nothing", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    const variantId = await createVariant(db, shop, "CUP-9", 2);
    await prisma.listing.deleteMany({ where: { variantId } });
    const listingId = await storeListing(shop, "Cup", null, "conflict");
    const before = await prisma.listing.findUniqueOrThrow({ where: { id: listingId } });
    await assert.rejects(linkProduct(deps, store, { listingId, prokipSku: "cup-9" }), (error: unknown) => {
      assert.ok(error instanceof SyncError);
      assert.equal(error.code, "invalid_input");
      assert.match(error.message, /set the SKU of "Cup" in the store to "CUP-9" \(it is blank\)/u);
      assert.deepEqual(error.details, [{ path: "prokipSku", message: "the store product's SKU differs" }]);
      return true;
    });
    assert.deepEqual(await prisma.listing.findUniqueOrThrow({ where: { id: listingId } }), before);
    assert.equal((await activityOf(shop)).filter((e) => e.type === "product_linked").length, 0);
  });

  it("refuses an unknown SKU, a Prokip product linked to another listing, a linked listing and another store's listing, changing nothing", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    const otherStore = await addConnection(prisma, shop, { platform: "woocommerce" });
    const taken = await createVariant(db, shop, "TAKEN", 3); // linked on both stores
    const free = await createVariant(db, shop, "FREE", 3);
    await prisma.listing.deleteMany({ where: { variantId: free } });
    const listingId = await storeListing(shop, "Loose", "LOOSE");
    const foreign = await storeListing(shop, "Elsewhere", "FREE", "unmatched", otherStore);
    const twin = await storeListing(shop, "Twin", "TAKEN", "conflict"); // shares the linked product's SKU
    const before = await prisma.listing.findMany({ where: { businessId: shop.businessId }, orderBy: { id: "asc" } });
    const events = (await activityOf(shop)).length;

    const unknown = await refusal(linkProduct(deps, store, { listingId, prokipSku: "NOPE" }), "invalid_input");
    assert.match(unknown.message, /No product in Prokip has the SKU "NOPE"/u);
    assert.deepEqual(unknown.details, [{ path: "prokipSku", message: "no Prokip product has this SKU" }]);
    const already = await refusal(linkProduct(deps, store, { listingId: twin, prokipSku: "taken" }), "invalid_input");
    const otherSku = await refusal(linkProduct(deps, store, { listingId, prokipSku: "FREE" }), "invalid_input");
    assert.match(otherSku.message, /Sales are matched by SKU/u);
    assert.match(already.message, /already linked to "TAKEN"/u);
    const linked = (await listingOf(shop, taken)).id;
    await refusal(linkProduct(deps, store, { listingId: linked, prokipSku: "FREE" }), "invalid_input");
    await refusal(linkProduct(deps, store, { listingId: foreign, prokipSku: "FREE" }), "not_found");
    await refusal(linkProduct(deps, store, { listingId: randomUUID(), prokipSku: "FREE" }), "not_found");
    await refusal(linkProduct(deps, store, { listingId: "42", prokipSku: "FREE" }), "invalid_input");
    await refusal(linkProduct(deps, store, { listingId, prokipSku: "   " }), "invalid_input");

    assert.deepEqual(
      await prisma.listing.findMany({ where: { businessId: shop.businessId }, orderBy: { id: "asc" } }),
      before,
    );
    assert.equal((await activityOf(shop)).length, events);
  });
});

describe("unlink, exclude, include", () => {
  it("unlinks: no Prokip product, nothing waiting; asking again changes nothing", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    const variantId = await createVariant(db, shop, "SOCK", 4);
    const listing = await listingOf(shop, variantId);
    await prisma.listing.update({
      where: { id: listing.id },
      data: { dirty: true, dirtySince: new Date(), pushFailedAt: new Date(), pushError: "x" },
    });

    const row = await unlinkProduct(deps, store, listing.id);
    assert.equal(row.status, "unlinked");
    assert.equal(row.linkedTo, null);
    assert.equal(row.prokipQuantity, null);
    const stored = await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } });
    assert.deepEqual(
      [stored.variantId, stored.matchStatus, stored.dirty, stored.pushFailedAt],
      [null, "unmatched", false, null],
    );
    await unlinkProduct(deps, store, listing.id);
    const events = (await activityOf(shop)).filter((e) => e.type === "product_unlinked");
    assert.equal(events.length, 1);
    assert.equal(events[0]!.variantId, variantId);
  });

  it("excludes: sync leaves it alone (a stock change does not mark it); include brings it back and sends its figure", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    const variantId = await createVariant(db, shop, "BELT", 4);
    const listing = await listingOf(shop, variantId);
    deps.jobs.requested.length = 0;

    assert.equal((await excludeProduct(deps, store, listing.id)).status, "excluded");
    await withTransaction(pool, (sql) =>
      applyMovements(sql, [
        {
          businessId: shop.businessId,
          locationId: shop.locationId,
          variantId,
          delta: -1,
          reason: "adjustment",
          idempotencyKey: `adj:${randomUUID()}`,
          postingState: "not_required",
        },
      ]),
    );
    assert.equal(
      (await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } })).dirty,
      false,
      "the ledger does not mark an excluded listing",
    );
    assert.equal(deps.jobs.requested.length, 0);

    const row = await includeProduct(deps, store, listing.id);
    assert.equal(row.status, "waiting");
    assert.equal(row.prokipQuantity, 3);
    assert.equal((await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } })).matchStatus, "matched");
    assert.deepEqual(deps.jobs.requested, [{ job: "drain", connectionId: shop.connectionId }]);

    // An unlinked product excluded and included again is unlinked; nothing to send.
    const loose = await storeListing(shop, "Loose", "LOOSE");
    await excludeProduct(deps, store, loose);
    assert.equal((await includeProduct(deps, store, loose)).status, "unlinked");
    assert.deepEqual(
      (await activityOf(shop)).filter((e) => e.type.startsWith("product_")).map((e) => e.type),
      ["product_excluded", "product_included", "product_excluded", "product_included"],
    );
  });

  it("refuses another store's listing and a paused store gets no drain", async () => {
    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    const other = await createShop(prisma);
    const foreign = await storeListing(other, "Theirs", "THEIRS");
    await refusal(excludeProduct(deps, store, foreign), "not_found");
    await refusal(unlinkProduct(deps, store, foreign), "not_found");
    await refusal(includeProduct(deps, store, foreign), "not_found");
    assert.equal((await prisma.listing.findUniqueOrThrow({ where: { id: foreign } })).matchStatus, "unmatched");

    const variantId = await createVariant(db, shop, "PAUSED", 2);
    await prisma.connection.update({ where: { id: shop.connectionId }, data: { status: "paused" } });
    const listing = await listingOf(shop, variantId);
    await excludeProduct(deps, store, listing.id);
    deps.jobs.requested.length = 0;
    assert.equal((await includeProduct(deps, store, listing.id)).status, "waiting");
    assert.deepEqual(deps.jobs.requested, [], "a paused store's listings wait for resume");
  });
});

describe("failed", () => {
  it("a write the store refuses shows as failed until a write succeeds", async () => {
    const emulator = await shopifyEmulator.startShopifyEmulator({ port: 0 });
    after(() => emulator.close());
    const demo = emulator.emulator.control.seedDemo();
    const log = createLogger({ level: "silent" });
    const channel = shopifyAdapter.createShopifyChannel({
      shop: demo.shop,
      accessToken: demo.accessToken,
      log,
      fetch: shopifyAdapter.routeShopifyFetch(emulator.url),
    });
    const [item] = (await channel.listVariants()[Symbol.asyncIterator]().next()).value ?? [];
    assert.ok(item?.sku, "the demo shop has products with SKUs");

    const shop = await createShop(prisma);
    const store = await storeOf(shop);
    const variantId = await createVariant(db, shop, item.sku, 9);
    const listing = await listingOf(shop, variantId);
    await prisma.listing.update({
      where: { id: listing.id },
      data: {
        externalProductId: item.externalProductId,
        externalVariantId: item.externalVariantId,
        externalInventoryItemId: null,
        storeQuantity: item.quantity,
        lastPushedQuantity: item.quantity,
        dirty: true,
        dirtySince: new Date(),
      },
    });

    const refused = await drainConnection(
      pool,
      { id: shop.connectionId, businessId: shop.businessId },
      channel,
      { reference: `test-${randomUUID()}` },
      log,
    );
    assert.equal(refused.failed, 1);
    let [row] = (await listProducts(deps, store, { status: "failed" })).rows;
    assert.equal(row?.listingId, listing.id);
    const marked = await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } });
    assert.ok(marked.pushFailedAt);
    assert.match(marked.pushError!, /inventory item/u);
    assert.equal(marked.dirty, true, "left to be tried again");

    await prisma.listing.update({
      where: { id: listing.id },
      data: { externalInventoryItemId: item.externalInventoryItemId },
    });
    const written = await drainConnection(
      pool,
      { id: shop.connectionId, businessId: shop.businessId },
      channel,
      { reference: `test-${randomUUID()}` },
      log,
    );
    assert.equal(written.written, 1);
    [row] = (await listProducts(deps, store, {})).rows;
    assert.equal(row!.status, "synced");
    assert.equal(row!.sentQuantity, 9);
    const cleared = await prisma.listing.findUniqueOrThrow({ where: { id: listing.id } });
    assert.deepEqual([cleared.pushFailedAt, cleared.pushError, cleared.dirty], [null, null, false]);
  });
});

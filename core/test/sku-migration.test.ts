/**
 * The migration that stops folding SKUs with compatibility mappings (NFKC): rows stored under the
 * old rule are normalised again as `normalizeSku` does now, and a look-alike link is undone.
 * The migration's SQL runs again here over rows written the old way (it is idempotent).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { normalizeSku } from "../src/domain/index.ts";
import { testDatabase } from "./support/database.ts";
import { createShop, createVariant } from "./support/fixtures.ts";

const db = await testDatabase();
const { prisma, pool } = db;
const migration = await readFile(
  new URL("../../prisma/migrations/20261208040000_sku_without_compatibility_folding/migration.sql", import.meta.url),
  "utf8",
);

/** What the old rule stored: NFKC, then trimmed, collapsed and lower-cased. */
const oldNormalize = (raw: string) => raw.normalize("NFKC").trim().replace(/\s+/gu, " ").toLowerCase();

describe("the migration to SKUs without compatibility folding", () => {
  it("normalises full-width and ligature SKUs again as normalizeSku does, and leaves plain ones alone", async () => {
    const shop = await createShop(prisma);
    const raws = ["ＳＨＩＲＴ１", " ﬁsh  ２ ", "Plain-SKU 1"];
    for (const sku of raws)
      await prisma.variant.create({
        data: { businessId: shop.businessId, sku, normalizedSku: oldNormalize(sku), title: sku, productTitle: sku },
      });
    await pool.query(migration);
    const rows = await prisma.variant.findMany({ where: { businessId: shop.businessId }, orderBy: { sku: "asc" } });
    assert.deepEqual(
      rows.map((r) => [r.sku, r.normalizedSku]),
      [...raws].sort().map((sku) => [sku, normalizeSku(sku)]),
    );
    assert.deepEqual(rows.map((r) => r.normalizedSku).sort(), ["plain-sku 1", "ﬁsh ２", "ｓｈｉｒｔ１"]);
  });

  it("unlinks a store's full-width SKU from the Prokip SKU it only looks like, and keeps true matches", async () => {
    const shop = await createShop(prisma);
    const shirt = await createVariant(db, shop, "shirt1", 10);
    const hat = await createVariant(db, shop, "hat1", 10);
    // Written under the old rule: the store's ｓｈｉｒｔ１ was folded to shirt1 and linked to it.
    const lookAlike = await prisma.listing.findFirstOrThrow({ where: { variantId: shirt } });
    await prisma.listing.update({
      where: { id: lookAlike.id },
      data: { sku: "ｓｈｉｒｔ１", normalizedSku: "shirt1" },
    });
    await pool.query(migration);
    const after = await prisma.listing.findUniqueOrThrow({ where: { id: lookAlike.id } });
    assert.equal(after.normalizedSku, "ｓｈｉｒｔ１");
    assert.equal(after.variantId, null);
    assert.equal(after.matchStatus, "unmatched");
    const kept = await prisma.listing.findFirstOrThrow({ where: { variantId: hat } });
    assert.equal(kept.matchStatus, "matched");
    assert.equal(kept.normalizedSku, "hat1");
  });
});

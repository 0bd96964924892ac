/** Pure domain rules: SKU normalisation and matching, store targets, availability arithmetic. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  centralAvailable,
  fellToLowStock,
  isReadingAmbiguous,
  matchBySku,
  normalizeSku,
  prokipAvailable,
  storeTarget,
} from "../src/domain/index.ts";

describe("normalizeSku", () => {
  const cases: [string | null | undefined, string | null][] = [
    ["SHIRT-1", "shirt-1"],
    ["  shirt-1  ", "shirt-1"],
    ["Shirt   Blue\tXL", "shirt blue xl"],
    // Full-width letters are other characters to Shopify and WooCommerce: kept (only lower-cased).
    ["ＳＨＩＲＴ１", "ｓｈｉｒｔ１"],
    ["ｓｈｉｒｔ１", "ｓｈｉｒｔ１"],
    ["ﬁsh-1", "ﬁsh-1"], // a ligature is not folded to "fish-1"
    ["shirt²", "shirt²"], // nor a superscript to "shirt2"
    // Canonical equivalents are one SKU: "é" as one code point or as "e" + combining accent.
    ["CAF\u00c9-1", "caf\u00e9-1"],
    ["CAFE\u0301-1", "caf\u00e9-1"],
    ["  shirt\u00a0\u3000blue  ", "shirt blue"], // no-break and ideographic spaces are whitespace
    ["", null],
    ["   ", null],
    [null, null],
    [undefined, null],
  ];
  for (const [raw, expected] of cases)
    it(`${JSON.stringify(raw)} -> ${JSON.stringify(expected)}`, () => assert.equal(normalizeSku(raw), expected));
});

describe("matchBySku", () => {
  const prokip = (sku: string | null, id: number) => ({ sku, item: { id } });
  const store = (sku: string | null, id: string) => ({ sku, item: { id } });

  it("matches across case and whitespace differences", () => {
    const result = matchBySku([prokip("Shirt-1", 1)], [store(" shirt-1 ", "a")]);
    assert.deepEqual(result.matched, [{ sku: "shirt-1", prokip: { id: 1 }, store: { id: "a" } }]);
    assert.deepEqual(result.conflicts, []);
  });

  it("lists one-sided SKUs as Prokip-only and store-only", () => {
    const result = matchBySku([prokip("A", 1), prokip("B", 2)], [store("b", "x"), store("C", "y")]);
    assert.deepEqual(result.prokipOnly, [{ sku: "a", prokip: { id: 1 } }]);
    assert.deepEqual(result.storeOnly, [{ sku: "c", store: { id: "y" } }]);
    assert.equal(result.matched.length, 1);
  });

  it("never guesses between duplicates on either side", () => {
    const result = matchBySku(
      [prokip("DUP", 1), prokip("dup ", 2), prokip("ONE", 3)],
      [store("dup", "x"), store("one", "y"), store(" ONE", "z")],
    );
    assert.deepEqual(result.matched, []);
    assert.deepEqual(
      result.conflicts.map((c) => [c.reason, c.sku, c.prokip.length, c.store.length]),
      [
        ["duplicate_in_prokip", "dup", 2, 1],
        ["duplicate_in_store", "one", 1, 2],
      ],
    );
  });

  it("does not match a full-width SKU with its ASCII look-alike: both are listed, one on each side", () => {
    const result = matchBySku([prokip("shirt1", 1)], [store("ｓｈｉｒｔ１", "x")]);
    assert.deepEqual(result.matched, []);
    assert.deepEqual(result.prokipOnly, [{ sku: "shirt1", prokip: { id: 1 } }]);
    assert.deepEqual(result.storeOnly, [{ sku: "ｓｈｉｒｔ１", store: { id: "x" } }]);
  });

  it("matches a SKU written with a combining accent to the same SKU precomposed", () => {
    const result = matchBySku([prokip("CAF\u00c9", 1)], [store("cafe\u0301", "x")]);
    assert.deepEqual(result.matched, [{ sku: "caf\u00e9", prokip: { id: 1 }, store: { id: "x" } }]);
  });

  it("reports blanks on either side as one conflict", () => {
    const result = matchBySku([prokip("", 1), prokip(null, 2)], [store("  ", "x")]);
    assert.deepEqual(result.conflicts, [
      { reason: "blank_sku", sku: null, prokip: [{ id: 1 }, { id: 2 }], store: [{ id: "x" }] },
    ]);
  });
});

describe("stock arithmetic", () => {
  it("low stock alerts on the crossing only: above the level before, at or below it after", () => {
    assert.equal(fellToLowStock(5, 3, 3), true);
    assert.equal(fellToLowStock(5, 0, 3), true);
    assert.equal(fellToLowStock(4, 4, 3), false);
    assert.equal(fellToLowStock(3, 2, 3), false, "already low: reported when it fell");
    assert.equal(fellToLowStock(null, 1, 3), false, "a first write (setup) is no crossing");
    assert.equal(fellToLowStock(5, 1, null), false, "no alert level set");
    assert.equal(fellToLowStock(1, 0, 0), true);
  });

  it("clamps a store target to zero and holds the buffer back", () => {
    assert.equal(storeTarget(10, 2), 8);
    assert.equal(storeTarget(1, 2), 0);
    assert.equal(storeTarget(-3, 0), 0);
    assert.equal(storeTarget(5, -1), 5);
  });

  it("sums movements in central mode", () =>
    assert.equal(centralAvailable([{ delta: 10 }, { delta: -3 }, { delta: 1 }]), 8));

  const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const sale = (state: "pending" | "posting" | "posted", started: number | null, posted: number | null) => ({
    delta: -2,
    postingState: state,
    postingStartedAt: started === null ? null : T(started),
    postedAt: posted === null ? null : T(posted),
  });

  it("adds a sale Prokip has not confirmed before the read to the reading", () => {
    assert.equal(prokipAvailable(100, T(10), [sale("pending", null, null)]), 98);
    assert.equal(prokipAvailable(100, T(10), [sale("posted", 11, 12)]), 98);
    assert.equal(prokipAvailable(98, T(10), [sale("posted", 5, 6)]), 98);
  });

  it("calls a reading ambiguous only when a posting overlaps it", () => {
    const read = { startedAt: T(10), finishedAt: T(20) };
    assert.equal(isReadingAmbiguous(read, [sale("pending", null, null)]), false);
    assert.equal(isReadingAmbiguous(read, [sale("posted", 1, 5)]), false);
    assert.equal(isReadingAmbiguous(read, [sale("posting", 25, null)]), false);
    assert.equal(isReadingAmbiguous(read, [sale("posting", 15, null)]), true);
    assert.equal(isReadingAmbiguous(read, [sale("posted", 5, 12)]), true);
    assert.equal(isReadingAmbiguous(read, [sale("posting", 5, null)]), true);
  });
});

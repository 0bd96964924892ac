/**
 * SKU normalisation and matching. A SKU is the only thing Prokip, Shopify and WooCommerce
 * share, so matching must be exact after normalising the differences people do not see
 * (case, surrounding and repeated whitespace) and must never guess: duplicates and blanks
 * are conflicts that are shown to the merchant.
 *
 * Only canonical composition (NFC) is applied, never compatibility folding (NFKC): `é` typed
 * as one or two code points is one SKU, but `ＳＨＩＲＴ１` is not `shirt1`, as in Shopify and
 * WooCommerce (docs/decisions/0009-sku-no-compatibility-folding.md).
 */

/** Canonically composed (NFC), trimmed, case-folded, inner whitespace collapsed; `null` when nothing is left. */
export function normalizeSku(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const normalized = raw.normalize("NFC").trim().replace(/\s+/gu, " ").toLowerCase();
  return normalized === "" ? null : normalized;
}

export interface SkuItem<T> {
  sku: string | null | undefined;
  item: T;
}

export type SkuConflictReason = "blank_sku" | "duplicate_in_prokip" | "duplicate_in_store";

export interface SkuConflict<P, S> {
  reason: SkuConflictReason;
  /** The normalised SKU, null for blanks. */
  sku: string | null;
  prokip: P[];
  store: S[];
}

export interface SkuMatch<P, S> {
  matched: { sku: string; prokip: P; store: S }[];
  /** In Prokip only: a push would create these in the store. */
  prokipOnly: { sku: string; prokip: P }[];
  /** In the store only: Prokip lacks these. */
  storeOnly: { sku: string; store: S }[];
  conflicts: SkuConflict<P, S>[];
}

/** Matches Prokip items with store items by normalised SKU. Pure. */
export function matchBySku<P, S>(prokipItems: SkuItem<P>[], storeItems: SkuItem<S>[]): SkuMatch<P, S> {
  const prokipBySku = groupBySku(prokipItems);
  const storeBySku = groupBySku(storeItems);
  const result: SkuMatch<P, S> = { matched: [], prokipOnly: [], storeOnly: [], conflicts: [] };

  const blankProkip = prokipBySku.get(null) ?? [];
  const blankStore = storeBySku.get(null) ?? [];
  if (blankProkip.length > 0 || blankStore.length > 0) {
    result.conflicts.push({ reason: "blank_sku", sku: null, prokip: blankProkip, store: blankStore });
  }

  const skus = new Set<string>();
  for (const key of [...prokipBySku.keys(), ...storeBySku.keys()]) if (key !== null) skus.add(key);

  for (const sku of [...skus].sort()) {
    const prokip = prokipBySku.get(sku) ?? [];
    const store = storeBySku.get(sku) ?? [];
    if (prokip.length > 1) {
      result.conflicts.push({ reason: "duplicate_in_prokip", sku, prokip, store });
    } else if (store.length > 1) {
      result.conflicts.push({ reason: "duplicate_in_store", sku, prokip, store });
    } else if (prokip[0] !== undefined && store[0] !== undefined) {
      result.matched.push({ sku, prokip: prokip[0], store: store[0] });
    } else if (prokip[0] !== undefined) {
      result.prokipOnly.push({ sku, prokip: prokip[0] });
    } else if (store[0] !== undefined) {
      result.storeOnly.push({ sku, store: store[0] });
    }
  }
  return result;
}

function groupBySku<T>(items: SkuItem<T>[]): Map<string | null, T[]> {
  const groups = new Map<string | null, T[]>();
  for (const { sku, item } of items) {
    const key = normalizeSku(sku);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * The setup plan: Prokip's variations and the store's variants matched by SKU, and what happens
 * to each. Pure, so the preview and the run decide exactly the same thing.
 *
 * Matching never guesses (domain/sku.ts): blank and shared SKUs are conflicts. Two more cases
 * are conflicts because a push could only get them wrong: a Prokip product the store has only
 * part of (a new store product would duplicate it; the Channel cannot add variants to an
 * existing product), and a Prokip variation without a selling price.
 */
import type { PosVariation, ProductDraft, StoreVariant } from "../channels/index.ts";
import { matchBySku, normalizeSku, storeTarget, type SkuConflict, type SkuMatch } from "../domain/index.ts";
import { productDraft, type DraftLine } from "./drafts.ts";
import { conflictFix, prokipLabel, storeLabel } from "./labels.ts";
import type { PushOptions } from "./options.ts";
import { adjustedPrice } from "./prices.ts";
import { SETUP_ACTIONS, type ActionCounts, type ConflictReason, type PreviewRow, type SetupStrategy } from "./types.ts";

export interface PlanInput {
  strategy: SetupStrategy;
  /** Push only. */
  pushOptions: PushOptions | null;
  prokip: readonly PosVariation[];
  store: readonly StoreVariant[];
  /** The Prokip location the connection sells from; null if the location is not a Prokip one. */
  prokipLocationId: number | null;
  buffer: number;
  mode: "prokip" | "central";
  /** Central mode: what the ledger already holds by normalised SKU (an import never replaces it). */
  knownAvailable: ReadonlyMap<string, number>;
}

/** A store variant and what its listing becomes. */
export interface PlannedListing {
  store: StoreVariant;
  matchStatus: "matched" | "unmatched" | "conflict";
  /** The normalised SKU of the variant it is matched to. */
  variantSku: string | null;
}

/** A row handled by writing listings (none for conflicts that live only in Prokip). */
export interface LinkWork {
  row: PreviewRow;
  listings: PlannedListing[];
}

/** A product to create in the store, and its rows (in the order of the draft's variants). */
export interface CreateWork {
  draft: ProductDraft;
  rows: PreviewRow[];
}

export interface SetupPlan {
  rows: PreviewRow[];
  counts: ActionCounts;
  links: LinkWork[];
  creates: CreateWork[];
  /** Store variants Prokip lacks: the import file of a pull. */
  missingInProkip: StoreVariant[];
  /** The opening quantity of each matched or created SKU (central mode imports it once). */
  opening: Map<string, number>;
}

export function planSetup(input: PlanInput): SetupPlan {
  const match = matchBySku(
    input.prokip.map((item) => ({ sku: item.sku, item })),
    input.store.map((item) => ({ sku: item.sku, item })),
  );
  const plan: SetupPlan = {
    rows: [],
    counts: emptyCounts(),
    links: [],
    creates: [],
    missingInProkip: [],
    opening: new Map(),
  };
  const quantities = quantityRules(input);

  for (const { sku, prokip, store } of match.matched) {
    const opening = quantities.opening(sku, prokip, store);
    plan.opening.set(sku, opening);
    const row = baseRow("match", store.sku, storeLabel(store), store.quantity, quantities.atProkip(prokip));
    row.quantityToWrite = storeTarget(opening, input.buffer);
    plan.links.push({ row, listings: [{ store, matchStatus: "matched", variantSku: sku }] });
  }

  for (const { store } of match.storeOnly) {
    const row = baseRow("missing_in_prokip", store.sku, storeLabel(store), store.quantity, null);
    plan.links.push({ row, listings: [{ store, matchStatus: "unmatched", variantSku: null }] });
    plan.missingInProkip.push(store);
  }

  for (const conflict of match.conflicts) {
    // A pull is about the store's products: conflicts only Prokip has do not concern it.
    if (input.strategy === "pull" && conflict.store.length === 0) continue;
    plan.links.push(...conflictWork(conflict, input.strategy, quantities.atProkip));
  }

  if (input.strategy === "push" && input.pushOptions) planCreates(input, input.pushOptions, match, quantities, plan);

  plan.rows = [...plan.links.map((work) => work.row), ...plan.creates.flatMap((work) => work.rows)].sort(byRowOrder);
  for (const row of plan.rows) plan.counts[row.action] += 1;
  return plan;
}

function emptyCounts(): ActionCounts {
  return Object.fromEntries(SETUP_ACTIONS.map((action) => [action, 0])) as ActionCounts;
}

/**
 * Push: Prokip's products the store lacks become store products, one per Prokip product with
 * its variations in Prokip's own order (Small, Medium, Large), not the SKU order of matching.
 */
function planCreates(
  input: PlanInput,
  options: PushOptions,
  match: SkuMatch<PosVariation, StoreVariant>,
  quantities: QuantityRules,
  plan: SetupPlan,
): void {
  // Products the store already holds a variation of, matched or in conflict.
  const inStore = new Set([
    ...match.matched.map((m) => m.prokip.productId),
    ...match.conflicts.filter((c) => c.store.length > 0).flatMap((c) => c.prokip.map((p) => p.productId)),
  ]);
  const position = new Map(input.prokip.map((variation, index) => [variation, index]));
  const prokipOnly = [...match.prokipOnly].sort((a, b) => position.get(a.prokip)! - position.get(b.prokip)!);
  for (const [productId, items] of groupByProduct(prokipOnly)) {
    if (inStore.has(productId)) {
      for (const { prokip } of items) plan.links.push(prokipConflict("partly_in_store", prokip, quantities.atProkip));
      continue;
    }
    const lines: (DraftLine & { row: PreviewRow })[] = [];
    for (const { sku, prokip } of items) {
      const price = adjustedPrice(prokip.price, options.priceAdjustmentPercent);
      if (price === null) {
        plan.links.push(prokipConflict("missing_price", prokip, quantities.atProkip));
        continue;
      }
      const opening = quantities.opening(sku, prokip, null);
      plan.opening.set(sku, opening);
      const row = baseRow("create_in_store", prokip.sku, prokipLabel(prokip), null, quantities.atProkip(prokip));
      row.quantityToWrite = storeTarget(opening, input.buffer);
      row.price = price;
      lines.push({ variation: prokip, price, quantity: row.quantityToWrite, row });
    }
    if (lines.length > 0) {
      plan.creates.push({ draft: productDraft(lines, options), rows: lines.map((l) => l.row) });
    }
  }
}

interface QuantityRules {
  /** Units at the connection's Prokip location. */
  atProkip(variation: PosVariation): number | null;
  /** What the ledger will hold for the SKU once set up. */
  opening(sku: string, prokip: PosVariation, store: StoreVariant | null): number;
}

/**
 * Which quantity a SKU starts from. Prokip mode: Prokip's (it is the system of record). Central
 * mode: what the ledger already holds, else the source of the catalogue (Prokip for a push, the
 * store for a pull), imported once.
 */
function quantityRules(input: PlanInput): QuantityRules {
  const atProkip = (variation: PosVariation): number | null =>
    input.prokipLocationId === null ? null : (variation.stockByLocation.get(input.prokipLocationId) ?? 0);
  const opening = (sku: string, prokip: PosVariation, store: StoreVariant | null): number => {
    if (input.mode === "prokip") return atProkip(prokip) ?? 0;
    const known = input.knownAvailable.get(sku);
    if (known !== undefined) return known;
    return input.strategy === "push" ? (atProkip(prokip) ?? 0) : (store?.quantity ?? 0);
  };
  return { atProkip, opening };
}

function baseRow(
  action: PreviewRow["action"],
  sku: string | null,
  product: string,
  storeQuantity: number | null,
  prokipQuantity: number | null,
): PreviewRow {
  return {
    sku: sku?.trim() || null,
    product,
    storeQuantity,
    prokipQuantity,
    action,
    quantityToWrite: null,
    price: null,
  };
}

function withConflict(row: PreviewRow, reason: ConflictReason, fix: string): PreviewRow {
  return { ...row, conflictReason: reason, fix };
}

/** Blank SKUs: a row per product (they have nothing in common). Shared SKUs: one row per SKU. */
function conflictWork(
  conflict: SkuConflict<PosVariation, StoreVariant>,
  strategy: SetupStrategy,
  atProkip: (v: PosVariation) => number | null,
): LinkWork[] {
  if (conflict.reason === "blank_sku") {
    const storeRows = conflict.store.map((store) => ({
      row: withConflict(
        baseRow("conflict", null, storeLabel(store), store.quantity, null),
        "blank_sku",
        conflictFix("blank_sku", { sku: null, storeProducts: [storeLabel(store)], prokipProducts: [] }),
      ),
      listings: [{ store, matchStatus: "conflict" as const, variantSku: null }],
    }));
    if (strategy === "pull") return storeRows;
    return [...storeRows, ...conflict.prokip.map((prokip) => prokipConflict("blank_sku", prokip, atProkip))];
  }
  const storeProducts = conflict.store.map(storeLabel);
  const prokipProducts = conflict.prokip.map(prokipLabel);
  const only = <T>(items: T[]) => (items.length === 1 ? items[0]! : null);
  const store = only(conflict.store);
  const prokip = only(conflict.prokip);
  const row = baseRow(
    "conflict",
    conflict.store[0]?.sku ?? conflict.prokip[0]?.sku ?? null,
    [...new Set([...storeProducts, ...prokipProducts])].join(", "),
    store?.quantity ?? null,
    prokip ? atProkip(prokip) : null,
  );
  return [
    {
      row: withConflict(
        row,
        conflict.reason,
        conflictFix(conflict.reason, { sku: row.sku, storeProducts, prokipProducts }),
      ),
      listings: conflict.store.map((item) => ({ store: item, matchStatus: "conflict" as const, variantSku: null })),
    },
  ];
}

function prokipConflict(
  reason: ConflictReason,
  prokip: PosVariation,
  atProkip: (v: PosVariation) => number | null,
): LinkWork {
  const row = baseRow("conflict", prokip.sku, prokipLabel(prokip), null, atProkip(prokip));
  return {
    row: withConflict(
      row,
      reason,
      conflictFix(reason, { sku: row.sku, storeProducts: [], prokipProducts: [row.product] }),
    ),
    listings: [],
  };
}

function groupByProduct<T extends { prokip: PosVariation }>(items: readonly T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const group = groups.get(item.prokip.productId);
    if (group) group.push(item);
    else groups.set(item.prokip.productId, [item]);
  }
  return groups;
}

function byRowOrder(a: PreviewRow, b: PreviewRow): number {
  const skuA = normalizeSku(a.sku);
  const skuB = normalizeSku(b.sku);
  if (skuA !== skuB) return skuA === null ? 1 : skuB === null ? -1 : skuA < skuB ? -1 : 1;
  return a.product.localeCompare(b.product);
}

/**
 * Prokip posting, the pure part: what Prokip holds for an order (the record kept on
 * `Order.prokipPosting`) and the requests that bring Prokip to what the order holds in the
 * ledger. No I/O; sync/prokip-posting.ts sends the requests and keeps the record.
 *
 * - The first posting is ONE sell, invoice `SHOP-<number>` / `WOO-<number>`.
 * - The order holds less (refund with restock, edit down, cancellation after a return): a
 *   sell-return with the CUMULATIVE quantity per sell line (Prokip keeps one return per sell
 *   and sets it to what we send, so repeating a return changes nothing).
 * - The order is cancelled and no return was ever posted against the sell: the sell is deleted.
 * - The order holds more than Prokip has (an edit up): an additional sell for the difference,
 *   invoice `SHOP-<number>-2`, `-3`, ... The first sell is never edited: Prokip's sell update
 *   replaces the whole sell and its lines, which is a bigger change to get wrong than a second,
 *   small sell the merchant can read in Prokip as "added later".
 */
import { z } from "zod";
import { normalizeSku } from "./sku.ts";

// ---- What Prokip holds for an order (Order.prokipPosting) ----

const sellLineRecordSchema = z.object({
  sellLineId: z.number().int(),
  variantId: z.string(),
  variationId: z.number().int(),
  quantity: z.number(),
  /** Cumulative units returned on this line (what the sell-return says). */
  returned: z.number(),
  /** The price we sent, or null when Prokip used its own. */
  unitPrice: z.string().nullable(),
});

const sellRecordSchema = z.object({
  sellId: z.number().int(),
  invoiceNo: z.string(),
  postedAt: z.string(),
  deleted: z.boolean(),
  /** A return was sent (or may exist): Prokip refuses to delete such a sell. */
  returnPosted: z.boolean(),
  lines: z.array(sellLineRecordSchema),
});

const draftLineSchema = z.object({
  variantId: z.string(),
  productId: z.number().int(),
  variationId: z.number().int(),
  quantity: z.number().int(),
  unitPrice: z.string().nullable(),
});

const unconfirmedSellSchema = z.object({
  invoiceNo: z.string(),
  transactionDate: z.string(),
  sentAt: z.string(),
  lines: z.array(draftLineSchema),
});

export const postingRecordSchema = z.object({
  sells: z.array(sellRecordSchema).default([]),
  /** A sell sent (or about to be) whose answer we do not have. */
  unconfirmedSell: unconfirmedSellSchema.nullable().default(null),
  /** The order's `posting` movements may be partly in Prokip: they may only move on to `posted`. */
  mixed: z.boolean().default(false),
  /** A return or delete is on its way; still set at the next attempt means this process died waiting. */
  sending: z.boolean().default(false),
});

export type SellRecord = z.infer<typeof sellRecordSchema>;
export type DraftLine = z.infer<typeof draftLineSchema>;
export type UnconfirmedSell = z.infer<typeof unconfirmedSellSchema>;
export type PostingRecord = z.infer<typeof postingRecordSchema>;

// ---- The plan: from what the order holds and what Prokip has, the requests to send ----

export type PostingStep =
  | { kind: "delete"; sell: SellRecord }
  /** Cumulative returned quantity per sell line id. */
  | { kind: "return"; sell: SellRecord; returned: Map<number, number> }
  | { kind: "sell"; lines: { variantId: string; quantity: number }[] };

const liveSells = (record: PostingRecord) => record.sells.filter((sell) => !sell.deleted);

/** Units Prokip holds for the order, per variant: sold minus returned on live sells. */
export function prokipHolds(record: PostingRecord): Map<string, number> {
  const holds = new Map<string, number>();
  for (const sell of liveSells(record)) {
    for (const line of sell.lines)
      holds.set(line.variantId, (holds.get(line.variantId) ?? 0) + line.quantity - line.returned);
  }
  return holds;
}

/**
 * The requests that bring Prokip to what the order holds. Returns and deletes come first (they
 * give stock back, which a business that forbids overselling needs before a new sell).
 */
export function planPosting(
  held: ReadonlyMap<string, number>,
  record: PostingRecord,
  cancelled: boolean,
): PostingStep[] {
  const holding = (variantId: string) => Math.max(0, held.get(variantId) ?? 0);
  const prokip = prokipHolds(record);
  const holdsNothing = [...held.keys()].every((variantId) => holding(variantId) === 0);

  if (cancelled && holdsNothing) return planCancellation(record);

  const steps: PostingStep[] = [];
  const excess = new Map<string, number>();
  for (const [variantId, units] of prokip)
    if (units > holding(variantId)) excess.set(variantId, units - holding(variantId));
  steps.push(...planReturns(record, excess));

  const more = [...held.keys()]
    .map((variantId) => ({ variantId, quantity: holding(variantId) - (prokip.get(variantId) ?? 0) }))
    .filter((line) => line.quantity > 0);
  if (more.length > 0) steps.push({ kind: "sell", lines: more });
  return steps;
}

/** A cancelled order: each sell is deleted, or, if a return exists against it, fully returned. */
function planCancellation(record: PostingRecord): PostingStep[] {
  return liveSells(record).flatMap((sell): PostingStep[] => {
    if (!sell.returnPosted) return [{ kind: "delete", sell }];
    if (sell.lines.every((line) => line.returned >= line.quantity)) return [];
    return [{ kind: "return", sell, returned: new Map(sell.lines.map((line) => [line.sellLineId, line.quantity])) }];
  });
}

/** Raises the cumulative returns by `excess` units per variant, latest sell first. */
function planReturns(record: PostingRecord, excess: Map<string, number>): PostingStep[] {
  const steps: PostingStep[] = [];
  for (const sell of [...liveSells(record)].reverse()) {
    const returned = new Map(sell.lines.map((line) => [line.sellLineId, line.returned]));
    let changed = false;
    for (const line of sell.lines) {
      const wanted = excess.get(line.variantId) ?? 0;
      const take = Math.min(wanted, line.quantity - line.returned);
      if (take <= 0) continue;
      returned.set(line.sellLineId, line.returned + take);
      excess.set(line.variantId, wanted - take);
      changed = true;
    }
    if (changed) steps.push({ kind: "return", sell, returned });
  }
  return steps;
}

/** A variant as the planner needs it: its names (for messages) and its Prokip link. */
export interface PostingVariant {
  variantId: string;
  title: string | null;
  sku: string | null;
  normalizedSku: string | null;
  prokipProductId: number | null;
  prokipVariationId: number | null;
}

/** The invoice number base of an order: `SHOP-1001` for Shopify's #1001, `WOO-57` for WooCommerce's 57. */
export function invoiceBaseFor(platform: "shopify" | "woocommerce", label: string): string {
  return `${platform === "shopify" ? "SHOP" : "WOO"}-${label.replace(/^#/u, "").trim().replace(/\s+/gu, "-")}`;
}

/** The next sell's invoice number: numbered by the sells already made (deleted ones too), so a number is never reused. */
export function nextInvoiceNo(record: PostingRecord, invoiceBase: string): string {
  return record.sells.length === 0 ? invoiceBase : `${invoiceBase}-${record.sells.length + 1}`;
}

/** Why the plan cannot be sent until the merchant links a product (a sell line with no Prokip product), or null. */
export function unlinkedProduct(
  steps: readonly PostingStep[],
  variants: ReadonlyMap<string, PostingVariant>,
  orderLabel: string,
): string | null {
  for (const step of steps) {
    if (step.kind !== "sell") continue;
    for (const line of step.lines) {
      const variant = variants.get(line.variantId);
      if (variant?.prokipProductId == null || variant.prokipVariationId == null) {
        const name = variant?.title ? `"${variant.title}" (SKU ${variant.sku ?? "none"})` : `variant ${line.variantId}`;
        return `Product ${name} is not linked to a Prokip product: link it, then post order ${orderLabel} again`;
      }
    }
  }
  return null;
}

/**
 * A sell's lines: one per variant, in the order's own line order; the order line's price when it
 * has one (else Prokip's). Every variant must be linked (see unlinkedProduct).
 */
export function sellLinesFor(
  lines: readonly { variantId: string; quantity: number }[],
  variants: ReadonlyMap<string, PostingVariant>,
  orderLines: readonly { sku: string | null; unitPrice?: string }[],
): DraftLine[] {
  const position = (variantId: string) => {
    const sku = variants.get(variantId)?.normalizedSku;
    const index = orderLines.findIndex((line) => normalizeSku(line.sku) === sku);
    return index === -1 ? orderLines.length : index;
  };
  return [...lines]
    .sort((a, b) => position(a.variantId) - position(b.variantId) || a.variantId.localeCompare(b.variantId))
    .map((line) => {
      const variant = variants.get(line.variantId)!;
      const priced = orderLines.find(
        (orderLine) => normalizeSku(orderLine.sku) === variant.normalizedSku && orderLine.unitPrice !== undefined,
      );
      return {
        variantId: line.variantId,
        productId: variant.prokipProductId!,
        variationId: variant.prokipVariationId!,
        quantity: line.quantity,
        unitPrice: priced?.unitPrice ?? null,
      };
    });
}

/** Same units per variation: a sell found in Prokip is the one we sent. */
export function sameSellLines(
  found: readonly { variationId: number; quantity: number }[],
  sent: readonly { variationId: number; quantity: number }[],
): boolean {
  const units = (entries: readonly { variationId: number; quantity: number }[]) => {
    const map = new Map<number, number>();
    for (const entry of entries) map.set(entry.variationId, (map.get(entry.variationId) ?? 0) + entry.quantity);
    return map;
  };
  const a = units(found);
  const b = units(sent);
  return a.size === b.size && [...b].every(([variationId, quantity]) => a.get(variationId) === quantity);
}

/**
 * A store product from a Prokip product: its variations grouped back into one product, with the
 * option name of Prokip's variation template ("Size"), the merchant's price, image, description
 * and status choices.
 */
import type { PosVariation, ProductDraft } from "../channels/index.ts";
import type { PushOptions } from "./options.ts";

/** Used when Prokip does not say what its variations differ by. */
export const DEFAULT_OPTION_NAME = "Option";

export interface DraftLine {
  variation: PosVariation;
  price: string;
  quantity: number;
}

/** One product from the variations of one Prokip product (at least one line). */
export function productDraft(lines: readonly DraftLine[], options: PushOptions): ProductDraft {
  const first = lines[0]!.variation;
  const variable = first.type === "variable";
  return {
    title: first.productName.trim(),
    descriptionHtml: options.sendDescriptions ? (first.description ?? null) : null,
    imageUrls: options.sendImages && first.imageUrl ? [first.imageUrl] : [],
    status: options.status,
    optionName: variable ? first.optionName?.trim() || DEFAULT_OPTION_NAME : null,
    variants: lines.map((line) => ({
      // Prokip's SKU as typed: matching later normalises both sides anyway.
      sku: (line.variation.sku ?? "").trim(),
      optionValue: variable ? line.variation.variationName : null,
      price: line.price,
      quantity: line.quantity,
    })),
  };
}

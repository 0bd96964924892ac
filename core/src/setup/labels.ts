/**
 * How products and conflicts are named on the preview: the merchant's own product names, and
 * for every conflict what to do about it.
 */
import type { PosVariation, StoreVariant } from "../channels/index.ts";
import type { ConflictReason } from "./types.ts";

/** "Denim Jacket - Small", or just "Classic Shirt" for a product without options. */
export function storeLabel(variant: StoreVariant): string {
  return variant.title && variant.title !== variant.productTitle
    ? `${variant.productTitle} - ${variant.title}`
    : variant.productTitle;
}

export function prokipLabel(variation: PosVariation): string {
  return variation.variationName !== variation.productName
    ? `${variation.productName} - ${variation.variationName}`
    : variation.productName;
}

const list = (names: string[]) => names.map((name) => `"${name}"`).join(", ");

export interface ConflictFacts {
  sku: string | null;
  storeProducts: string[];
  prokipProducts: string[];
}

/** What the merchant should do, in their words. */
export function conflictFix(reason: ConflictReason, facts: ConflictFacts): string {
  switch (reason) {
    case "blank_sku":
      return facts.storeProducts.length > 0
        ? `Add a SKU to ${list(facts.storeProducts)} in your store, the same as in Prokip. Products without a SKU cannot be linked.`
        : `Add a SKU to ${list(facts.prokipProducts)} in Prokip. Products without a SKU cannot be synced.`;
    case "duplicate_in_store":
      return `${facts.storeProducts.length} products in your store use the SKU "${facts.sku}": ${list(facts.storeProducts)}. Give each its own SKU in your store, then run setup again.`;
    case "duplicate_in_prokip":
      return `${facts.prokipProducts.length} products in Prokip use the SKU "${facts.sku}" (SKUs are compared without case and extra spaces): ${list(facts.prokipProducts)}. Give each its own SKU in Prokip, then run setup again.`;
    case "partly_in_store":
      return `${list(facts.prokipProducts)} is in Prokip but missing from a product your store already has. Add it to that product in your store with the SKU "${facts.sku}", then run setup again.`;
    case "missing_price":
      return `${list(facts.prokipProducts)} has no selling price in Prokip. Set one in Prokip, then run setup again.`;
  }
}

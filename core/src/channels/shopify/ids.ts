/**
 * Shopify global ids. GraphQL speaks `gid://shopify/Order/123`; REST-style webhook payloads carry
 * the numeric id (and usually `admin_graphql_api_id`). The adapter always hands out gids, so an
 * order read through GraphQL and the same order from a webhook have identical ids for the ledger.
 */

export type GidType = "Order" | "LineItem" | "Product" | "ProductVariant" | "InventoryItem" | "Location" | "Refund";

const GID = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?.*)?$/u;

/** `toGid("Order", 123)` -> `gid://shopify/Order/123`; an existing gid of that type is returned as is. */
export function toGid(type: GidType, id: string | number): string {
  const text = String(id).trim();
  const parsed = GID.exec(text);
  if (parsed) {
    if (parsed[1] !== type) throw new TypeError(`Expected a ${type} id, got ${text}`);
    return text;
  }
  if (!/^\d+$/u.test(text)) throw new TypeError(`Not a Shopify ${type} id: ${text}`);
  return `gid://shopify/${type}/${text}`;
}

/** The numeric part of a gid (or a numeric id as given). */
export function legacyId(id: string): string {
  return GID.exec(id)?.[2] ?? id;
}

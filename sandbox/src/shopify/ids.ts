/**
 * Shopify global IDs (`gid://shopify/Product/123`) and the numeric "legacy" IDs REST-style
 * webhook payloads use. Numeric IDs come from one per-emulator counter so a reset replays the
 * same IDs, which keeps test output stable.
 */

export type GidType =
  | "Shop"
  | "Location"
  | "Product"
  | "ProductOption"
  | "ProductOptionValue"
  | "ProductVariant"
  | "InventoryItem"
  | "InventoryLevel"
  | "InventoryAdjustmentGroup"
  | "Order"
  | "LineItem"
  | "Refund"
  | "RefundLineItem"
  | "OrderEditSession"
  | "BulkOperation"
  | "WebhookSubscription"
  | "App"
  | "StaffMember";

export function gid(type: GidType, id: number): string {
  return `gid://shopify/${type}/${id}`;
}

/** Inventory levels are identified by location plus item, exactly as Shopify spells them. */
export function inventoryLevelGid(locationId: number, inventoryItemId: number): string {
  return `gid://shopify/InventoryLevel/${locationId}?inventory_item_id=${inventoryItemId}`;
}

export interface ParsedGid {
  type: string;
  id: number;
  params: URLSearchParams;
}

export function parseGid(value: string): ParsedGid | undefined {
  const match = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?(.*))?$/.exec(value.trim());
  if (!match?.[1] || !match[2]) return undefined;
  return { type: match[1], id: Number(match[2]), params: new URLSearchParams(match[3] ?? "") };
}

/** Accepts a gid of the expected type, or a bare number / numeric string (handy in the control API). */
export function idOf(value: string | number, type: GidType): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const parsed = parseGid(value);
  return parsed && parsed.type === type ? parsed.id : undefined;
}

export class IdSequence {
  private next: number;
  constructor(private readonly start = 1_000_001) {
    this.next = start;
  }
  take(): number {
    return this.next++;
  }
  reset(): void {
    this.next = this.start;
  }
}

/**
 * Shopify global IDs (`gid://shopify/Product/123`) and the numeric "legacy" IDs REST-style
 * webhook payloads use. Records are keyed by a small per-emulator counter (a reset replays the
 * same ids, which keeps test output stable); what a client sees is that counter plus the id base,
 * so ids look like a live shop's (13 digits by default) and can be pushed beyond 2^53, where
 * Shopify's own documented sample payloads are (`820982911946154508`), to catch a client that
 * reads them through a JS number. The base is per process (gids are built by free functions):
 * `SANDBOX_SHOPIFY_ID_BASE` or the emulator's `idBase` option sets it.
 */

/** Live shops' ids have 13-14 digits (2026); the default base gives 13: 7000001000001. */
export const DEFAULT_ID_BASE = 7_000_000_000_000n;
const MAX_ID = 2n ** 64n - 1n;

let idBase = parseIdBase(process.env.SANDBOX_SHOPIFY_ID_BASE) ?? DEFAULT_ID_BASE;

function parseIdBase(value: bigint | string | undefined): bigint | undefined {
  if (value === undefined || value === "") return undefined;
  const base = typeof value === "bigint" ? value : /^\d+$/u.test(value.trim()) ? BigInt(value.trim()) : undefined;
  if (base === undefined || base < 0n || base > MAX_ID - 2n ** 53n)
    throw new RangeError(`Not a Shopify id base (0 to 2^64 - 2^53): ${String(value)}`);
  return base;
}

/** Sets the id base of this process's emulators (e.g. `900_000_000_000_000_000n` for 18-digit ids). */
export function setIdBase(base: bigint | string): void {
  idBase = parseIdBase(base)!;
}

export function currentIdBase(): bigint {
  return idBase;
}

/** The id a client sees for a record: its decimal digits (may be beyond 2^53, so never a JS number). */
export function externalId(id: number): string {
  return (idBase + BigInt(id)).toString();
}

/** A client's id back to the record key; undefined for an id this emulator never issued. */
export function internalId(digits: string): number | undefined {
  if (!/^\d+$/u.test(digits)) return undefined;
  const id = BigInt(digits) - idBase;
  return id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : undefined;
}

/**
 * A REST payload's numeric id, written into the JSON text as a bare integer with every digit
 * (`JSON.rawJSON`; Node 21+), as Shopify writes them.
 */
export function restId(id: number): unknown;
export function restId(id: number | null): unknown;
export function restId(id: number | null): unknown {
  return id === null ? null : (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(externalId(id));
}

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
  return `gid://shopify/${type}/${externalId(id)}`;
}

/** Inventory levels are identified by location plus item, exactly as Shopify spells them. */
export function inventoryLevelGid(locationId: number, inventoryItemId: number): string {
  return `gid://shopify/InventoryLevel/${externalId(locationId)}?inventory_item_id=${externalId(inventoryItemId)}`;
}

export interface ParsedGid {
  type: string;
  id: number;
  params: URLSearchParams;
}

export function parseGid(value: string): ParsedGid | undefined {
  const match = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?(.*))?$/.exec(value.trim());
  if (!match?.[1] || !match[2]) return undefined;
  const id = internalId(match[2]);
  return id === undefined ? undefined : { type: match[1], id, params: new URLSearchParams(match[3] ?? "") };
}

/** Accepts a gid of the expected type, or a bare number / numeric string (handy in the control API). */
export function idOf(value: string | number, type: GidType): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) ? internalId(String(value)) : undefined;
  if (/^\d+$/.test(value.trim())) return internalId(value.trim());
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

/**
 * Stock rules. Every change to an inventory level goes through `applyInventoryChanges`, which
 * keeps the derived `on_hand` consistent, stamps update times and fires `inventory_levels/update`
 * once per touched level (plus `products/update` when `available` moved), the way Shopify
 * reports any stock movement, including an app's own writes: sync apps see their changes echoed.
 */
import type { EventSink } from "./events.ts";
import { inventoryLevelPayload, productPayload } from "./payloads.ts";
import {
  emptyQuantities,
  levelKey,
  onHand,
  quantityOf,
  type InventoryLevel,
  type QuantityName,
  type Shop,
  type StoredQuantityName,
} from "./state.ts";

export interface InventoryChangeRequest {
  inventoryItemId: number;
  locationId: number;
  name: StoredQuantityName;
  delta: number;
  ledgerDocumentUri?: string | null;
}

/** One line of an `InventoryAdjustmentGroup.changes` list. */
export interface AppliedChange {
  inventoryItemId: number;
  locationId: number;
  name: QuantityName;
  delta: number;
  quantityAfterChange: number;
  ledgerDocumentUri: string | null;
}

export function findLevel(shop: Shop, inventoryItemId: number, locationId: number): InventoryLevel | undefined {
  return shop.levels.get(levelKey(inventoryItemId, locationId));
}

/** Stocks an item at a location (Shopify's "activate"): a zeroed level if there was none. */
export function ensureLevel(shop: Shop, inventoryItemId: number, locationId: number, now: number): InventoryLevel {
  const key = levelKey(inventoryItemId, locationId);
  let level = shop.levels.get(key);
  if (!level) {
    level = {
      inventoryItemId,
      locationId,
      quantities: emptyQuantities(),
      quantityUpdatedAt: {},
      createdAt: now,
      updatedAt: now,
    };
    shop.levels.set(key, level);
  }
  return level;
}

export function levelsOfItem(shop: Shop, inventoryItemId: number): InventoryLevel[] {
  return [...shop.levels.values()].filter((l) => l.inventoryItemId === inventoryItemId);
}

/** Total `available` over all locations: what `ProductVariant.inventoryQuantity` shows. */
export function totalAvailable(shop: Shop, inventoryItemId: number): number {
  return levelsOfItem(shop, inventoryItemId).reduce((sum, l) => sum + l.quantities.available, 0);
}

/**
 * Applies quantity deltas and reports them. Changes to a state other than `on_hand` also move
 * `on_hand` unless they shift units between states, so the returned list includes the derived
 * `on_hand` change too, as Shopify's adjustment groups do.
 */
export function applyInventoryChanges(
  shop: Shop,
  requests: InventoryChangeRequest[],
  now: number,
  events: EventSink,
): AppliedChange[] {
  const applied: AppliedChange[] = [];
  const touched = new Map<string, { level: InventoryLevel; availableBefore: number; onHandBefore: number }>();

  for (const request of requests) {
    if (request.delta === 0) continue;
    const level = ensureLevel(shop, request.inventoryItemId, request.locationId, now);
    const key = levelKey(request.inventoryItemId, request.locationId);
    if (!touched.has(key))
      touched.set(key, { level, availableBefore: level.quantities.available, onHandBefore: onHand(level) });
    const onHandBefore = onHand(level);
    level.quantities[request.name] += request.delta;
    level.quantityUpdatedAt[request.name] = now;
    level.updatedAt = now;
    applied.push({
      inventoryItemId: request.inventoryItemId,
      locationId: request.locationId,
      name: request.name,
      delta: request.delta,
      quantityAfterChange: quantityOf(level, request.name),
      ledgerDocumentUri: request.ledgerDocumentUri ?? null,
    });
    const onHandDelta = onHand(level) - onHandBefore;
    if (onHandDelta !== 0) {
      level.quantityUpdatedAt.on_hand = now;
      applied.push({
        inventoryItemId: request.inventoryItemId,
        locationId: request.locationId,
        name: "on_hand",
        delta: onHandDelta,
        quantityAfterChange: onHand(level),
        ledgerDocumentUri: null,
      });
    }
  }

  const productsWithNewAvailable = new Set<number>();
  for (const { level, availableBefore, onHandBefore } of touched.values()) {
    if (level.quantities.available === availableBefore && onHand(level) === onHandBefore) continue;
    const productId = touchItem(shop, level.inventoryItemId, now);
    if (productId !== undefined && level.quantities.available !== availableBefore)
      productsWithNewAvailable.add(productId);
    events.emit({ shop, topic: "inventory_levels/update", payload: inventoryLevelPayload(shop, level) });
  }
  // Shopify also sends products/update whenever a variant's available quantity changes (orders,
  // admin edits and API writes alike), which is a second echo source for sync apps.
  for (const productId of productsWithNewAvailable) {
    const product = shop.products.get(productId);
    if (!product) continue;
    product.updatedAt = now;
    events.emit({ shop, topic: "products/update", payload: productPayload(shop, product) });
  }
  return applied;
}

/**
 * Stock changes bump the item's and the variant's `updatedAt`, so `updated_at:>` polling sees
 * them. Returns the product the item belongs to.
 */
function touchItem(shop: Shop, inventoryItemId: number, now: number): number | undefined {
  const item = shop.inventoryItems.get(inventoryItemId);
  if (!item) return undefined;
  item.updatedAt = now;
  const variant = shop.variants.get(item.variantId);
  if (!variant) return undefined;
  variant.updatedAt = now;
  return variant.productId;
}

/** Absolute set of `available` or `on_hand` (moving `available` by the difference), as Shopify does. */
export function setQuantityRequest(
  shop: Shop,
  inventoryItemId: number,
  locationId: number,
  name: "available" | "on_hand",
  quantity: number,
  now: number,
): InventoryChangeRequest {
  const level = ensureLevel(shop, inventoryItemId, locationId, now);
  const current = quantityOf(level, name);
  // Setting on_hand changes the available state: the other states are counted units that the
  // merchant did not say anything about.
  return { inventoryItemId, locationId, name: "available", delta: quantity - current };
}

/**
 * inventorySetQuantities and inventoryAdjustQuantities with the 2026-04+ run-time rules:
 *
 * - `changeFromQuantity` must be present on every quantity/change (a number for compare-and-swap,
 *   or null to skip the check); leaving it out is a top-level `INVALID_FIELD_ARGUMENTS` error,
 *   "InventoryQuantityInput must include the following argument: changeFromQuantity" (observed
 *   wording, see idempotency.ts for the source);
 * - a stale `changeFromQuantity` fails the whole call with `CHANGE_FROM_QUANTITY_STALE`;
 * - `@idempotent(key:)` is required (idempotency.ts).
 *
 * Validation is all-or-nothing: any userError means no quantity changes, as on Shopify.
 */
import { GraphQLError, type GraphQLResolveInfo } from "graphql";
import { idOf } from "../ids.ts";
import {
  applyInventoryChanges,
  ensureLevel,
  findLevel,
  setQuantityRequest,
  type InventoryChangeRequest,
} from "../inventory.ts";
import { levelKey, quantityOf, type Shop, type StoredQuantityName } from "../state.ts";
import type { RequestContext } from "./context.ts";
import { idempotencyKey, MISMATCH_MESSAGE, withIdempotency } from "./idempotency.ts";
import { adjustmentGroupView } from "./views-platform.ts";

/** Valid `reason` values (https://shopify.dev/docs/apps/fulfillment/inventory-management-apps/quantities-states#set-inventory-quantities-on-hand). */
export const INVENTORY_REASONS = new Set([
  "correction",
  "cycle_count_available",
  "damaged",
  "movement_created",
  "movement_updated",
  "movement_received",
  "movement_canceled",
  "other",
  "promotion",
  "quality_control",
  "received",
  "reservation_created",
  "reservation_deleted",
  "reservation_updated",
  "restock",
  "safety_stock",
  "shrinkage",
]);

const ADJUSTABLE_NAMES = new Set<StoredQuantityName>([
  "available",
  "damaged",
  "incoming",
  "quality_control",
  "reserved",
  "safety_stock",
]);

interface UserError {
  field: string[] | null;
  message: string;
  code: string;
}

interface QuantityInput {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  changeFromQuantity?: number | null;
}

interface ChangeInput {
  inventoryItemId: string;
  locationId: string;
  delta: number;
  changeFromQuantity?: number | null;
  ledgerDocumentUri?: string | null;
}

function requireChangeFrom(list: object[], typeName: string, info: GraphQLResolveInfo): void {
  // graphql-js leaves omitted input fields out of the coerced object, so `in` tells "omitted"
  // apart from an explicit null.
  if (list.some((entry) => !("changeFromQuantity" in entry))) {
    throw new GraphQLError(`${typeName} must include the following argument: changeFromQuantity.`, {
      nodes: info.fieldNodes,
      extensions: { code: "INVALID_FIELD_ARGUMENTS" },
    });
  }
}

function isUri(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value);
}

function resolveTarget(
  shop: Shop,
  itemGid: string,
  locationGid: string,
  path: string[],
  errors: UserError[],
): { itemId: number; locationId: number } | undefined {
  const itemId = idOf(itemGid, "InventoryItem");
  const locationId = idOf(locationGid, "Location");
  if (itemId === undefined || !shop.inventoryItems.has(itemId)) {
    errors.push({
      field: [...path, "inventoryItemId"],
      message: "The specified inventory item could not be found.",
      code: "INVALID_INVENTORY_ITEM",
    });
    return undefined;
  }
  if (locationId === undefined || !shop.locations.get(locationId)?.isActive) {
    errors.push({
      field: [...path, "locationId"],
      message: "The specified location could not be found.",
      code: "INVALID_LOCATION",
    });
    return undefined;
  }
  return { itemId, locationId };
}

function failed(errors: UserError[]): { inventoryAdjustmentGroup: null; userErrors: UserError[] } {
  return { inventoryAdjustmentGroup: null, userErrors: errors };
}

export function inventorySetQuantities(
  args: { input: { name: string; reason: string; referenceDocumentUri?: string | null; quantities: QuantityInput[] } },
  ctx: RequestContext,
  info: GraphQLResolveInfo,
): object {
  const { input } = args;
  requireChangeFrom(input.quantities, "InventoryQuantityInput", info);
  const key = idempotencyKey(info);
  return withIdempotency(
    ctx,
    "inventorySetQuantities",
    key,
    input,
    () => setQuantities(ctx, input),
    () => failed([{ field: null, message: MISMATCH_MESSAGE, code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" }]),
  );
}

function setQuantities(
  ctx: RequestContext,
  input: { name: string; reason: string; referenceDocumentUri?: string | null; quantities: QuantityInput[] },
): object {
  const { shop, core } = ctx;
  const now = core.state.now();
  const errors: UserError[] = [];
  if (input.name !== "available" && input.name !== "on_hand") {
    errors.push({
      field: ["input", "name"],
      message: "The quantity name must be either 'available' or 'on_hand'.",
      code: "INVALID_NAME",
    });
  }
  if (!INVENTORY_REASONS.has(input.reason))
    errors.push({ field: ["input", "reason"], message: "The specified reason is invalid.", code: "INVALID_REASON" });
  if (input.referenceDocumentUri != null && !isUri(input.referenceDocumentUri)) {
    errors.push({
      field: ["input", "referenceDocumentUri"],
      message: "The specified reference document is invalid.",
      code: "INVALID_REFERENCE_DOCUMENT",
    });
  }
  const name = input.name === "on_hand" ? "on_hand" : "available";
  const seen = new Set<string>();
  const targets: { itemId: number; locationId: number; quantity: number }[] = [];
  input.quantities.forEach((q, i) => {
    const path = ["input", "quantities", String(i)];
    const target = resolveTarget(shop, q.inventoryItemId, q.locationId, path, errors);
    if (!target) return;
    const pair = levelKey(target.itemId, target.locationId);
    if (seen.has(pair)) {
      errors.push({
        field: [...path, "locationId"],
        message: "The combination of inventoryItemId and locationId must be unique.",
        code: "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
      });
      return;
    }
    seen.add(pair);
    if (q.quantity > 1_000_000_000)
      errors.push({
        field: [...path, "quantity"],
        message: "The total quantity can't be higher than 1,000,000,000.",
        code: "INVALID_QUANTITY_TOO_HIGH",
      });
    else if (q.quantity < -1_000_000_000)
      errors.push({
        field: [...path, "quantity"],
        message: "The total quantity can't be lower than -1,000,000,000.",
        code: "INVALID_QUANTITY_TOO_LOW",
      });
    else if (name === "on_hand" && q.quantity < 0)
      errors.push({
        field: [...path, "quantity"],
        message: "The quantity can't be negative.",
        code: "INVALID_QUANTITY_NEGATIVE",
      });
    const level = findLevel(shop, target.itemId, target.locationId);
    const current = level ? quantityOf(level, name) : 0;
    if (q.changeFromQuantity !== null && q.changeFromQuantity !== undefined && q.changeFromQuantity !== current) {
      errors.push({
        field: [...path, "changeFromQuantity"],
        message: "The changeFromQuantity value does not match persisted value.",
        code: "CHANGE_FROM_QUANTITY_STALE",
      });
    }
    targets.push({ ...target, quantity: q.quantity });
  });
  if (errors.length) return failed(errors);

  const requests = targets.map((t) => setQuantityRequest(shop, t.itemId, t.locationId, name, t.quantity, now));
  const changes = applyInventoryChanges(shop, requests, now, core.events);
  // Shopify reports the change under the name that was set, plus the derived on_hand movement.
  const reported = name === "on_hand" ? changes.filter((c) => c.name === "on_hand") : changes;
  const group = {
    id: core.state.ids.take(),
    createdAt: now,
    reason: input.reason,
    referenceDocumentUri: input.referenceDocumentUri ?? null,
    changes: reported,
  };
  return { inventoryAdjustmentGroup: adjustmentGroupView(ctx, group), userErrors: [] };
}

export function inventoryAdjustQuantities(
  args: { input: { name: string; reason: string; referenceDocumentUri?: string | null; changes: ChangeInput[] } },
  ctx: RequestContext,
  info: GraphQLResolveInfo,
): object {
  const { input } = args;
  requireChangeFrom(input.changes, "InventoryChangeInput", info);
  const key = idempotencyKey(info);
  return withIdempotency(
    ctx,
    "inventoryAdjustQuantities",
    key,
    input,
    () => adjustQuantities(ctx, input),
    () => failed([{ field: null, message: MISMATCH_MESSAGE, code: "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" }]),
  );
}

function adjustQuantities(
  ctx: RequestContext,
  input: { name: string; reason: string; referenceDocumentUri?: string | null; changes: ChangeInput[] },
): object {
  const { shop, core } = ctx;
  const now = core.state.now();
  const errors: UserError[] = [];
  const name = input.name as StoredQuantityName;
  if (!ADJUSTABLE_NAMES.has(name))
    errors.push({
      field: ["input", "name"],
      message: "The specified quantity name is invalid.",
      code: "INVALID_QUANTITY_NAME",
    });
  if (!INVENTORY_REASONS.has(input.reason))
    errors.push({ field: ["input", "reason"], message: "The specified reason is invalid.", code: "INVALID_REASON" });
  if (input.referenceDocumentUri != null && !isUri(input.referenceDocumentUri)) {
    errors.push({
      field: ["input", "referenceDocumentUri"],
      message: "The specified reference document is invalid.",
      code: "INVALID_REFERENCE_DOCUMENT",
    });
  }
  const ledgers = new Set(input.changes.map((c) => c.ledgerDocumentUri ?? null));
  if (ledgers.size > 1) {
    errors.push({
      field: ["input", "changes"],
      message:
        "All changes must have the same ledger document URI or, in the case of adjusting available, no ledger document URI.",
      code: "MAX_ONE_LEDGER_DOCUMENT",
    });
  }
  const requests: InventoryChangeRequest[] = [];
  input.changes.forEach((c, i) => {
    const path = ["input", "changes", String(i)];
    if (name === "available" && c.ledgerDocumentUri != null) {
      errors.push({
        field: [...path, "ledgerDocumentUri"],
        message: "A ledger document URI is not allowed when adjusting available.",
        code: "INVALID_AVAILABLE_DOCUMENT",
      });
    } else if (name !== "available" && ADJUSTABLE_NAMES.has(name) && c.ledgerDocumentUri == null) {
      errors.push({
        field: [...path, "ledgerDocumentUri"],
        message: "A ledger document URI is required except when adjusting available.",
        code: "INVALID_QUANTITY_DOCUMENT",
      });
    } else if (c.ledgerDocumentUri != null && !isUri(c.ledgerDocumentUri)) {
      errors.push({
        field: [...path, "ledgerDocumentUri"],
        message: "The specified ledger document is invalid.",
        code: "INVALID_LEDGER_DOCUMENT",
      });
    } else if (c.ledgerDocumentUri?.startsWith("gid://shopify/")) {
      errors.push({
        field: [...path, "ledgerDocumentUri"],
        message: "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API.",
        code: "INTERNAL_LEDGER_DOCUMENT",
      });
    }
    const target = resolveTarget(shop, c.inventoryItemId, c.locationId, path, errors);
    if (!target || !ADJUSTABLE_NAMES.has(name)) return;
    const level = findLevel(shop, target.itemId, target.locationId);
    const current = level ? quantityOf(level, name) : 0;
    const pending = requests
      .filter((r) => r.inventoryItemId === target.itemId && r.locationId === target.locationId)
      .reduce((n, r) => n + r.delta, 0);
    if (
      c.changeFromQuantity !== null &&
      c.changeFromQuantity !== undefined &&
      c.changeFromQuantity !== current + pending
    ) {
      errors.push({
        field: [...path, "changeFromQuantity"],
        message: "The changeFromQuantity argument no longer matches the persisted quantity.",
        code: "CHANGE_FROM_QUANTITY_STALE",
      });
    }
    const after = current + pending + c.delta;
    if (after > 2_000_000_000)
      errors.push({
        field: [...path, "delta"],
        message: "The quantity can't be higher than 2,000,000,000.",
        code: "INVALID_QUANTITY_TOO_HIGH",
      });
    if (after < -2_000_000_000)
      errors.push({
        field: [...path, "delta"],
        message: "The quantity can't be lower than -2,000,000,000.",
        code: "INVALID_QUANTITY_TOO_LOW",
      });
    requests.push({
      inventoryItemId: target.itemId,
      locationId: target.locationId,
      name,
      delta: c.delta,
      ledgerDocumentUri: c.ledgerDocumentUri ?? null,
    });
  });
  if (errors.length) return failed(errors);

  for (const r of requests) ensureLevel(shop, r.inventoryItemId, r.locationId, now);
  const changes = applyInventoryChanges(shop, requests, now, core.events);
  const group = {
    id: core.state.ids.take(),
    createdAt: now,
    reason: input.reason,
    referenceDocumentUri: input.referenceDocumentUri ?? null,
    changes,
  };
  return { inventoryAdjustmentGroup: adjustmentGroupView(ctx, group), userErrors: [] };
}

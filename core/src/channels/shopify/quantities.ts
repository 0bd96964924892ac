/**
 * Reading and writing `available` quantities at the connection's location.
 *
 * Writes use `inventorySetQuantities` (absolute values: Prokip is the source of truth, which is
 * what Shopify recommends it for) with compare-and-set: `changeFromQuantity` is what we believe
 * Shopify has (`expected`), or null to write unconditionally; from 2026-04 it must always be
 * present. A stale value fails the call with CHANGE_FROM_QUANTITY_STALE, and Shopify applies
 * nothing of a call with any userError, so the stale items are set aside and the rest sent again.
 *
 * Each call carries `@idempotent(key:)`: a fresh key per intended write, kept only for the
 * client's own retries of that request (a lost answer is replayed by Shopify, not applied twice).
 * Shopify replays any request under a key it has seen, so a key derived from the figures made a
 * second, intended write of the same figures a no-op reported as written (decision 0002). A write
 * repeated by a crashed job's retry is a new decision: compare-and-set keeps it harmless.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { ChannelError, type QuantityWrite, type QuantityWriteResult, type StoreVariantRef } from "../types.ts";
import type { ShopifyGraphqlClient } from "./client.ts";
import type { Clock } from "./pacing.ts";
import {
  MUTATION_COST,
  READ_QUANTITIES,
  READ_QUANTITIES_CHUNK,
  READ_QUANTITIES_COST,
  SET_QUANTITIES,
} from "./queries.ts";

/** Shopify's cap on input arrays (https://shopify.dev/docs/api/usage/limits#input-limits). */
export const MAX_QUANTITIES_PER_CALL = 250;
/** Calls per batch before the leftovers are reported stale (each round removes stale items). */
const MAX_ROUNDS = 5;
const MAX_CONCURRENT_REQUEST_WAITS = 5;
const MAX_KEY_RENEWALS = 3;

export interface QuantitiesContext {
  client: ShopifyGraphqlClient;
  locationId: () => Promise<string>;
  log: Logger;
  clock: Clock;
}

// ---- Reading -------------------------------------------------------------------------------

interface ReadResult {
  nodes: ({
    id: string;
    tracked: boolean;
    inventoryLevel: { quantities: { name: string; quantity: number }[] } | null;
  } | null)[];
}

/** `available` by inventory item id (null: not tracked). Items Shopify no longer has are absent. */
export async function readItemQuantities(
  ctx: QuantitiesContext,
  inventoryItemIds: readonly string[],
): Promise<Map<string, number | null>> {
  const locationId = await ctx.locationId();
  const unique = [...new Set(inventoryItemIds)];
  const result = new Map<string, number | null>();
  for (let start = 0; start < unique.length; start += READ_QUANTITIES_CHUNK) {
    const ids = unique.slice(start, start + READ_QUANTITIES_CHUNK);
    const { nodes } = await ctx.client.request<ReadResult>(
      READ_QUANTITIES,
      { ids, locationId },
      { operation: "ReadQuantities", expectedCost: READ_QUANTITIES_COST },
    );
    for (const node of nodes) {
      if (!node?.id) continue; // deleted, or not an inventory item
      const available = node.inventoryLevel?.quantities.find((q) => q.name === "available")?.quantity;
      result.set(node.id, node.tracked ? (available ?? 0) : null);
    }
  }
  return result;
}

/** Current quantities keyed by variant id; variants without an inventory item or gone from Shopify are absent. */
export async function readQuantities(
  ctx: QuantitiesContext,
  variants: readonly StoreVariantRef[],
): Promise<Map<string, number | null>> {
  const withItems = variants.filter(
    (v): v is StoreVariantRef & { externalInventoryItemId: string } => v.externalInventoryItemId !== null,
  );
  const byItem = await readItemQuantities(
    ctx,
    withItems.map((v) => v.externalInventoryItemId),
  );
  const result = new Map<string, number | null>();
  for (const variant of withItems) {
    if (byItem.has(variant.externalInventoryItemId))
      result.set(variant.externalVariantId, byItem.get(variant.externalInventoryItemId) ?? null);
  }
  return result;
}

// ---- Writing -------------------------------------------------------------------------------

type ItemWrite = QuantityWrite & { externalInventoryItemId: string };

interface UserError {
  field: string[] | null;
  message: string;
  code: string | null;
}

interface SetResult {
  inventorySetQuantities: { inventoryAdjustmentGroup: { id: string } | null; userErrors: UserError[] } | null;
}

/**
 * A new key for one operation. Shopify: "a request whose mutation variables are exactly identical
 * to those of the first request isn't a duplicate request if it's intended to result in a separate
 * operation" (https://shopify.dev/docs/api/usage/implementing-idempotency).
 */
export function newIdempotencyKey(): string {
  return `prokip-sync-${randomUUID()}`;
}

export function referenceDocumentUri(reference: string): string {
  return `gid://prokip-sync/StockSync/${encodeURIComponent(reference)}`;
}

/** The index into the sent `quantities` a userError points at (`["input","quantities","3",...]`). */
function indexOf(error: UserError): number | null {
  const field = error.field ?? [];
  const at = field.indexOf("quantities");
  const index = at >= 0 ? Number(field[at + 1]) : Number.NaN;
  return Number.isInteger(index) && index >= 0 ? index : null;
}

export async function writeQuantities(
  ctx: QuantitiesContext,
  writes: readonly QuantityWrite[],
  context: { reference: string },
): Promise<QuantityWriteResult> {
  const result: QuantityWriteResult = { written: [], stale: [], failed: [] };
  const accepted: ItemWrite[] = [];
  const seenItems = new Set<string>();
  for (const write of writes) {
    if (!write.externalInventoryItemId) {
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code: "no_inventory_item",
        message: "Shopify quantities are written per inventory item; this variant has none",
      });
    } else if (seenItems.has(write.externalInventoryItemId)) {
      // Shopify refuses the whole call for a duplicate item; which value should win is not ours to guess.
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code: "duplicate_write",
        message: "The same inventory item was given twice in one write",
      });
    } else {
      seenItems.add(write.externalInventoryItemId);
      accepted.push(write as ItemWrite);
    }
  }
  if (accepted.length === 0) return result;

  const locationId = await ctx.locationId();
  for (let start = 0; start < accepted.length; start += MAX_QUANTITIES_PER_CALL) {
    const batch = accepted.slice(start, start + MAX_QUANTITIES_PER_CALL);
    try {
      await writeBatch(ctx, batch, locationId, context.reference, result);
    } catch (error) {
      // Shopify is down: report this batch and the rest as failed (earlier batches stand) so the
      // caller knows exactly what was written. Credentials problems go up as they are.
      if (!(error instanceof ChannelError) || error.code !== "unavailable") throw error;
      for (const write of accepted.slice(start))
        result.failed.push({ externalVariantId: write.externalVariantId, code: "unavailable", message: error.message });
      break;
    }
  }
  return result;
}

async function writeBatch(
  ctx: QuantitiesContext,
  batch: ItemWrite[],
  locationId: string,
  reference: string,
  result: QuantityWriteResult,
): Promise<void> {
  let pending = batch;
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
    const errors = await sendSet(ctx, pending, locationId, reference);
    if (errors.length === 0) {
      for (const write of pending)
        result.written.push({ externalVariantId: write.externalVariantId, quantity: write.quantity });
      return;
    }

    const stale = new Set<ItemWrite>();
    const failed = new Map<ItemWrite, UserError>();
    let staleWithoutIndex = false;
    for (const error of errors) {
      const index = indexOf(error);
      const write = index === null ? undefined : pending[index];
      if (error.code === "CHANGE_FROM_QUANTITY_STALE") {
        if (write) stale.add(write);
        else staleWithoutIndex = true;
      } else if (write) {
        failed.set(write, error);
      } else {
        // A problem with the call itself (reason, reference, idempotency): nothing in it can go.
        for (const w of pending)
          result.failed.push({
            externalVariantId: w.externalVariantId,
            code: error.code ?? "rejected",
            message: error.message,
          });
        return;
      }
    }
    if (staleWithoutIndex) {
      // Shopify did not say which: compare what it has with what we expected.
      const current = await readItemQuantities(
        ctx,
        pending.map((w) => w.externalInventoryItemId),
      );
      for (const write of pending) {
        if (write.expected !== null && current.get(write.externalInventoryItemId) !== write.expected) stale.add(write);
      }
    }
    for (const write of stale) result.stale.push({ externalVariantId: write.externalVariantId });
    for (const [write, error] of failed)
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code: error.code ?? "rejected",
        message: error.message,
      });
    ctx.log.info(
      { reference, stale: stale.size, failed: failed.size, remaining: pending.length - stale.size - failed.size },
      "Shopify refused part of a quantity write; sending the rest again",
    );
    pending = pending.filter((w) => !stale.has(w) && !failed.has(w));
  }
  // Still refused after several rounds (quantities changing under us): let the caller re-read.
  for (const write of pending) result.stale.push({ externalVariantId: write.externalVariantId });
}

/** One inventorySetQuantities call (as Shopify sees it); returns its userErrors. */
async function sendSet(
  ctx: QuantitiesContext,
  writes: ItemWrite[],
  locationId: string,
  reference: string,
): Promise<UserError[]> {
  const input = {
    name: "available",
    reason: "correction",
    referenceDocumentUri: referenceDocumentUri(reference),
    quantities: writes.map((w) => ({
      inventoryItemId: w.externalInventoryItemId,
      locationId,
      quantity: w.quantity,
      changeFromQuantity: w.expected,
    })),
  };
  let renewal = 0;
  let waits = 0;
  // One operation: the client's retries (inside `request`) and the waits below resend this key.
  let key = newIdempotencyKey();
  for (;;) {
    const data = await ctx.client.request<SetResult>(
      SET_QUANTITIES,
      { key, input },
      { operation: "InventorySetQuantities", expectedCost: MUTATION_COST },
    );
    const errors = data.inventorySetQuantities?.userErrors ?? [];
    const codes = new Set(errors.map((e) => e.code));
    // The same key is still being processed (our own earlier attempt): wait for it, then the
    // same request gets its result.
    if (codes.has("IDEMPOTENCY_CONCURRENT_REQUEST") && waits < MAX_CONCURRENT_REQUEST_WAITS) {
      waits += 1;
      await ctx.clock.sleep(1_000 * waits);
      continue;
    }
    // "A previous request with this idempotency key failed. Retry with a new idempotency key."
    // (the error code's description in the 2026-10 schema): it changed nothing, so sending the
    // same writes under the next key cannot apply them twice.
    if (codes.has("IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED") && renewal < MAX_KEY_RENEWALS) {
      renewal += 1;
      key = newIdempotencyKey();
      continue;
    }
    return errors;
  }
}

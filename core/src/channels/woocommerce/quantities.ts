/**
 * Reading and writing stock quantities.
 *
 * A ref whose variant id equals its product id is a simple product (`/products`); any other is a
 * variation of its product (`/products/{parent}/variations`). Writes are absolute
 * (`manage_stock: true, stock_quantity: n`), hence idempotent and retried like reads. Writing a
 * variation whose stock the parent manages (`manage_stock: "parent"`) gives that variation its
 * own stock from then on, which is what per-SKU sync needs.
 */
import type { QuantityWrite, QuantityWriteResult, StoreVariantRef } from "../types.ts";
import { ChannelError } from "../types.ts";
import { BATCH_LIMIT, type WooCommerceClient } from "./client.ts";
import { batchResponseSchema, parseAnswer, stockSchema } from "./payloads.ts";

const STOCK_FIELDS = "id,manage_stock,stock_quantity";

function isSimple(ref: StoreVariantRef): boolean {
  return ref.externalVariantId === ref.externalProductId;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Where a group of refs lives: the products collection, or one parent's variations. */
function groupByCollection<T extends StoreVariantRef>(refs: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const ref of refs) {
    const collection = isSimple(ref) ? "products" : `products/${ref.externalProductId}/variations`;
    const group = groups.get(collection);
    if (group) group.push(ref);
    else groups.set(collection, [ref]);
  }
  return groups;
}

/**
 * Current quantities by variant id: `include=` lists of up to 100 ids per request. Trashed and
 * deleted items are not listed (the default status filter leaves out the trash), so they are
 * absent from the map; null means the store does not count the item's stock.
 */
export async function readQuantities(
  client: WooCommerceClient,
  refs: StoreVariantRef[],
): Promise<Map<string, number | null>> {
  const quantities = new Map<string, number | null>();
  const valid = refs.filter((r) => /^\d+$/u.test(r.externalVariantId) && /^\d+$/u.test(r.externalProductId));
  const requests: Promise<void>[] = [];
  for (const [collection, group] of groupByCollection(valid)) {
    const ids = [...new Set(group.map((r) => r.externalVariantId))];
    for (const part of chunks(ids, BATCH_LIMIT)) {
      requests.push(
        (async () => {
          try {
            for await (const page of client.paginate(collection, { include: part.join(","), _fields: STOCK_FIELDS })) {
              for (const raw of page) {
                const item = parseAnswer(stockSchema, raw, "a stock read");
                quantities.set(String(item.id), item.manage_stock === false ? null : item.stock_quantity);
              }
            }
          } catch (error) {
            // A parent that no longer exists: its variations are gone too.
            if (error instanceof ChannelError && error.code === "not_found" && collection !== "products") return;
            throw error;
          }
        })(),
      );
    }
  }
  await Promise.all(requests);
  return quantities;
}

/**
 * Sets quantities with batch updates of at most 100 items. WooCommerce has no compare-and-set,
 * so `expected` is honoured by reading the current quantities just before writing and leaving
 * out (as `stale`) every item that differs. A race window remains between that read and the
 * write: an order placed in between is overwritten. It is small (one request), and the order's
 * own webhook makes the sync engine recompute and correct the figure.
 */
export async function writeQuantities(
  client: WooCommerceClient,
  writes: QuantityWrite[],
): Promise<QuantityWriteResult> {
  const result: QuantityWriteResult = { written: [], stale: [], failed: [] };
  const seen = new Set<string>();
  const unique: QuantityWrite[] = [];
  for (const write of writes) {
    if (!Number.isInteger(write.quantity) || write.quantity < 0) {
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code: "rejected",
        message: `quantity ${write.quantity} is not a whole number >= 0`,
      });
    } else if (!/^\d+$/u.test(write.externalVariantId) || !/^\d+$/u.test(write.externalProductId)) {
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code: "not_found",
        message: "not a WooCommerce product or variation id",
      });
    } else if (seen.has(write.externalVariantId)) {
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code: "rejected",
        message: "written twice in one call",
      });
    } else {
      seen.add(write.externalVariantId);
      unique.push(write);
    }
  }

  let toWrite = unique;
  const conditional = unique.filter((w) => w.expected !== null);
  if (conditional.length > 0) {
    const current = await readQuantities(client, conditional);
    toWrite = unique.filter((w) => {
      if (w.expected === null) return true;
      if (!current.has(w.externalVariantId)) {
        result.failed.push({
          externalVariantId: w.externalVariantId,
          code: "not_found",
          message: "the store no longer has this item",
        });
        return false;
      }
      if (current.get(w.externalVariantId) !== w.expected) {
        result.stale.push({ externalVariantId: w.externalVariantId });
        return false;
      }
      return true;
    });
  }

  const batches: Promise<void>[] = [];
  for (const [collection, group] of groupByCollection(toWrite)) {
    for (const part of chunks(group, BATCH_LIMIT))
      batches.push(writeBatch(client, `${collection}/batch`, part, result));
  }
  await Promise.all(batches);
  return result;
}

async function writeBatch(
  client: WooCommerceClient,
  endpoint: string,
  part: QuantityWrite[],
  result: QuantityWriteResult,
): Promise<void> {
  const body = {
    update: part.map((w) => ({ id: Number(w.externalVariantId), manage_stock: true, stock_quantity: w.quantity })),
  };
  let items;
  try {
    items =
      parseAnswer(
        batchResponseSchema,
        (await client.request("post", endpoint, { data: body, slow: true })).data,
        "a batch update",
      ).update ?? [];
  } catch (error) {
    if (!(error instanceof ChannelError) || error.code === "unauthorized") throw error;
    for (const w of part)
      result.failed.push({ externalVariantId: w.externalVariantId, code: error.code, message: error.message });
    return;
  }
  // Matched by id (every update answer, error or not, carries the id it was about).
  for (const write of part) {
    const item = items.find((x) => x.id === Number(write.externalVariantId));
    if (!item) {
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code: "unavailable",
        message: "missing from the batch answer",
      });
    } else if ("error" in item) {
      const status = item.error.data?.status;
      const code =
        status === 404 ? "not_found" : status === 400 && /invalid_id/u.test(item.error.code) ? "not_found" : "rejected";
      result.failed.push({
        externalVariantId: write.externalVariantId,
        code,
        message: `${item.error.code}: ${item.error.message}`,
      });
    } else {
      result.written.push({
        externalVariantId: write.externalVariantId,
        quantity: item.stock_quantity ?? write.quantity,
      });
    }
  }
}

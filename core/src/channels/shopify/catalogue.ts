/**
 * Reading the catalogue: every variant with its inventory item and `available` units at the
 * connection's location.
 *
 * Small catalogues are read page by page (`productVariants`, 150 per page, ~750 points each).
 * Past `bulkThreshold` variants that would be hundreds of paced calls, so a bulk query does it:
 * `bulkOperationRunQuery` runs the same selection in the background, we poll the operation and
 * stream the JSONL file it produces (https://shopify.dev/docs/api/usage/bulk-operations/queries).
 * Should the bulk route be refused (e.g. LIMIT_REACHED: too many bulk queries running) or fail,
 * we fall back to paging, which always works, only slower.
 */
import type { Logger } from "pino";
import { z } from "zod";
import { ChannelError, type StoreVariant } from "../types.ts";
import type { ShopifyGraphqlClient } from "./client.ts";
import type { Clock } from "./pacing.ts";
import {
  BULK_OPERATION_STATUS,
  BULK_OPERATION_STATUS_COST,
  BULK_RUN_QUERY,
  bulkVariantsQuery,
  LIST_VARIANTS,
  LIST_VARIANTS_COST,
  MUTATION_COST,
  VARIANTS_COUNT,
  VARIANTS_COUNT_COST,
} from "./queries.ts";

/** Shopify's title for the one variant of a product without options. */
const DEFAULT_VARIANT_TITLE = "Default Title";
/** Variants handed out per page from the bulk file. */
const BULK_PAGE = 250;

const variantNodeSchema = z
  .object({
    id: z.string(),
    sku: z.string().nullable().optional(),
    title: z.string(),
    price: z.string().nullable().optional(),
    product: z.object({ id: z.string(), title: z.string() }).loose(),
    inventoryItem: z
      .object({
        id: z.string(),
        tracked: z.boolean(),
        inventoryLevel: z
          .object({ quantities: z.array(z.object({ name: z.string(), quantity: z.number().int() }).loose()) })
          .loose()
          .nullable()
          .optional(),
      })
      .loose()
      .nullable()
      .optional(),
  })
  .loose();

/** A `ProductVariant` as queries.ts selects it -> `StoreVariant`. */
export function toStoreVariant(node: unknown): StoreVariant {
  const result = variantNodeSchema.safeParse(node);
  if (!result.success)
    throw new ChannelError(
      "rejected",
      `Unexpected variant from Shopify: ${result.error.issues[0]?.message ?? "invalid"}`,
    );
  const variant = result.data;
  const item = variant.inventoryItem ?? null;
  // Untracked items have no meaningful quantity. A tracked item not stocked at our location has
  // nothing there.
  const quantity =
    !item || !item.tracked
      ? null
      : (item.inventoryLevel?.quantities.find((q) => q.name === "available")?.quantity ?? 0);
  return {
    externalProductId: variant.product.id,
    externalVariantId: variant.id,
    externalInventoryItemId: item?.id ?? null,
    sku: variant.sku ?? null,
    productTitle: variant.product.title,
    title: variant.title === DEFAULT_VARIANT_TITLE ? variant.product.title : variant.title,
    price: variant.price ?? null,
    quantity,
  };
}

export interface CatalogueContext {
  client: ShopifyGraphqlClient;
  locationId: () => Promise<string>;
  log: Logger;
  clock: Clock;
  bulkThreshold: number;
  bulkPollIntervalMs: number;
  bulkTimeoutMs: number;
}

interface CountResult {
  productVariantsCount: { count: number; precision: string } | null;
}

export async function* listVariants(ctx: CatalogueContext): AsyncGenerator<StoreVariant[]> {
  const locationId = await ctx.locationId();
  // The count stops at `limit` (10,000 by default); we only need to know whether it passes the threshold.
  const counted = await ctx.client.request<CountResult>(
    VARIANTS_COUNT,
    { limit: ctx.bulkThreshold + 1 },
    { operation: "VariantsCount", expectedCost: VARIANTS_COUNT_COST },
  );
  const total = counted.productVariantsCount?.count ?? 0;
  if (total > ctx.bulkThreshold) {
    const url = await runBulkQuery(ctx, locationId);
    if (url !== undefined) {
      ctx.log.info({ variants: total }, "reading the Shopify catalogue through a bulk query");
      if (url !== null) yield* readBulkFile(ctx, url);
      return;
    }
  }
  yield* listVariantPages(ctx, locationId);
}

interface VariantsPage {
  productVariants: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: unknown[] };
}

async function* listVariantPages(ctx: CatalogueContext, locationId: string): AsyncGenerator<StoreVariant[]> {
  let after: string | null = null;
  do {
    const page: VariantsPage = await ctx.client.request<VariantsPage>(
      LIST_VARIANTS,
      { after, locationId },
      { operation: "ListVariants", expectedCost: LIST_VARIANTS_COST },
    );
    const variants = page.productVariants.nodes.map(toStoreVariant);
    if (variants.length > 0) yield variants;
    after = page.productVariants.pageInfo.hasNextPage ? page.productVariants.pageInfo.endCursor : null;
  } while (after);
}

interface BulkRunResult {
  bulkOperationRunQuery: {
    bulkOperation: { id: string; status: string } | null;
    userErrors: { field: string[] | null; message: string; code: string | null }[];
  } | null;
}

interface BulkStatus {
  node: {
    id: string;
    status: string;
    errorCode: string | null;
    objectCount: string;
    url: string | null;
    partialDataUrl: string | null;
  } | null;
}

/**
 * Starts the bulk query and waits for it. Returns the result URL (null: finished with no
 * objects, so no file), or undefined when the bulk route is not available and paging should
 * be used instead.
 */
async function runBulkQuery(ctx: CatalogueContext, locationId: string): Promise<string | null | undefined> {
  const started = await ctx.client.request<BulkRunResult>(
    BULK_RUN_QUERY,
    { query: bulkVariantsQuery(locationId) },
    { operation: "BulkOperationRunQuery", expectedCost: MUTATION_COST },
  );
  const run = started.bulkOperationRunQuery;
  if (!run?.bulkOperation) {
    ctx.log.warn(
      { userErrors: run?.userErrors ?? [] },
      "Shopify refused the bulk query; reading the catalogue page by page",
    );
    return undefined;
  }
  const id = run.bulkOperation.id;
  const deadline = ctx.clock.now() + ctx.bulkTimeoutMs;
  let interval = ctx.bulkPollIntervalMs;
  for (;;) {
    const { node } = await ctx.client.request<BulkStatus>(
      BULK_OPERATION_STATUS,
      { id },
      { operation: "BulkOperationStatus", expectedCost: BULK_OPERATION_STATUS_COST },
    );
    if (!node) throw new ChannelError("not_found", `Shopify lost bulk operation ${id}`);
    if (node.status === "COMPLETED") return node.url;
    if (node.status === "FAILED" || node.status === "CANCELED" || node.status === "EXPIRED") {
      ctx.log.warn(
        { bulkOperation: id, status: node.status, errorCode: node.errorCode },
        "Shopify bulk query did not complete; reading the catalogue page by page",
      );
      return undefined;
    }
    if (ctx.clock.now() > deadline)
      throw new ChannelError(
        "unavailable",
        `Shopify bulk operation ${id} did not finish in ${Math.round(ctx.bulkTimeoutMs / 1000)} s`,
      );
    await ctx.clock.sleep(interval);
    // Poll quickly at first (small shops finish in seconds), then back off.
    interval = Math.min(interval * 1.5, 10_000);
  }
}

/** Streams the JSONL result: one variant per line (nested objects inline, no child lines). */
async function* readBulkFile(ctx: CatalogueContext, url: string): AsyncGenerator<StoreVariant[]> {
  const response = await ctx.client.download(url);
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffered = "";
  let page: StoreVariant[] = [];
  const take = (line: string): void => {
    if (line.trim() === "") return;
    page.push(toStoreVariant(JSON.parse(line)));
  };
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf("\n");
    while (newline >= 0) {
      take(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
    }
    if (page.length >= BULK_PAGE) {
      yield page;
      page = [];
    }
  }
  take(buffered + decoder.decode());
  if (page.length > 0) yield page;
}

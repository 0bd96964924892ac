/**
 * Creating products in Shopify for a push, one `productSet` per product: options, variants with
 * SKU and price, starting stock at the connection's location, status, description and images
 * (`files` with `originalSource` URLs; Shopify fetches them).
 *
 * productSet is declarative and has no idempotency key, so running it twice would create two
 * products. It is therefore never retried blindly: when we cannot tell whether a call went
 * through (5xx, connection lost), we look for the product's SKUs before sending it once more.
 */
import type { Logger } from "pino";
import { ChannelError, type CreatedProduct, type CreateProductsResult, type ProductDraft } from "../types.ts";
import type { ShopifyGraphqlClient } from "./client.ts";
import type { Clock } from "./pacing.ts";
import {
  MUTATION_COST,
  PRODUCT_SET,
  PRODUCT_VARIANTS_PAGE,
  PRODUCT_VARIANTS_PAGE_COST,
  VARIANTS_BY_SKU,
  VARIANTS_BY_SKU_COST,
} from "./queries.ts";

/** A product without options has one option "Title" with the value "Default Title". */
const DEFAULT_OPTION = { name: "Title", value: "Default Title" };
/** Shopify's search index trails writes a little: look once more after this before re-creating. */
const SEARCH_SETTLE_MS = 2_000;

export interface ProductsContext {
  client: ShopifyGraphqlClient;
  locationId: () => Promise<string>;
  log: Logger;
  clock: Clock;
}

interface CreatedVariantNode {
  id: string;
  sku: string | null;
  inventoryItem: { id: string } | null;
}

interface VariantConnection {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: CreatedVariantNode[];
}

interface ProductSetResult {
  productSet: {
    product: { id: string; title: string; variants: VariantConnection } | null;
    userErrors: { field: string[] | null; message: string; code: string | null }[];
  } | null;
}

/** Checks a draft against what productSet needs; returns the problem or null. */
function draftProblem(draft: ProductDraft): string | null {
  if (!draft.title.trim()) return "A product needs a title";
  if (draft.variants.length === 0) return "A product needs at least one variant";
  if (draft.optionName === null && draft.variants.length > 1)
    return "A product with several variants needs an option name";
  if (draft.optionName !== null) {
    const values = draft.variants.map((v) => v.optionValue?.trim() ?? "");
    if (values.some((v) => v === "")) return `Every variant needs a value for ${draft.optionName}`;
    if (new Set(values).size !== values.length) return `Two variants have the same ${draft.optionName}`;
  }
  const skus = draft.variants.map((v) => v.sku.trim());
  if (skus.some((s) => s === "")) return "Every variant needs a SKU";
  if (new Set(skus).size !== skus.length) return "Two variants have the same SKU";
  return null;
}

export function productSetInput(draft: ProductDraft, locationId: string): Record<string, unknown> {
  const option = draft.optionName?.trim() || null;
  const optionValue = (value: string | null) =>
    option
      ? { optionName: option, name: value?.trim() ?? "" }
      : { optionName: DEFAULT_OPTION.name, name: DEFAULT_OPTION.value };
  return {
    title: draft.title.trim(),
    ...(draft.descriptionHtml !== null ? { descriptionHtml: draft.descriptionHtml } : {}),
    status: draft.status === "active" ? "ACTIVE" : "DRAFT",
    productOptions: option
      ? [{ name: option, values: draft.variants.map((v) => ({ name: v.optionValue?.trim() ?? "" })) }]
      : [{ name: DEFAULT_OPTION.name, values: [{ name: DEFAULT_OPTION.value }] }],
    variants: draft.variants.map((v) => ({
      optionValues: [optionValue(v.optionValue)],
      sku: v.sku.trim(),
      price: v.price,
      inventoryItem: { tracked: true },
      inventoryQuantities: [{ locationId, name: "available", quantity: v.quantity }],
    })),
    ...(draft.imageUrls.length > 0
      ? { files: draft.imageUrls.map((url) => ({ originalSource: url, contentType: "IMAGE" })) }
      : {}),
  };
}

export async function createProducts(
  ctx: ProductsContext,
  drafts: readonly ProductDraft[],
): Promise<CreateProductsResult> {
  const result: CreateProductsResult = { created: [], failed: [] };
  if (drafts.length === 0) return result;
  const locationId = await ctx.locationId();
  for (const draft of drafts) {
    const problem = draftProblem(draft);
    if (problem) {
      result.failed.push({ title: draft.title, code: "invalid_draft", message: problem });
      continue;
    }
    try {
      const outcome = await createOne(ctx, draft, locationId);
      if ("created" in outcome) result.created.push(outcome.created);
      else result.failed.push({ title: draft.title, ...outcome.failed });
    } catch (error) {
      if (error instanceof ChannelError && (error.code === "rejected" || error.code === "unavailable")) {
        result.failed.push({ title: draft.title, code: error.code, message: error.message });
      } else {
        throw error; // unauthorized / not_found concern the whole connection
      }
    }
  }
  return result;
}

type Outcome = { created: CreatedProduct } | { failed: { code: string; message: string } };

async function createOne(ctx: ProductsContext, draft: ProductDraft, locationId: string): Promise<Outcome> {
  const input = productSetInput(draft, locationId);
  let data: ProductSetResult;
  try {
    data = await ctx.client.request<ProductSetResult>(
      PRODUCT_SET,
      { input },
      { operation: "ProductSet", expectedCost: MUTATION_COST, ambiguousIsFatal: true },
    );
  } catch (error) {
    if (!(error instanceof ChannelError) || error.code !== "unavailable") throw error;
    // We do not know whether Shopify created it: look before creating again. SKU search goes
    // through Shopify's search index, which can lag a write, so a miss is checked once more.
    let existing = await findBySkus(ctx, draft);
    if (!existing) {
      await ctx.clock.sleep(SEARCH_SETTLE_MS);
      existing = await findBySkus(ctx, draft);
    }
    if (existing) {
      ctx.log.info({ product: existing.externalProductId }, "productSet outcome was unknown; the product exists");
      return { created: existing };
    }
    data = await ctx.client.request<ProductSetResult>(
      PRODUCT_SET,
      { input },
      { operation: "ProductSet", expectedCost: MUTATION_COST, ambiguousIsFatal: true },
    );
  }
  const payload = data.productSet;
  if (!payload?.product || payload.userErrors.length > 0) {
    const errors = payload?.userErrors ?? [];
    return {
      failed: {
        code: errors[0]?.code ?? "rejected",
        message:
          errors.map((e) => `${e.field?.join(".") ?? "input"}: ${e.message}`).join("; ") ||
          "Shopify created no product",
      },
    };
  }
  const nodes = [...payload.product.variants.nodes];
  let page = payload.product.variants.pageInfo;
  while (page.hasNextPage) {
    const more = await ctx.client.request<{ product: { variants: VariantConnection } | null }>(
      PRODUCT_VARIANTS_PAGE,
      { id: payload.product.id, after: page.endCursor },
      { operation: "ProductVariantsPage", expectedCost: PRODUCT_VARIANTS_PAGE_COST },
    );
    if (!more.product) break;
    nodes.push(...more.product.variants.nodes);
    page = more.product.variants.pageInfo;
  }
  return { created: toCreated(draft, payload.product.id, nodes) };
}

function toCreated(draft: ProductDraft, productId: string, nodes: CreatedVariantNode[]): CreatedProduct {
  return {
    title: draft.title,
    externalProductId: productId,
    variants: nodes.map((node) => ({
      externalProductId: productId,
      externalVariantId: node.id,
      externalInventoryItemId: node.inventoryItem?.id ?? null,
      sku: node.sku ?? "",
    })),
  };
}

/** Shopify search syntax: quote the value, escaping quotes and backslashes. */
function skuTerm(sku: string): string {
  return `sku:"${sku.replace(/\\/gu, "\\\\").replace(/"/gu, '\\"')}"`;
}

interface SkuSearch {
  productVariants: { nodes: (CreatedVariantNode & { product: { id: string; title: string } })[] };
}

/** The product carrying every SKU of the draft under the draft's title, if Shopify has one. */
async function findBySkus(ctx: ProductsContext, draft: ProductDraft): Promise<CreatedProduct | null> {
  const skus = draft.variants.map((v) => v.sku.trim());
  const query = skus.map(skuTerm).join(" OR ");
  const { productVariants } = await ctx.client.request<SkuSearch>(
    VARIANTS_BY_SKU,
    { query },
    { operation: "VariantsBySku", expectedCost: VARIANTS_BY_SKU_COST },
  );
  const byProduct = new Map<string, typeof productVariants.nodes>();
  for (const node of productVariants.nodes) {
    if (node.product.title !== draft.title.trim()) continue;
    byProduct.set(node.product.id, [...(byProduct.get(node.product.id) ?? []), node]);
  }
  for (const [productId, nodes] of byProduct) {
    const found = new Set(nodes.map((n) => n.sku));
    if (skus.every((sku) => found.has(sku))) return toCreated(draft, productId, nodes);
  }
  return null;
}

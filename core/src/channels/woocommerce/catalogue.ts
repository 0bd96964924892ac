/**
 * The catalogue as variants, and product creation (push).
 *
 * WooCommerce's model: a simple product is itself the sellable item (its variant id is its own
 * product id); a variable product sells only through its variations, listed under
 * `/products/{id}/variations`. Grouped and external products hold no stock of their own and are
 * not variants. WooCommerce has no inventory items (`externalInventoryItemId` is null).
 */
import type { CreateProductsResult, CreatedProduct, ProductDraft, StoreVariant } from "../types.ts";
import { ChannelError } from "../types.ts";
import { BATCH_LIMIT, type WooCommerceClient } from "./client.ts";
import {
  type BatchItem,
  type WooProduct,
  type WooVariation,
  batchResponseSchema,
  parseAnswer,
  productSchema,
  variationSchema,
} from "./payloads.ts";

const PRODUCT_FIELDS = "id,name,type,status,sku,price,manage_stock,stock_quantity";
// No `name`: WooCommerce 7.9's variations carry none (the title comes from the options).
const VARIATION_FIELDS = "id,sku,price,manage_stock,stock_quantity,attributes";
const NOT_VARIANTS = new Set(["variable", "grouped", "external"]);
/**
 * Pages in id order: WooCommerce's default (newest first, by date) shifts every page when a
 * product is added during the listing, which lists one twice and skips another.
 */
const IN_ID_ORDER = { orderby: "id", order: "asc" } as const;

function orNull(value: string | null | undefined): string | null {
  return value?.trim() ? value.trim() : null;
}

/** `manage_stock: false` means the store does not count this item; "parent" already reports the parent's stock. */
function quantityOf(item: { manage_stock: boolean | "parent"; stock_quantity: number | null }): number | null {
  return item.manage_stock === false ? null : item.stock_quantity;
}

function simpleVariant(product: WooProduct): StoreVariant {
  return {
    externalProductId: String(product.id),
    externalVariantId: String(product.id),
    externalInventoryItemId: null,
    sku: orNull(product.sku),
    productTitle: product.name,
    title: product.name,
    price: orNull(product.price),
    quantity: quantityOf(product),
  };
}

function variationVariant(product: WooProduct, variation: WooVariation): StoreVariant {
  const options = variation.attributes.map((a) => a.option).filter((o) => o !== "");
  return {
    externalProductId: String(product.id),
    externalVariantId: String(variation.id),
    externalInventoryItemId: null,
    sku: orNull(variation.sku),
    productTitle: product.name,
    title: options.length > 0 ? options.join(", ") : product.name,
    price: orNull(variation.price),
    quantity: quantityOf(variation),
  };
}

async function variationsOf(client: WooCommerceClient, product: WooProduct): Promise<StoreVariant[]> {
  const variants: StoreVariant[] = [];
  for await (const page of client.paginate(`products/${product.id}/variations`, {
    ...IN_ID_ORDER,
    _fields: VARIATION_FIELDS,
  })) {
    for (const raw of page)
      variants.push(
        variationVariant(product, parseAnswer(variationSchema, raw, `a variation of product ${product.id}`)),
      );
  }
  return variants;
}

/** Every variant, one page of products (with their variations) at a time. */
export async function* listVariants(client: WooCommerceClient): AsyncGenerator<StoreVariant[]> {
  for await (const page of client.paginate("products", { ...IN_ID_ORDER, _fields: PRODUCT_FIELDS })) {
    const products = page.map((raw) => parseAnswer(productSchema, raw, "a product"));
    const simple = products.filter((p) => !NOT_VARIANTS.has(p.type)).map(simpleVariant);
    // The variations requests run side by side; the site's limiter bounds how many at once.
    const variable = await Promise.all(
      products.filter((p) => p.type === "variable").map((p) => variationsOf(client, p)),
    );
    const variants = [...simple, ...variable.flat()];
    if (variants.length > 0) yield variants;
  }
}

// ---------------------------------------------------------------------------------------------
// Creation
// ---------------------------------------------------------------------------------------------

type Failure = CreateProductsResult["failed"][number];

function commonProductFields(draft: ProductDraft): Record<string, unknown> {
  return {
    name: draft.title,
    status: draft.status === "active" ? "publish" : "draft",
    ...(draft.descriptionHtml ? { description: draft.descriptionHtml } : {}),
    ...(draft.imageUrls.length > 0 ? { images: draft.imageUrls.map((src) => ({ src })) } : {}),
  };
}

/** Stock written the same way as quantity writes: WooCommerce discards a quantity sent without manage_stock. */
function stockFields(variant: ProductDraft["variants"][number]): Record<string, unknown> {
  return { sku: variant.sku, regular_price: variant.price, manage_stock: true, stock_quantity: variant.quantity };
}

function itemFailure(item: BatchItem): { code: string; message: string } | null {
  if (!("error" in item)) return null;
  const status = item.error.data?.status;
  const code =
    status === 404
      ? "not_found"
      : status === 401 || status === 403
        ? "unauthorized"
        : status !== undefined && status >= 500
          ? "unavailable"
          : "rejected";
  return { code, message: `${item.error.code}: ${item.error.message}` };
}

function failureOf(title: string, error: unknown): Failure {
  if (error instanceof ChannelError) {
    if (error.code === "unauthorized") throw error;
    return { title, code: error.code, message: error.message };
  }
  throw error;
}

function checkDraft(draft: ProductDraft): string | null {
  if (draft.variants.length === 0) return "a product needs at least one variant";
  if (draft.optionName === null) return draft.variants.length === 1 ? null : "several variants need an option name";
  if (draft.optionName.trim() === "") return "the option name is empty";
  const values = draft.variants.map((v) => v.optionValue?.trim() ?? "");
  if (values.some((v) => v === "")) return "every variant of a variable product needs an option value";
  if (new Set(values).size !== values.length) return "option values must be unique";
  return null;
}

/**
 * Creates simple products through `/products/batch`, up to 100 per request. Creation is not
 * idempotent, so a request is only sent again after a 429; any other failure fails its drafts
 * (WooCommerce's unique SKUs make a blind re-run by the caller fail rather than duplicate).
 */
async function createSimple(client: WooCommerceClient, drafts: ProductDraft[]): Promise<CreateProductsResult> {
  const result: CreateProductsResult = { created: [], failed: [] };
  const chunks: ProductDraft[][] = [];
  for (let i = 0; i < drafts.length; i += BATCH_LIMIT) chunks.push(drafts.slice(i, i + BATCH_LIMIT));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        const body = {
          create: chunk.map((d) => ({ ...commonProductFields(d), type: "simple", ...stockFields(d.variants[0]!) })),
        };
        const answer = parseAnswer(
          batchResponseSchema,
          (await client.request("post", "products/batch", { data: body, retry: "throttle-only", slow: true })).data,
          "a products batch",
        );
        chunk.forEach((draft, i) => {
          const item = answer.create?.[i];
          const failure = item ? itemFailure(item) : { code: "unavailable", message: "missing from the batch answer" };
          if (failure || !item) {
            result.failed.push({
              title: draft.title,
              ...(failure ?? { code: "unavailable", message: "missing from the batch answer" }),
            });
            return;
          }
          const id = String(item.id);
          result.created.push({
            title: draft.title,
            externalProductId: id,
            variants: [
              {
                externalProductId: id,
                externalVariantId: id,
                externalInventoryItemId: null,
                sku: draft.variants[0]!.sku,
              },
            ],
          });
        });
      } catch (error) {
        for (const draft of chunk) result.failed.push(failureOf(draft.title, error));
      }
    }),
  );
  return result;
}

/**
 * Creates a variable product: the parent with a custom attribute used for variations, then its
 * variations through `/products/{id}/variations/batch`. A parent whose variations all failed is
 * deleted again, so no empty product is left behind; a partial success is reported both as
 * created (with the variants that exist) and as failed (naming the SKUs that do not).
 */
async function createVariable(
  client: WooCommerceClient,
  draft: ProductDraft,
): Promise<{ created: CreatedProduct | null; failed: Failure | null }> {
  const optionName = draft.optionName!.trim();
  const parentBody = {
    ...commonProductFields(draft),
    type: "variable",
    attributes: [
      { name: optionName, visible: true, variation: true, options: draft.variants.map((v) => v.optionValue!.trim()) },
    ],
  };
  let parentId: string;
  try {
    const answer = parseAnswer(
      productSchema.pick({ id: true }),
      (await client.request("post", "products", { data: parentBody, retry: "throttle-only" })).data,
      "a created product",
    );
    parentId = String(answer.id);
  } catch (error) {
    return { created: null, failed: failureOf(draft.title, error) };
  }

  const variants: CreatedProduct["variants"] = [];
  const failedSkus: string[] = [];
  let lastProblem: { code: string; message: string } = { code: "rejected", message: "" };
  for (let i = 0; i < draft.variants.length; i += BATCH_LIMIT) {
    const chunk = draft.variants.slice(i, i + BATCH_LIMIT);
    const body = {
      create: chunk.map((v) => ({
        ...stockFields(v),
        attributes: [{ name: optionName, option: v.optionValue!.trim() }],
      })),
    };
    try {
      const answer = parseAnswer(
        batchResponseSchema,
        (
          await client.request("post", `products/${parentId}/variations/batch`, {
            data: body,
            retry: "throttle-only",
            slow: true,
          })
        ).data,
        "a variations batch",
      );
      chunk.forEach((variant, j) => {
        const item = answer.create?.[j];
        const failure = item ? itemFailure(item) : { code: "unavailable", message: "missing from the batch answer" };
        if (failure || !item) {
          failedSkus.push(variant.sku);
          lastProblem = failure ?? lastProblem;
          return;
        }
        variants.push({
          externalProductId: parentId,
          externalVariantId: String(item.id),
          externalInventoryItemId: null,
          sku: variant.sku,
        });
      });
    } catch (error) {
      const failure = failureOf(draft.title, error);
      failedSkus.push(...chunk.map((v) => v.sku));
      lastProblem = { code: failure.code, message: failure.message };
    }
  }

  if (failedSkus.length === 0)
    return { created: { title: draft.title, externalProductId: parentId, variants }, failed: null };
  const failed: Failure = {
    title: draft.title,
    code: lastProblem.code,
    message: `variants ${failedSkus.join(", ")} were not created (${lastProblem.message})`,
  };
  if (variants.length > 0) return { created: { title: draft.title, externalProductId: parentId, variants }, failed };
  // Nothing sellable was created: remove the empty parent (best effort; deleting is idempotent).
  await client.request("delete", `products/${parentId}`, { params: { force: true } }).catch(() => undefined);
  return { created: null, failed };
}

export async function createProducts(client: WooCommerceClient, drafts: ProductDraft[]): Promise<CreateProductsResult> {
  const result: CreateProductsResult = { created: [], failed: [] };
  const simple: ProductDraft[] = [];
  const variable: ProductDraft[] = [];
  for (const draft of drafts) {
    const problem = checkDraft(draft);
    if (problem) result.failed.push({ title: draft.title, code: "rejected", message: problem });
    else (draft.optionName === null ? simple : variable).push(draft);
  }
  const [simpleResult, variableResults] = await Promise.all([
    simple.length > 0
      ? createSimple(client, simple)
      : Promise.resolve<CreateProductsResult>({ created: [], failed: [] }),
    Promise.all(variable.map((draft) => createVariable(client, draft))),
  ]);
  result.created.push(...simpleResult.created);
  result.failed.push(...simpleResult.failed);
  for (const r of variableResults) {
    if (r.created) result.created.push(r.created);
    if (r.failed) result.failed.push(r.failed);
  }
  return result;
}

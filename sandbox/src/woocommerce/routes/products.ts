/**
 * `/wc/v3/products`, `/products/{id}`, `/products/batch` and the variations routes, after
 * `WC_REST_Products_Controller`, `WC_REST_Product_Variations_Controller` and
 * `WC_REST_CRUD_Controller` (get/create/update/delete item, batch).
 */
import {
  activePriceCents,
  applyProductArgs,
  applyVariationArgs,
  deleteProductPermanently,
  effectiveStockStatus,
  getProduct,
  getVariation,
  newProduct,
  newVariation,
  productArgs,
  saveCatalog,
  trashProduct,
  variationArgs,
} from "../catalog.ts";
import {
  CREATABLE,
  DELETABLE,
  EDITABLE,
  READABLE,
  type WpRequest,
  type WpResponse,
  type WpRoute,
  paginate,
  runBatch,
} from "../http.ts";
import { type ArgSpecs, collectionArgs, validateArgs } from "../schema.ts";
import { renderProduct, renderVariation, restUrl } from "../serialize.ts";
import type { Store } from "../state.ts";
import type { CatalogRecord, ProductRecord, VariationRecord } from "../types.ts";
import { WpError } from "../util.ts";
import { filterByDates } from "./query.ts";

const listArgs: ArgSpecs = {
  ...collectionArgs,
  status: { type: "string", enum: ["any", "future", "trash", "draft", "pending", "private", "publish"] },
  type: { type: "string", enum: ["simple", "grouped", "external", "variable"] },
  sku: { type: "string" },
  featured: { type: "boolean" },
  on_sale: { type: "boolean" },
  stock_status: { type: "string", enum: ["instock", "outofstock", "onbackorder"] },
  parent: { type: "array", items: { type: "integer" } },
  parent_exclude: { type: "array", items: { type: "integer" } },
  orderby: {
    type: "string",
    enum: ["date", "modified", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order"],
  },
};

const variationListArgs: ArgSpecs = {
  ...collectionArgs,
  status: { type: "string", enum: ["any", "future", "trash", "draft", "pending", "private", "publish"] },
  sku: { type: "string" },
  on_sale: { type: "boolean" },
  stock_status: { type: "string", enum: ["instock", "outofstock", "onbackorder"] },
  orderby: { type: "string", enum: ["date", "modified", "id", "include", "title", "slug", "menu_order"] },
};

const deleteArgs: ArgSpecs = { force: { type: "boolean" } };

const nameOf = (r: CatalogRecord) => (r.kind === "product" ? r.name : "");

/** The filters and ordering `prepare_objects_query` turns into a WP_Query. */
export function filterAndSort(
  records: CatalogRecord[],
  a: Record<string, unknown>,
  site: WpRequest["site"],
): CatalogRecord[] {
  let items = records;
  const status = (a.status as string | undefined) ?? "any";
  items = items.filter((r) => (status === "any" ? r.status !== "trash" : r.status === status));
  if (typeof a.sku === "string" && a.sku !== "") {
    // Comma-separated SKUs plus the whole string; matches products and variations.
    const skus = a.sku.split(",");
    if (skus.length > 1) skus.push(a.sku);
    const wanted = new Set(skus.map((s) => s.toLowerCase()));
    items = items.filter((r) => wanted.has(r.sku.toLowerCase()));
  }
  if (typeof a.type === "string") items = items.filter((r) => r.kind === "product" && r.type === a.type);
  if (typeof a.stock_status === "string") items = items.filter((r) => effectiveStockStatus(site, r) === a.stock_status);
  if (typeof a.featured === "boolean") items = items.filter((r) => r.kind === "product" && r.featured === a.featured);
  if (typeof a.on_sale === "boolean") items = items.filter((r) => (r.salePrice !== "") === a.on_sale);
  if (Array.isArray(a.parent) && a.parent.length > 0)
    items = items.filter((r) => (a.parent as number[]).includes(r.parentId));
  if (Array.isArray(a.parent_exclude) && a.parent_exclude.length > 0)
    items = items.filter((r) => !(a.parent_exclude as number[]).includes(r.parentId));
  if (Array.isArray(a.include) && a.include.length > 0)
    items = items.filter((r) => (a.include as number[]).includes(r.id));
  if (Array.isArray(a.exclude) && a.exclude.length > 0)
    items = items.filter((r) => !(a.exclude as number[]).includes(r.id));
  if (typeof a.search === "string" && a.search !== "") {
    const needle = a.search.toLowerCase();
    items = items.filter(
      (r) => nameOf(r).toLowerCase().includes(needle) || r.description.toLowerCase().includes(needle),
    );
  }
  items = filterByDates(
    items,
    a,
    (r) => r.dateCreated,
    (r) => r.dateModified,
  );

  const orderby = (a.orderby as string | undefined) ?? "date";
  const dir = a.order === "asc" ? 1 : -1;
  const key: (r: CatalogRecord) => number | string =
    {
      date: (r: CatalogRecord) => r.dateCreated,
      modified: (r: CatalogRecord) => r.dateModified,
      id: (r: CatalogRecord) => r.id,
      include: (r: CatalogRecord) => (Array.isArray(a.include) ? (a.include as number[]).indexOf(r.id) : r.id),
      title: (r: CatalogRecord) => nameOf(r).toLowerCase(),
      slug: (r: CatalogRecord) => (r.kind === "product" ? r.slug : ""),
      price: (r: CatalogRecord) => activePriceCents(r),
      popularity: (r: CatalogRecord) => r.totalSales,
      rating: () => 0,
      menu_order: (r: CatalogRecord) => r.menuOrder,
    }[orderby] ?? ((r: CatalogRecord) => r.dateCreated);
  // Equal keys come in creation order (ascending id) whatever the direction: WooCommerce 7.9 sorts
  // by `post_date` alone, and on a real site (SQLite) products made in the same second are listed
  // oldest first (measured). A client paging a changing catalogue asks for `orderby=id`.
  return [...items].sort((x, y) => {
    const kx = key(x);
    const ky = key(y);
    if (kx < ky) return -dir;
    if (kx > ky) return dir;
    return x.id - y.id;
  });
}

function productOrError(req: WpRequest, id: number, status: 400 | 404): ProductRecord {
  const record = req.site.catalog.get(id);
  if (!record) throw new WpError("woocommerce_rest_product_invalid_id", "Invalid ID.", status);
  if (record.kind === "variation") {
    throw new WpError(
      "woocommerce_rest_invalid_product_id",
      "To manipulate product variations you should use the /products/&lt;product_id&gt;/variations/&lt;id&gt; endpoint.",
      404,
    );
  }
  return record;
}

function variationOrError(req: WpRequest, parentId: number, id: number, status: 400 | 404): VariationRecord {
  const v = getVariation(req.site, parentId, id);
  if (!v) throw new WpError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", status);
  return v;
}

export function productRoutes(store: Store): WpRoute[] {
  const createProduct = (req: WpRequest, raw: Record<string, unknown>, lenient: boolean) => {
    if (raw.id) throw new WpError("woocommerce_rest_product_exists", "Cannot create existing product.", 400);
    const a = validateArgs(raw, productArgs, lenient);
    const product = newProduct(store);
    applyProductArgs(store, req.site, product, a);
    saveCatalog(store, req.site, product, "created");
    return product;
  };
  const updateProduct = (req: WpRequest, id: number, raw: Record<string, unknown>, lenient: boolean) => {
    const product = productOrError(req, id, 400);
    const a = validateArgs(raw, productArgs, lenient);
    applyProductArgs(store, req.site, product, a);
    saveCatalog(store, req.site, product);
    return product;
  };
  const deleteProduct = (req: WpRequest, id: number, force: boolean) => {
    const product = productOrError(req, id, 404);
    const before = renderProduct(req.ctx, req.site, product);
    if (force) {
      deleteProductPermanently(store, req.site, product);
      return before;
    }
    if (product.status === "trash")
      throw new WpError("woocommerce_rest_already_trashed", "The product has already been deleted.", 410);
    trashProduct(store, req.site, product);
    return renderProduct(req.ctx, req.site, product);
  };

  const createVariation = (req: WpRequest, parent: ProductRecord, raw: Record<string, unknown>, lenient: boolean) => {
    if (raw.id)
      throw new WpError("woocommerce_rest_product_variation_exists", "Cannot create existing product_variation.", 400);
    const a = validateArgs(raw, variationArgs, lenient);
    const variation = newVariation(store, parent);
    applyVariationArgs(store, req.site, variation, a);
    saveCatalog(store, req.site, variation, "created");
    return variation;
  };
  const updateVariation = (
    req: WpRequest,
    parentId: number,
    id: number,
    raw: Record<string, unknown>,
    lenient: boolean,
  ) => {
    const variation = variationOrError(req, parentId, id, 400);
    applyVariationArgs(store, req.site, variation, validateArgs(raw, variationArgs, lenient));
    saveCatalog(store, req.site, variation);
    return variation;
  };
  const deleteVariation = (req: WpRequest, parentId: number, id: number, force: boolean) => {
    const variation = variationOrError(req, parentId, id, 404);
    const before = renderVariation(req.ctx, req.site, variation);
    if (force) {
      deleteProductPermanently(store, req.site, variation);
      return before;
    }
    if (variation.status === "trash")
      throw new WpError("woocommerce_rest_already_trashed", "The product_variation has already been deleted.", 410);
    trashProduct(store, req.site, variation);
    return renderVariation(req.ctx, req.site, variation);
  };
  const parentOf = (req: WpRequest): ProductRecord => {
    const parent = getProduct(req.site, Number(req.url.product_id));
    if (!parent) throw new WpError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404);
    return parent;
  };
  const created = (req: WpRequest, body: Record<string, unknown>, location: string): WpResponse => ({
    status: 201,
    body,
    headers: { location: restUrl(req.ctx, location) },
  });

  return [
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/products$/,
      permission: "list",
      handler: (req) => {
        const a = validateArgs(req.params, listArgs);
        // Without a SKU filter only products are listed; with one, variations match too.
        const pool = [...req.site.catalog.values()].filter(
          (r) => (typeof a.sku === "string" && a.sku !== "") || r.kind === "product",
        );
        const { page, headers } = paginate(req, filterAndSort(pool, a, req.site), a);
        return { body: page.map((r) => renderProduct(req.ctx, req.site, r)), headers };
      },
    },
    {
      methods: CREATABLE,
      pattern: /^\/wc\/v3\/products$/,
      permission: "create",
      handler: (req) => {
        const product = createProduct(req, req.body, false);
        return created(req, renderProduct(req.ctx, req.site, product), `/products/${product.id}`);
      },
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/products\/batch$/,
      permission: "batch",
      handler: (req) =>
        runBatch(req, {
          create: (item) => renderProduct(req.ctx, req.site, createProduct(req, item, true)),
          update: (item) => renderProduct(req.ctx, req.site, updateProduct(req, Number(item.id ?? 0), item, true)),
          delete: (id) => deleteProduct(req, id, true),
        }),
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/products\/(?<id>\d+)$/,
      permission: "read",
      handler: (req) => {
        const record = req.site.catalog.get(Number(req.url.id));
        if (!record) throw new WpError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404);
        return { body: renderProduct(req.ctx, req.site, record) };
      },
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/products\/(?<id>\d+)$/,
      permission: "edit",
      handler: (req) => ({
        body: renderProduct(req.ctx, req.site, updateProduct(req, Number(req.url.id), req.body, false)),
      }),
    },
    {
      methods: DELETABLE,
      pattern: /^\/wc\/v3\/products\/(?<id>\d+)$/,
      permission: "delete",
      handler: (req) => ({
        body: deleteProduct(req, Number(req.url.id), validateArgs(req.params, deleteArgs).force === true),
      }),
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/products\/(?<product_id>\d+)\/variations$/,
      permission: "list",
      handler: (req) => {
        const a = validateArgs(req.params, variationListArgs);
        const parentId = Number(req.url.product_id);
        const pool = [...req.site.catalog.values()].filter((r) => r.kind === "variation" && r.parentId === parentId);
        const { page, headers } = paginate(req, filterAndSort(pool, a, req.site), a);
        return { body: page.map((v) => renderVariation(req.ctx, req.site, v as VariationRecord)), headers };
      },
    },
    {
      methods: CREATABLE,
      pattern: /^\/wc\/v3\/products\/(?<product_id>\d+)\/variations$/,
      permission: "create",
      handler: (req) => {
        const variation = createVariation(req, parentOf(req), req.body, false);
        return created(
          req,
          renderVariation(req.ctx, req.site, variation),
          `/products/${variation.parentId}/variations/${variation.id}`,
        );
      },
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/products\/(?<product_id>\d+)\/variations\/batch$/,
      permission: "batch",
      handler: (req) => {
        const parent = parentOf(req);
        return runBatch(req, {
          create: (item) => renderVariation(req.ctx, req.site, createVariation(req, parent, item, true)),
          update: (item) =>
            renderVariation(req.ctx, req.site, updateVariation(req, parent.id, Number(item.id ?? 0), item, true)),
          delete: (id) => deleteVariation(req, parent.id, id, true),
        });
      },
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/products\/(?<product_id>\d+)\/variations\/(?<id>\d+)$/,
      permission: "read",
      handler: (req) => ({
        body: renderVariation(
          req.ctx,
          req.site,
          variationOrError(req, Number(req.url.product_id), Number(req.url.id), 404),
        ),
      }),
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/products\/(?<product_id>\d+)\/variations\/(?<id>\d+)$/,
      permission: "edit",
      handler: (req) => ({
        body: renderVariation(
          req.ctx,
          req.site,
          updateVariation(req, Number(req.url.product_id), Number(req.url.id), req.body, false),
        ),
      }),
    },
    {
      methods: DELETABLE,
      pattern: /^\/wc\/v3\/products\/(?<product_id>\d+)\/variations\/(?<id>\d+)$/,
      permission: "delete",
      handler: (req) => ({
        body: deleteVariation(
          req,
          Number(req.url.product_id),
          Number(req.url.id),
          validateArgs(req.params, deleteArgs).force === true,
        ),
      }),
    },
  ];
}

/**
 * Products and variations: the domain rules of WooCommerce's product REST controllers
 * (`WC_REST_Products_Controller::prepare_object_for_database`, the variations controller) and of
 * `WC_Product` (`validate_props`, `set_sku`, `wc_update_product_stock`, variable product sync).
 *
 * Every save stamps `date_modified` and raises `product.created|updated` for the saved post; a
 * variation save also re-syncs its parent (`wc_deferred_product_sync`, price and stock status),
 * but that raises no webhook for the parent: on a real WooCommerce 7.9 a variation's stock change
 * (batch write, order, cancellation) delivers `product.updated` for the variation only
 * (measured, `/work/shared/reference/woocommerce.md`).
 */
import type { ArgSpecs } from "./schema.ts";
import type { Store } from "./state.ts";
import type {
  CatalogRecord,
  MetaEntry,
  ProductAttribute,
  ProductRecord,
  ProductStatus,
  SiteRecord,
  StockStatus,
  VariationRecord,
} from "./types.ts";
import { WpError, parseWpDate, slugify, toCents, toSeconds } from "./util.ts";

const stockStatuses = ["instock", "outofstock", "onbackorder"] as const;
const backorderValues = ["no", "notify", "yes"] as const;

export const productArgs: ArgSpecs = {
  name: { type: "string" },
  slug: { type: "string" },
  type: { type: "string", enum: ["simple", "grouped", "external", "variable"] },
  status: { type: "string", enum: ["draft", "pending", "private", "publish", "future"] },
  featured: { type: "boolean" },
  catalog_visibility: { type: "string", enum: ["visible", "catalog", "search", "hidden"] },
  description: { type: "string" },
  short_description: { type: "string" },
  sku: { type: "string" },
  regular_price: { type: "string" },
  sale_price: { type: "string" },
  virtual: { type: "boolean" },
  tax_status: { type: "string", enum: ["taxable", "shipping", "none"] },
  tax_class: { type: "string" },
  manage_stock: { type: "boolean" },
  stock_quantity: { type: "integer" },
  inventory_delta: { type: "integer" },
  stock_status: { type: "string", enum: stockStatuses },
  backorders: { type: "string", enum: backorderValues },
  low_stock_amount: { type: "null-integer" },
  weight: { type: "string" },
  parent_id: { type: "integer" },
  menu_order: { type: "integer" },
  attributes: { type: "array" },
  grouped_products: { type: "array", items: { type: "integer" } },
  meta_data: { type: "array" },
  date_created: { type: "string", format: "date-time" },
  date_created_gmt: { type: "string", format: "date-time" },
};

export const variationArgs: ArgSpecs = {
  description: { type: "string" },
  sku: { type: "string" },
  regular_price: { type: "string" },
  sale_price: { type: "string" },
  status: { type: "string", enum: ["draft", "pending", "private", "publish"] },
  virtual: { type: "boolean" },
  manage_stock: { type: "boolean" },
  stock_quantity: { type: "integer" },
  inventory_delta: { type: "integer" },
  stock_status: { type: "string", enum: stockStatuses },
  backorders: { type: "string", enum: backorderValues },
  low_stock_amount: { type: "null-integer" },
  weight: { type: "string" },
  menu_order: { type: "integer" },
  attributes: { type: "array" },
  meta_data: { type: "array" },
};

export function isTrashed(record: CatalogRecord): boolean {
  return record.status === "trash";
}

/**
 * `wc_product_has_unique_sku` / `wc_get_product_id_by_sku`: exact match on the SKU, compared
 * through MySQL's case-insensitive collation, ignoring trashed posts.
 */
export function findBySku(site: SiteRecord, sku: string, exceptId = 0): CatalogRecord | undefined {
  const wanted = sku.toLowerCase();
  for (const record of site.catalog.values()) {
    if (record.id !== exceptId && !isTrashed(record) && record.sku !== "" && record.sku.toLowerCase() === wanted)
      return record;
  }
  return undefined;
}

function assertUniqueSku(site: SiteRecord, sku: string, id: number): void {
  if (sku === "") return;
  const found = findBySku(site, sku, id);
  if (!found) return;
  let n = 1;
  while (findBySku(site, `${sku}-${n}`)) n += 1;
  // WC_Product::set_sku throws WC_Data_Exception( 'product_invalid_sku', ..., 400, [resource_id, unique_sku] ).
  throw new WpError("product_invalid_sku", "Invalid or duplicated SKU.", 400, {
    resource_id: found.id,
    unique_sku: `${sku}-${n}`,
  });
}

export function getProduct(site: SiteRecord, id: number): ProductRecord | undefined {
  const r = site.catalog.get(id);
  return r?.kind === "product" ? r : undefined;
}

export function getVariation(site: SiteRecord, parentId: number, id: number): VariationRecord | undefined {
  const r = site.catalog.get(id);
  return r?.kind === "variation" && r.parentId === parentId ? r : undefined;
}

/** Live (non-trashed) variations of a variable product, in menu order. */
export function childrenOf(site: SiteRecord, product: ProductRecord): VariationRecord[] {
  return product.variationIds
    .map((id) => site.catalog.get(id))
    .filter((v): v is VariationRecord => v?.kind === "variation" && v.status !== "trash");
}

/** `WC_Product::validate_props`: a managed item's status follows its quantity (no-stock threshold 0). */
function statusFromQuantity(quantity: number | null, backorders: string): StockStatus {
  if ((quantity ?? 0) > 0) return "instock";
  return backorders !== "no" ? "onbackorder" : "outofstock";
}

/** The item whose `_stock` WooCommerce changes for this item (`managing_stock` + variation 'parent'). */
export function stockOwner(site: SiteRecord, record: CatalogRecord): CatalogRecord | null {
  if (record.manageStock) return record;
  if (record.kind === "variation") {
    const parent = getProduct(site, record.parentId);
    if (parent?.manageStock) return parent;
  }
  return null;
}

export function effectiveStockQuantity(site: SiteRecord, record: CatalogRecord): number | null {
  const owner = stockOwner(site, record);
  return owner ? owner.stockQuantity : null;
}

export function effectiveStockStatus(site: SiteRecord, record: CatalogRecord): StockStatus {
  if (record.kind === "product" && record.type === "variable") {
    // WC_Product_Variable_Data_Store_CPT::sync_stock_status: in stock if any child is.
    const statuses = childrenOf(site, record).map((child) => effectiveStockStatus(site, child));
    if (statuses.includes("instock")) return "instock";
    if (statuses.includes("onbackorder")) return "onbackorder";
    return "outofstock";
  }
  const owner = stockOwner(site, record);
  if (owner) return statusFromQuantity(owner.stockQuantity, owner.backorders);
  return record.stockStatus;
}

/** The price a shopper pays now: the sale price when set, else the regular price. */
export function activePriceCents(record: CatalogRecord): number {
  return toCents(record.salePrice !== "" ? record.salePrice : record.regularPrice);
}

function upsertMeta(store: Store, site: SiteRecord, list: MetaEntry[], raw: unknown): void {
  if (!Array.isArray(raw)) return;
  for (const entry of raw) {
    if (entry === null || typeof entry !== "object") continue;
    const { id, key, value } = entry as { id?: unknown; key?: unknown; value?: unknown };
    if (typeof key !== "string") continue;
    const existing = list.find((m) => (typeof id === "number" && m.id === id) || m.key === key);
    if (existing) {
      existing.key = key;
      existing.value = value;
    } else {
      list.push({ id: store.nextMetaId(site), key, value });
    }
  }
}

function parseProductAttributes(raw: unknown): ProductAttribute[] {
  if (!Array.isArray(raw)) return [];
  const out: ProductAttribute[] = [];
  for (const item of raw) {
    if (item === null || typeof item !== "object") continue;
    const a = item as Record<string, unknown>;
    // Global (taxonomy) attributes are not emulated; custom attributes are identified by name.
    if (typeof a.name !== "string" || a.name === "") continue;
    const options = Array.isArray(a.options)
      ? a.options.map(String)
      : typeof a.options === "string"
        ? a.options.split("|").map((s) => s.trim())
        : [];
    out.push({
      id: 0,
      name: a.name,
      position: typeof a.position === "number" ? a.position : out.length,
      visible: a.visible === true,
      variation: a.variation === true,
      options,
    });
  }
  return out;
}

function parseVariationAttributes(raw: unknown): VariationRecord["attributes"] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((a): a is Record<string, unknown> => a !== null && typeof a === "object")
    .filter((a) => typeof a.name === "string" && a.name !== "")
    .map((a) => ({ id: 0, name: String(a.name), option: typeof a.option === "string" ? a.option : "" }));
}

/** Applies validated REST args to a product (`prepare_object_for_database`). */
export function applyProductArgs(
  store: Store,
  site: SiteRecord,
  product: ProductRecord,
  a: Record<string, unknown>,
): void {
  if (typeof a.type === "string") product.type = a.type as ProductRecord["type"];
  if (typeof a.name === "string") product.name = a.name;
  if (typeof a.description === "string") product.description = a.description;
  if (typeof a.short_description === "string") product.shortDescription = a.short_description;
  if (typeof a.status === "string") product.status = a.status as ProductStatus;
  if (typeof a.slug === "string") product.slug = slugify(a.slug);
  if (typeof a.menu_order === "number") product.menuOrder = a.menu_order;
  if (typeof a.virtual === "boolean") product.virtual = a.virtual;
  if (typeof a.tax_status === "string") product.taxStatus = a.tax_status as ProductRecord["taxStatus"];
  if (typeof a.tax_class === "string") product.taxClass = a.tax_class;
  if (typeof a.catalog_visibility === "string")
    product.catalogVisibility = a.catalog_visibility as ProductRecord["catalogVisibility"];
  if (typeof a.featured === "boolean") product.featured = a.featured;
  if (typeof a.weight === "string") product.weight = a.weight;
  if (typeof a.sku === "string") {
    assertUniqueSku(site, a.sku.trim(), product.id);
    product.sku = a.sku.trim();
  }
  if (a.attributes !== undefined) product.attributes = parseProductAttributes(a.attributes);

  if (product.type === "variable" || product.type === "grouped") {
    product.regularPrice = "";
    product.salePrice = "";
  } else {
    if (typeof a.regular_price === "string") product.regularPrice = a.regular_price;
    if (typeof a.sale_price === "string") product.salePrice = a.sale_price;
  }
  if (typeof a.parent_id === "number") product.parentId = a.parent_id;

  const stockStatus = typeof a.stock_status === "string" ? (a.stock_status as StockStatus) : product.stockStatus;
  if (typeof a.manage_stock === "boolean") product.manageStock = a.manage_stock;
  if (typeof a.backorders === "string") product.backorders = a.backorders as ProductRecord["backorders"];
  if (product.type === "grouped" || product.type === "external") {
    product.manageStock = false;
    product.backorders = "no";
    product.stockQuantity = null;
    product.stockStatus = product.type === "external" ? "instock" : stockStatus;
  } else if (product.manageStock) {
    if (product.type !== "variable") product.stockStatus = stockStatus;
    if (typeof a.stock_quantity === "number") product.stockQuantity = a.stock_quantity;
    else if (typeof a.inventory_delta === "number")
      product.stockQuantity = (product.stockQuantity ?? 0) + a.inventory_delta;
    if (a.low_stock_amount !== undefined) product.lowStockAmount = a.low_stock_amount as number | null;
  } else {
    // Not managing stock: WooCommerce discards any quantity sent along.
    product.stockQuantity = null;
    product.stockStatus = stockStatus;
    product.lowStockAmount = null;
  }
  if (product.type === "grouped" && Array.isArray(a.grouped_products))
    product.groupedProducts = a.grouped_products as number[];
  upsertMeta(store, site, product.metaData, a.meta_data);
  const created = typeof a.date_created_gmt === "string" ? a.date_created_gmt : a.date_created;
  const createdMs = typeof created === "string" ? parseWpDate(created) : null;
  if (createdMs !== null) product.dateCreated = toSeconds(createdMs);
}

export function applyVariationArgs(
  store: Store,
  site: SiteRecord,
  variation: VariationRecord,
  a: Record<string, unknown>,
): void {
  if (typeof a.description === "string") variation.description = a.description;
  if (typeof a.status === "string") variation.status = a.status === "private" ? "private" : "publish";
  if (typeof a.sku === "string") {
    assertUniqueSku(site, a.sku.trim(), variation.id);
    variation.sku = a.sku.trim();
  }
  if (typeof a.virtual === "boolean") variation.virtual = a.virtual;
  if (typeof a.weight === "string") variation.weight = a.weight;
  if (typeof a.menu_order === "number") variation.menuOrder = a.menu_order;
  if (typeof a.regular_price === "string") variation.regularPrice = a.regular_price;
  if (typeof a.sale_price === "string") variation.salePrice = a.sale_price;
  if (a.attributes !== undefined) variation.attributes = parseVariationAttributes(a.attributes);
  if (typeof a.manage_stock === "boolean") variation.manageStock = a.manage_stock;
  if (typeof a.stock_status === "string") variation.stockStatus = a.stock_status as StockStatus;
  if (typeof a.backorders === "string") variation.backorders = a.backorders as VariationRecord["backorders"];
  if (variation.manageStock) {
    if (typeof a.stock_quantity === "number") variation.stockQuantity = a.stock_quantity;
    else if (typeof a.inventory_delta === "number")
      variation.stockQuantity = (variation.stockQuantity ?? 0) + a.inventory_delta;
    if (a.low_stock_amount !== undefined) variation.lowStockAmount = a.low_stock_amount as number | null;
  } else {
    variation.stockQuantity = null;
    variation.lowStockAmount = null;
  }
  upsertMeta(store, site, variation.metaData, a.meta_data);
}

export function newProduct(store: Store): ProductRecord {
  const now = store.now();
  return {
    kind: "product",
    id: 0,
    type: "simple",
    name: "Product",
    slug: "",
    status: "publish",
    statusBeforeTrash: null,
    description: "",
    shortDescription: "",
    sku: "",
    regularPrice: "",
    salePrice: "",
    featured: false,
    catalogVisibility: "visible",
    virtual: false,
    taxStatus: "taxable",
    taxClass: "",
    weight: "",
    manageStock: false,
    stockQuantity: null,
    stockStatus: "instock",
    backorders: "no",
    lowStockAmount: null,
    totalSales: 0,
    menuOrder: 0,
    parentId: 0,
    attributes: [],
    variationIds: [],
    groupedProducts: [],
    metaData: [],
    dateCreated: now,
    dateModified: now,
  };
}

export function newVariation(store: Store, parent: ProductRecord): VariationRecord {
  const now = store.now();
  return {
    kind: "variation",
    id: 0,
    parentId: parent.id,
    status: "publish",
    statusBeforeTrash: null,
    description: "",
    sku: "",
    regularPrice: "",
    salePrice: "",
    virtual: false,
    weight: "",
    manageStock: false,
    stockQuantity: null,
    stockStatus: "instock",
    backorders: "no",
    lowStockAmount: null,
    totalSales: 0,
    menuOrder: parent.variationIds.length,
    attributes: [],
    metaData: [],
    dateCreated: now,
    dateModified: now,
  };
}

/** Stores a record (new or changed), stamps `date_modified` and raises the webhook events. */
export function saveCatalog(
  store: Store,
  site: SiteRecord,
  record: CatalogRecord,
  event: "created" | "updated" = "updated",
): void {
  const isNew = record.id === 0;
  if (isNew) record.id = store.nextPostId(site);
  storeRecord(store, site, record);
  store.emit(site, "product", isNew ? "created" : event, record.id);
  if (record.kind === "variation") {
    const parent = getProduct(site, record.parentId);
    if (parent) {
      if (isNew) parent.variationIds.push(record.id);
      syncParent(store, site, parent);
    }
  }
}

function storeRecord(store: Store, site: SiteRecord, record: CatalogRecord): void {
  record.dateModified = store.now();
  if (record.kind === "product" && record.slug === "") record.slug = uniqueSlug(site, slugify(record.name), record.id);
  if (record.manageStock) record.stockStatus = statusFromQuantity(record.stockQuantity, record.backorders);
  site.catalog.set(record.id, record);
  if (record.kind === "product" && record.type === "variable") record.stockStatus = effectiveStockStatus(site, record);
}

/**
 * `wc_deferred_product_sync`: the variable parent takes its price and stock status from its
 * variations and is saved, without a webhook of its own (see the file header).
 */
function syncParent(store: Store, site: SiteRecord, parent: ProductRecord): void {
  storeRecord(store, site, parent);
}

function uniqueSlug(site: SiteRecord, base: string, id: number): string {
  const taken = (slug: string) =>
    [...site.catalog.values()].some((r) => r.kind === "product" && r.id !== id && r.slug === slug);
  if (!taken(base)) return base;
  let n = 2;
  while (taken(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

/**
 * `wc_update_product_stock( $product, $qty, 'increase'|'decrease' )`: changes the quantity of
 * whichever post holds the stock and saves it. Returns the new quantity, or null when the item
 * does not manage stock (then nothing changes, exactly like WooCommerce).
 */
export function changeStock(store: Store, site: SiteRecord, record: CatalogRecord, delta: number): number | null {
  const owner = stockOwner(site, record);
  if (!owner) return null;
  owner.stockQuantity = (owner.stockQuantity ?? 0) + delta;
  saveCatalog(store, site, owner);
  return owner.stockQuantity;
}

/** Moves a product (and its variations) to the trash: `wp_trash_post` fires `product.deleted` for each. */
export function trashProduct(store: Store, site: SiteRecord, record: CatalogRecord): void {
  const posts: CatalogRecord[] = [record];
  if (record.kind === "product") posts.push(...childrenOf(site, record));
  for (const post of posts) {
    if (post.status !== "trash") (post as { statusBeforeTrash: string | null }).statusBeforeTrash = post.status;
    post.status = "trash";
    post.dateModified = store.now();
    store.emit(site, "product", "deleted", post.id);
  }
  if (record.kind === "variation") {
    const parent = getProduct(site, record.parentId);
    if (parent) syncParent(store, site, parent);
  }
}

/** Restores from the trash (`untrashed_post` -> `product.restored`); only wp-admin can do this. */
export function restoreProduct(store: Store, site: SiteRecord, record: CatalogRecord): void {
  if (record.status !== "trash") return;
  const posts: CatalogRecord[] = [record];
  if (record.kind === "product") {
    posts.push(
      ...record.variationIds
        .map((id) => site.catalog.get(id))
        .filter((v): v is VariationRecord => v?.kind === "variation" && v.status === "trash"),
    );
  }
  for (const post of posts) {
    if (post.kind === "product") post.status = post.statusBeforeTrash ?? "draft";
    else post.status = post.statusBeforeTrash ?? "publish";
    post.statusBeforeTrash = null;
    post.dateModified = store.now();
    store.emit(site, "product", "restored", post.id);
  }
}

/**
 * Permanently deletes a product and its variations. WooCommerce's `product.deleted` topic only
 * listens to `wp_trash_post`, so a forced delete (and every batch delete) raises no webhook.
 */
export function deleteProductPermanently(store: Store, site: SiteRecord, record: CatalogRecord): void {
  if (record.kind === "product") {
    for (const id of record.variationIds) site.catalog.delete(id);
    site.catalog.delete(record.id);
    return;
  }
  site.catalog.delete(record.id);
  const parent = getProduct(site, record.parentId);
  if (parent) {
    parent.variationIds = parent.variationIds.filter((id) => id !== record.id);
    syncParent(store, site, parent);
  }
}

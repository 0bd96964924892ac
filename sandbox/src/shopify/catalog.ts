/**
 * Shops, locations, products and variants. Both the control API (a merchant editing the admin)
 * and the GraphQL mutations (an app) build on these functions; input validation that Shopify
 * reports as `userErrors` stays in the mutation modules.
 */
import type { Core } from "./events.ts";
import { applyInventoryChanges, ensureLevel, setQuantityRequest, type InventoryChangeRequest } from "./inventory.ts";
import { normaliseMoney } from "./money.ts";
import { productDeletePayload, productPayload } from "./payloads.ts";
import type { Location, PlanName, Product, ProductOption, Shop, Variant } from "./state.ts";

export interface ShopInput {
  domain: string;
  name?: string;
  email?: string;
  plan?: PlanName;
  currency?: string;
  ianaTimezone?: string;
  timezoneOffsetMinutes?: number;
  locations?: { name: string; address1?: string; city?: string; country?: string; countryCode?: string }[];
}

export function createShop(core: Core, input: ShopInput): Shop {
  const { state } = core;
  const now = state.now();
  const shop: Shop = {
    id: state.ids.take(),
    domain: input.domain,
    name: input.name ?? input.domain.replace(/\.myshopify\.com$/, ""),
    email: input.email ?? `owner@${input.domain}`,
    plan: input.plan ?? "standard",
    currency: input.currency ?? "USD",
    ianaTimezone: input.ianaTimezone ?? "UTC",
    timezoneOffsetMinutes: input.timezoneOffsetMinutes ?? 0,
    createdAt: now,
    nextOrderNumber: 1001,
    locations: new Map(),
    products: new Map(),
    variants: new Map(),
    inventoryItems: new Map(),
    levels: new Map(),
    orders: new Map(),
    webhookSubscriptions: new Map(),
    bulkOperations: new Map(),
    idempotency: new Map(),
  };
  const locations = input.locations?.length ? input.locations : [{ name: "Shop location" }];
  for (const l of locations) addLocation(core, shop, l);
  state.shops.set(shop.domain, shop);
  return shop;
}

export function addLocation(core: Core, shop: Shop, input: NonNullable<ShopInput["locations"]>[number]): Location {
  const now = core.state.now();
  const location: Location = {
    id: core.state.ids.take(),
    name: input.name,
    address1: input.address1 ?? null,
    city: input.city ?? null,
    country: input.country ?? null,
    countryCode: input.countryCode ?? null,
    isActive: true,
    createdAt: now,
    updatedAt: now,
  };
  shop.locations.set(location.id, location);
  return location;
}

export function defaultLocation(shop: Shop): Location {
  const location = [...shop.locations.values()].find((l) => l.isActive);
  if (!location) throw new Error(`${shop.domain} has no active location`);
  return location;
}

export interface VariantDraft {
  /** One value per product option, by option name. Empty for a product without options. */
  optionValues: { optionName: string; name: string }[];
  sku?: string | null;
  price?: string | number;
  compareAtPrice?: string | number | null;
  barcode?: string | null;
  inventoryPolicy?: "DENY" | "CONTINUE";
  taxable?: boolean;
  tracked?: boolean;
  cost?: string | number | null;
  /** Starting stock; `available` (default) or `on_hand` per location. */
  inventory?: { locationId: number; name?: "available" | "on_hand"; quantity: number }[];
}

export interface ProductDraft {
  title: string;
  handle?: string;
  descriptionHtml?: string;
  vendor?: string;
  productType?: string;
  status?: Product["status"];
  tags?: string[];
  /** Options with their values; a product without options gets Shopify's "Title"/"Default Title". */
  options?: { name: string; values: string[] }[];
  variants?: VariantDraft[];
}

export const DEFAULT_OPTION = "Title";
export const DEFAULT_OPTION_VALUE = "Default Title";

function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "product"
  );
}

/** Handles are unique per shop; Shopify appends -1, -2, ... on a clash. */
export function uniqueHandle(shop: Shop, wanted: string, exceptProductId?: number): string {
  const base = slugify(wanted);
  const taken = new Set([...shop.products.values()].filter((p) => p.id !== exceptProductId).map((p) => p.handle));
  if (!taken.has(base)) return base;
  for (let n = 1; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function findProductByHandle(shop: Shop, handle: string): Product | undefined {
  return [...shop.products.values()].find((p) => p.handle === handle);
}

/** Ensures every option named in `values` exists with that value (productVariantsBulkCreate adds values). */
export function mergeOptions(core: Core, product: Product, wanted: { name: string; values: string[] }[]): void {
  for (const w of wanted) {
    let option = product.options.find((o) => o.name === w.name);
    if (!option) {
      option = { id: core.state.ids.take(), name: w.name, position: product.options.length + 1, values: [] };
      product.options.push(option);
    }
    for (const value of w.values) {
      if (!option.values.some((v) => v.name === value)) option.values.push({ id: core.state.ids.take(), name: value });
    }
  }
}

export function createProduct(core: Core, shop: Shop, draft: ProductDraft): Product {
  const now = core.state.now();
  const product: Product = {
    id: core.state.ids.take(),
    title: draft.title,
    handle: uniqueHandle(shop, draft.handle ?? draft.title),
    descriptionHtml: draft.descriptionHtml ?? "",
    vendor: draft.vendor ?? shop.name,
    productType: draft.productType ?? "",
    status: draft.status ?? "ACTIVE",
    tags: draft.tags ?? [],
    options: [],
    variantIds: [],
    createdAt: now,
    updatedAt: now,
  };
  shop.products.set(product.id, product);
  const options = draft.options?.length ? draft.options : [{ name: DEFAULT_OPTION, values: [DEFAULT_OPTION_VALUE] }];
  mergeOptions(core, product, options);
  const variants = draft.variants?.length
    ? draft.variants
    : // Shopify always gives a product at least one variant: the first combination of option values.
      [
        {
          optionValues: product.options.map((o) => ({
            optionName: o.name,
            name: o.values[0]?.name ?? DEFAULT_OPTION_VALUE,
          })),
        },
      ];
  const stock: InventoryChangeRequest[] = [];
  for (const v of variants) stock.push(...addVariant(core, shop, product, v));
  core.events.emit({ shop, topic: "products/create", payload: productPayload(shop, product) });
  applyInventoryChanges(shop, stock, now, core.events);
  return product;
}

/**
 * Adds a variant (and its inventory item) to a product. Returns the stock changes for its
 * starting inventory so callers can apply them after announcing the product.
 */
export function addVariant(core: Core, shop: Shop, product: Product, draft: VariantDraft): InventoryChangeRequest[] {
  const now = core.state.now();
  const variantId = core.state.ids.take();
  const itemId = core.state.ids.take();
  // A variant given without option values on an option-less product is the "Default Title" one.
  const optionValues = draft.optionValues.length
    ? draft.optionValues
    : product.options.map((o) => ({ optionName: o.name, name: o.values[0]?.name ?? DEFAULT_OPTION_VALUE }));
  mergeOptions(
    core,
    product,
    optionValues.map((ov) => ({ name: ov.optionName, values: [ov.name] })),
  );
  const variant: Variant = {
    id: variantId,
    productId: product.id,
    inventoryItemId: itemId,
    selectedOptions: orderedSelection(product, optionValues),
    price: normaliseMoney(draft.price ?? 0),
    compareAtPrice: draft.compareAtPrice == null ? null : normaliseMoney(draft.compareAtPrice),
    barcode: draft.barcode ?? null,
    inventoryPolicy: draft.inventoryPolicy ?? "DENY",
    taxable: draft.taxable ?? true,
    position: product.variantIds.length + 1,
    createdAt: now,
    updatedAt: now,
  };
  shop.variants.set(variantId, variant);
  shop.inventoryItems.set(itemId, {
    id: itemId,
    variantId,
    sku: draft.sku ?? null,
    tracked: draft.tracked ?? true,
    requiresShipping: true,
    cost: draft.cost == null ? null : normaliseMoney(draft.cost),
    createdAt: now,
    updatedAt: now,
  });
  product.variantIds.push(variantId);
  product.updatedAt = now;
  // New variants are stocked at every active location (Shopify activates them at the shop's
  // locations), with zero unless a starting quantity is given.
  for (const location of shop.locations.values()) if (location.isActive) ensureLevel(shop, itemId, location.id, now);
  return (draft.inventory ?? []).map((i) =>
    setQuantityRequest(shop, itemId, i.locationId, i.name ?? "available", i.quantity, now),
  );
}

function orderedSelection(
  product: Product,
  values: { optionName: string; name: string }[],
): Variant["selectedOptions"] {
  return product.options.flatMap((o: ProductOption) => {
    const v = values.find((x) => x.optionName === o.name);
    return v ? [{ name: o.name, value: v.name }] : [];
  });
}

/** The fields of a variant that can change after creation (stock changes go through inventory). */
export type VariantPatch = Partial<Omit<VariantDraft, "inventory">>;

export function updateVariant(core: Core, shop: Shop, variant: Variant, patch: VariantPatch): void {
  const now = core.state.now();
  const product = shop.products.get(variant.productId);
  if (patch.optionValues && product) {
    mergeOptions(
      core,
      product,
      patch.optionValues.map((ov) => ({ name: ov.optionName, values: [ov.name] })),
    );
    const merged = new Map(variant.selectedOptions.map((o) => [o.name, o.value]));
    for (const ov of patch.optionValues) merged.set(ov.optionName, ov.name);
    variant.selectedOptions = orderedSelection(
      product,
      [...merged].map(([optionName, name]) => ({ optionName, name })),
    );
  }
  if (patch.price !== undefined) variant.price = normaliseMoney(patch.price);
  if (patch.compareAtPrice !== undefined)
    variant.compareAtPrice = patch.compareAtPrice === null ? null : normaliseMoney(patch.compareAtPrice);
  if (patch.barcode !== undefined) variant.barcode = patch.barcode;
  if (patch.inventoryPolicy !== undefined) variant.inventoryPolicy = patch.inventoryPolicy;
  if (patch.taxable !== undefined) variant.taxable = patch.taxable;
  const item = shop.inventoryItems.get(variant.inventoryItemId);
  if (item) {
    if (patch.sku !== undefined) item.sku = patch.sku;
    if (patch.tracked !== undefined) item.tracked = patch.tracked;
    if (patch.cost !== undefined) item.cost = patch.cost === null ? null : normaliseMoney(patch.cost);
    item.updatedAt = now;
  }
  variant.updatedAt = now;
  if (product) product.updatedAt = now;
}

export function deleteVariant(shop: Shop, variant: Variant): void {
  const product = shop.products.get(variant.productId);
  if (product) {
    product.variantIds = product.variantIds.filter((id) => id !== variant.id);
    product.variantIds.forEach((id, i) => {
      const v = shop.variants.get(id);
      if (v) v.position = i + 1;
    });
  }
  shop.variants.delete(variant.id);
  shop.inventoryItems.delete(variant.inventoryItemId);
  for (const [key, level] of shop.levels)
    if (level.inventoryItemId === variant.inventoryItemId) shop.levels.delete(key);
}

/** Drops option values no variant uses any more (Shopify keeps options in step with variants). */
export function pruneOptions(shop: Shop, product: Product): void {
  const variants = product.variantIds.flatMap((id) => shop.variants.get(id) ?? []);
  for (const option of product.options) {
    option.values = option.values.filter((v) =>
      variants.some((x) => x.selectedOptions.some((s) => s.name === option.name && s.value === v.name)),
    );
  }
  product.options = product.options.filter((o) => o.values.length > 0);
  product.options.forEach((o, i) => (o.position = i + 1));
}

export function announceProductUpdate(core: Core, shop: Shop, product: Product): void {
  core.events.emit({ shop, topic: "products/update", payload: productPayload(shop, product) });
}

export function deleteProduct(core: Core, shop: Shop, product: Product): void {
  for (const variantId of [...product.variantIds]) {
    const variant = shop.variants.get(variantId);
    if (variant) deleteVariant(shop, variant);
  }
  shop.products.delete(product.id);
  core.events.emit({ shop, topic: "products/delete", payload: productDeletePayload(product.id) });
}

export function variantBySku(shop: Shop, sku: string): Variant | undefined {
  for (const item of shop.inventoryItems.values()) {
    if (item.sku === sku) return shop.variants.get(item.variantId);
  }
  return undefined;
}

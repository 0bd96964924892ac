/**
 * Catalogue mutations used to push products to Shopify: productSet (declarative upsert: list
 * fields that are given replace what exists, so omitted variants are deleted), productCreate,
 * productVariantsBulkCreate / productVariantsBulkUpdate and productDelete. userError codes and
 * field paths follow each payload's error type in the schema.
 */
import {
  addVariant,
  announceProductUpdate,
  createProduct,
  DEFAULT_OPTION,
  DEFAULT_OPTION_VALUE,
  deleteProduct,
  deleteVariant,
  findProductByHandle,
  mergeOptions,
  pruneOptions,
  uniqueHandle,
  updateVariant,
  type VariantDraft,
} from "../catalog.ts";
import { externalId, gid, idOf } from "../ids.ts";
import { applyInventoryChanges, setQuantityRequest, type InventoryChangeRequest } from "../inventory.ts";
import type { Product, Shop, Variant } from "../state.ts";
import type { RequestContext } from "./context.ts";
import { productView, shopView, variantView } from "./views-catalog.ts";

interface UserError {
  field: string[] | null;
  message: string;
  code?: string | null;
}

interface OptionValueRef {
  optionName?: string | null;
  name?: string | null;
  optionId?: string | null;
  id?: string | null;
}

interface InventoryItemInput {
  sku?: string | null;
  tracked?: boolean | null;
  cost?: string | null;
}

const MAX_VARIANTS = 2048;

/** Resolves `{optionName|optionId, name|id}` references against a product's options. */
function resolveOptionValues(
  product: Product | undefined,
  refs: OptionValueRef[],
  declared?: { name: string; values: string[] }[],
): { optionName: string; name: string }[] | string {
  const result: { optionName: string; name: string }[] = [];
  for (const ref of refs) {
    const optionName =
      ref.optionName ??
      (ref.optionId ? product?.options.find((o) => gid("ProductOption", o.id) === ref.optionId)?.name : undefined);
    if (!optionName) return "Option does not exist";
    const valueName =
      ref.name ??
      (ref.id
        ? product?.options.flatMap((o) => o.values).find((v) => gid("ProductOptionValue", v.id) === ref.id)?.name
        : undefined);
    if (!valueName) return `Option value for '${optionName}' does not exist`;
    if (declared && !declared.some((o) => o.name === optionName)) return `Option '${optionName}' does not exist`;
    result.push({ optionName, name: valueName });
  }
  return result;
}

function comboKey(values: { optionName: string; name: string }[]): string {
  return [...values]
    .sort((a, b) => a.optionName.localeCompare(b.optionName))
    .map((v) => `${v.optionName}=${v.name}`)
    .join("|");
}

function variantCombo(variant: Variant): string {
  return comboKey(variant.selectedOptions.map((o) => ({ optionName: o.name, name: o.value })));
}

interface ProductSetVariantInput {
  id?: string | null;
  optionValues: OptionValueRef[];
  sku?: string | null;
  price?: string | null;
  compareAtPrice?: string | null;
  barcode?: string | null;
  inventoryPolicy?: "DENY" | "CONTINUE" | null;
  taxable?: boolean | null;
  position?: number | null;
  inventoryItem?: InventoryItemInput | null;
  inventoryQuantities?: { locationId: string; name: string; quantity: number }[] | null;
}

interface ProductSetInput {
  title?: string | null;
  handle?: string | null;
  descriptionHtml?: string | null;
  vendor?: string | null;
  productType?: string | null;
  status?: Product["status"] | null;
  tags?: string[] | null;
  productOptions?:
    { name?: string | null; position?: number | null; values?: { name?: string | null }[] | null }[] | null;
  variants?: ProductSetVariantInput[] | null;
}

function inventoryFromInput(
  shop: Shop,
  list: { locationId: string; name: string; quantity: number }[] | null | undefined,
  path: string[],
  errors: UserError[],
): VariantDraft["inventory"] {
  if (!list) return undefined;
  const result: NonNullable<VariantDraft["inventory"]> = [];
  list.forEach((q, i) => {
    const locationId = idOf(q.locationId, "Location");
    if (locationId === undefined || !shop.locations.has(locationId)) {
      errors.push({
        field: [...path, String(i), "locationId"],
        message: "Location does not exist",
        code: "INVALID_INPUT",
      });
      return;
    }
    if (q.name !== "available" && q.name !== "on_hand") {
      errors.push({
        field: [...path, String(i), "name"],
        message: "Quantity name must be either 'available' or 'on_hand'",
        code: "INVALID_INPUT",
      });
      return;
    }
    result.push({ locationId, name: q.name, quantity: q.quantity });
  });
  return result;
}

export function productSet(
  args: {
    input: ProductSetInput;
    identifier?: { id?: string | null; handle?: string | null } | null;
    synchronous?: boolean | null;
  },
  ctx: RequestContext,
): object {
  const { shop, core } = ctx;
  const { input } = args;
  const errors: UserError[] = [];
  const fail = () => ({ product: null, productSetOperation: null, userErrors: errors });

  let existing: Product | undefined;
  if (args.identifier?.id) {
    const id = idOf(args.identifier.id, "Product");
    existing = id === undefined ? undefined : shop.products.get(id);
    if (!existing) {
      errors.push({ field: ["identifier", "id"], message: "Product does not exist", code: "PRODUCT_DOES_NOT_EXIST" });
      return fail();
    }
  } else if (args.identifier?.handle) {
    existing = findProductByHandle(shop, args.identifier.handle);
  }
  if (!existing && !input.title?.trim()) {
    errors.push({ field: ["input", "title"], message: "Title can't be blank", code: "INVALID_INPUT" });
    return fail();
  }

  const declaredOptions = input.productOptions?.map((o) => ({
    name: o.name ?? "",
    values: (o.values ?? []).map((v) => v.name ?? ""),
  }));
  if (input.variants && input.variants.length > 0 && !declaredOptions) {
    errors.push({
      field: ["input", "productOptions"],
      message: "Product options input is required when updating variants",
      code: "PRODUCT_OPTIONS_INPUT_MISSING",
    });
    return fail();
  }
  if (input.variants && input.variants.length > MAX_VARIANTS) {
    errors.push({
      field: ["input", "variants"],
      message: `Number of variants exceeds the ${MAX_VARIANTS} limit`,
      code: "VARIANTS_OVER_LIMIT",
    });
    return fail();
  }
  if (declaredOptions) {
    const names = declaredOptions.map((o) => o.name);
    if (new Set(names).size !== names.length)
      errors.push({
        field: ["input", "productOptions"],
        message: "Duplicated option name.",
        code: "DUPLICATED_OPTION_NAME",
      });
    declaredOptions.forEach((o, i) => {
      if (o.values.length === 0)
        errors.push({
          field: ["input", "productOptions", String(i), "values"],
          message: "Option values are missing",
          code: "OPTION_VALUES_MISSING",
        });
    });
  }

  // Work out every variant's option values and check they exist in the declared options.
  const variantPlans: {
    input: ProductSetVariantInput;
    values: { optionName: string; name: string }[];
    existing?: Variant;
  }[] = [];
  const seenCombos = new Set<string>();
  (input.variants ?? []).forEach((v, i) => {
    const path = ["input", "variants", String(i)];
    const values = resolveOptionValues(existing, v.optionValues, declaredOptions);
    if (typeof values === "string") {
      errors.push({ field: [...path, "optionValues"], message: values, code: "OPTION_DOES_NOT_EXIST" });
      return;
    }
    for (const value of values) {
      if (declaredOptions && !declaredOptions.find((o) => o.name === value.optionName)?.values.includes(value.name)) {
        errors.push({
          field: [...path, "optionValues"],
          message: `Option value '${value.name}' does not exist on option '${value.optionName}'`,
          code: "OPTION_VALUE_DOES_NOT_EXIST",
        });
      }
    }
    if (declaredOptions && values.length !== declaredOptions.length) {
      errors.push({
        field: [...path, "optionValues"],
        message: "Each variant needs one value for every option",
        code: "INVALID_VARIANT",
      });
    }
    const combo = comboKey(values);
    if (seenCombos.has(combo))
      errors.push({
        field: [...path, "optionValues"],
        message: "The variant already exists with these option values",
        code: "DUPLICATED_OPTION_VALUE",
      });
    seenCombos.add(combo);
    let match: Variant | undefined;
    if (v.id) {
      const id = idOf(v.id, "ProductVariant");
      match = id === undefined ? undefined : shop.variants.get(id);
      if (!match || match.productId !== existing?.id) {
        errors.push({
          field: [...path, "id"],
          message: "Product variant does not exist",
          code: "PRODUCT_VARIANT_DOES_NOT_EXIST",
        });
        return;
      }
    } else if (existing) {
      match = existing.variantIds
        .map((id) => shop.variants.get(id))
        .find((x): x is Variant => !!x && variantCombo(x) === combo);
    }
    variantPlans.push({ input: v, values, existing: match });
  });
  const inventories = variantPlans.map((plan, i) =>
    inventoryFromInput(
      shop,
      plan.input.inventoryQuantities,
      ["input", "variants", String(i), "inventoryQuantities"],
      errors,
    ),
  );
  if (errors.length) return fail();

  const drafts: VariantDraft[] = variantPlans.map((plan, i) => ({
    optionValues: plan.values,
    sku: plan.input.sku ?? plan.input.inventoryItem?.sku ?? undefined,
    price: plan.input.price ?? undefined,
    compareAtPrice: plan.input.compareAtPrice,
    barcode: plan.input.barcode,
    inventoryPolicy: plan.input.inventoryPolicy ?? undefined,
    taxable: plan.input.taxable ?? undefined,
    tracked: plan.input.inventoryItem?.tracked ?? undefined,
    cost: plan.input.inventoryItem?.cost,
    inventory: inventories[i],
  }));

  let product: Product;
  if (!existing) {
    product = createProduct(core, shop, {
      title: input.title!.trim(),
      handle: input.handle ?? undefined,
      descriptionHtml: input.descriptionHtml ?? undefined,
      vendor: input.vendor ?? undefined,
      productType: input.productType ?? undefined,
      status: input.status ?? undefined,
      tags: input.tags ?? undefined,
      options: declaredOptions,
      variants: drafts,
    });
  } else {
    product = existing;
    const now = core.state.now();
    if (input.title != null) product.title = input.title;
    if (input.handle != null) product.handle = uniqueHandle(shop, input.handle, product.id);
    if (input.descriptionHtml != null) product.descriptionHtml = input.descriptionHtml;
    if (input.vendor != null) product.vendor = input.vendor;
    if (input.productType != null) product.productType = input.productType;
    if (input.status != null) product.status = input.status;
    if (input.tags != null) product.tags = input.tags;
    const stock: InventoryChangeRequest[] = [];
    if (input.variants) {
      // productSet is declarative: variants not in the list are deleted.
      const keep = new Set(variantPlans.flatMap((p) => (p.existing ? [p.existing.id] : [])));
      for (const id of [...product.variantIds]) {
        const variant = shop.variants.get(id);
        if (variant && !keep.has(id)) deleteVariant(shop, variant);
      }
      if (declaredOptions) {
        product.options = product.options.filter((o) => declaredOptions.some((d) => d.name === o.name));
        mergeOptions(core, product, declaredOptions);
      }
      variantPlans.forEach((plan, i) => {
        const draft = drafts[i]!;
        if (plan.existing) {
          const { inventory: _startingStock, ...patch } = draft;
          updateVariant(core, shop, plan.existing, patch);
          for (const q of draft.inventory ?? [])
            stock.push(
              setQuantityRequest(
                shop,
                plan.existing.inventoryItemId,
                q.locationId,
                q.name ?? "available",
                q.quantity,
                now,
              ),
            );
        } else {
          stock.push(...addVariant(core, shop, product, draft));
        }
      });
      pruneOptions(shop, product);
    }
    product.updatedAt = now;
    announceProductUpdate(core, shop, product);
    applyInventoryChanges(shop, stock, now, core.events);
  }

  const view = productView(ctx, product);
  if (args.synchronous === false) {
    // Asynchronous runs return an operation to poll; the emulator finishes the work at once.
    return {
      product: null,
      productSetOperation: {
        __typename: "ProductSetOperation",
        id: `gid://shopify/ProductSetOperation/${externalId(core.state.ids.take())}`,
        status: "COMPLETE",
        product: view,
        userErrors: [],
      },
      userErrors: [],
    };
  }
  return { product: view, productSetOperation: null, userErrors: [] };
}

interface ProductCreateInput {
  title?: string | null;
  handle?: string | null;
  descriptionHtml?: string | null;
  vendor?: string | null;
  productType?: string | null;
  status?: Product["status"] | null;
  tags?: string[] | null;
  productOptions?: { name?: string | null; values?: { name?: string | null }[] | null }[] | null;
}

/** productCreate makes the product and one variant (the first option-value combination). */
export function productCreate(
  args: { product?: ProductCreateInput | null; input?: ProductCreateInput | null },
  ctx: RequestContext,
): object {
  const input = args.product ?? args.input;
  const shop = shopView(ctx, ctx.shop);
  if (!input?.title?.trim())
    return { product: null, shop, userErrors: [{ field: ["title"], message: "Title can't be blank" }] };
  const options = input.productOptions?.map((o) => ({
    name: o.name ?? "",
    values: (o.values ?? []).map((v) => v.name ?? ""),
  }));
  if (options?.some((o) => !o.name || o.values.length === 0)) {
    return {
      product: null,
      shop,
      userErrors: [{ field: ["productOptions"], message: "Each option needs a name and at least one value" }],
    };
  }
  const product = createProduct(ctx.core, ctx.shop, {
    title: input.title.trim(),
    handle: input.handle ?? undefined,
    descriptionHtml: input.descriptionHtml ?? undefined,
    vendor: input.vendor ?? undefined,
    productType: input.productType ?? undefined,
    status: input.status ?? undefined,
    tags: input.tags ?? undefined,
    options,
  });
  return { product: productView(ctx, product), shop, userErrors: [] };
}

interface BulkVariantInput {
  id?: string | null;
  optionValues?: OptionValueRef[] | null;
  price?: string | null;
  compareAtPrice?: string | null;
  barcode?: string | null;
  inventoryPolicy?: "DENY" | "CONTINUE" | null;
  taxable?: boolean | null;
  inventoryItem?: InventoryItemInput | null;
  inventoryQuantities?: { locationId: string; availableQuantity: number }[] | null;
}

function productFor(ctx: RequestContext, productId: string): Product | undefined {
  const id = idOf(productId, "Product");
  return id === undefined ? undefined : ctx.shop.products.get(id);
}

export function productVariantsBulkCreate(
  args: {
    productId: string;
    variants: BulkVariantInput[];
    strategy?: "DEFAULT" | "PRESERVE_STANDALONE_VARIANT" | "REMOVE_STANDALONE_VARIANT" | null;
  },
  ctx: RequestContext,
): object {
  const { shop, core } = ctx;
  const errors: UserError[] = [];
  const product = productFor(ctx, args.productId);
  if (!product)
    return {
      product: null,
      productVariants: null,
      userErrors: [{ field: ["productId"], message: "Product does not exist", code: "PRODUCT_DOES_NOT_EXIST" }],
    };

  const standalone = product.variantIds.length === 1 ? shop.variants.get(product.variantIds[0]!) : undefined;
  const isDefaultStandalone =
    standalone?.selectedOptions.length === 1 && standalone.selectedOptions[0]?.value === DEFAULT_OPTION_VALUE;
  const strategy = args.strategy ?? "DEFAULT";
  const removeStandalone =
    standalone !== undefined &&
    (strategy === "REMOVE_STANDALONE_VARIANT" || (strategy === "DEFAULT" && isDefaultStandalone));

  const existingCombos = new Set(
    product.variantIds.flatMap((id) => {
      const v = shop.variants.get(id);
      return v && !(removeStandalone && v === standalone) ? [variantCombo(v)] : [];
    }),
  );
  const plans: {
    values: { optionName: string; name: string }[];
    input: BulkVariantInput;
    inventory: VariantDraft["inventory"];
  }[] = [];
  args.variants.forEach((v, i) => {
    const path = ["variants", String(i)];
    if (v.id)
      errors.push({
        field: [...path, "id"],
        message: "The id field is not allowed when creating variants",
        code: "INVALID_INPUT",
      });
    const values = resolveOptionValues(product, v.optionValues ?? []);
    if (typeof values === "string") {
      errors.push({ field: [...path, "optionValues"], message: values, code: "INVALID_INPUT" });
      return;
    }
    if (values.length === 0) {
      errors.push({
        field: [...path, "optionValues"],
        message: "You need to add option values for variants",
        code: "NEED_TO_ADD_OPTION_VALUES",
      });
      return;
    }
    const combo = comboKey(values);
    if (existingCombos.has(combo))
      errors.push({
        field: [...path],
        message: `The variant '${values.map((x) => x.name).join(" / ")}' already exists.`,
        code: "VARIANT_ALREADY_EXISTS",
      });
    existingCombos.add(combo);
    if (v.price != null && Number(v.price) < 0)
      errors.push({
        field: [...path, "price"],
        message: "Price must be greater than or equal to 0",
        code: "GREATER_THAN_OR_EQUAL_TO",
      });
    const inventory = (v.inventoryQuantities ?? []).flatMap((q, j) => {
      const locationId = idOf(q.locationId, "Location");
      if (locationId === undefined || !shop.locations.has(locationId)) {
        errors.push({
          field: [...path, "inventoryQuantities", String(j), "locationId"],
          message: "Location does not exist",
          code: "TRACKED_VARIANT_LOCATION_NOT_FOUND",
        });
        return [];
      }
      return [{ locationId, name: "available" as const, quantity: q.availableQuantity }];
    });
    plans.push({ values, input: v, inventory });
  });
  if (product.variantIds.length + plans.length > MAX_VARIANTS) {
    errors.push({
      field: ["variants"],
      message: `Number of variants exceeds the ${MAX_VARIANTS} limit`,
      code: "INVALID_INPUT",
    });
  }
  if (errors.length) return { product: null, productVariants: null, userErrors: errors };

  const now = core.state.now();
  if (removeStandalone && standalone) {
    deleteVariant(shop, standalone);
    if (isDefaultStandalone) product.options = product.options.filter((o) => o.name !== DEFAULT_OPTION);
  }
  const stock: InventoryChangeRequest[] = [];
  const created: Variant[] = [];
  for (const plan of plans) {
    stock.push(
      ...addVariant(core, shop, product, {
        optionValues: plan.values,
        sku: plan.input.inventoryItem?.sku ?? null,
        price: plan.input.price ?? undefined,
        compareAtPrice: plan.input.compareAtPrice,
        barcode: plan.input.barcode,
        inventoryPolicy: plan.input.inventoryPolicy ?? undefined,
        taxable: plan.input.taxable ?? undefined,
        tracked: plan.input.inventoryItem?.tracked ?? undefined,
        cost: plan.input.inventoryItem?.cost,
        inventory: plan.inventory,
      }),
    );
    const variant = shop.variants.get(product.variantIds[product.variantIds.length - 1]!);
    if (variant) created.push(variant);
  }
  pruneOptions(shop, product);
  product.updatedAt = now;
  announceProductUpdate(core, shop, product);
  applyInventoryChanges(shop, stock, now, core.events);
  return {
    product: productView(ctx, product),
    productVariants: created.map((v) => variantView(ctx, v)),
    userErrors: [],
  };
}

export function productVariantsBulkUpdate(
  args: { productId: string; variants: BulkVariantInput[]; allowPartialUpdates?: boolean | null },
  ctx: RequestContext,
): object {
  const { shop, core } = ctx;
  const errors: UserError[] = [];
  const product = productFor(ctx, args.productId);
  if (!product)
    return {
      product: null,
      productVariants: null,
      userErrors: [{ field: ["productId"], message: "Product does not exist", code: "PRODUCT_DOES_NOT_EXIST" }],
    };
  const plans: { variant: Variant; input: BulkVariantInput; values?: { optionName: string; name: string }[] }[] = [];
  args.variants.forEach((v, i) => {
    const path = ["variants", String(i)];
    if (!v.id) {
      errors.push({
        field: [...path, "id"],
        message: "Product variant is missing ID attribute",
        code: "PRODUCT_VARIANT_ID_MISSING",
      });
      return;
    }
    const id = idOf(v.id, "ProductVariant");
    const variant = id === undefined ? undefined : shop.variants.get(id);
    if (!variant) {
      errors.push({
        field: [...path, "id"],
        message: "Product variant does not exist",
        code: "PRODUCT_VARIANT_DOES_NOT_EXIST",
      });
      return;
    }
    if (variant.productId !== product.id) {
      errors.push({
        field: [...path, "id"],
        message: "Product variant does not belong to the product",
        code: "MUST_BE_FOR_THIS_PRODUCT",
      });
      return;
    }
    if (v.inventoryQuantities) {
      errors.push({
        field: [...path, "inventoryQuantities"],
        message:
          "Inventory quantities can only be provided during create. To update inventory for existing variants, use inventoryAdjustQuantities.",
        code: "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
      });
      return;
    }
    if (v.price != null && Number(v.price) < 0)
      errors.push({
        field: [...path, "price"],
        message: "Price must be greater than or equal to 0",
        code: "GREATER_THAN_OR_EQUAL_TO",
      });
    let values: { optionName: string; name: string }[] | undefined;
    if (v.optionValues) {
      const resolved = resolveOptionValues(product, v.optionValues);
      if (typeof resolved === "string") {
        errors.push({ field: [...path, "optionValues"], message: resolved, code: "OPTION_DOES_NOT_EXIST" });
        return;
      }
      values = resolved;
    }
    plans.push({ variant, input: v, values });
  });
  if (errors.length && !args.allowPartialUpdates) return { product: null, productVariants: null, userErrors: errors };

  for (const plan of plans) {
    updateVariant(core, shop, plan.variant, {
      optionValues: plan.values,
      sku: plan.input.inventoryItem?.sku === undefined ? undefined : plan.input.inventoryItem.sku,
      price: plan.input.price ?? undefined,
      compareAtPrice: plan.input.compareAtPrice,
      barcode: plan.input.barcode,
      inventoryPolicy: plan.input.inventoryPolicy ?? undefined,
      taxable: plan.input.taxable ?? undefined,
      tracked: plan.input.inventoryItem?.tracked ?? undefined,
      cost: plan.input.inventoryItem?.cost,
    });
  }
  pruneOptions(shop, product);
  if (plans.length) announceProductUpdate(core, shop, product);
  return {
    product: productView(ctx, product),
    productVariants: plans.map((p) => variantView(ctx, p.variant)),
    userErrors: errors,
  };
}

export function productDelete(args: { input: { id: string } }, ctx: RequestContext): object {
  const product = productFor(ctx, args.input.id);
  if (!product)
    return {
      deletedProductId: null,
      productDeleteOperation: null,
      shop: shopView(ctx, ctx.shop),
      userErrors: [{ field: ["id"], message: "Product does not exist" }],
    };
  deleteProduct(ctx.core, ctx.shop, product);
  return {
    deletedProductId: gid("Product", product.id),
    productDeleteOperation: null,
    shop: shopView(ctx, ctx.shop),
    userErrors: [],
  };
}

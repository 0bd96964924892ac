/**
 * GraphQL views of the catalogue: Shop, Location, Product, ProductVariant, InventoryItem,
 * InventoryLevel. A view is a plain object whose properties are field values or functions
 * `(args) => value` that graphql-js calls as resolvers; fields left out resolve to null (or to a
 * clear "not emulated" error when the schema says they are non-null, see resolvers.ts).
 */
import { GraphQLError } from "graphql";
import { externalId, gid, inventoryLevelGid, idOf } from "../ids.ts";
import { findLevel, levelsOfItem, totalAvailable } from "../inventory.ts";
import { toCents, fromCents } from "../money.ts";
import {
  PLAN_LIMITS,
  quantityOf,
  skuOf,
  variantTitle,
  type InventoryItem,
  type InventoryLevel,
  type Location,
  type Product,
  type QuantityName,
  type Shop,
  type Variant,
} from "../state.ts";
import { paginate, type ConnectionArgs } from "./connection.ts";
import { emptyConnection, exactCount, legacyId, moneyV2, time, type RequestContext } from "./context.ts";
import { matchesSearch, parseSearch, type FieldReader } from "./search.ts";

type Args = Record<string, unknown> & ConnectionArgs;

const QUANTITY_NAMES = new Set<QuantityName>([
  "available",
  "committed",
  "damaged",
  "incoming",
  "on_hand",
  "quality_control",
  "reserved",
  "safety_stock",
]);

/** Fields every HasMetafields / Node-ish object answers the same way here. */
const noExtras = {
  metafield: null,
  metafields: () => emptyConnection(),
  events: () => emptyConnection(),
  translations: () => [],
};

export function shopView(ctx: RequestContext, shop: Shop): object {
  const limits = PLAN_LIMITS[shop.plan];
  return {
    ...noExtras,
    __typename: "Shop",
    id: gid("Shop", shop.id),
    name: shop.name,
    email: shop.email,
    contactEmail: shop.email,
    myshopifyDomain: shop.domain,
    url: `https://${shop.domain}`,
    primaryDomain: {
      __typename: "Domain",
      id: `gid://shopify/Domain/${externalId(shop.id)}`,
      host: shop.domain,
      url: `https://${shop.domain}`,
      sslEnabled: true,
      localization: null,
      marketWebPresence: null,
    },
    currencyCode: shop.currency,
    enabledPresentmentCurrencies: [shop.currency],
    ianaTimezone: shop.ianaTimezone,
    timezoneOffsetMinutes: shop.timezoneOffsetMinutes,
    timezoneOffset: (() => {
      const m = Math.abs(shop.timezoneOffsetMinutes);
      return `${shop.timezoneOffsetMinutes < 0 ? "-" : "+"}${String(Math.floor(m / 60)).padStart(2, "0")}${String(m % 60).padStart(2, "0")}`;
    })(),
    timezoneAbbreviation: () =>
      new Intl.DateTimeFormat("en-US", { timeZone: shop.ianaTimezone, timeZoneName: "short" })
        .formatToParts(new Date(ctx.core.state.now()))
        .find((p) => p.type === "timeZoneName")?.value ?? "UTC",
    plan: {
      __typename: "ShopPlan",
      publicDisplayName: limits.displayName,
      displayName: limits.displayName,
      partnerDevelopment: false,
      shopifyPlus: shop.plan === "plus",
    },
    weightUnit: "KILOGRAMS",
    unitSystem: "METRIC_SYSTEM",
    taxesIncluded: false,
    taxShipping: false,
    setupRequired: false,
    checkoutApiSupported: true,
    transactionalSmsDisabled: false,
    marketingSmsConsentEnabledAtCheckout: false,
    orderNumberFormatPrefix: "#",
    orderNumberFormatSuffix: "",
    shopOwnerName: shop.name,
    description: null,
    shipsToCountries: [],
    alerts: [],
    createdAt: time(shop.createdAt),
    updatedAt: time(shop.createdAt),
  };
}

export function locationView(ctx: RequestContext, location: Location): object {
  const shop = ctx.shop;
  const levels = () => [...shop.levels.values()].filter((l) => l.locationId === location.id);
  return {
    ...noExtras,
    __typename: "Location",
    id: gid("Location", location.id),
    legacyResourceId: legacyId(location.id),
    name: location.name,
    isActive: location.isActive,
    isPrimary: [...shop.locations.values()][0]?.id === location.id,
    activatable: !location.isActive,
    deactivatable: location.isActive,
    deletable: !location.isActive,
    deactivatedAt: null,
    addressVerified: true,
    fulfillsOnlineOrders: true,
    hasActiveInventory: levels().length > 0,
    hasUnfulfilledOrders: [...shop.orders.values()].some((o) => o.locationId === location.id && o.cancelledAt === null),
    isFulfillmentService: false,
    shipsInventory: true,
    fulfillmentService: null,
    localPickupSettingsV2: null,
    suggestedAddresses: [],
    address: {
      __typename: "LocationAddress",
      address1: location.address1,
      address2: null,
      city: location.city,
      country: location.country,
      countryCode: location.countryCode,
      province: null,
      provinceCode: null,
      zip: null,
      phone: null,
      latitude: null,
      longitude: null,
      formatted: [location.address1, location.city, location.country].filter((x): x is string => Boolean(x)),
    },
    createdAt: time(location.createdAt),
    updatedAt: time(location.updatedAt),
    inventoryLevel: (args: { inventoryItemId: string }) => {
      const itemId = idOf(args.inventoryItemId, "InventoryItem");
      const level = itemId === undefined ? undefined : findLevel(shop, itemId, location.id);
      return level ? inventoryLevelView(ctx, level) : null;
    },
    inventoryLevels: (args: Args) =>
      paginate(levels(), args, {
        position: (l) => ({ value: l.inventoryItemId, id: l.inventoryItemId }),
        view: (l) => inventoryLevelView(ctx, l),
        unbounded: ctx.bulk,
      }),
  };
}

export function inventoryLevelView(ctx: RequestContext, level: InventoryLevel): object {
  const shop = ctx.shop;
  return {
    __typename: "InventoryLevel",
    id: inventoryLevelGid(level.locationId, level.inventoryItemId),
    isActive: true,
    canDeactivate: true,
    deactivationAlert: null,
    createdAt: time(level.createdAt),
    updatedAt: time(level.updatedAt),
    item: () => {
      const item = shop.inventoryItems.get(level.inventoryItemId);
      return item ? inventoryItemView(ctx, item) : null;
    },
    location: () => {
      const location = shop.locations.get(level.locationId);
      return location ? locationView(ctx, location) : null;
    },
    quantities: (args: { names: string[] }) =>
      args.names.map((name) => {
        if (!QUANTITY_NAMES.has(name as QuantityName)) {
          throw new GraphQLError(
            `Invalid quantity name: '${name}'. Valid names are: ${[...QUANTITY_NAMES].join(", ")}.`,
            {
              extensions: { code: "BAD_REQUEST" },
            },
          );
        }
        const quantityName = name as QuantityName;
        const updatedAt = level.quantityUpdatedAt[quantityName] ?? level.createdAt;
        return {
          __typename: "InventoryQuantity",
          id: `gid://shopify/InventoryQuantity/${externalId(level.locationId)}?inventory_item_id=${externalId(level.inventoryItemId)}&name=${name}`,
          name,
          quantity: quantityOf(level, quantityName),
          updatedAt: time(updatedAt),
        };
      }),
    scheduledChanges: () => emptyConnection(),
  };
}

export function inventoryItemView(ctx: RequestContext, item: InventoryItem): object {
  const shop = ctx.shop;
  const variant = () => {
    const v = shop.variants.get(item.variantId);
    return v ? variantView(ctx, v) : null;
  };
  return {
    __typename: "InventoryItem",
    id: gid("InventoryItem", item.id),
    legacyResourceId: legacyId(item.id),
    sku: item.sku,
    tracked: item.tracked,
    trackedEditable: { __typename: "EditableProperty", locked: false, reason: null },
    requiresShipping: item.requiresShipping,
    unitCost: item.cost === null ? null : moneyV2(item.cost, shop.currency),
    countryCodeOfOrigin: null,
    provinceCodeOfOrigin: null,
    harmonizedSystemCode: null,
    countryHarmonizedSystemCodes: () => emptyConnection(),
    measurement: {
      __typename: "InventoryItemMeasurement",
      id: `gid://shopify/InventoryItemMeasurement/${externalId(item.id)}`,
      weight: { unit: "KILOGRAMS", value: 0 },
    },
    inventoryHistoryUrl: `https://admin.shopify.com/store/${shop.domain.replace(/\.myshopify\.com$/, "")}/products/inventory/${item.id}/inventory_history`,
    duplicateSkuCount: item.sku
      ? [...shop.inventoryItems.values()].filter((i) => i.id !== item.id && i.sku === item.sku).length
      : 0,
    locationsCount: exactCount(levelsOfItem(shop, item.id).length),
    createdAt: time(item.createdAt),
    updatedAt: time(item.updatedAt),
    variant,
    variants: (args: Args) => {
      const v = shop.variants.get(item.variantId);
      return paginate(v ? [v] : [], args, {
        position: (x) => ({ value: x.id, id: x.id }),
        view: (x) => variantView(ctx, x),
        unbounded: ctx.bulk,
      });
    },
    inventoryLevel: (args: { locationId: string }) => {
      const locationId = idOf(args.locationId, "Location");
      const level = locationId === undefined ? undefined : findLevel(shop, item.id, locationId);
      return level ? inventoryLevelView(ctx, level) : null;
    },
    inventoryLevels: (args: Args) => {
      const query = parseSearch(args.query as string | undefined);
      const levels = levelsOfItem(shop, item.id).filter((l) =>
        matchesSearch(
          l,
          query,
          (level, field) =>
            field === "location_id" ? level.locationId : field === "updated_at" ? time(level.updatedAt) : undefined,
          () => [],
        ),
      );
      return paginate(levels, args, {
        position: (l) => ({ value: l.locationId, id: l.locationId }),
        view: (l) => inventoryLevelView(ctx, l),
        unbounded: ctx.bulk,
      });
    },
  };
}

export function variantView(ctx: RequestContext, variant: Variant): object {
  const shop = ctx.shop;
  const product = shop.products.get(variant.productId);
  const title = variantTitle(variant);
  return {
    ...noExtras,
    __typename: "ProductVariant",
    id: gid("ProductVariant", variant.id),
    legacyResourceId: legacyId(variant.id),
    title,
    displayName: `${product?.title ?? ""} - ${title}`,
    sku: skuOf(shop, variant),
    barcode: variant.barcode,
    price: variant.price,
    compareAtPrice: variant.compareAtPrice,
    position: variant.position,
    inventoryPolicy: variant.inventoryPolicy,
    inventoryQuantity: () => totalAvailable(shop, variant.inventoryItemId),
    sellableOnlineQuantity: () => Math.max(0, totalAvailable(shop, variant.inventoryItemId)),
    availableForSale: () => variant.inventoryPolicy === "CONTINUE" || totalAvailable(shop, variant.inventoryItemId) > 0,
    taxable: variant.taxable,
    taxCode: null,
    requiresComponents: false,
    showUnitPrice: false,
    unitPrice: null,
    image: null,
    media: () => emptyConnection(),
    defaultCursor: Buffer.from(JSON.stringify({ last_id: variant.id, last_value: variant.id })).toString("base64"),
    createdAt: time(variant.createdAt),
    updatedAt: time(variant.updatedAt),
    selectedOptions: variant.selectedOptions.map((o) => {
      const option = product?.options.find((x) => x.name === o.name);
      const value = option?.values.find((v) => v.name === o.value);
      return {
        __typename: "SelectedOption",
        name: o.name,
        value: o.value,
        optionValue: {
          __typename: "ProductOptionValue",
          id: gid("ProductOptionValue", value?.id ?? 0),
          name: o.value,
          hasVariants: true,
          swatch: null,
          linkedMetafieldValue: null,
          translations: [],
        },
      };
    }),
    product: () => (product ? productView(ctx, product) : null),
    inventoryItem: () => {
      const item = shop.inventoryItems.get(variant.inventoryItemId);
      return item ? inventoryItemView(ctx, item) : null;
    },
  };
}

export function productView(ctx: RequestContext, product: Product): object {
  const shop = ctx.shop;
  const variants = () => product.variantIds.flatMap((id) => shop.variants.get(id) ?? []);
  const prices = () => variants().map((v) => toCents(v.price));
  const isDefaultOnly = () =>
    product.options.length === 1 && product.options[0]?.name === "Title" && product.variantIds.length === 1;
  return {
    ...noExtras,
    __typename: "Product",
    id: gid("Product", product.id),
    legacyResourceId: legacyId(product.id),
    title: product.title,
    handle: product.handle,
    descriptionHtml: product.descriptionHtml,
    bodyHtml: product.descriptionHtml,
    description: product.descriptionHtml.replace(/<[^>]*>/g, ""),
    vendor: product.vendor,
    productType: product.productType,
    status: product.status,
    tags: product.tags,
    isGiftCard: false,
    giftCardTemplateSuffix: null,
    templateSuffix: null,
    requiresSellingPlan: false,
    onlineStoreUrl: null,
    onlineStorePreviewUrl: null,
    featuredMedia: null,
    featuredImage: null,
    category: null,
    combinedListing: null,
    combinedListingRole: null,
    seo: { __typename: "SEO", title: null, description: null },
    createdAt: time(product.createdAt),
    updatedAt: time(product.updatedAt),
    publishedAt: product.status === "ACTIVE" ? time(product.createdAt) : null,
    totalInventory: () => variants().reduce((sum, v) => sum + totalAvailable(shop, v.inventoryItemId), 0),
    tracksInventory: () => variants().some((v) => shop.inventoryItems.get(v.inventoryItemId)?.tracked),
    hasOnlyDefaultVariant: isDefaultOnly,
    hasOutOfStockVariants: () => variants().some((v) => totalAvailable(shop, v.inventoryItemId) <= 0),
    hasVariantsThatRequiresComponents: false,
    totalVariants: () => product.variantIds.length,
    variantsCount: () => exactCount(product.variantIds.length),
    media: () => emptyConnection(),
    images: () => emptyConnection(),
    collections: () => emptyConnection(),
    priceRangeV2: () => {
      const all = prices();
      return {
        __typename: "ProductPriceRangeV2",
        minVariantPrice: moneyV2(fromCents(all.length ? Math.min(...all) : 0), shop.currency),
        maxVariantPrice: moneyV2(fromCents(all.length ? Math.max(...all) : 0), shop.currency),
      };
    },
    options: (args: { first?: number | null }) =>
      product.options.slice(0, args.first ?? undefined).map((o) => ({
        __typename: "ProductOption",
        id: gid("ProductOption", o.id),
        name: o.name,
        position: o.position,
        values: o.values.map((v) => v.name),
        linkedMetafield: null,
        translations: [],
        optionValues: o.values.map((v) => ({
          __typename: "ProductOptionValue",
          id: gid("ProductOptionValue", v.id),
          name: v.name,
          hasVariants: true,
          swatch: null,
          linkedMetafieldValue: null,
          translations: [],
        })),
      })),
    variants: (args: Args) => {
      const sortKey = (args.sortKey as string | undefined) ?? "POSITION";
      return paginate(variants(), args, {
        position: (v) => ({
          value: sortKey === "POSITION" ? v.position : sortKey === "SKU" ? (skuOf(shop, v) ?? "") : v.id,
          id: v.id,
        }),
        view: (v) => variantView(ctx, v),
        unbounded: ctx.bulk,
      });
    },
  };
}

/** `sku:`, `updated_at:>`, `product_id:` ... on productVariants. */
export const variantFields: (shop: Shop) => FieldReader<Variant> = (shop) => (v, field) => {
  switch (field) {
    case "sku":
      return skuOf(shop, v);
    case "id":
      return externalId(v.id);
    case "product_id":
      return externalId(v.productId);
    case "title":
      return variantTitle(v);
    case "barcode":
      return v.barcode;
    case "updated_at":
      return time(v.updatedAt);
    case "created_at":
      return time(v.createdAt);
    case "inventory_quantity":
      return totalAvailable(shop, v.inventoryItemId);
    case "product_status":
      return shop.products.get(v.productId)?.status.toLowerCase() ?? null;
    default:
      return undefined;
  }
};

export const productFields: (shop: Shop) => FieldReader<Product> = (shop) => (p, field) => {
  switch (field) {
    case "title":
      return p.title;
    case "handle":
      return p.handle;
    case "id":
      return externalId(p.id);
    case "status":
      return p.status.toLowerCase();
    case "vendor":
      return p.vendor;
    case "product_type":
      return p.productType;
    case "tag":
      return p.tags;
    case "sku":
      return p.variantIds.map((id) => {
        const v = shop.variants.get(id);
        return v ? skuOf(shop, v) : null;
      });
    case "updated_at":
      return time(p.updatedAt);
    case "created_at":
      return time(p.createdAt);
    default:
      return undefined;
  }
};

export const inventoryItemFields: FieldReader<InventoryItem> = (item, field) => {
  switch (field) {
    case "sku":
      return item.sku;
    case "id":
      return externalId(item.id);
    case "updated_at":
      return time(item.updatedAt);
    case "created_at":
      return time(item.createdAt);
    default:
      return undefined;
  }
};

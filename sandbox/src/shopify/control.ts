/**
 * The control API: what tests, the demo mode and the product's e2e suite do to the emulated
 * Shopify that the Admin API itself cannot do (create shops and apps, install, act as the
 * merchant in the admin, place orders as a customer, inspect webhook deliveries, inject faults).
 *
 * Every operation is a method of `ShopifyControl` (in-process) and a JSON route under
 * `/_control/...` (control-routes.ts). Both validate with the zod schemas below; bad input is a
 * thrown `ControlError` in-process and `400 {"error":{"code":"invalid_input","message":...}}` over HTTP.
 */
import { z } from "zod";
import type { FaultPlan, FaultPlanInput, Faults } from "../shared/faults.ts";
import { createProduct, createShop, defaultLocation, deleteProduct, variantBySku } from "./catalog.ts";
import { seedDemo, type DemoSeed, type DemoSeedOptions } from "./demo.ts";
import { ControlError } from "./errors.ts";
import { WEBHOOK_TOPICS, type Core } from "./events.ts";
import { gid, idOf } from "./ids.ts";
import { applyInventoryChanges, ensureLevel, setQuantityRequest } from "./inventory.ts";
import { cancelOrder, editOrder, findOrder, markPaid, placeOrder, refundOrder } from "./orders.ts";
import { issueToken, signSessionToken } from "./oauth.ts";
import { levelSummary, shopPayload } from "./payloads.ts";
import type { Location, Order, Shop } from "./state.ts";
import type { BulkOperations } from "./graphql/bulk.ts";
import type { RateLimiter } from "./graphql/throttle.ts";
import type { DeliveryRecord, WebhookDispatcher } from "./webhooks.ts";

// ---- Input schemas ----

const shopDomain = z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a *.myshopify.com domain");
const money = z.union([z.number().min(0), z.string().regex(/^\d+(\.\d+)?$/, "must be a decimal number")]);
const quantity = z.number().int().min(0);
const locationRef = z.union([z.string().min(1), z.number().int()]);

const locationInput = z
  .object({
    name: z.string().min(1),
    address1: z.string().optional(),
    city: z.string().optional(),
    country: z.string().optional(),
    countryCode: z.string().optional(),
  })
  .strict();

export const createShopSchema = z
  .object({
    domain: shopDomain,
    name: z.string().min(1).optional(),
    email: z.string().optional(),
    plan: z.enum(["standard", "advanced", "plus"]).default("standard"),
    currency: z.string().length(3).default("USD"),
    ianaTimezone: z.string().default("UTC"),
    timezoneOffsetMinutes: z.number().int().min(-720).max(840).default(0),
    locations: z.array(locationInput).min(1).optional(),
  })
  .strict();

export const registerAppSchema = z
  .object({
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
    title: z.string().min(1).default("Prokip Sync"),
    scopes: z
      .string()
      .default("read_products,write_products,read_inventory,write_inventory,read_orders,read_locations"),
    /** App-level subscriptions, like `[[webhooks.subscriptions]]` in shopify.app.toml. */
    webhooks: z.array(z.object({ topics: z.array(z.enum(WEBHOOK_TOPICS)).min(1), uri: z.url() }).strict()).default([]),
  })
  .strict();

export const installAppSchema = z
  .object({
    shop: shopDomain,
    apiKey: z.string().min(1),
    expiring: z.boolean().default(false),
    /**
     * Sandbox only (Shopify has no such switch): false installs the app without its configured
     * subscriptions reaching this shop. For a shop whose connection subscribes shop-scoped itself
     * (the demo shop), so that it does not get every event twice.
     */
    appSubscriptions: z.boolean().default(true),
  })
  .strict();
export const uninstallAppSchema = z.object({ shop: shopDomain, apiKey: z.string().min(1) }).strict();

export const createProductSchema = z
  .object({
    shop: shopDomain,
    title: z.string().min(1),
    descriptionHtml: z.string().optional(),
    vendor: z.string().optional(),
    productType: z.string().optional(),
    status: z.enum(["ACTIVE", "ARCHIVED", "DRAFT", "UNLISTED"]).default("ACTIVE"),
    tags: z.array(z.string()).default([]),
    /** For variable products, e.g. "Size"; each variant then needs `option`. */
    optionName: z.string().min(1).optional(),
    variants: z
      .array(
        z
          .object({
            sku: z.string(),
            price: money,
            option: z.string().min(1).optional(),
            inventoryPolicy: z.enum(["DENY", "CONTINUE"]).default("DENY"),
            tracked: z.boolean().default(true),
            /** Starting `available` stock: a number (default location) or per location (name or id). */
            stock: z.union([quantity, z.record(z.string(), quantity)]).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()
  .refine((p) => !p.optionName || p.variants.every((v) => v.option), {
    message: "every variant needs `option` when `optionName` is set",
  })
  .refine((p) => p.optionName || p.variants.length === 1, {
    message: "a product with several variants needs `optionName`",
  });

export const setStockSchema = z
  .object({
    shop: shopDomain,
    sku: z.string().min(1).optional(),
    inventoryItemId: z.union([z.string(), z.number().int()]).optional(),
    location: locationRef.optional(),
    available: z.number().int(),
  })
  .strict()
  .refine((s) => s.sku !== undefined || s.inventoryItemId !== undefined, {
    message: "give `sku` or `inventoryItemId`",
  });

export const getStockSchema = z
  .object({ shop: shopDomain, sku: z.string().min(1), location: locationRef.optional() })
  .strict();

const orderRef = z.union([z.string().min(1), z.number().int()]);

export const placeOrderSchema = z
  .object({
    shop: shopDomain,
    lines: z
      .array(z.object({ sku: z.string().min(1), quantity: z.number().int().min(1), price: money.optional() }).strict())
      .min(1),
    paid: z.boolean().default(true),
    email: z.string().optional(),
    location: locationRef.optional(),
    allowOversell: z.boolean().default(false),
    sourceName: z.string().optional(),
  })
  .strict();

export const markPaidSchema = z.object({ shop: shopDomain, order: orderRef }).strict();
export const cancelOrderSchema = z
  .object({
    shop: shopDomain,
    order: orderRef,
    restock: z.boolean(),
    reason: z.enum(["CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"]).default("CUSTOMER"),
  })
  .strict();
const lineRef = z
  .object({ lineItemId: z.union([z.string(), z.number().int()]).optional(), sku: z.string().min(1).optional() })
  .refine((l) => l.lineItemId !== undefined || l.sku !== undefined, { message: "give `lineItemId` or `sku`" });
export const refundOrderSchema = z
  .object({
    shop: shopDomain,
    order: orderRef,
    restock: z.boolean(),
    note: z.string().optional(),
    lines: z.array(z.intersection(lineRef, z.object({ quantity: z.number().int().min(1) }))).min(1),
  })
  .strict();
export const editOrderSchema = z
  .object({
    shop: shopDomain,
    order: orderRef,
    lineItemId: z.union([z.string(), z.number().int()]).optional(),
    sku: z.string().min(1).optional(),
    quantity,
    restock: z.boolean().default(true),
  })
  .strict()
  .refine((l) => l.lineItemId !== undefined || l.sku !== undefined, { message: "give `lineItemId` or `sku`" });
export const deleteProductSchema = z
  .object({ shop: shopDomain, productId: z.union([z.string(), z.number().int()]) })
  .strict();
export const listDeliveriesSchema = z
  .object({ shop: shopDomain.optional(), topic: z.string().optional(), apiKey: z.string().optional() })
  .strict();
export const sessionTokenSchema = z
  .object({
    shop: shopDomain,
    apiKey: z.string().min(1),
    userId: z.number().int().positive().default(1),
    ttlSeconds: z.number().int().default(60),
  })
  .strict();

export type CreateShopInput = z.input<typeof createShopSchema>;
export type RegisterAppInput = z.input<typeof registerAppSchema>;
export type InstallAppInput = z.input<typeof installAppSchema>;
export type CreateProductInput = z.input<typeof createProductSchema>;
export type SetStockInput = z.input<typeof setStockSchema>;
export type GetStockInput = z.input<typeof getStockSchema>;
export type PlaceOrderInput = z.input<typeof placeOrderSchema>;
export type CancelOrderInput = z.input<typeof cancelOrderSchema>;
export type RefundOrderInput = z.input<typeof refundOrderSchema>;
export type EditOrderInput = z.input<typeof editOrderSchema>;
export type SessionTokenInput = z.input<typeof sessionTokenSchema>;

// ---- Results ----

export interface ShopInfo {
  domain: string;
  id: string;
  plan: string;
  locations: { id: string; name: string }[];
}

export interface ProductInfo {
  id: string;
  title: string;
  handle: string;
  variants: { id: string; sku: string | null; inventoryItemId: string }[];
}

export interface OrderInfo {
  id: string;
  name: string;
  financialStatus: string;
  cancelledAt: string | null;
  lineItems: { id: string; sku: string | null; quantity: number; currentQuantity: number }[];
}

export interface ShopifyControl {
  /**
   * Forgets everything (shops, apps, tokens, deliveries; the fault plan stays) at once and stops
   * pending deliveries; await the promise to know they have wound down.
   */
  reset(): Promise<void>;
  createShop(input: CreateShopInput): ShopInfo;
  registerApp(input: RegisterAppInput): { apiKey: string; scopes: string };
  /** Installs the app on the shop and returns its offline access token. */
  installApp(input: InstallAppInput): { accessToken: string; scope: string };
  /** Removes the app's tokens and shop-level subscriptions after sending app/uninstalled. */
  uninstallApp(input: { shop: string; apiKey: string }): void;
  createProduct(input: CreateProductInput): ProductInfo;
  deleteProduct(input: { shop: string; productId: string | number }): void;
  /** A merchant editing stock in the admin: sets `available`, fires inventory_levels/update. */
  setStock(input: SetStockInput): Record<string, number>;
  getStock(input: GetStockInput): Record<string, number>;
  placeOrder(input: PlaceOrderInput): OrderInfo;
  markPaid(input: { shop: string; order: string | number }): OrderInfo;
  cancelOrder(input: CancelOrderInput): OrderInfo;
  refundOrder(input: RefundOrderInput): OrderInfo & { refundId: string };
  editOrder(input: EditOrderInput): OrderInfo;
  listDeliveries(input?: { shop?: string; topic?: string; apiKey?: string }): DeliveryRecord[];
  clearDeliveries(): void;
  /** Resolves when no webhook delivery is pending any more (retries included). */
  waitForDeliveries(): Promise<void>;
  setFaultPlan(plan: FaultPlanInput): FaultPlan;
  /** An App Bridge-style session token (HS256, signed with the app secret) for token exchange. */
  mintSessionToken(input: SessionTokenInput): string;
  seedDemo(options?: DemoSeedOptions): DemoSeed;
}

export interface ControlDeps {
  core: Core;
  faults: Faults;
  webhooks: WebhookDispatcher;
  limiter: RateLimiter;
  bulk: BulkOperations;
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const message = result.error.issues
      .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    throw new ControlError("invalid_input", message, 400);
  }
  return result.data;
}

export function createControl(deps: ControlDeps): ShopifyControl {
  const { core, faults, webhooks } = deps;
  const { state } = core;

  const shopOf = (domain: string): Shop => {
    const shop = state.shops.get(domain);
    if (!shop) throw new ControlError("unknown_shop", `No shop ${domain}`, 404);
    return shop;
  };
  const locationOf = (shop: Shop, ref: string | number | undefined): Location => {
    if (ref === undefined) return defaultLocation(shop);
    const id = idOf(ref, "Location");
    const location =
      (id !== undefined ? shop.locations.get(id) : undefined) ??
      [...shop.locations.values()].find((l) => l.name === ref);
    if (!location) throw new ControlError("unknown_location", `No location ${ref} in ${shop.domain}`, 404);
    return location;
  };
  const orderInfo = (order: Order): OrderInfo => ({
    id: gid("Order", order.id),
    name: order.name,
    financialStatus: order.financialStatus,
    cancelledAt: order.cancelledAt === null ? null : new Date(order.cancelledAt).toISOString(),
    lineItems: order.lineItems.map((l) => ({
      id: gid("LineItem", l.id),
      sku: l.sku,
      quantity: l.quantity,
      currentQuantity: l.currentQuantity,
    })),
  });
  const lineId = (ref: string | number | undefined) => (ref === undefined ? undefined : idOf(ref, "LineItem"));

  const control: ShopifyControl = {
    reset() {
      // State is cleared synchronously; the returned promise waits for cancelled deliveries.
      deps.bulk.cancelAll();
      deps.limiter.reset();
      state.reset();
      const stopped = webhooks.cancelAll();
      webhooks.clear();
      return stopped;
    },

    createShop(input) {
      const data = parse(createShopSchema, input);
      if (state.shops.has(data.domain)) throw new ControlError("shop_exists", `${data.domain} already exists`, 409);
      const shop = createShop(core, data);
      return {
        domain: shop.domain,
        id: gid("Shop", shop.id),
        plan: shop.plan,
        locations: [...shop.locations.values()].map((l) => ({ id: gid("Location", l.id), name: l.name })),
      };
    },

    registerApp(input) {
      const data = parse(registerAppSchema, input);
      state.apps.set(data.apiKey, {
        apiKey: data.apiKey,
        apiSecret: data.apiSecret,
        title: data.title,
        scopes: data.scopes,
        webhooks: data.webhooks,
      });
      return { apiKey: data.apiKey, scopes: data.scopes };
    },

    installApp(input) {
      const data = parse(installAppSchema, input);
      shopOf(data.shop);
      const app = state.apps.get(data.apiKey);
      if (!app) throw new ControlError("unknown_app", `No app with API key ${data.apiKey}`, 404);
      const token = issueToken(core, app, data.shop, "offline", {
        expiring: data.expiring,
        appSubscriptions: data.appSubscriptions,
      });
      return { accessToken: token.token, scope: token.scope };
    },

    uninstallApp(input) {
      const data = parse(uninstallAppSchema, input);
      const shop = shopOf(data.shop);
      if (!state.isInstalled(data.apiKey, shop.domain))
        throw new ControlError("not_installed", `${data.apiKey} is not installed on ${shop.domain}`, 409);
      // Sent while the app is still installed so its subscriptions get it, then everything goes.
      core.events.emit({ shop, topic: "app/uninstalled", payload: shopPayload(shop), onlyApiKey: data.apiKey });
      state.installations.delete(`${data.apiKey}|${shop.domain}`);
      for (const [token, record] of state.tokens)
        if (record.apiKey === data.apiKey && record.shop === shop.domain) state.tokens.delete(token);
      for (const [token, record] of state.refreshTokens)
        if (record.apiKey === data.apiKey && record.shop === shop.domain) state.refreshTokens.delete(token);
      for (const [id, sub] of shop.webhookSubscriptions)
        if (sub.apiKey === data.apiKey) shop.webhookSubscriptions.delete(id);
    },

    createProduct(input) {
      const data = parse(createProductSchema, input);
      const shop = shopOf(data.shop);
      for (const v of data.variants) {
        if (v.sku && variantBySku(shop, v.sku))
          throw new ControlError("duplicate_sku", `SKU ${v.sku} already exists in ${shop.domain}`, 409);
      }
      const product = createProduct(core, shop, {
        title: data.title,
        descriptionHtml: data.descriptionHtml,
        vendor: data.vendor,
        productType: data.productType,
        status: data.status,
        tags: data.tags,
        options: data.optionName ? [{ name: data.optionName, values: data.variants.map((v) => v.option!) }] : undefined,
        variants: data.variants.map((v) => ({
          optionValues: data.optionName ? [{ optionName: data.optionName, name: v.option! }] : [],
          sku: v.sku,
          price: v.price,
          inventoryPolicy: v.inventoryPolicy,
          tracked: v.tracked,
          inventory:
            v.stock === undefined
              ? []
              : typeof v.stock === "number"
                ? [{ locationId: defaultLocation(shop).id, quantity: v.stock }]
                : Object.entries(v.stock).map(([where, qty]) => ({
                    locationId: locationOf(shop, where).id,
                    quantity: qty,
                  })),
        })),
      });
      return {
        id: gid("Product", product.id),
        title: product.title,
        handle: product.handle,
        variants: product.variantIds.map((id) => {
          const v = shop.variants.get(id)!;
          return {
            id: gid("ProductVariant", v.id),
            sku: shop.inventoryItems.get(v.inventoryItemId)?.sku ?? null,
            inventoryItemId: gid("InventoryItem", v.inventoryItemId),
          };
        }),
      };
    },

    deleteProduct(input) {
      const data = parse(deleteProductSchema, input);
      const shop = shopOf(data.shop);
      const id = idOf(data.productId, "Product");
      const product = id === undefined ? undefined : shop.products.get(id);
      if (!product) throw new ControlError("unknown_product", `No product ${data.productId} in ${shop.domain}`, 404);
      deleteProduct(core, shop, product);
    },

    setStock(input) {
      const data = parse(setStockSchema, input);
      const shop = shopOf(data.shop);
      const itemId =
        data.sku !== undefined
          ? variantBySku(shop, data.sku)?.inventoryItemId
          : idOf(data.inventoryItemId!, "InventoryItem");
      if (itemId === undefined || !shop.inventoryItems.has(itemId))
        throw new ControlError(
          "unknown_sku",
          `No inventory item ${data.sku ?? data.inventoryItemId} in ${shop.domain}`,
          404,
        );
      const location = locationOf(shop, data.location);
      const now = state.now();
      applyInventoryChanges(
        shop,
        [setQuantityRequest(shop, itemId, location.id, "available", data.available, now)],
        now,
        core.events,
      );
      return levelSummary(ensureLevel(shop, itemId, location.id, now));
    },

    getStock(input) {
      const data = parse(getStockSchema, input);
      const shop = shopOf(data.shop);
      const variant = variantBySku(shop, data.sku);
      if (!variant) throw new ControlError("unknown_sku", `No variant with SKU ${data.sku} in ${shop.domain}`, 404);
      const location = locationOf(shop, data.location);
      return levelSummary(ensureLevel(shop, variant.inventoryItemId, location.id, state.now()));
    },

    placeOrder(input) {
      const data = parse(placeOrderSchema, input);
      const shop = shopOf(data.shop);
      const location = data.location === undefined ? undefined : locationOf(shop, data.location);
      return orderInfo(
        placeOrder(core, shop, {
          lines: data.lines,
          paid: data.paid,
          email: data.email,
          locationId: location?.id,
          allowOversell: data.allowOversell,
          sourceName: data.sourceName,
        }),
      );
    },

    markPaid(input) {
      const data = parse(markPaidSchema, input);
      const shop = shopOf(data.shop);
      return orderInfo(markPaid(core, shop, findOrder(shop, data.order)));
    },

    cancelOrder(input) {
      const data = parse(cancelOrderSchema, input);
      const shop = shopOf(data.shop);
      return orderInfo(
        cancelOrder(core, shop, findOrder(shop, data.order), { restock: data.restock, reason: data.reason }),
      );
    },

    refundOrder(input) {
      const data = parse(refundOrderSchema, input);
      const shop = shopOf(data.shop);
      const order = findOrder(shop, data.order);
      const refund = refundOrder(core, shop, order, {
        restock: data.restock,
        note: data.note,
        lines: data.lines.map((l) => ({ lineItemId: lineId(l.lineItemId), sku: l.sku, quantity: l.quantity })),
      });
      return { ...orderInfo(order), refundId: gid("Refund", refund.id) };
    },

    editOrder(input) {
      const data = parse(editOrderSchema, input);
      const shop = shopOf(data.shop);
      const order = findOrder(shop, data.order);
      editOrder(core, shop, order, {
        lineItemId: lineId(data.lineItemId),
        sku: data.sku,
        quantity: data.quantity,
        restock: data.restock,
      });
      return orderInfo(order);
    },

    listDeliveries(input = {}) {
      return webhooks.list(parse(listDeliveriesSchema, input));
    },

    clearDeliveries() {
      webhooks.clear();
    },

    waitForDeliveries() {
      return webhooks.idle();
    },

    setFaultPlan(plan) {
      try {
        return faults.configure(plan);
      } catch (error) {
        throw new ControlError("invalid_input", error instanceof Error ? error.message : String(error), 400);
      }
    },

    mintSessionToken(input) {
      const data = parse(sessionTokenSchema, input);
      const app = state.apps.get(data.apiKey);
      if (!app) throw new ControlError("unknown_app", `No app with API key ${data.apiKey}`, 404);
      return signSessionToken(app, data.shop, {
        userId: data.userId,
        ttlSeconds: data.ttlSeconds,
        nowSeconds: Math.floor(state.now() / 1000),
      });
    },

    seedDemo(options = {}) {
      return seedDemo(control, state, options);
    },
  };
  return control;
}

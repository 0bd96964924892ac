/**
 * The control API: what a test or demo does to a WooCommerce site "from the outside" - a merchant
 * in wp-admin (products, stock edits, refunds, webhook status) or a shopper at checkout - plus
 * emulator housekeeping (reset, fault plan, delivery log). Every operation is available
 * in-process (`emulator.control`) and over HTTP under `/_control/...`. Inputs are zod-validated;
 * bad input is a 400 `{error:{code,message}}`.
 */
import { z } from "zod";
import type { Faults, FaultPlan, FaultPlanInput } from "../shared/faults.ts";
import { faultPlanSchema } from "../shared/faults.ts";
import {
  applyProductArgs,
  applyVariationArgs,
  findBySku,
  getProduct,
  newProduct,
  newVariation,
  restoreProduct,
  saveCatalog,
  trashProduct,
} from "./catalog.ts";
import { seedDemoSite } from "./demo.ts";
import {
  checkout,
  createRefund,
  paymentComplete,
  restoreOrder,
  saveOrder,
  setOrderStatus,
  trashOrder,
} from "./orders.ts";
import { createWebhook } from "./routes/webhooks.ts";
import { type RenderContext, renderOrder, renderProduct, renderRefund, renderVariation } from "./serialize.ts";
import type { Store } from "./state.ts";
import type { ApiKeyRecord, OrderRecord, SiteRecord, WebhookRecord } from "./types.ts";
import { WpError, plainPrice } from "./util.ts";
import type { DeliveryLogEntry, WebhookEngine } from "./webhooks.ts";

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes");
const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'a decimal string such as "1500" or "12.50"');
const sku = z.string().min(1);

export const createSiteSchema = z.object({
  slug,
  name: z.string().min(1).optional(),
  currency: z.string().length(3).optional(),
  consumerKey: z
    .string()
    .regex(/^ck_[A-Za-z0-9]+$/)
    .optional(),
  consumerSecret: z
    .string()
    .regex(/^cs_[A-Za-z0-9]+$/)
    .optional(),
});

export const createKeySchema = z.object({
  permissions: z.enum(["read", "write", "read_write"]).default("read_write"),
  description: z.string().optional(),
});

const variationInput = z.object({
  sku: z.string().default(""),
  option: z.string().min(1),
  price: decimal.optional(),
  /** A number means WooCommerce manages the stock; null leaves it unmanaged. */
  stock: z.number().int().nullable().default(null),
});

export const createProductSchema = z.object({
  name: z.string().min(1),
  sku: z.string().default(""),
  price: decimal.optional(),
  stock: z.number().int().nullable().default(null),
  status: z.enum(["publish", "draft", "pending", "private"]).default("publish"),
  description: z.string().default(""),
  /** Attribute name for a variable product, e.g. "Size". */
  optionName: z.string().min(1).default("Option"),
  /** When present the product is variable, with one variation per entry. */
  variations: z.array(variationInput).min(1).optional(),
});

export const createVariationSchema = variationInput;

export const setStockSchema = z.object({ sku, quantity: z.number().int() });

const orderLine = z.object({ sku, quantity: z.number().int().min(1) });

export const placeOrderSchema = z.object({
  lines: z.array(orderLine).min(1),
  /** Paid at checkout (processing, stock taken) or awaiting payment. */
  paid: z.boolean().default(true),
  /** Status of an unpaid order: pending (off-site payment, no stock taken) or on-hold (bank transfer). */
  status: z.enum(["pending", "on-hold"]).default("pending"),
  paymentMethod: z.string().optional(),
  billing: z
    .object({ first_name: z.string(), last_name: z.string(), email: z.string(), phone: z.string() })
    .partial()
    .optional(),
});

export const refundSchema = z.object({
  /** Lines to refund, by SKU or order line item id; omitted = every remaining item. */
  lines: z
    .array(
      z
        .object({
          sku: z.string().optional(),
          lineItemId: z.number().int().optional(),
          quantity: z.number().int().min(1),
        })
        .refine((l) => l.sku || l.lineItemId, "sku or lineItemId"),
    )
    .optional(),
  amount: decimal.optional(),
  reason: z.string().default(""),
  restock: z.boolean(),
});

export const createWebhookSchema = z.object({
  topic: z.string().min(1),
  deliveryUrl: z.string().url(),
  secret: z.string().min(1).optional(),
  name: z.string().optional(),
});

export const webhookStatusSchema = z.object({ status: z.enum(["active", "paused", "disabled"]) });

export interface SiteCredentials {
  site: string;
  name: string;
  /** Home URL, what the WooCommerce REST client takes as `url`. */
  url: string;
  consumerKey: string;
  consumerSecret: string;
  keyId: number;
  permissions: ApiKeyRecord["permissions"];
}

/** The internal view of a webhook (the REST API hides the secret and failure count). */
export interface WebhookInfo {
  id: number;
  name: string;
  status: WebhookRecord["status"];
  topic: string;
  deliveryUrl: string;
  secret: string;
  failureCount: number;
  pendingDelivery: boolean;
}

type Json = Record<string, unknown>;

export interface WooCommerceControl {
  /** Drops every site, webhook and delivery log entry; the fault plan is kept. */
  reset(): void;
  createSite(input: z.input<typeof createSiteSchema>): SiteCredentials;
  listSites(): SiteCredentials[];
  createApiKey(site: string, input?: z.input<typeof createKeySchema>): SiteCredentials;
  /** Merchant adds a product in wp-admin (fires product.created). */
  createProduct(site: string, input: z.input<typeof createProductSchema>): Json;
  createVariation(site: string, productId: number, input: z.input<typeof createVariationSchema>): Json;
  /** Product or variation by SKU, as `GET /products/{id}` shows it. */
  getProduct(site: string, sku: string): Json;
  /** Merchant edits the stock in wp-admin (manages stock from now on; fires product.updated). */
  setStock(site: string, input: z.input<typeof setStockSchema>): Json;
  trashProduct(site: string, productId: number): Json;
  restoreProduct(site: string, productId: number): Json;
  /** A shopper checks out: lines by SKU, paid or not (stock is checked like the cart does). */
  placeOrder(site: string, input: z.input<typeof placeOrderSchema>): Json;
  payOrder(site: string, orderId: number): Json;
  cancelOrder(site: string, orderId: number): Json;
  completeOrder(site: string, orderId: number): Json;
  trashOrder(site: string, orderId: number): Json;
  restoreOrder(site: string, orderId: number): Json;
  /** Merchant refunds manually in wp-admin, with or without "restock refunded items". */
  refundOrder(site: string, orderId: number, input: z.input<typeof refundSchema>): Json;
  createWebhook(site: string, input: z.input<typeof createWebhookSchema>): Promise<WebhookInfo>;
  setWebhookStatus(site: string, webhookId: number, input: z.input<typeof webhookStatusSchema>): Promise<WebhookInfo>;
  listWebhooks(site: string): WebhookInfo[];
  deliveries(filter?: { site?: string | undefined; webhookId?: number | undefined }): DeliveryLogEntry[];
  clearDeliveries(): void;
  setFaultPlan(plan: FaultPlanInput): FaultPlan;
  getFaultPlan(): FaultPlan;
  /** Waits until every pending webhook delivery has been sent (held-back ones included). */
  flushWebhooks(): Promise<void>;
  /** (Re)creates the demo site from the demo catalogue and returns its credentials. */
  seedDemo(): SiteCredentials;
}

export interface ControlDeps {
  store: Store;
  engine: WebhookEngine;
  faults: Faults;
  siteUrl: (site: SiteRecord) => string;
  ctx: (site: SiteRecord) => RenderContext;
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const message = result.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
    throw new ControlError("invalid_input", message, 400);
  }
  return result.data;
}

export function createControl(deps: ControlDeps): WooCommerceControl {
  const { store, engine, faults } = deps;
  const site = (slugValue: string): SiteRecord => {
    const found = store.sites.get(slugValue);
    if (!found) throw new ControlError("site_not_found", `No site "${slugValue}".`, 404);
    return found;
  };
  const credentials = (s: SiteRecord, key: ApiKeyRecord): SiteCredentials => ({
    site: s.slug,
    name: s.name,
    url: deps.siteUrl(s),
    consumerKey: key.consumerKey,
    consumerSecret: key.consumerSecret,
    keyId: key.keyId,
    permissions: key.permissions,
  });
  const order = (s: SiteRecord, id: number): OrderRecord => {
    const found = s.orders.get(id);
    if (!found) throw new ControlError("order_not_found", `No order ${id} in "${s.slug}".`, 404);
    return found;
  };
  const webhookInfo = (w: WebhookRecord): WebhookInfo => ({
    id: w.id,
    name: w.name,
    status: w.status,
    topic: w.topic,
    deliveryUrl: w.deliveryUrl,
    secret: w.secret,
    failureCount: w.failureCount,
    pendingDelivery: w.pendingDelivery,
  });
  /** Runs a store mutation and turns WooCommerce errors into control errors. */
  const guard = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof WpError) throw new ControlError(e.code, e.message, e.status >= 500 ? 409 : e.status);
      throw e;
    }
  };

  return {
    reset() {
      store.reset();
      engine.reset();
    },
    createSite(input) {
      const a = parse(createSiteSchema, input);
      if (store.sites.has(a.slug)) throw new ControlError("site_exists", `A site "${a.slug}" already exists.`, 409);
      const { site: s, key } = guard(() => store.createSite(a));
      return credentials(s, key);
    },
    listSites() {
      return [...store.sites.values()].flatMap((s) => (s.keys[0] ? [credentials(s, s.keys[0])] : []));
    },
    createApiKey(slugValue, input = {}) {
      const s = site(slugValue);
      const a = parse(createKeySchema, input);
      return credentials(s, store.createKey(s, a));
    },
    createProduct(slugValue, input) {
      const s = site(slugValue);
      const a = parse(createProductSchema, input);
      return guard(() => {
        const product = newProduct(store);
        const stock = a.stock === null ? { manage_stock: false } : { manage_stock: true, stock_quantity: a.stock };
        if (!a.variations) {
          applyProductArgs(store, s, product, {
            name: a.name,
            sku: a.sku,
            status: a.status,
            description: a.description,
            regular_price: a.price ? plainPrice(a.price) : "",
            ...stock,
          });
          saveCatalog(store, s, product, "created");
          return renderProduct(deps.ctx(s), s, product);
        }
        // Check every SKU first so a clash leaves nothing half-created.
        for (const v of a.variations)
          if (v.sku && findBySku(s, v.sku))
            throw new WpError("product_invalid_sku", `Invalid or duplicated SKU "${v.sku}".`, 400);
        applyProductArgs(store, s, product, {
          name: a.name,
          type: "variable",
          sku: a.sku,
          status: a.status,
          description: a.description,
          attributes: [
            { name: a.optionName, visible: true, variation: true, options: a.variations.map((v) => v.option) },
          ],
        });
        saveCatalog(store, s, product, "created");
        for (const v of a.variations) {
          const variation = newVariation(store, product);
          applyVariationArgs(store, s, variation, {
            sku: v.sku,
            regular_price: v.price ? plainPrice(v.price) : "",
            attributes: [{ name: a.optionName, option: v.option }],
            ...(v.stock === null ? { manage_stock: false } : { manage_stock: true, stock_quantity: v.stock }),
          });
          saveCatalog(store, s, variation, "created");
        }
        return renderProduct(deps.ctx(s), s, product);
      });
    },
    createVariation(slugValue, productId, input) {
      const s = site(slugValue);
      const a = parse(createVariationSchema, input);
      const parent = getProduct(s, productId);
      if (!parent || parent.type !== "variable")
        throw new ControlError("product_not_found", `No variable product ${productId}.`, 404);
      return guard(() => {
        const optionName = parent.attributes.find((x) => x.variation)?.name ?? "Option";
        const attribute = parent.attributes.find((x) => x.name === optionName);
        if (attribute && !attribute.options.includes(a.option)) attribute.options.push(a.option);
        const variation = newVariation(store, parent);
        applyVariationArgs(store, s, variation, {
          sku: a.sku,
          regular_price: a.price ? plainPrice(a.price) : "",
          attributes: [{ name: optionName, option: a.option }],
          ...(a.stock === null ? { manage_stock: false } : { manage_stock: true, stock_quantity: a.stock }),
        });
        saveCatalog(store, s, variation, "created");
        return renderVariation(deps.ctx(s), s, variation);
      });
    },
    getProduct(slugValue, skuValue) {
      const s = site(slugValue);
      const record = findBySku(s, skuValue);
      if (!record) throw new ControlError("product_not_found", `No product with SKU "${skuValue}".`, 404);
      return renderProduct(deps.ctx(s), s, record);
    },
    setStock(slugValue, input) {
      const s = site(slugValue);
      const a = parse(setStockSchema, input);
      const record = findBySku(s, a.sku);
      if (!record) throw new ControlError("product_not_found", `No product with SKU "${a.sku}".`, 404);
      record.manageStock = true;
      record.stockQuantity = a.quantity;
      saveCatalog(store, s, record);
      return renderProduct(deps.ctx(s), s, record);
    },
    trashProduct(slugValue, productId) {
      const s = site(slugValue);
      const record = s.catalog.get(productId);
      if (!record) throw new ControlError("product_not_found", `No product ${productId}.`, 404);
      trashProduct(store, s, record);
      return renderProduct(deps.ctx(s), s, record);
    },
    restoreProduct(slugValue, productId) {
      const s = site(slugValue);
      const record = s.catalog.get(productId);
      if (!record) throw new ControlError("product_not_found", `No product ${productId}.`, 404);
      restoreProduct(store, s, record);
      return renderProduct(deps.ctx(s), s, record);
    },
    placeOrder(slugValue, input) {
      const s = site(slugValue);
      const a = parse(placeOrderSchema, input);
      const created = guard(() =>
        checkout(store, s, {
          lines: a.lines,
          paid: a.paid,
          status: a.status,
          paymentMethod: a.paymentMethod,
          billing: a.billing,
        }),
      );
      return renderOrder(deps.ctx(s), s, created);
    },
    payOrder(slugValue, orderId) {
      const s = site(slugValue);
      const o = order(s, orderId);
      if (!paymentComplete(store, s, o, `txn_${o.id}`))
        throw new ControlError("not_payable", `Order ${orderId} is ${o.status}; it cannot be paid.`, 409);
      saveOrder(store, s, o, "updated");
      return renderOrder(deps.ctx(s), s, o);
    },
    cancelOrder(slugValue, orderId) {
      const s = site(slugValue);
      const o = order(s, orderId);
      setOrderStatus(store, s, o, "cancelled");
      saveOrder(store, s, o, "updated");
      return renderOrder(deps.ctx(s), s, o);
    },
    completeOrder(slugValue, orderId) {
      const s = site(slugValue);
      const o = order(s, orderId);
      setOrderStatus(store, s, o, "completed");
      saveOrder(store, s, o, "updated");
      return renderOrder(deps.ctx(s), s, o);
    },
    trashOrder(slugValue, orderId) {
      const s = site(slugValue);
      const o = order(s, orderId);
      trashOrder(store, s, o);
      return renderOrder(deps.ctx(s), s, o);
    },
    restoreOrder(slugValue, orderId) {
      const s = site(slugValue);
      const o = order(s, orderId);
      restoreOrder(store, s, o);
      return renderOrder(deps.ctx(s), s, o);
    },
    refundOrder(slugValue, orderId, input) {
      const s = site(slugValue);
      const o = order(s, orderId);
      const a = parse(refundSchema, input);
      const refundedQty = (lineId: number) =>
        o.refundIds.reduce(
          (sum, id) =>
            sum +
            (s.refunds
              .get(id)
              ?.lineItems.filter((l) => l.refundedItemId === lineId)
              .reduce((q, l) => q - l.quantity, 0) ?? 0),
          0,
        );
      const wanted = a.lines
        ? a.lines.map((l) => {
            const line = o.lineItems.find((x) =>
              l.lineItemId ? x.id === l.lineItemId : x.sku.toLowerCase() === (l.sku ?? "").toLowerCase(),
            );
            if (!line)
              throw new ControlError("line_not_found", `Order ${orderId} has no line ${l.lineItemId ?? l.sku}.`, 400);
            return { line, quantity: l.quantity };
          })
        : o.lineItems
            .map((line) => ({ line, quantity: line.quantity - refundedQty(line.id) }))
            .filter((l) => l.quantity > 0);
      const lines = wanted.map(({ line, quantity }) => ({
        itemId: line.id,
        quantity,
        refundTotalCents: Math.round((line.totalCents / Math.max(line.quantity, 1)) * quantity),
      }));
      const amountCents = lines.reduce((sum, l) => sum + (l.refundTotalCents ?? 0), 0);
      const refund = guard(() =>
        createRefund(store, s, o, {
          amount: a.amount ?? (amountCents / 100).toFixed(2),
          reason: a.reason,
          lines,
          // "Refund manually" in wp-admin: no gateway call.
          refundPayment: false,
          restock: a.restock,
        }),
      );
      return renderRefund(deps.ctx(s), refund);
    },
    async createWebhook(slugValue, input) {
      const s = site(slugValue);
      const a = parse(createWebhookSchema, input);
      try {
        return webhookInfo(await createWebhook(store, engine, s, a));
      } catch (e) {
        if (e instanceof WpError) throw new ControlError(e.code, e.message, e.status);
        throw e;
      }
    },
    async setWebhookStatus(slugValue, webhookId, input) {
      const s = site(slugValue);
      const a = parse(webhookStatusSchema, input);
      const webhook = s.webhooks.get(webhookId);
      if (!webhook) throw new ControlError("webhook_not_found", `No webhook ${webhookId}.`, 404);
      webhook.status = a.status;
      webhook.dateModified = store.now();
      if (webhook.status === "active" && webhook.pendingDelivery) await engine.ping(s, webhook);
      return webhookInfo(webhook);
    },
    listWebhooks(slugValue) {
      return [...site(slugValue).webhooks.values()].map(webhookInfo);
    },
    deliveries(filter = {}) {
      return engine.log.filter(
        (e) =>
          (!filter.site || e.site === filter.site) &&
          (filter.webhookId === undefined || e.webhookId === filter.webhookId),
      );
    },
    clearDeliveries() {
      engine.log.length = 0;
    },
    setFaultPlan(plan) {
      const parsed = faultPlanSchema.safeParse(plan);
      if (!parsed.success)
        throw new ControlError(
          "invalid_input",
          parsed.error.issues.map((i) => `${i.path.join(".") || "plan"}: ${i.message}`).join("; "),
        );
      return faults.configure(parsed.data);
    },
    getFaultPlan() {
      return faults.current();
    },
    async flushWebhooks() {
      store.flush();
      await engine.drain();
    },
    seedDemo() {
      const { site: s, key } = seedDemoSite(store);
      return credentials(s, key);
    },
  };
}

/**
 * The WooCommerce REST (wc/v3) shapes this adapter reads, validated at the edge with zod. Only
 * the fields we use are declared (zod drops the rest); each is as loose as WooCommerce itself is
 * (a product's `sku` is "" when it has none, `manage_stock` of a variation may be "parent",
 * meta values may be strings or numbers).
 */
import { z } from "zod";
import { ChannelError } from "../types.ts";

const id = z.number().int().nonnegative();
/** Stock is an integer unless a plugin filters `woocommerce_stock_amount`; whole units are what we sync. */
const stock = z
  .number()
  .nullable()
  .transform((n) => (n === null ? null : Math.floor(n)));

export const productSchema = z.object({
  id,
  name: z.string(),
  type: z.string(),
  status: z.string(),
  sku: z.string().nullish(),
  price: z.string().nullish(),
  manage_stock: z.union([z.boolean(), z.literal("parent")]),
  stock_quantity: stock,
});
export type WooProduct = z.infer<typeof productSchema>;

export const variationSchema = z.object({
  id,
  sku: z.string().nullish(),
  price: z.string().nullish(),
  manage_stock: z.union([z.boolean(), z.literal("parent")]),
  stock_quantity: stock,
  attributes: z.array(z.object({ name: z.string(), option: z.string() })).default([]),
});
export type WooVariation = z.infer<typeof variationSchema>;

/** What a quantity read needs (requested with `_fields`). */
export const stockSchema = z.object({
  id,
  manage_stock: z.union([z.boolean(), z.literal("parent")]),
  stock_quantity: stock,
});

/** One entry of a batch answer: the saved object, or `{id, error}` for an item that failed. */
export const batchItemSchema = z.union([
  z.object({
    id: z.number().int(),
    error: z.object({
      code: z.string(),
      message: z.string(),
      data: z.object({ status: z.number().int() }).partial().nullish(),
    }),
  }),
  z.object({ id, stock_quantity: stock.optional() }),
]);
export type BatchItem = z.infer<typeof batchItemSchema>;

export const batchResponseSchema = z.object({
  create: z.array(batchItemSchema).optional(),
  update: z.array(batchItemSchema).optional(),
  delete: z.array(batchItemSchema).optional(),
});

export const systemStatusSchema = z.object({
  environment: z.object({ home_url: z.string().optional(), site_url: z.string().optional() }),
  settings: z.object({ currency: z.string().nullish() }).optional(),
});

export const webhookSchema = z.object({
  id,
  name: z.string().optional(),
  status: z.string(),
  topic: z.string(),
  delivery_url: z.string(),
});
export type WooWebhook = z.infer<typeof webhookSchema>;

const metaSchema = z.object({ key: z.string(), value: z.unknown() });

export const orderLineSchema = z.object({
  id,
  name: z.string().optional(),
  sku: z.string().nullish(),
  quantity: z.number(),
  total: z.string().optional(),
  total_tax: z.string().optional(),
  meta_data: z.array(metaSchema).default([]),
});

export const orderSchema = z.object({
  id,
  number: z.union([z.string(), z.number()]).optional(),
  status: z.string(),
  date_created_gmt: z.string().nullish(),
  date_modified_gmt: z.string(),
  date_paid_gmt: z.string().nullish(),
  line_items: z.array(orderLineSchema),
  refunds: z.array(z.object({ id })).default([]),
});
export type WooOrder = z.infer<typeof orderSchema>;

export const refundSchema = z.object({
  id,
  line_items: z.array(z.object({ id, quantity: z.number(), meta_data: z.array(metaSchema).default([]) })).default([]),
});
export type WooRefund = z.infer<typeof refundSchema>;

/**
 * Parses an answer the store gave. A shape we cannot read means the site answered something
 * that is not the WooCommerce API (a maintenance page, a security plugin's HTML): "unavailable",
 * so the caller tries again later rather than acting on it.
 */
export function parseAnswer<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "unreadable";
  throw new ChannelError("unavailable", `WooCommerce answered ${what} in an unexpected shape (${where})`);
}

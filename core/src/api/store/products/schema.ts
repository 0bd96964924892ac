/** Products: one store's listings paged and filtered, and the link / unlink / exclude / include actions. */
import { z } from "zod";
import type { ProductPage, ProductRow } from "../../../merchant/types.ts";
import { productStatusSchema } from "../shared-schema.ts";

const pageSize = z.coerce.number().int().min(1).max(100);

export const productQuerySchema = z.strictObject({
  search: z.string().max(200).optional(),
  status: productStatusSchema.optional(),
  after: z.string().min(1).max(512).optional(),
  before: z.string().min(1).max(512).optional(),
  pageSize: pageSize.optional(),
});

export const listingParamsSchema = z.object({ listingId: z.string().max(64) });

export const linkBodySchema = z
  .strictObject({ prokipSku: z.string().trim().min(1).max(255) })
  .meta({ id: "LinkRequest", description: "The Prokip product to link to, by its SKU in Prokip" });

export const productRowSchema = z
  .object({
    listingId: z.string(),
    sku: z.string().nullable(),
    title: z.string(),
    status: productStatusSchema,
    prokipQuantity: z.number().nullable(),
    sentQuantity: z.number().nullable(),
    storeQuantity: z.number().nullable(),
    linkedTo: z.object({ variantId: z.string(), sku: z.string(), name: z.string() }).nullable(),
    conflictReason: z.string().nullable(),
    storeAdminUrl: z.string().nullable(),
  })
  .meta({ id: "ProductRow" });

export const productPageSchema = z
  .object({
    rows: z.array(productRowSchema),
    counts: z.record(productStatusSchema, z.number().int()),
    total: z.number().int(),
    nextCursor: z.string().nullable(),
    previousCursor: z.string().nullable(),
  })
  .meta({ id: "ProductPage" });

type Fits<Schema extends z.ZodType, Value extends z.output<Schema>> = Value;
export type ProductRowFits = Fits<typeof productRowSchema, ProductRow>;
export type ProductPageFits = Fits<typeof productPageSchema, ProductPage>;

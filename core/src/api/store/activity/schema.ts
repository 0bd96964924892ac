/** Activity: one store's entries, newest first, filtered by type or SKU. */
import { z } from "zod";
import type { ActivityPage } from "../../../merchant/types.ts";
import { activityTypeSchema } from "../shared-schema.ts";

export const activityQuerySchema = z.strictObject({
  type: activityTypeSchema.optional(),
  sku: z.string().max(255).optional(),
  after: z.string().min(1).max(512).optional(),
  pageSize: z.coerce.number().int().min(1).max(100).optional(),
});

export const activityPageSchema = z
  .object({
    entries: z.array(
      z.object({
        id: z.string(),
        at: z.date(),
        type: activityTypeSchema,
        severity: z.enum(["info", "warning", "error"]),
        message: z.string(),
        order: z
          .object({
            orderId: z.string(),
            number: z.string().nullable(),
            storeAdminUrl: z.string().nullable(),
            prokipInvoiceNo: z.string().nullable(),
          })
          .nullable(),
        product: z
          .object({ sku: z.string().nullable(), title: z.string().nullable(), listingId: z.string().nullable() })
          .nullable(),
        retry: z.object({ kind: z.literal("order_posting"), orderId: z.string() }).nullable(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: "ActivityPage" });

type Fits<Schema extends z.ZodType, Value extends z.output<Schema>> = Value;
export type ActivityPageFits = Fits<typeof activityPageSchema, ActivityPage>;

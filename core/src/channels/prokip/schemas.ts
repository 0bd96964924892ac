/**
 * What Prokip (the UltimatePOS Connector) answers, validated at the edge with zod.
 *
 * The shapes are deliberately loose where the Connector is known to vary: decimals are strings
 * ("20.0000") but a freshly created model may carry JSON numbers, flags are 0/1 but may be
 * booleans or "1", ids are integers but a numeric string is read too. Unknown keys are dropped,
 * so the real payload's extra columns never break a read. Only the fields the adapter uses are
 * declared.
 */
import { z } from "zod";

/** An integer id (Prokip's are 6-7 digit integers). */
export const idSchema = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);

/** A decimal as a string, like Laravel renders DECIMAL columns; a JSON number becomes its string. */
export const decimalSchema = z.union([
  z.string().regex(/^-?\d+(\.\d+)?$/),
  z
    .number()
    .refine(Number.isFinite)
    .transform((n) => String(n)),
]);

/** A TINYINT flag: 0/1, "0"/"1" or a boolean. */
export const flagSchema = z
  .union([z.boolean(), z.number(), z.string()])
  .transform((v) => v === true || v === 1 || v === "1");

/** A quantity: a JSON number (the Connector's sell lines) or a decimal string. */
export const quantitySchema = z.union([z.number(), decimalSchema.transform(Number)]);

// ---- Tokens as the caller stores them ----

/** Reads ProkipTokens back from JSON (where `expiresAt` became an ISO string). */
export const prokipTokensSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresAt: z.coerce.date().nullable(),
});

// ---- OAuth (Passport) ----

export const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  /** Seconds; Passport always sends it, but its lifetime is unknown, so it is optional here. */
  expires_in: z.number().optional(),
});

/** league/oauth2-server's error payload (`message` is the deprecated copy of the description). */
export const oauthErrorSchema = z.object({
  error: z.string().optional(),
  error_description: z.string().optional(),
  message: z.string().optional(),
});

// ---- Lists ----

/** `{data:[...]}` for `per_page=-1`, or the paginated envelope if Prokip ignored it. */
export function listSchema<Row extends z.ZodType>(row: Row) {
  return z.object({
    data: z.array(row),
    meta: z.object({ current_page: z.number(), last_page: z.number() }).optional(),
  });
}

// ---- Records ----

export const locationRowSchema = z.object({
  id: idSchema,
  /** The Prokip business the location belongs to: the only place the Connector names it. */
  business_id: idSchema.nullish(),
  /** The business's code ("BL0001"); the numeric `id` is what every other route calls location_id. */
  location_id: z.string().nullish(),
  name: z.string(),
  is_active: flagSchema.optional(),
});

export const stockRowSchema = z.object({
  location_id: idSchema,
  qty_available: decimalSchema.nullish(),
});

/** One flat row of `GET /connector/api/variation`. */
export const variationRowSchema = z.object({
  variation_id: idSchema,
  /** "" (or "DUMMY") for a single product's only variation. */
  variation_name: z.string().nullish(),
  sub_sku: z.string().nullish(),
  product_id: idSchema,
  product_name: z.string(),
  sku: z.string().nullish(),
  type: z.string(),
  enable_stock: flagSchema,
  sell_price_inc_tax: decimalSchema.nullish(),
  /** The variation template's name ("Size"); "" for single products. */
  product_variation_name: z.string().nullish(),
  product_description: z.string().nullish(),
  /** The uploaded file's name; null when the product has no image. */
  product_image: z.string().nullish(),
  /** Its URL, or the placeholder `/img/default.png` when there is no image. */
  product_image_url: z.string().nullish(),
  variation_location_details: z
    .array(stockRowSchema)
    .nullish()
    .transform((rows) => rows ?? []),
});

export const contactRowSchema = z.object({
  id: idSchema,
  name: z.string().nullish(),
  is_default: flagSchema.optional(),
});

export const sellLineSchema = z.object({
  id: idSchema,
  variation_id: idSchema,
  quantity: quantitySchema,
});

const sellLinesSchema = z
  .array(sellLineSchema)
  .nullish()
  .transform((lines) => lines ?? null);

/** A sell transaction, as `POST /sell` answers it and `GET /sell` lists it. */
export const sellSchema = z.object({
  id: idSchema,
  invoice_no: z.union([z.string(), z.number().transform(String)]),
  /** null when absent: the caller reads the sell again to learn its line ids. */
  sell_lines: sellLinesSchema,
});

/** A failed sell inside `POST /sell`'s HTTP-200 array: a serialised Laravel JsonResponse. */
export const sellFailureSchema = z.object({
  original: z.object({ error: z.object({ message: z.string() }) }),
});

/** `POST /connector/api/sell`: a bare array, one element per sell sent (we send one). */
export const createSellAnswerSchema = z.array(z.union([sellFailureSchema, sellSchema]));

/** `POST /connector/api/sell-return`: the return transaction, without relations. */
export const sellReturnAnswerSchema = z.object({ id: idSchema });

/** `DELETE /connector/api/sell/{id}`: always HTTP 200, success or not. */
export const deleteSellAnswerSchema = z.object({
  success: flagSchema,
  msg: z.string().nullish(),
});

export type LocationRow = z.output<typeof locationRowSchema>;
export type VariationRow = z.output<typeof variationRowSchema>;
export type SellRow = z.output<typeof sellSchema>;

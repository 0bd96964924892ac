/** Settings: the store's buffer, reconciliation interval, deduct-on, low-stock threshold, store-edit policy. */
import { z } from "zod";
import type { StoreSettings } from "../../../merchant/types.ts";

export const settingsSchema = z
  .object({
    buffer: z.number().int(),
    reconcileIntervalMinutes: z.number().int(),
    deductOn: z.enum(["created", "paid"]),
    lowStockThreshold: z.number().int().nullable(),
    storeEditPolicy: z.enum(["correct", "accept"]),
    centralMode: z.boolean(),
  })
  .meta({ id: "StoreSettings" });

/**
 * The fields to change. Only their shape is checked here; the limits (and the merchant's words
 * for them, per field) are core's (merchant/settings.ts), so they live in one place.
 */
export const settingsBodySchema = z
  .strictObject({
    buffer: z.number().int().optional(),
    reconcileIntervalMinutes: z.number().int().optional(),
    deductOn: z.enum(["created", "paid"]).optional(),
    lowStockThreshold: z.number().int().nullable().optional(),
    storeEditPolicy: z.enum(["correct", "accept"]).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: "give at least one setting to change" })
  .meta({ id: "SettingsChange" });

type Fits<Schema extends z.ZodType, Value extends z.output<Schema>> = Value;
export type SettingsFits = Fits<typeof settingsSchema, StoreSettings>;

/**
 * Per-connection settings a merchant controls (Settings screen). Stored as JSON on the
 * Connection and always read through this schema, so old rows get today's defaults.
 */
import { z } from "zod";

export const connectionSettingsSchema = z
  .object({
    /** When a store order takes stock. */
    deductOn: z.enum(["created", "paid"]).default("created"),
    /** Minutes between scheduled reconciliations. */
    reconcileIntervalMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(15),
    /** Alert when available falls to this or below; null = no alerts. */
    lowStockThreshold: z.number().int().min(0).nullable().default(null),
    /** Central mode only: what to do with a stock edit made in the store's admin. */
    storeEditPolicy: z.enum(["correct", "accept"]).default("correct"),
  })
  .strict();

export type ConnectionSettings = z.infer<typeof connectionSettingsSchema>;

export function readConnectionSettings(stored: unknown): ConnectionSettings {
  const parsed = connectionSettingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : connectionSettingsSchema.parse({});
}

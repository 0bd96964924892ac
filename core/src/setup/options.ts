/**
 * The merchant's choices for a setup, validated at the edge: nothing is read or written for a
 * request that does not parse.
 */
import { z } from "zod";
import { SyncError } from "../domain/index.ts";

export const pushOptionsSchema = z
  .object({
    /** The only source today: Prokip's selling price including tax. */
    priceSource: z.literal("prokip_selling_price_inc_tax").default("prokip_selling_price_inc_tax"),
    /** Added to Prokip's price in percent (negative lowers it); kept to hundredths of a percent. */
    priceAdjustmentPercent: z.number().gt(-100).max(1000).default(0),
    sendImages: z.boolean().default(true),
    sendDescriptions: z.boolean().default(true),
    /** New store products are drafts unless the merchant chose to publish them. */
    status: z.enum(["active", "draft"]).default("draft"),
  })
  .strict();

/** Pull has no choices yet; unknown keys are still refused so a typo is not silently ignored. */
export const pullOptionsSchema = z.object({}).strict();

export type PushOptions = z.output<typeof pushOptionsSchema>;
export type PullOptions = z.output<typeof pullOptionsSchema>;

// prefault: an absent `options` is parsed as {}, so the defaults above apply.
export const setupRequestSchema = z.discriminatedUnion("strategy", [
  z.object({ connectionId: z.uuid(), strategy: z.literal("push"), options: pushOptionsSchema.prefault({}) }).strict(),
  z.object({ connectionId: z.uuid(), strategy: z.literal("pull"), options: pullOptionsSchema.prefault({}) }).strict(),
]);

export type SetupRequest = z.output<typeof setupRequestSchema>;
export type SetupRequestInput = z.input<typeof setupRequestSchema>;

export function parseSetupRequest(input: unknown): SetupRequest {
  const parsed = setupRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new SyncError(
      "invalid_input",
      "The setup request is not valid",
      parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
    );
  }
  return parsed.data;
}

/** Set up products: the dry-run preview, starting a run, following it, the missing-in-Prokip file. */
import { z } from "zod";
import type { SetupPreview } from "../../../merchant/types.ts";
import { pullOptionsSchema, pushOptionsSchema } from "../../../setup/index.ts";
import { actionCountsSchema, previewRowSchema } from "../shared-schema.ts";

export const setupRequestBodySchema = z
  .discriminatedUnion("strategy", [
    z.strictObject({ strategy: z.literal("push"), options: pushOptionsSchema.optional() }),
    z.strictObject({ strategy: z.literal("pull"), options: pullOptionsSchema.optional() }),
  ])
  .meta({ id: "SetupRequest" });

export const setupPreviewSchema = z
  .object({
    runId: z.string(),
    connectionId: z.string(),
    strategy: z.enum(["push", "pull"]),
    rows: z.array(previewRowSchema),
    counts: actionCountsSchema,
  })
  .meta({ id: "SetupPreview" });

export const runParamsSchema = z.object({ runId: z.string().max(64) });

export const missingFileSchema = z
  .object({ filename: z.string(), csv: z.string() })
  .meta({ id: "MissingInProkipFile", description: "UltimatePOS's product import layout" });

type Fits<Schema extends z.ZodType, Value extends z.output<Schema>> = Value;
export type SetupPreviewFits = Fits<typeof setupPreviewSchema, SetupPreview>;

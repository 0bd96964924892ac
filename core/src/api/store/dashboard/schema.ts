/** The dashboard and the store's lifecycle actions (pause, resume, sync now, disconnect, retry orders). */
import { z } from "zod";
import type { DisconnectedStore } from "../../../merchant/index.ts";
import { dashboardSchema } from "../shared-schema.ts";

export const disconnectedSchema = z
  .object({
    webhooksRemoved: z.number().int(),
    webhookError: z.string().nullable(),
    kept: z.object({ orders: z.number().int(), products: z.number().int() }),
    dashboard: dashboardSchema,
  })
  .meta({ id: "DisconnectedStore" });

type Fits<Schema extends z.ZodType, Value extends z.output<Schema>> = Value;
export type DisconnectedFits = Fits<typeof disconnectedSchema, DisconnectedStore>;

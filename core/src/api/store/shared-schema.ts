/**
 * Schemas more than one store route group answers with (the error shape, the dashboard, a setup
 * run), defined once: they validate what the routes send and are the OpenAPI document's schemas.
 * Each is checked against core's own type (merchant/types.ts) at compile time.
 */
import { z } from "zod";
import { ACTIVITY_TYPES } from "../../merchant/activity.ts";
import { PRODUCT_STATUSES } from "../../merchant/products.ts";
import type { Dashboard, SyncRunView } from "../../merchant/types.ts";

/** `{error:{code, message, details}}`, as every API answer that is not a success. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: "Machine-readable, e.g. invalid_input, not_found, signature_invalid" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "Error" });

/**
 * The error answers every store route can give: bad input (400), refused signatures (401),
 * unknown ids (404), a store not connected (409), a body too large (413) or not JSON (415), not
 * ready or Prokip unreachable (503).
 */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  404: errorSchema,
  409: errorSchema,
  413: errorSchema,
  415: errorSchema,
  503: errorSchema,
} as const;

/** An action route's body: none (Fastify gives null), or an empty JSON object; anything else is refused. */
export const emptyBody = z.strictObject({}).nullish();

export const productStatusSchema = z.enum(PRODUCT_STATUSES);
export const activityTypeSchema = z.enum(ACTIVITY_TYPES);

const problemFixSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("reconnect_prokip"), label: z.string() }),
  z.object({ kind: z.literal("open_products"), label: z.string(), filter: productStatusSchema }),
  z.object({ kind: z.literal("retry_orders"), label: z.string() }),
  z.object({ kind: z.literal("sync_now"), label: z.string() }),
  z.object({ kind: z.literal("open_activity"), label: z.string(), type: activityTypeSchema.optional() }),
  z.object({ kind: z.literal("none"), label: z.string() }),
]);

export const dashboardSchema = z
  .object({
    connectionId: z.string(),
    platform: z.enum(["shopify", "woocommerce"]),
    storeDomain: z.string(),
    status: z.enum(["active", "paused", "needs_attention", "disconnected"]),
    businessName: z.string(),
    prokipLocation: z.object({ prokipLocationId: z.number().int().nullable(), name: z.string() }),
    lastSyncAt: z.date().nullable(),
    counts: z.object({
      synced: z.number().int(),
      waiting: z.number().int(),
      failed: z.number().int(),
      unlinked: z.number().int(),
      excluded: z.number().int(),
      conflicts: z.number().int(),
      ordersNotPosted: z.number().int(),
    }),
    problems: z.array(
      z.object({
        code: z.enum([
          "prokip_signed_out",
          "store_unreachable",
          "sku_conflicts",
          "orders_not_posted",
          "stock_not_sent",
          "webhooks_repaired",
          "setup_errors",
        ]),
        message: z.string(),
        fix: problemFixSchema,
        count: z.number().int().optional(),
      }),
    ),
    setup: z.object({ strategy: z.enum(["push", "pull"]).nullable(), lastRunId: z.string().nullable() }),
  })
  .meta({ id: "Dashboard" });

const actionCountsSchema = z.object({
  match: z.number().int(),
  create_in_store: z.number().int(),
  missing_in_prokip: z.number().int(),
  conflict: z.number().int(),
});

export const previewRowSchema = z.object({
  sku: z.string().nullable(),
  product: z.string(),
  storeQuantity: z.number().nullable(),
  prokipQuantity: z.number().nullable(),
  action: z.enum(["match", "create_in_store", "missing_in_prokip", "conflict"]),
  quantityToWrite: z.number().nullable(),
  price: z.string().nullable(),
  conflictReason: z
    .enum(["blank_sku", "duplicate_in_prokip", "duplicate_in_store", "partly_in_store", "missing_price"])
    .optional(),
  fix: z.string().optional(),
});

export const syncRunSchema = z
  .object({
    id: z.string(),
    businessId: z.string(),
    connectionId: z.string().nullable(),
    kind: z.enum(["pull", "push", "reconcile", "manual"]),
    dryRun: z.boolean(),
    state: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
    total: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
    progress: z.number(),
    options: z.unknown(),
    counts: actionCountsSchema.nullable(),
    results: z
      .object({
        variantsImported: z.number().int(),
        productsCreated: z.number().int(),
        listingsMatched: z.number().int(),
        listingsUnmatched: z.number().int(),
        listingsInConflict: z.number().int(),
        quantitiesWritten: z.number().int(),
        quantitiesPending: z.number().int(),
      })
      .nullable(),
    errors: z.array(z.object({ sku: z.string().nullable(), product: z.string().nullable(), message: z.string() })),
    preview: z.array(previewRowSchema).nullable(),
    missingInProkipCsv: z.string().nullable(),
    startedAt: z.date().nullable(),
    finishedAt: z.date().nullable(),
    createdAt: z.date(),
  })
  .meta({ id: "SyncRun" });

export { actionCountsSchema };

// Compile-time: what core returns fits what the routes declare they send.
type Fits<Schema extends z.ZodType, Value extends z.output<Schema>> = Value;
export type DashboardFits = Fits<typeof dashboardSchema, Dashboard>;
export type SyncRunFits = Fits<typeof syncRunSchema, SyncRunView>;

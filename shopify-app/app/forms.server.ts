/**
 * What the merchant screens post, validated at the edge with zod. Every form names what it asks
 * for in an `intent` field; values arrive as strings and are only given their shape here
 * (numbers, booleans, empty = none). Limits (a buffer of at least 0, an interval of at most a
 * day, ...) are core's to check, so the screen shows the same field errors wherever they come from.
 */
import { z } from "zod";
import type { ActivityType, ProductStatus } from "@prokip-sync/core";
import { errorResponse } from "./errors.server.ts";

const text = z.string().trim().min(1, "Required");
const number = z
  .string()
  .trim()
  .regex(/^-?\d+(\.\d+)?$/u, "Enter a number")
  .transform(Number);
/** An empty field means "none". */
const optionalNumber = z
  .string()
  .trim()
  .transform((value, context) => {
    if (value === "") return null;
    if (!/^-?\d+(\.\d+)?$/u.test(value)) {
      context.addIssue({ code: "custom", message: "Enter a number" });
      return z.NEVER;
    }
    return Number(value);
  });
const yesNo = z.enum(["true", "false"]).transform((value) => value === "true");
const strategy = z.enum(["push", "pull"], { error: "Choose how to set up your products" });
const listing = { listingId: text };

export const dashboardForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("pause") }),
  z.object({ intent: z.literal("resume") }),
  z.object({ intent: z.literal("sync_now") }),
  z.object({ intent: z.literal("disconnect") }),
  z.object({ intent: z.literal("retry_orders") }),
]);

export const connectForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("sign_in"), username: text, password: z.string().min(1, "Required") }),
  z.object({ intent: z.literal("sample_data") }),
  z.object({
    intent: z.literal("choose_location"),
    prokipLocationId: z.string().regex(/^\d+$/u, "Choose a Prokip location").transform(Number),
  }),
]);

const pushOptions = {
  priceAdjustmentPercent: number,
  sendImages: yesNo,
  sendDescriptions: yesNo,
  status: z.enum(["active", "draft"]),
};

export const setupForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("preview"), strategy }),
  z.discriminatedUnion("strategy", [
    z.object({ intent: z.literal("start"), strategy: z.literal("pull") }),
    z.object({ intent: z.literal("start"), strategy: z.literal("push"), ...pushOptions }),
  ]),
]);

export const productsForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("link"), ...listing, prokipSku: text }),
  z.object({ intent: z.literal("unlink"), ...listing }),
  z.object({ intent: z.literal("exclude"), ...listing }),
  z.object({ intent: z.literal("include"), ...listing }),
]);

/** Retry from an entry: core retries every order of the store Prokip has not accepted; `orderId` says which button. */
export const activityForm = z.object({ intent: z.literal("retry_orders"), orderId: z.string().optional() });

export const settingsForm = z.object({
  intent: z.literal("save"),
  buffer: number,
  reconcileIntervalMinutes: number,
  deductOn: z.enum(["created", "paid"], { error: "Choose when stock is deducted" }),
  lowStockThreshold: optionalNumber,
  /** Only sent when the business keeps stock centrally (the field is shown only then). */
  storeEditPolicy: z.enum(["correct", "accept"]).optional(),
});

const cursor = z.string().min(1).max(500).optional();
// Every status and type core knows, checked against its types at compile time.
const PRODUCT_STATUSES = keys<ProductStatus>({
  synced: true,
  waiting: true,
  failed: true,
  unlinked: true,
  conflict: true,
  excluded: true,
});
const ACTIVITY_TYPES = keys<ActivityType>({
  order_received: true,
  order_posted: true,
  order_not_posted: true,
  refund_restocked: true,
  cancellation_restocked: true,
  stock_pushed: true,
  drift: true,
  store_edit_accepted: true,
  oversell: true,
  low_stock: true,
  setup: true,
  connection: true,
  product: true,
  settings: true,
  error: true,
});

function keys<T extends string>(all: Record<T, true>): [T, ...T[]] {
  return Object.keys(all) as [T, ...T[]];
}

/** The Products screen's address: `?q=&status=&after=|before=`. */
export const productsQuery = z.object({
  q: z.string().trim().max(200).optional(),
  status: z.enum(PRODUCT_STATUSES).optional(),
  after: cursor,
  before: cursor,
});

/** The Activity screen's address: `?type=&sku=&after=`. */
export const activityQuery = z.object({
  type: z.enum(ACTIVITY_TYPES).optional(),
  sku: z.string().trim().max(200).optional(),
  after: cursor,
});

export type Parsed<T> = { ok: true; data: T } | { ok: false; response: Response };

/** A screen's query parameters (empty ones left out), parsed; or a 400 answer like readForm's. */
export function readQuery<S extends z.ZodType>(request: Request, schema: S): Parsed<z.output<S>> {
  const values: Record<string, string> = {};
  for (const [key, value] of new URL(request.url).searchParams) if (value.trim() !== "") values[key] = value;
  return answerParsed(schema, values);
}

/**
 * The posted form, parsed; or a 400 answer shaped like core's own validation errors
 * (`{error:{code:"invalid_input", message, details:[{path, message}]}}`).
 */
export async function readForm<S extends z.ZodType>(request: Request, schema: S): Promise<Parsed<z.output<S>>> {
  const form = await request.formData();
  const values: Record<string, string> = {};
  for (const [key, value] of form) if (typeof value === "string") values[key] = value;
  return answerParsed(schema, values);
}

function answerParsed<S extends z.ZodType>(schema: S, values: Record<string, string>): Parsed<z.output<S>> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return { ok: true, data: parsed.data };
  const details = parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  return { ok: false, response: errorResponse("invalid_input", "Some fields need attention", details) };
}

/**
 * webhookSubscriptionCreate / webhookSubscriptionDelete (shop-level subscriptions owned by the
 * calling app) and bulkOperationRunQuery (bulk.ts does the work).
 */
import { idOf } from "../ids.ts";
import type { RequestContext } from "./context.ts";
import { BulkQueryError, MAX_CONCURRENT_BULK_QUERIES } from "./bulk.ts";
import { bulkOperationView, webhookSubscriptionView } from "./views-platform.ts";

interface WebhookSubscriptionInput {
  uri?: string | null;
  /** Deprecated in 2026-10 ("Use `uri` instead") but still in the schema, and still honoured. */
  callbackUrl?: string | null;
  format?: "JSON" | "XML" | null;
  includeFields?: string[] | null;
  filter?: string | null;
  name?: string | null;
}

function validUri(uri: string): boolean {
  // Shopify also accepts pubsub:// and arn: destinations; the emulator can only deliver over HTTP,
  // and accepts plain http so local receivers work (Shopify itself requires https).
  try {
    const url = new URL(uri);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

export function webhookSubscriptionCreate(
  args: { topic: string; webhookSubscription: WebhookSubscriptionInput },
  ctx: RequestContext,
): object {
  const { shop, core, app } = ctx;
  // `callbackUrl` still works in 2026-10 (deprecated, not removed); `uri` wins when both are given.
  const given =
    args.webhookSubscription.uri != null ? "uri" : args.webhookSubscription.callbackUrl != null ? "callbackUrl" : "uri";
  const uri = (given === "uri" ? args.webhookSubscription.uri : args.webhookSubscription.callbackUrl)?.trim() ?? "";
  const fail = (message: string) => ({
    webhookSubscription: null,
    userErrors: [{ field: ["webhookSubscription", given], message }],
  });
  if (!uri) return fail("Address can't be blank");
  if (!validUri(uri)) return fail("Address is invalid");
  const taken = [...shop.webhookSubscriptions.values()].some(
    (s) => s.apiKey === app.apiKey && s.topic === args.topic && s.uri === uri,
  );
  if (taken) return fail("Address for this topic has already been taken");
  const now = core.state.now();
  const sub = {
    id: core.state.ids.take(),
    apiKey: app.apiKey,
    topic: args.topic,
    uri,
    format: args.webhookSubscription.format ?? "JSON",
    includeFields: args.webhookSubscription.includeFields ?? [],
    filter: args.webhookSubscription.filter ?? null,
    name: args.webhookSubscription.name ?? null,
    createdAt: now,
    updatedAt: now,
  };
  shop.webhookSubscriptions.set(sub.id, sub);
  return { webhookSubscription: webhookSubscriptionView(sub), userErrors: [] };
}

export function webhookSubscriptionDelete(args: { id: string }, ctx: RequestContext): object {
  const id = idOf(args.id, "WebhookSubscription");
  const sub = id === undefined ? undefined : ctx.shop.webhookSubscriptions.get(id);
  if (!sub || sub.apiKey !== ctx.app.apiKey) {
    return {
      deletedWebhookSubscriptionId: null,
      userErrors: [{ field: ["id"], message: "Webhook subscription does not exist" }],
    };
  }
  ctx.shop.webhookSubscriptions.delete(sub.id);
  return { deletedWebhookSubscriptionId: args.id, userErrors: [] };
}

export function bulkOperationRunQuery(
  args: { query: string; groupObjects?: boolean | null },
  ctx: RequestContext,
): object {
  const running = [...ctx.shop.bulkOperations.values()].filter(
    (op) => op.apiKey === ctx.app.apiKey && (op.status === "CREATED" || op.status === "RUNNING"),
  );
  if (running.length >= MAX_CONCURRENT_BULK_QUERIES) {
    return {
      bulkOperation: null,
      userErrors: [
        { field: null, message: "Bulk operations limit reached. Please try again later.", code: "LIMIT_REACHED" },
      ],
    };
  }
  try {
    const op = ctx.bulkRunner.start(ctx, args.query, args.groupObjects ?? false);
    return { bulkOperation: bulkOperationView(op), userErrors: [] };
  } catch (error) {
    if (error instanceof BulkQueryError)
      return { bulkOperation: null, userErrors: [{ field: ["query"], message: error.message, code: "INVALID" }] };
    throw error;
  }
}

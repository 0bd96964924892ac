/**
 * Shopify webhooks: signature check, what a delivery is about, and keeping subscriptions in place.
 *
 * - Signature: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body keyed with the
 *   app's API secret (https://shopify.dev/docs/apps/build/webhooks/subscribe/https; the same check
 *   as @shopify/shopify-api's `webhooks.validate`, which the tests compare against). Compared in
 *   constant time; any other encoding or length is a mismatch.
 * - Orders are state: a delivery only tells us which order to look at. Payloads of orders/* are the
 *   order (normalise them, orders.ts), except orders/edited (`order_edit.order_id`); refunds/create
 *   is the refund (`order_id`), so the order is read again.
 * - Subscriptions: `webhookSubscriptions` lists only shop-scoped subscriptions made through the
 *   API by this app (not those declared in shopify.app.toml), and 2026-10 takes the endpoint in `uri`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { ChannelError, type WebhookReport } from "../types.ts";
import type { ShopifyGraphqlClient } from "./client.ts";
import { ShopifyPayloadError } from "./errors.ts";
import { toGid } from "./ids.ts";
import { restIdSchema, jsonNumber } from "./json.ts";
import {
  MUTATION_COST,
  WEBHOOK_CREATE,
  WEBHOOK_DELETE,
  WEBHOOK_SUBSCRIPTIONS,
  WEBHOOK_SUBSCRIPTIONS_COST,
} from "./queries.ts";

// ---- Verification --------------------------------------------------------------------------

const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/u;

/** True when `hmac` is Shopify's signature of exactly these bytes. */
export function verifyShopifyWebhook(input: { rawBody: Buffer; hmac: string | undefined; secret: string }): boolean {
  const given = input.hmac?.trim();
  if (!given || !BASE64_SHA256.test(given) || !input.secret) return false;
  const expected = createHmac("sha256", input.secret).update(input.rawBody).digest("base64");
  return timingSafeEqual(Buffer.from(given, "utf8"), Buffer.from(expected, "utf8"));
}

// ---- Topics --------------------------------------------------------------------------------

/** What an inventory sync subscribes to (GraphQL `WebhookSubscriptionTopic` spelling). */
export const SHOPIFY_WEBHOOK_TOPICS = [
  "ORDERS_CREATE",
  "ORDERS_PAID",
  "ORDERS_UPDATED",
  "ORDERS_CANCELLED",
  "ORDERS_EDITED",
  "REFUNDS_CREATE",
  "INVENTORY_LEVELS_UPDATE",
  "PRODUCTS_UPDATE",
  "PRODUCTS_DELETE",
  "APP_UNINSTALLED",
  "BULK_OPERATIONS_FINISH",
] as const;

/** `orders/create` (header / TOML spelling) or `ORDERS_CREATE` -> `ORDERS_CREATE`. */
export function toSubscriptionTopic(topic: string): string {
  const trimmed = topic.trim();
  if (/^[A-Z][A-Z0-9_]*$/u.test(trimmed)) return trimmed;
  if (/^[a-z][a-z0-9_]*\/[a-z][a-z0-9_]*$/u.test(trimmed)) return trimmed.replace("/", "_").toUpperCase();
  throw new ChannelError("rejected", `Not a Shopify webhook topic: ${topic}`);
}

// ---- What a delivery is about --------------------------------------------------------------

// Payloads come from parseShopifyWebhookBody (json.ts): ids are read as exact digits.
const orderPayload = z.object({ id: restIdSchema, admin_graphql_api_id: z.string().optional() }).loose();
const editPayload = z.object({ order_edit: z.object({ order_id: restIdSchema }).loose() }).loose();
const refundPayload = z.object({ order_id: restIdSchema }).loose();

function parsed<S extends z.ZodType>(schema: S, payload: unknown, topic: string): z.infer<S> {
  const result = schema.safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ShopifyPayloadError(
      "invalid_payload",
      `Invalid ${topic} payload: ${issue ? `${issue.path.join(".") || "(root)"} ${issue.message}` : "unreadable"}`,
    );
  }
  return result.data;
}

/**
 * The order (gid) an orders/* or refunds/create delivery is about; null for other topics.
 * Accepts `orders/create` and `ORDERS_CREATE` spellings.
 */
export function orderIdFromShopifyWebhook(topic: string, payload: unknown): string | null {
  let normalized: string;
  try {
    normalized = toSubscriptionTopic(topic);
  } catch {
    throw new ShopifyPayloadError("invalid_payload", `Not a Shopify webhook topic: ${topic}`);
  }
  if (normalized === "ORDERS_EDITED") return toGid("Order", parsed(editPayload, payload, topic).order_edit.order_id);
  if (normalized === "REFUNDS_CREATE") return toGid("Order", parsed(refundPayload, payload, topic).order_id);
  if (normalized.startsWith("ORDERS_")) {
    const order = parsed(orderPayload, payload, topic);
    return order.admin_graphql_api_id ? toGid("Order", order.admin_graphql_api_id) : toGid("Order", order.id);
  }
  return null;
}

const inventoryLevelPayload = z
  .object({
    inventory_item_id: restIdSchema,
    location_id: restIdSchema,
    // null when the item's quantity is not tracked
    available: jsonNumber(z.number().int().nullable()),
    updated_at: z.string().refine((value) => !Number.isNaN(Date.parse(value)), "must be a date-time"),
  })
  .loose();

export interface InventoryLevelUpdate {
  inventoryItemId: string;
  locationId: string;
  available: number | null;
  updatedAt: Date;
}

/**
 * `inventory_levels/update`: `{inventory_item_id, location_id, available, updated_at}`. It does not
 * say who changed the level: our own writes come back this way too (compare with what we wrote).
 */
export function parseInventoryLevelWebhook(payload: unknown): InventoryLevelUpdate {
  const level = parsed(inventoryLevelPayload, payload, "inventory_levels/update");
  return {
    inventoryItemId: toGid("InventoryItem", level.inventory_item_id),
    locationId: toGid("Location", level.location_id),
    available: level.available,
    updatedAt: new Date(level.updated_at),
  };
}

// ---- Subscriptions -------------------------------------------------------------------------

interface Subscription {
  id: string;
  topic: string;
  uri: string;
}

interface SubscriptionsPage {
  webhookSubscriptions: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Subscription[] };
}

async function subscriptionsFor(client: ShopifyGraphqlClient, url: string): Promise<Subscription[]> {
  const found: Subscription[] = [];
  let after: string | null = null;
  do {
    const page: SubscriptionsPage = await client.request<SubscriptionsPage>(
      WEBHOOK_SUBSCRIPTIONS,
      { uri: url, after },
      { operation: "WebhookSubscriptions", expectedCost: WEBHOOK_SUBSCRIPTIONS_COST },
    );
    // Filter again: the `uri` argument is a convenience, the comparison here is the contract.
    found.push(...page.webhookSubscriptions.nodes.filter((s) => s.uri === url));
    after = page.webhookSubscriptions.pageInfo.hasNextPage ? page.webhookSubscriptions.pageInfo.endCursor : null;
  } while (after);
  return found;
}

interface CreatePayload {
  webhookSubscriptionCreate: {
    webhookSubscription: Subscription | null;
    userErrors: { field: string[] | null; message: string }[];
  } | null;
}

/**
 * Makes sure `url` receives every topic, creating only the missing subscriptions. Shopify signs
 * with the app's API secret, so `secret` is not sent (it is the WooCommerce adapter's concern).
 * Shopify has no disabled state for subscriptions (it deletes them after failing deliveries), so
 * `reenabled` stays empty and a deleted subscription is simply created again.
 */
export async function ensureWebhooks(
  client: ShopifyGraphqlClient,
  target: { url: string; topics: readonly string[] },
): Promise<WebhookReport> {
  const existing = new Set((await subscriptionsFor(client, target.url)).map((s) => s.topic));
  const report: WebhookReport = { healthy: [], created: [], reenabled: [] };
  const seen = new Set<string>();
  for (const topic of target.topics) {
    const enumTopic = toSubscriptionTopic(topic);
    if (seen.has(enumTopic)) continue;
    seen.add(enumTopic);
    if (existing.has(enumTopic)) {
      report.healthy.push(topic);
      continue;
    }
    const result = await client.request<CreatePayload>(
      WEBHOOK_CREATE,
      { topic: enumTopic, uri: target.url },
      { operation: "WebhookSubscriptionCreate", expectedCost: MUTATION_COST },
    );
    const payload = result.webhookSubscriptionCreate;
    const errors = payload?.userErrors ?? [];
    // A retried create whose first attempt went through answers "already been taken".
    if (errors.length > 0 && errors.every((e) => /already been taken/iu.test(e.message))) {
      report.healthy.push(topic);
    } else if (errors.length > 0 || !payload?.webhookSubscription) {
      throw new ChannelError(
        "rejected",
        `Shopify refused the ${enumTopic} subscription: ${errors.map((e) => e.message).join("; ") || "no subscription returned"}`,
      );
    } else {
      report.created.push(topic);
    }
  }
  return report;
}

interface DeletePayload {
  webhookSubscriptionDelete: { deletedWebhookSubscriptionId: string | null; userErrors: { message: string }[] } | null;
}

/** Deletes every subscription of this app pointing at `url`; returns how many went. */
export async function removeWebhooks(client: ShopifyGraphqlClient, url: string): Promise<number> {
  let removed = 0;
  for (const subscription of await subscriptionsFor(client, url)) {
    const result = await client.request<DeletePayload>(
      WEBHOOK_DELETE,
      { id: subscription.id },
      { operation: "WebhookSubscriptionDelete", expectedCost: MUTATION_COST },
    );
    const payload = result.webhookSubscriptionDelete;
    if (payload?.deletedWebhookSubscriptionId) removed += 1;
    // "does not exist": gone already (a retried delete); anything else is worth knowing.
    else if (payload?.userErrors.some((e) => !/does not exist/iu.test(e.message))) {
      throw new ChannelError(
        "rejected",
        `Shopify refused to delete subscription ${subscription.id}: ${payload.userErrors.map((e) => e.message).join("; ")}`,
      );
    }
  }
  return removed;
}

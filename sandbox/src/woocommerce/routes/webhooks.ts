/**
 * `/wc/v3/webhooks`, after `WC_REST_Webhooks_V1_Controller` / `_V2_Controller` (v3 inherits them):
 *
 * - create: topic and delivery_url are validated; the status in the request is ignored - a new
 *   webhook is always `active` (the controller derives it from the post status "publish") - and
 *   the ping is sent synchronously before the 201 answer;
 * - update: topic, delivery_url, secret, status, name; saving an active webhook whose URL changed
 *   or whose ping never succeeded pings again;
 * - get of an unknown id is 400 "ID is invalid." (the error comes from prepare_item_for_response);
 * - delete needs `force=true` (501 `woocommerce_rest_trash_not_supported` otherwise).
 */
import { CREATABLE, DELETABLE, EDITABLE, READABLE, type WpRequest, type WpRoute, paginate, runBatch } from "../http.ts";
import { type ArgSpecs, collectionArgs, validateArgs } from "../schema.ts";
import { renderWebhook, restUrl } from "../serialize.ts";
import type { Store } from "../state.ts";
import type { WebhookRecord, WebhookStatus } from "../types.ts";
import { WpError, generatePassword } from "../util.ts";
import type { WebhookEngine } from "../webhooks.ts";

const webhookArgs: ArgSpecs = {
  name: { type: "string" },
  status: { type: "string", enum: ["active", "paused", "disabled"] },
  topic: { type: "string" },
  secret: { type: "string" },
  delivery_url: { type: "string" },
};

const listArgs: ArgSpecs = {
  ...collectionArgs,
  status: { type: "string", enum: ["all", "active", "paused", "disabled"] },
  orderby: { type: "string", enum: ["date", "id", "title"] },
};

const invalidTopics = [
  "action.woocommerce_login_credentials",
  "action.woocommerce_product_csv_importer_check_import_file_path",
  "action.woocommerce_webhook_should_deliver",
];

/** `wc_is_webhook_valid_topic`. */
export function isValidTopic(topic: string): boolean {
  if (invalidTopics.includes(topic)) return false;
  if (topic.startsWith("action.woocommerce_") || topic.startsWith("action.wc_")) return true;
  const [resource, event] = topic.split(".");
  return (
    ["coupon", "customer", "order", "product"].includes(resource ?? "") &&
    ["created", "updated", "deleted", "restored"].includes(event ?? "")
  );
}

/** `wc_is_valid_url`: an absolute http(s) URL. */
function isValidUrl(url: string): boolean {
  if (!/^https?:\/\//i.test(url)) return false;
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

function createdOn(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
  const time = d.toLocaleString("en-US", { hour: "2-digit", minute: "2-digit", hour12: true, timeZone: "UTC" });
  return `Webhook created on ${month} ${String(d.getUTCDate()).padStart(2, "0")}, ${d.getUTCFullYear()} @ ${time}`;
}

export interface WebhookInput {
  name?: string | undefined;
  topic: string;
  deliveryUrl: string;
  secret?: string | undefined;
}

/** Creates a webhook the way POST /webhooks does, ping included. Shared with the control API. */
export async function createWebhook(
  store: Store,
  engine: WebhookEngine,
  site: WpRequest["site"],
  input: WebhookInput,
): Promise<WebhookRecord> {
  if (!input.topic || !isValidTopic(input.topic.toLowerCase())) {
    throw new WpError("woocommerce_rest_webhook_invalid_topic", "Webhook topic is required and must be valid.", 400);
  }
  if (!input.deliveryUrl || !isValidUrl(input.deliveryUrl)) {
    throw new WpError(
      "woocommerce_rest_webhook_invalid_delivery_url",
      "Webhook delivery URL must be a valid URL starting with http:// or https://.",
      400,
    );
  }
  const now = store.now();
  const webhook: WebhookRecord = {
    id: site.nextWebhookId++,
    name: input.name || createdOn(now),
    status: "active",
    // WC_Webhook::set_topic re-validates without lowercasing.
    topic: isValidTopic(input.topic) ? input.topic : "",
    deliveryUrl: input.deliveryUrl,
    secret: input.secret || generatePassword(50),
    userId: 1,
    apiVersion: 3,
    failureCount: 0,
    pendingDelivery: true,
    dateCreated: now,
    dateModified: now,
  };
  site.webhooks.set(webhook.id, webhook);
  await engine.ping(site, webhook);
  return webhook;
}

export function webhookRoutes(store: Store, engine: WebhookEngine): WpRoute[] {
  const create = async (req: WpRequest, raw: Record<string, unknown>, lenient: boolean) => {
    if (raw.id) throw new WpError("woocommerce_rest_webhook_exists", "Cannot create existing webhook.", 400);
    const a = validateArgs(raw, webhookArgs, lenient);
    return createWebhook(store, engine, req.site, {
      name: a.name as string | undefined,
      topic: (a.topic as string | undefined) ?? "",
      deliveryUrl: (a.delivery_url as string | undefined) ?? "",
      secret: a.secret as string | undefined,
    });
  };
  const update = async (req: WpRequest, id: number, raw: Record<string, unknown>, lenient: boolean) => {
    const webhook = req.site.webhooks.get(id);
    if (!webhook) throw new WpError("woocommerce_rest_webhook_invalid_id", "ID is invalid.", 400);
    const a = validateArgs(raw, { ...webhookArgs, status: { type: "string" } }, lenient);
    const topic = typeof a.topic === "string" ? a.topic : "";
    if (topic) {
      if (!isValidTopic(topic.toLowerCase()))
        throw new WpError("woocommerce_rest_webhook_invalid_topic", "Webhook topic must be valid.", 400);
      webhook.topic = isValidTopic(topic) ? topic : "";
    }
    let urlChanged = false;
    const url = typeof a.delivery_url === "string" ? a.delivery_url : "";
    if (url) {
      if (!isValidUrl(url))
        throw new WpError(
          "woocommerce_rest_webhook_invalid_delivery_url",
          "Webhook delivery URL must be a valid URL starting with http:// or https://.",
          400,
        );
      urlChanged = url !== webhook.deliveryUrl;
      webhook.deliveryUrl = url;
    }
    if (typeof a.secret === "string" && a.secret) webhook.secret = a.secret;
    const status = typeof a.status === "string" ? a.status : "";
    if (status) {
      if (!["active", "paused", "disabled"].includes(status.toLowerCase()))
        throw new WpError("woocommerce_rest_webhook_invalid_status", "Webhook status must be valid.", 400);
      webhook.status = (["active", "paused", "disabled"].includes(status) ? status : "disabled") as WebhookStatus;
    }
    if (typeof a.name === "string" && a.name) webhook.name = a.name;
    webhook.dateModified = store.now();
    // WC_Webhook_Data_Store::update pings when an active webhook's URL changed or it is still pending.
    if (webhook.status === "active" && (urlChanged || webhook.pendingDelivery)) await engine.ping(req.site, webhook);
    return webhook;
  };
  const remove = (req: WpRequest, id: number, force: boolean) => {
    if (!force) throw new WpError("woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.", 501);
    const webhook = req.site.webhooks.get(id);
    if (!webhook) throw new WpError("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404);
    const body = renderWebhook(req.ctx, webhook);
    req.site.webhooks.delete(id);
    return body;
  };

  return [
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/webhooks$/,
      permission: "list",
      handler: (req) => {
        const a = validateArgs(req.params, listArgs);
        const status = (a.status as string | undefined) ?? "all";
        const dir = a.order === "asc" ? 1 : -1;
        const items = [...req.site.webhooks.values()]
          .filter((w) => status === "all" || w.status === status)
          .filter((w) => !Array.isArray(a.include) || a.include.length === 0 || (a.include as number[]).includes(w.id))
          .filter((w) => !Array.isArray(a.exclude) || !(a.exclude as number[]).includes(w.id))
          .filter((w) => typeof a.search !== "string" || w.name.toLowerCase().includes(a.search.toLowerCase()))
          .sort(
            (x, y) =>
              (a.orderby === "title"
                ? x.name.localeCompare(y.name)
                : a.orderby === "id"
                  ? x.id - y.id
                  : x.dateCreated - y.dateCreated || x.id - y.id) * dir,
          );
        const { page, headers } = paginate(req, items, a);
        return { body: page.map((w) => renderWebhook(req.ctx, w)), headers };
      },
    },
    {
      methods: CREATABLE,
      pattern: /^\/wc\/v3\/webhooks$/,
      permission: "create",
      handler: async (req) => {
        const webhook = await create(req, req.body, false);
        return {
          status: 201,
          body: renderWebhook(req.ctx, webhook),
          headers: { location: restUrl(req.ctx, `/webhooks/${webhook.id}`) },
        };
      },
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/webhooks\/batch$/,
      permission: "batch",
      handler: (req) =>
        runBatch(req, {
          create: async (item) => renderWebhook(req.ctx, await create(req, item, true)),
          update: async (item) => renderWebhook(req.ctx, await update(req, Number(item.id ?? 0), item, true)),
          delete: (id) => remove(req, id, true),
        }),
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/webhooks\/(?<id>\d+)$/,
      permission: "read",
      handler: (req) => {
        const webhook = req.site.webhooks.get(Number(req.url.id));
        if (!webhook) throw new WpError("woocommerce_rest_webhook_invalid_id", "ID is invalid.", 400);
        return { body: renderWebhook(req.ctx, webhook) };
      },
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/webhooks\/(?<id>\d+)$/,
      permission: "edit",
      handler: async (req) => ({
        body: renderWebhook(req.ctx, await update(req, Number(req.url.id), req.body, false)),
      }),
    },
    {
      methods: DELETABLE,
      pattern: /^\/wc\/v3\/webhooks\/(?<id>\d+)$/,
      permission: "delete",
      handler: (req) => ({
        body: remove(req, Number(req.url.id), validateArgs(req.params, { force: { type: "boolean" } }).force === true),
      }),
    },
  ];
}

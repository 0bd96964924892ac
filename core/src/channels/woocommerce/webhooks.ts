/**
 * WooCommerce webhooks: verifying deliveries, recognising the creation ping, and keeping our
 * subscriptions alive.
 *
 * WooCommerce signs each delivery with the webhook's own secret (`X-WC-Webhook-Signature` =
 * base64 HMAC-SHA256 of the raw body, `WC_Webhook::generate_signature`), which is why every
 * connection has its own secret. Deliveries are never retried, and after more than five failures
 * in a row WooCommerce sets the webhook to `disabled` for good (`WC_Webhook::failed_delivery`):
 * `ensureWebhooks` finds such webhooks and sets them active again; reconciliation
 * (`ordersChangedSince`) backfills what was missed meanwhile.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Logger } from "../../log/index.ts";
import { ChannelError, type WebhookReport } from "../types.ts";
import type { WooCommerceClient } from "./client.ts";
import { type WooWebhook, parseAnswer, webhookSchema } from "./payloads.ts";

/** The topics Prokip Sync subscribes to. */
export const WOOCOMMERCE_WEBHOOK_TOPICS = [
  "order.created",
  "order.updated",
  "order.deleted",
  "order.restored",
  "product.updated",
  "product.deleted",
] as const;

/** A SHA-256 MAC in canonical base64, as `base64_encode` writes it: 43 characters and one `=`. */
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/u;

/**
 * True when `signature` is the base64 HMAC-SHA256 of exactly these bytes under `secret`. Only the
 * canonical spelling is compared (as the Shopify receivers do): decoding first would also accept
 * base64url, missing padding or junk after it, which Node's lenient decoder ignores.
 */
export function verifyWooCommerceWebhook(input: {
  rawBody: Buffer;
  signature: string | undefined;
  secret: string;
}): boolean {
  const given = input.signature?.trim();
  if (!given || !BASE64_SHA256.test(given) || !input.secret) return false;
  const expected = createHmac("sha256", input.secret).update(input.rawBody).digest("base64");
  // Same length by now (44 characters); constant time all the same.
  return timingSafeEqual(Buffer.from(given, "utf8"), Buffer.from(expected, "utf8"));
}

/**
 * The ping WooCommerce sends when a webhook is created or re-activated while still pending
 * (`WC_Webhook::deliver_ping`): a form-encoded `webhook_id=<id>` body and no signature. It must
 * get a 200, or the webhook stays `pending_delivery`; it carries nothing to act on.
 */
export function isWooCommercePing(contentType: string | undefined, rawBody: Buffer): boolean {
  if (!contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded")) return false;
  return /^webhook_id=\d+$/u.test(rawBody.toString("utf8").trim());
}

async function listWebhooks(client: WooCommerceClient): Promise<WooWebhook[]> {
  const webhooks: WooWebhook[] = [];
  // The list's default status filter is "all" (active, paused and disabled).
  for await (const page of client.paginate("webhooks")) {
    for (const raw of page) webhooks.push(parseAnswer(webhookSchema, raw, "a webhook"));
  }
  return webhooks;
}

/** WordPress may store the URL normalised (trailing slash, case of the host); compare loosely. */
function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/u, "")}${url.search}`;
    } catch {
      return u.trim().replace(/\/+$/u, "");
    }
  };
  return norm(a) === norm(b);
}

/**
 * Makes `url` receive every topic in `topics`: creates the missing subscriptions (with the
 * connection's secret), sets paused or disabled ones active again (and re-sends the secret, as
 * WooCommerce never shows it back), and removes duplicates of a topic (left by a create that was
 * applied although its answer was lost). A healthy subscription is not touched.
 */
export async function ensureWebhooks(
  client: WooCommerceClient,
  log: Logger,
  target: { url: string; topics: readonly string[]; secret: string },
): Promise<WebhookReport> {
  const report: WebhookReport = { healthy: [], created: [], reenabled: [] };
  const ours = (await listWebhooks(client)).filter((w) => sameUrl(w.delivery_url, target.url));
  for (const topic of [...new Set(target.topics)]) {
    const matching = ours
      .filter((w) => w.topic === topic)
      .sort((a, b) => Number(b.status === "active") - Number(a.status === "active") || a.id - b.id);
    const [keep, ...duplicates] = matching;
    for (const extra of duplicates) {
      await client.request("delete", `webhooks/${extra.id}`, { params: { force: true } }).catch((error: unknown) => {
        log.warn(
          {
            platform: "woocommerce",
            webhookId: extra.id,
            topic,
            err: error instanceof Error ? error.message : String(error),
          },
          "Could not remove a duplicate webhook",
        );
      });
    }
    if (!keep) {
      // Not idempotent (a lost answer would leave a duplicate, removed on the next run): only retried after a 429.
      await client.request("post", "webhooks", {
        data: {
          name: `Prokip Sync ${topic}`,
          topic,
          delivery_url: target.url,
          secret: target.secret,
          status: "active",
        },
        retry: "throttle-only",
      });
      report.created.push(topic);
    } else if (keep.status !== "active") {
      await client.request("put", `webhooks/${keep.id}`, { data: { status: "active", secret: target.secret } });
      log.info(
        { platform: "woocommerce", webhookId: keep.id, topic, was: keep.status },
        "Re-enabled a WooCommerce webhook",
      );
      report.reenabled.push(topic);
    } else {
      report.healthy.push(topic);
    }
  }
  return report;
}

/** Deletes every subscription delivering to `url` (webhooks cannot be trashed: `force=true`). */
export async function removeWebhooks(client: WooCommerceClient, url: string): Promise<number> {
  const ours = (await listWebhooks(client)).filter((w) => sameUrl(w.delivery_url, url));
  let removed = 0;
  for (const webhook of ours) {
    try {
      await client.request("delete", `webhooks/${webhook.id}`, { params: { force: true } });
      removed += 1;
    } catch (error) {
      // Already gone (another remover got there first) is as good as removed.
      if (!(error instanceof ChannelError && error.code === "not_found")) throw error;
    }
  }
  return removed;
}

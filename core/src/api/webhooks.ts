/**
 * Webhook receivers. Each delivery is verified first (401 on a bad signature, counted and
 * otherwise forgotten), stored in the inbox once (a redelivery is acknowledged and dropped),
 * and answered at once; processing happens later, off the request.
 *
 * Shopify signs with the app secret, so the signature is checked before anything else.
 * WooCommerce signs with a per-connection secret, so the connection is looked up first.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { verifyShopifyWebhook } from "../channels/shopify/index.ts";
import { isWooCommercePing, verifyWooCommerceWebhook } from "../channels/woocommerce/index.ts";
import { connectionById, connectionByStoreDomain, keepsDeliveries, recordDelivery } from "../inbox/index.ts";
import { decryptSecret } from "../security/index.ts";
import type { Database, Platform } from "../store/index.ts";
import type { Metrics } from "./metrics.ts";

export interface WebhookDependencies {
  /** null while the database is starting: deliveries then get 503 and the platform retries. */
  database: () => Database | null;
  metrics: Metrics;
  /** The Shopify app's API secret (the sandbox's demo app in sandbox mode). */
  shopifyApiSecret: string | null;
  encryptionKey: Buffer;
  /** Called once a new delivery is stored (not for duplicates): asks for it to be processed. */
  onStored?: (connectionId: string) => Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

export async function registerWebhookRoutes(app: FastifyInstance, deps: WebhookDependencies): Promise<void> {
  await app.register(async (scope) => {
    // Signatures are computed over the exact bytes received: keep the body raw.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: 5 * 1024 * 1024 }, (_request, body, done) =>
      done(null, body),
    );

    scope.post("/webhooks/shopify", async (request, reply) => {
      const rawBody = bodyOf(request);
      // Shopify's newer delivery format drops the X- prefix; accept both.
      const header = (name: string) =>
        headerValue(request, `x-shopify-${name}`) ?? headerValue(request, `shopify-${name}`);
      if (
        !deps.shopifyApiSecret ||
        !verifyShopifyWebhook({ rawBody, hmac: header("hmac-sha256"), secret: deps.shopifyApiSecret })
      ) {
        return refuse(reply, deps.metrics, "shopify");
      }
      const shop = header("shop-domain");
      const topic = header("topic");
      const deliveryId = header("event-id") ?? header("webhook-id");
      if (!shop || !topic || !deliveryId)
        return error(reply, 400, "missing_headers", "The delivery lacks the shop, topic or event id header");
      const database = deps.database();
      if (!database) return error(reply, 503, "starting", "The service is starting; deliver again shortly");
      const connection = await connectionByStoreDomain(database.pool, "shopify", shop);
      if (!connection) return error(reply, 404, "unknown_connection", `No connection for ${shop}`);
      if (!keepsDeliveries(connection)) return notConnected(reply, deps.metrics, "shopify");
      return store(reply, database, deps, "shopify", {
        connection,
        topic,
        deliveryId,
        webhookId: header("webhook-id") ?? null,
        rawBody,
        triggeredAt: parseDate(header("triggered-at")),
      });
    });

    scope.post<{ Params: { connectionId: string } }>("/webhooks/woocommerce/:connectionId", async (request, reply) => {
      const rawBody = bodyOf(request);
      const database = deps.database();
      if (!database) return error(reply, 503, "starting", "The service is starting; deliver again shortly");
      const connection = UUID.test(request.params.connectionId)
        ? await connectionById(database.pool, "woocommerce", request.params.connectionId)
        : null;
      if (!connection) return error(reply, 404, "unknown_connection", "No such connection");
      // Its secret was erased at disconnect, so there is nothing to verify against; nothing is kept either way.
      if (!keepsDeliveries(connection)) return notConnected(reply, deps.metrics, "woocommerce");
      // WooCommerce pings a new webhook, unsigned, and keeps it pending until it gets a 200.
      if (isWooCommercePing(headerValue(request, "content-type"), rawBody)) {
        deps.metrics.webhookDeliveries.inc({ platform: "woocommerce", outcome: "ping" });
        return reply.code(200).send({ status: "ping" });
      }
      const secret = connection.webhookSecret ? decryptSecret(connection.webhookSecret, deps.encryptionKey) : null;
      if (
        !secret ||
        !verifyWooCommerceWebhook({ rawBody, signature: headerValue(request, "x-wc-webhook-signature"), secret })
      ) {
        return refuse(reply, deps.metrics, "woocommerce");
      }
      const topic = headerValue(request, "x-wc-webhook-topic");
      const deliveryId = headerValue(request, "x-wc-webhook-delivery-id");
      if (!topic || !deliveryId)
        return error(reply, 400, "missing_headers", "The delivery lacks the topic or delivery id header");
      return store(reply, database, deps, "woocommerce", {
        connection,
        topic,
        deliveryId: wooCommerceInboxKey(deliveryId, rawBody),
        webhookId: headerValue(request, "x-wc-webhook-id") ?? null,
        rawBody,
        triggeredAt: null,
      });
    });
  });
}

async function store(
  reply: FastifyReply,
  database: Database,
  deps: Pick<WebhookDependencies, "metrics" | "onStored">,
  platform: Platform,
  delivery: {
    connection: { id: string; businessId: string };
    topic: string;
    deliveryId: string;
    webhookId: string | null;
    rawBody: Buffer;
    triggeredAt: Date | null;
  },
) {
  // A body that is not UTF-8 or JSON, or JSON PostgreSQL's jsonb refuses, is refused before the
  // INSERT with a SyncError `invalid_payload`, which the error handler answers with 400.
  const result = await recordDelivery(database.pool, {
    businessId: delivery.connection.businessId,
    connectionId: delivery.connection.id,
    platform,
    topic: delivery.topic,
    deliveryId: delivery.deliveryId,
    webhookId: delivery.webhookId,
    rawBody: delivery.rawBody,
    triggeredAt: delivery.triggeredAt,
  });
  deps.metrics.webhookDeliveries.inc({ platform, outcome: result.status });
  if (result.status === "stored" && deps.onStored) {
    // Failing to ask is not failing to receive: the delivery is stored, and the worker's
    // start-up sweep (or the next delivery) picks it up.
    await deps.onStored(delivery.connection.id).catch(() => undefined);
  }
  return reply.code(200).send({ status: result.status });
}

/**
 * WooCommerce's delivery id is `wp_hash( webhook id . strtotime('now') )` (WC_Webhook::deliver):
 * every notification of one webhook within the same second shares it (two orders placed
 * together, a batch of stock writes). Keyed by that id alone, all but the first would be
 * acknowledged as duplicates and lost. So the inbox key is the id plus a digest of the body:
 * only the same bytes delivered again are a redelivery.
 */
export function wooCommerceInboxKey(deliveryId: string, rawBody: Buffer): string {
  return `${deliveryId}:${createHash("sha256").update(rawBody).digest("hex").slice(0, 32)}`;
}

function refuse(reply: FastifyReply, metrics: Metrics, platform: Platform) {
  metrics.webhookSignatureFailures.inc({ platform });
  return error(reply, 401, "invalid_signature", "The webhook signature does not verify");
}

/** A disconnected store: acknowledged (so the platform does not retry), nothing kept. */
function notConnected(reply: FastifyReply, metrics: Metrics, platform: Platform) {
  metrics.webhookDeliveries.inc({ platform, outcome: "not_connected" });
  return reply.code(200).send({ status: "not_connected" });
}

function error(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseDate(text: string | undefined): Date | null {
  if (!text) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

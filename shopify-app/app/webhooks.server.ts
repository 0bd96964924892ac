/**
 * Webhook deliveries, from the app's routes to core's inbox. A route verifies the delivery
 * (`authenticate.webhook`: 405 for non-POST, 401 for a bad HMAC, 400 for missing headers) and
 * hands it over; nothing here interprets a payload.
 *
 * What is stored is exactly what core's own receiver (`POST /webhooks/shopify`,
 * core/src/api/webhooks.ts) stores: the same WebhookEvent row for the shop's connection, keyed
 * by X-Shopify-Event-Id (falling back to X-Shopify-Webhook-Id), the body as received, the topic
 * as the header spells it (`orders/create`; the library's own `topic` is `ORDERS_CREATE`), so
 * a delivery that reaches both is stored once and core's inbox worker handles it the same way.
 */
import {
  connectionByStoreDomain,
  isDatabaseUnavailable,
  keepsDeliveries,
  recordDelivery,
  shopify,
} from "@prokip-sync/core";
import { InvalidShopError } from "@shopify/shopify-api";
import { syncErrorResponse } from "./errors.server.ts";
import { database } from "./db.server.ts";
import "./merchant.server.ts"; // declares globalThis.prokipSyncMerchant, which the backend host fills
import { authenticate } from "./shopify.server.ts";

export interface VerifiedDelivery {
  shop: string;
  /** As the X-Shopify-Topic header spells it: `orders/create`. */
  topic: string;
  /** X-Shopify-Event-Id, or X-Shopify-Webhook-Id when absent: the inbox's deduplication key. */
  deliveryId: string;
  webhookId: string | null;
  triggeredAt: Date | null;
  /** The body's bytes exactly as received (the HMAC covers them); the inbox decodes them strictly. */
  rawBody: Buffer;
  /**
   * The body parsed with its ids exact (`shopify.parseShopifyWebhookBody`: numbers keep their
   * digits), not the library's `payload`, whose JSON.parse rounds ids beyond 2^53.
   */
  payload: unknown;
}

/** Verifies a delivery; throws the library's Response (401, 400, 405) when it does not verify. */
export async function verifyDelivery(request: Request): Promise<VerifiedDelivery> {
  // The library reads the body; keep the exact bytes for the inbox.
  const rawBody = Buffer.from(await request.clone().arrayBuffer());
  let webhook: Awaited<ReturnType<typeof authenticate.webhook>>;
  try {
    // The library reads the shop's offline session (the database) to hand out an admin client.
    webhook = await whileTheDatabaseAnswers(() => authenticate.webhook(request));
  } catch (error) {
    // A signed body that is not JSON (the library's JSON.parse fails): refuse it, as core does.
    if (error instanceof SyntaxError)
      throw Response.json(
        { error: { code: "invalid_payload", message: "The delivery body is not JSON" } },
        { status: 400 },
      );
    // Signed, but the shop header is not a shop domain (the library checks it after the HMAC).
    if (error instanceof InvalidShopError)
      throw Response.json(
        { error: { code: "invalid_shop", message: "The delivery's shop header is not a Shopify shop domain" } },
        { status: 400 },
      );
    throw error;
  }
  // Shopify's newer delivery format drops the X- prefix; the library accepts both, so do we.
  const header = (name: string) => request.headers.get(`x-shopify-${name}`) ?? request.headers.get(`shopify-${name}`);
  const topic = header("topic");
  const deliveryId = header("event-id") ?? header("webhook-id");
  if (!topic || !deliveryId)
    throw Response.json(
      { error: { code: "missing_headers", message: "The delivery lacks the topic or event id header" } },
      { status: 400 },
    );
  const triggeredAt = header("triggered-at") ? new Date(header("triggered-at")!) : null;
  return {
    shop: webhook.shop,
    topic,
    deliveryId,
    webhookId: header("webhook-id"),
    triggeredAt: triggeredAt && !Number.isNaN(triggeredAt.getTime()) ? triggeredAt : null,
    rawBody,
    // The library has decoded and verified the same bytes as UTF-8 text.
    payload: exactPayload(rawBody.toString("utf8")),
  };
}

function exactPayload(rawBody: string): unknown {
  try {
    return shopify.parseShopifyWebhookBody(rawBody);
  } catch (error) {
    // JSON the library read but lossless-json refuses (a key twice with two values): refuse it too.
    if (!(error instanceof shopify.ShopifyPayloadError)) throw error;
    throw Response.json({ error: { code: "invalid_payload", message: error.message } }, { status: 400 });
  }
}

/** Refuses a delivery sent to the wrong route (a mistake in shopify.app.toml), before anything happens. */
export function expectTopic(delivery: VerifiedDelivery, topic: string): void {
  if (delivery.topic !== topic) {
    throw Response.json(
      { error: { code: "wrong_topic", message: `This address receives ${topic}, not ${delivery.topic}` } },
      { status: 400 },
    );
  }
}

export type InboxOutcome = "stored" | "duplicate" | "not_connected";

/**
 * Stores a verified delivery in core's inbox for the shop's connection. A shop that installed
 * the app but has not connected Prokip has no connection: there is nothing to sync, so the
 * delivery is acknowledged and not kept (`not_connected`; core's receiver answers 404 there,
 * because it only ever subscribes connected shops).
 *
 * Core's inbox worker takes stored deliveries when the queue asks it to: a new delivery asks for
 * an inbox run of its connection, as core's own receiver does, through the job requests of the
 * backend hosting the app (`globalThis.prokipSyncMerchant.jobs.inbox`). Not hosted (tests, the
 * app run on its own), or if asking fails, the delivery is stored all the same and the worker's
 * start-up sweep or the connection's next delivery picks it up.
 */
export async function storeInInbox(delivery: VerifiedDelivery): Promise<InboxOutcome> {
  const result = await whileTheDatabaseAnswers(async () => {
    const connection = await connectionByStoreDomain(database.pool, "shopify", delivery.shop);
    if (!connection || !keepsDeliveries(connection)) return null;
    const recorded = await recordDelivery(database.pool, {
      businessId: connection.businessId,
      connectionId: connection.id,
      platform: "shopify",
      topic: delivery.topic,
      deliveryId: delivery.deliveryId,
      webhookId: delivery.webhookId,
      rawBody: delivery.rawBody,
      triggeredAt: delivery.triggeredAt,
      // A body PostgreSQL could not store is a SyncError `invalid_payload` (400), thrown before any INSERT.
    }).catch((error: unknown) => {
      throw syncErrorResponse(error);
    });
    return { connectionId: connection.id, status: recorded.status };
  });
  if (!result) return "not_connected";
  if (result.status === "stored") await askForInboxRun(result.connectionId);
  return result.status;
}

/**
 * A database outage (stopped, restarting, unreachable) answers 503 with a code, as core's own
 * receivers do (core/src/api/errors.ts): nothing was stored and Shopify delivers again. Remix
 * would answer the thrown error with a 500.
 */
export async function whileTheDatabaseAnswers<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error;
    throw Response.json(
      { error: { code: "database_unavailable", message: "The database is unavailable; try again shortly" } },
      { status: 503, headers: { "retry-after": "5" } },
    );
  }
}

/** Failing to ask is not failing to receive: Shopify gets its 200 either way. */
async function askForInboxRun(connectionId: string): Promise<void> {
  const host = globalThis.prokipSyncMerchant;
  if (!host) return;
  await host.jobs
    .inbox(connectionId)
    .catch((error: unknown) =>
      host.log.warn(
        { err: error, connectionId },
        "asking for an inbox run failed; the stored delivery waits for the next run",
      ),
    );
}

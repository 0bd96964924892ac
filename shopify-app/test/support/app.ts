/**
 * The app as a test file sees it: its own migrated database (cloned from the run's template),
 * the Shopify test app's keys in the environment, and the real app modules loaded on top.
 * Requests are signed with the Shopify libraries' own test helpers.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { API_KEY, API_SECRET_KEY, APP_URL, getHmac } from "@shopify/shopify-api/test-helpers";
import { testDatabase } from "../../../core/test/support/database.ts";
import { createShop, type Shop } from "../../../core/test/support/fixtures.ts";

export { API_KEY, API_SECRET_KEY, APP_URL };

export const database = await testDatabase({ poolSize: 4 });
// The app's modules read these when first imported (app/db.server.ts, app/shopify.server.ts).
process.env.DATABASE_URL = database.url;
process.env.SHOPIFY_API_KEY = API_KEY;
process.env.SHOPIFY_API_SECRET = API_SECRET_KEY;
process.env.SHOPIFY_APP_URL = APP_URL;
process.env.SCOPES = "read_inventory,read_locations,read_orders,read_products,write_inventory,write_products";
// The key sessions are sealed with when no backend hosts the app (sealed-session-storage.server.ts):
// one per run, so no test writes a key file into the repository's data directory.
process.env.PROKIP_SYNC_ENCRYPTION_KEY ??= randomBytes(32).toString("base64");
// One pool per test file: the app uses the test database's (closed and dropped after the file).
globalThis.prokipSyncAppDatabase = database;

/** A business with a connected Shopify store; its myshopify domain. */
export async function connectedShop(): Promise<Shop & { domain: string }> {
  const shop = await createShop(database.prisma, { platform: "shopify" });
  const { storeDomain } = await database.prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
  return { ...shop, domain: storeDomain };
}

export interface WebhookOptions {
  shop: string;
  topic: string;
  body: unknown;
  eventId?: string;
  webhookId?: string;
  /** Defaults to a correct signature with the app secret. */
  hmac?: string;
  method?: string;
}

/** A delivery as Shopify sends it: body signed with the app secret (getHmac), X-Shopify-* headers. */
export function webhookRequest(path: string, options: WebhookOptions): Request {
  const body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const method = options.method ?? "POST";
  return new Request(`${APP_URL}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": options.topic,
      "x-shopify-shop-domain": options.shop,
      "x-shopify-api-version": "2026-10",
      "x-shopify-webhook-id": options.webhookId ?? randomUUID(),
      "x-shopify-event-id": options.eventId ?? randomUUID(),
      "x-shopify-triggered-at": "2026-11-21T10:00:00.000Z",
      "x-shopify-hmac-sha256": options.hmac ?? getHmac(body, API_SECRET_KEY),
    },
    ...(method === "GET" || method === "HEAD" ? {} : { body }),
  });
}

type Handler = (args: {
  request: Request;
  params: Record<string, string>;
  context: Record<string, unknown>;
}) => Promise<unknown>;

/**
 * Runs a loader or action the way Remix does and returns the Response it answered with:
 * thrown Responses (401, redirects) are answers too. Anything else thrown is a failure.
 */
export async function call(
  handler: Handler,
  request: Request,
  params: Record<string, string> = {},
): Promise<{ response: Response | null; data: unknown }> {
  try {
    const result = await handler({ request, params, context: {} });
    return result instanceof Response ? { response: result, data: null } : { response: null, data: result };
  } catch (thrown) {
    if (thrown instanceof Response) return { response: thrown, data: null };
    throw thrown;
  }
}

/**
 * Test helpers for code that talks to the Shopify emulator: a tiny GraphQL client and a webhook
 * receiver that records raw requests (raw body and headers, as HMAC checks need them) and can be
 * told to fail.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ADMIN_API_VERSION } from "../../scripts/shopify-schema.ts";

export interface GraphqlResult {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?:
      { message: string; locations?: unknown; path?: unknown[]; extensions?: Record<string, unknown> }[] | string;
    extensions?: {
      cost?: {
        requestedQueryCost: number;
        actualQueryCost: number | null;
        throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
      };
    };
  };
}

/** `graphql(query, variables)` against `{baseUrl}/{shop}/admin/api/2026-10/graphql.json`. */
export function graphqlClient(baseUrl: string, shop: string, accessToken: string, apiVersion = ADMIN_API_VERSION) {
  return async (query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResult> => {
    const response = await fetch(`${baseUrl}/${shop}/admin/api/${apiVersion}/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": accessToken },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
  };
}

export interface ReceivedWebhook {
  at: number;
  topic: string;
  headers: IncomingMessage["headers"];
  rawBody: string;
  body: unknown;
  /** The Node request object (body already consumed), for libraries that want `rawRequest`. */
  request: IncomingMessage;
  response: ServerResponse;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answer the next `count` requests (of `topic`, if given) with `status` (e.g. 500), then 200 again. */
  failNext(count: number, status?: number, topic?: string): void;
  /** Resolves once `count` webhooks (optionally of one topic) have arrived. */
  waitFor(count: number, topic?: string, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failures: { left: number; status: number; topic?: string } = { left: 0, status: 500 };
  const waiters: (() => void)[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = rawBody;
      }
      const topic = String(request.headers["x-shopify-topic"] ?? "");
      received.push({ at: Date.now(), topic, headers: request.headers, rawBody, body, request, response });
      const fail = failures.left > 0 && (!failures.topic || failures.topic === topic);
      if (fail) failures.left -= 1;
      const status = fail ? failures.status : 200;
      response.writeHead(status, { "Content-Type": "text/plain" }).end(status === 200 ? "ok" : "failed");
      waiters.splice(0).forEach((w) => w());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    received,
    failNext(count, status = 500, topic) {
      failures = { left: count, status, topic };
    },
    async waitFor(count, topic, timeoutMs = 5_000) {
      const matching = () => received.filter((r) => !topic || r.topic === topic);
      const deadline = Date.now() + timeoutMs;
      while (matching().length < count) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${count} ${topic ?? "webhooks"}; got ${matching().length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return matching();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

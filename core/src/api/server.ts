/**
 * The backend HTTP server (Fastify). One process serves everything on one port; later issues
 * mount the webhook receivers, `/api/v1` and the Shopify app here.
 */
import type { Duplex } from "node:stream";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "../log/index.ts";
import { answerFrameworkError, installErrorHandlers } from "./errors.ts";
import type { Health } from "./health.ts";
import { registerMetricsRoute, type Metrics, type MetricsAccess } from "./metrics.ts";
import { installSecurityHeaders } from "./security-headers.ts";

export interface ServerDependencies {
  log: Logger;
  health: Health;
  metrics: Metrics;
  /** Who may read /metrics; by default anyone (tests, benchmarks). */
  metricsAccess?: MetricsAccess;
  /** How long a client may take to send a whole request; `requestTimeouts(env)` in the backend. */
  timeouts?: RequestTimeouts;
}

export interface RequestTimeouts {
  /** Headers and body, from the connection's first byte; then 408 and the socket is closed. */
  requestMs: number;
  /** The headers alone (at most `requestMs`). */
  headersMs: number;
}

/**
 * 30 s for a whole request: Shopify gives a delivery 5 s in all (shared/reference/shopify.md) and
 * a 5 MB body at 200 kB/s takes 25 s, while a trickle (a byte every few seconds, which Node's
 * per-socket idle timeout never ends) is cut off. Headers come in one packet: 10 s.
 */
export const DEFAULT_REQUEST_TIMEOUTS: RequestTimeouts = { requestMs: 30_000, headersMs: 10_000 };

/** Methods no route here serves and undici's Request refuses to carry (the app's routes are `all`). */
const REFUSED_METHODS = new Set(["TRACE", "TRACK"]);
const SERVED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/**
 * Errors Node raises before there is a request to route (a timeout, malformed bytes): answered in
 * our error shape on the raw socket, which is then closed, as Fastify's default handler does.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request Timeout", "request_timeout", "The request did not arrive in time"]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "headers_too_large", "The request headers are too large"]
        : [400, "Bad Request", "bad_request", "The request is not valid HTTP"];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export function buildServer({
  log,
  health,
  metrics,
  metricsAccess,
  timeouts = DEFAULT_REQUEST_TIMEOUTS,
}: ServerDependencies): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: 5 * 1024 * 1024,
    requestTimeout: timeouts.requestMs,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    http: {
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      // Node checks for expired requests this often (30 s by default, which would double the limit).
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(timeouts.requestMs / 4))),
    },
  });
  installErrorHandlers(app);
  installSecurityHeaders(app);

  // Before routing, so it holds for every path, the app's included.
  app.addHook("onRequest", async (request, reply) => {
    if (!REFUSED_METHODS.has(request.method)) return;
    return reply
      .code(405)
      .header("allow", SERVED_METHODS)
      .send({ error: { code: "method_not_allowed", message: `${request.method} is not served here` } });
  });

  app.get("/healthz", async (_request, reply) => {
    const report = await health.check();
    return reply
      .code(report.healthy ? 200 : 503)
      .header("cache-control", "no-store")
      .send(report.body);
  });

  registerMetricsRoute(app, metrics, metricsAccess ?? { token: null, production: false });

  return app;
}

/**
 * Process metrics in Prometheus format (prom-client), served at GET /metrics. Each server gets
 * its own registry, so tests can start several in one process. With PROKIP_SYNC_METRICS_TOKEN
 * the route wants `Authorization: Bearer <token>`; in production without one it is not served.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { Counter, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  /** Deliveries refused because their signature did not verify: the only trace they leave. */
  readonly webhookSignatureFailures = new Counter({
    name: "prokip_sync_webhook_signature_failures_total",
    help: "Webhook deliveries refused with 401 because the signature did not verify",
    labelNames: ["platform"] as const,
    registers: [this.registry],
  });
  readonly webhookDeliveries = new Counter({
    name: "prokip_sync_webhook_deliveries_total",
    help: "Verified webhook deliveries, by outcome (stored, duplicate, ping)",
    labelNames: ["platform", "outcome"] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}

/** Who may read /metrics: anyone (no token, outside production), bearers of the token, or nobody (production without a token). */
export interface MetricsAccess {
  token: string | null;
  production: boolean;
}

export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, access: MetricsAccess): void {
  const { token, production } = access;
  if (!token && production) {
    // Process and webhook figures are nobody's business by default; a 404 says nothing about them.
    app.log.warn("GET /metrics is not served: set PROKIP_SYNC_METRICS_TOKEN to serve it to bearers of that token");
    return;
  }
  app.get("/metrics", async (request, reply) => {
    if (token && !bearerMatches(request.headers.authorization, token))
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="metrics"')
        .header("cache-control", "no-store")
        .send({
          error: {
            code: "invalid_metrics_token",
            message: "GET /metrics needs Authorization: Bearer <PROKIP_SYNC_METRICS_TOKEN>",
          },
        });
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}

/** Compares digests so the time taken says nothing about the token (timingSafeEqual wants equal lengths). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/iu.exec(header ?? "");
  if (!match) return false;
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

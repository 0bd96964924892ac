/**
 * The backend HTTP server (Fastify). One process serves everything on one port; later issues
 * mount the webhook receivers, `/api/v1` and the Shopify app here.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "../log/index.ts";
import { installErrorHandlers } from "./errors.ts";
import type { Health } from "./health.ts";
import { registerMetricsRoute, type Metrics, type MetricsAccess } from "./metrics.ts";
import { installSecurityHeaders } from "./security-headers.ts";

export interface ServerDependencies {
  log: Logger;
  health: Health;
  metrics: Metrics;
  /** Who may read /metrics; by default anyone (tests, benchmarks). */
  metricsAccess?: MetricsAccess;
}

export function buildServer({ log, health, metrics, metricsAccess }: ServerDependencies): FastifyInstance {
  const app = Fastify({ loggerInstance: log as FastifyBaseLogger, bodyLimit: 5 * 1024 * 1024 });
  installErrorHandlers(app);
  installSecurityHeaders(app);

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

export { buildServer, DEFAULT_REQUEST_TIMEOUTS, type RequestTimeouts, type ServerDependencies } from "./server.ts";
export { Health, type HealthReport, type DatabasePhase } from "./health.ts";
export { Metrics, type MetricsAccess } from "./metrics.ts";
export { registerWebhookRoutes, type WebhookDependencies } from "./webhooks.ts";

export { buildServer, type ServerDependencies } from "./server.ts";
export { Health, type HealthReport, type DatabasePhase } from "./health.ts";
export { Metrics, type MetricsAccess } from "./metrics.ts";
export { registerWebhookRoutes, type WebhookDependencies } from "./webhooks.ts";

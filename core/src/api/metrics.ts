/**
 * Process metrics in Prometheus format (prom-client), served at GET /metrics. Each server gets
 * its own registry, so tests can start several in one process.
 */
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

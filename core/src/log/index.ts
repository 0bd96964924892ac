/**
 * Structured JSON logs (pino). Secrets are redacted by path so a careless `log.info({connection})`
 * cannot leak a token.
 */
import { pino, type Logger } from "pino";

export type { Logger };

const redactPaths = [
  "*.credentials",
  "*.accessToken",
  "*.access_token",
  "*.refreshToken",
  "*.refresh_token",
  "*.password",
  "*.consumerSecret",
  "*.consumer_secret",
  "*.clientSecret",
  "*.client_secret",
  "*.webhookSecret",
  "*.prokipCredentials",
  "req.headers.authorization",
  'req.headers["x-shopify-access-token"]',
  'req.headers["x-shopify-hmac-sha256"]',
  'req.headers["x-wc-webhook-signature"]',
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? "prokip-sync",
    level: options.level ?? process.env.LOG_LEVEL ?? "info",
    redact: { paths: redactPaths, censor: "[redacted]" },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

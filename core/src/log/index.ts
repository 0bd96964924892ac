/**
 * Structured JSON logs (pino). Secrets are redacted by path so a careless `log.info({connection})`
 * cannot leak a token, and credentials in URLs' query strings (WooCommerce's OAuth 1.0a
 * `oauth_*` parameters over http, `consumer_key`/`consumer_secret` over https) are redacted in
 * every line: request URLs, error messages, anything.
 */
import { pino, type DestinationStream, type Logger } from "pino";

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
  "*.consumerKey",
  "*.consumer_key",
  "*.clientSecret",
  "*.client_secret",
  "*.webhookSecret",
  "*.prokipCredentials",
  "req.headers.authorization",
  'req.headers["x-shopify-access-token"]',
  'req.headers["x-shopify-hmac-sha256"]',
  'req.headers["x-wc-webhook-signature"]',
];

/** `oauth_*` / `consumer_*` query parameters (also percent-encoded inside another URL): name kept, value gone. */
const URL_SECRET =
  /(?<=^|[^a-z0-9_]|%3F|%26)((?:oauth|consumer)_[a-z0-9_]*)(=|%3D)(?:[^&#\s"'\\%]|%(?!26)[0-9a-f]{2})*/giu;

/** A URL (or any text holding one) without the values of its `oauth_*` and `consumer_*` parameters. */
export function redactUrlSecrets(text: string): string {
  if (!/oauth_|consumer_/iu.test(text)) return text;
  return text.replace(URL_SECRET, "$1$2[redacted]");
}

/** Fastify's request serializer (method, url, host, remote address), with the URL's credentials redacted. */
function serializeRequest(request: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: request.method,
    url: typeof request.url === "string" ? redactUrlSecrets(request.url) : request.url,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? "prokip-sync",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: redactPaths, censor: "[redacted]" },
      serializers: { req: serializeRequest },
      // The last word on every line, whatever field or message carries a URL.
      hooks: { streamWrite: redactUrlSecrets },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    ...(options.destination ? [options.destination] : []),
  );
}

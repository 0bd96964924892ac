/**
 * The process environment, validated once at start-up. Everything optional has a default that
 * makes `npm start` work on a fresh machine (embedded PostgreSQL, sandbox).
 */
import { z } from "zod";

/** The only value PROKIP_SYNC_SANDBOX_IN_PRODUCTION takes. */
export const SANDBOX_IN_PRODUCTION_ACKNOWLEDGEMENT = "i-understand-the-sandbox-is-public";

const environmentSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Where to listen; by default 127.0.0.1 in sandbox mode (see listenHost), 0.0.0.0 otherwise. */
  HOST: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** An external PostgreSQL; without it an embedded one is started. */
  DATABASE_URL: z.string().url().optional(),
  /** Where the embedded PostgreSQL and local secrets live. */
  PROKIP_SYNC_DATA_DIR: z.string().optional(),
  /** 32 bytes, base64 or hex: the key credentials are encrypted with. Generated locally when absent outside production. */
  PROKIP_SYNC_ENCRYPTION_KEY: z.string().optional(),
  /** This deployment's Prokip OAuth client (merchants sign in with their own username and password). */
  PROKIP_CLIENT_ID: z.string().min(1).optional(),
  PROKIP_CLIENT_SECRET: z.string().min(1).optional(),
  /** Where this deployment's Prokip answers; the emulated Prokip in sandbox mode, Prokip's own API otherwise. */
  PROKIP_BASE_URL: z.string().url().optional(),
  /** The Shopify app's API secret: verifies Shopify webhooks (the demo app's in sandbox mode). */
  SHOPIFY_API_SECRET: z.string().min(1).optional(),
  /** The Shopify app's API key (client id): with the secret, refreshes app-installed shops' access tokens. */
  SHOPIFY_API_KEY: z.string().min(1).optional(),
  /** Where people and webhooks reach this server; defaults to http://localhost:PORT. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * Sandbox mode: the Shopify, WooCommerce and Prokip emulators served under /sandbox/*.
   * "auto" turns it on everywhere but production (no real platform credentials exist yet).
   */
  PROKIP_SYNC_SANDBOX: z.enum(["auto", "on", "off"]).default("auto"),
  /**
   * The sandbox is unauthenticated (demo secrets, order placement): with NODE_ENV=production it
   * only starts when this says, in these words, that the operator means it.
   */
  PROKIP_SYNC_SANDBOX_IN_PRODUCTION: z.literal(SANDBOX_IN_PRODUCTION_ACKNOWLEDGEMENT).optional(),
  /**
   * A bearer token for GET /metrics. Without one, /metrics is open outside production and not
   * served in production.
   */
  PROKIP_SYNC_METRICS_TOKEN: z
    .string()
    .min(16, "use at least 16 characters")
    .regex(/^[\x21-\x7e]+$/u, "use printable ASCII without spaces")
    .optional(),
  /** Run the job workers in the web process ("on"), or only in `npm run worker` processes ("off"). */
  PROKIP_SYNC_WORKERS: z.enum(["on", "off"]).default("on"),
  /** How long a client may take to send a whole request (headers and body) before a 408; api/server.ts. */
  PROKIP_SYNC_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).optional(),
});

export function sandboxEnabled(env: Environment): boolean {
  return env.PROKIP_SYNC_SANDBOX === "on" || (env.PROKIP_SYNC_SANDBOX === "auto" && env.NODE_ENV !== "production");
}

/**
 * Why this environment must not start, or null: the sandbox in production without the explicit
 * acknowledgement (anyone reaching the server could read the demo secrets and place orders).
 */
export function startupRefusal(env: Environment): string | null {
  if (env.NODE_ENV !== "production" || !sandboxEnabled(env) || env.PROKIP_SYNC_SANDBOX_IN_PRODUCTION) return null;
  return `Refusing to start: PROKIP_SYNC_SANDBOX=on with NODE_ENV=production would serve the unauthenticated sandbox (demo secrets, order placement) to anyone who reaches this server. Set PROKIP_SYNC_SANDBOX=off, or PROKIP_SYNC_SANDBOX_IN_PRODUCTION=${SANDBOX_IN_PRODUCTION_ACKNOWLEDGEMENT} to run it anyway.`;
}

/**
 * Where the server listens: HOST, else the loopback interface in sandbox mode (its routes are
 * unauthenticated: only this machine should reach them), else every interface.
 */
export function listenHost(env: Environment): string {
  return env.HOST ?? (sandboxEnabled(env) ? "127.0.0.1" : "0.0.0.0");
}

export function publicUrl(env: Environment): string {
  return (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/u, "");
}

/** Prokip's production API: what merchants sign in to when nothing else is configured. */
export const DEFAULT_PROKIP_BASE_URL = "https://api.prokip.africa";

/**
 * Where merchants' Prokip sign-ins go: PROKIP_BASE_URL when set; in sandbox mode the emulated
 * Prokip mounted in this server (its demo client is the default client there too); otherwise
 * Prokip's production API.
 */
export function prokipBaseUrl(env: Environment, sandboxProkipUrl: string | null): string {
  return (env.PROKIP_BASE_URL ?? sandboxProkipUrl ?? DEFAULT_PROKIP_BASE_URL).replace(/\/+$/u, "");
}

export type Environment = z.infer<typeof environmentSchema>;

/**
 * The Shopify app's client credentials, for refreshing app-installed shops' tokens: the
 * deployment's, else (sandbox mode) the emulator's demo app; null when there are none.
 */
export function shopifyAppCredentials(
  env: Environment,
  sandboxApp: { apiKey: string; apiSecret: string } | null,
): { apiKey: string; apiSecret: string } | null {
  if (env.SHOPIFY_API_KEY && env.SHOPIFY_API_SECRET)
    return { apiKey: env.SHOPIFY_API_KEY, apiSecret: env.SHOPIFY_API_SECRET };
  return sandboxApp ? { apiKey: sandboxApp.apiKey, apiSecret: sandboxApp.apiSecret } : null;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`Invalid environment: ${problems}`);
  }
  return parsed.data;
}

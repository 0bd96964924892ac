/**
 * Access tokens of shops that installed the Shopify app: one source, refreshed by whoever needs
 * it first.
 *
 * The app (`@shopify/shopify-app-remix` with `expiringOfflineAccessTokens`) keeps each shop's
 * offline session in the central `Session` table, row `offline_<shop>`. Its access token expires
 * after an hour and comes with a refresh token that Shopify rotates on every refresh. Core's
 * workers need the token at any hour, long after the merchant closed the app, so they read the
 * same row and refresh it themselves; the app's session storage refreshes through this module
 * too (shopify-app/app/sealed-session-storage.server.ts), so there is one refresh path for both.
 *
 * - At rest, `accessToken` and `refreshToken` are sealed like every credential (AES-256-GCM,
 *   `security/crypto.ts`): `sealSessionToken` / `openSessionToken`, used by the app's storage and
 *   here. The other columns are the library's own.
 * - A refresh happens inside a transaction holding the row (`SELECT ... FOR UPDATE`), after
 *   reading it again: whoever waited on the lock finds the new pair and uses it, so two workers
 *   (or a worker and the app) never spend the same refresh token twice. Spending it twice fails
 *   under strict rotation, which is what the emulator does and what Shopify did until 2026-08.
 * - A refresh whose answer was lost is retried with the same refresh token: since 2026-08
 *   Shopify keeps the previous refresh token usable until its replacement is first used
 *   (https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens),
 *   and the replacement we never heard of was never used. Under strict rotation (the emulator)
 *   such a retry is refused, and the merchant opening the app exchanges a new pair.
 * - A refusal (revoked, app uninstalled, refresh token expired) is `ChannelError("unauthorized")`,
 *   like a 401 from the Admin API, so the connection takes the same path to "needs attention".
 */
import pRetry, { AbortError } from "p-retry";
import type pg from "pg";
import { z } from "zod";
import { ChannelError } from "../channels/index.ts";
import type { AccessTokenProvider, FetchLike } from "../channels/shopify/index.ts";
import type { Logger } from "../log/index.ts";
import { decryptSecret, encryptSecret } from "../security/index.ts";
import { withTransaction, type Sql } from "../store/index.ts";

/**
 * Refresh a token that expires within this margin, as `@shopify/shopify-app-remix` does (its
 * WITHIN_MILLISECONDS_OF_EXPIRY): a token is never sent that could expire in flight, and the app
 * never finds one it would want to refresh by itself.
 */
export const REFRESH_MARGIN_MS = 5 * 60_000;

const REFRESH_TIMEOUT_MS = 30_000;
/** Statuses worth another attempt at the token endpoint (the rest are answers). */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504, 520, 522, 524]);

/** The library's id for a shop's offline session (`api.session.getOfflineId`). */
export function offlineSessionId(shop: string): string {
  return `offline_${shop}`;
}

/** `Session.accessToken` / `Session.refreshToken` at rest. */
export function sealSessionToken(token: string, key: Buffer): string {
  return encryptSecret(token, key);
}

/** Throws SyncError `decryption_failed` for a value that is not sealed with this key. */
export function openSessionToken(stored: string, key: Buffer): string {
  return decryptSecret(stored, key);
}

/** The Shopify app's client credentials: SHOPIFY_API_KEY / SHOPIFY_API_SECRET (or the sandbox's demo app). */
export interface ShopifyAppCredentials {
  apiKey: string;
  apiSecret: string;
}

export interface SessionTokenDependencies {
  encryptionKey: Buffer;
  app: ShopifyAppCredentials;
  /** Replaces fetch for the token endpoint (sandbox mode and tests: the emulator). */
  fetch?: FetchLike;
  log: Logger;
  /** Attempts at the token endpoint after the first, on network errors, 429 and 5xx. */
  retries?: number;
  minRetryDelayMs?: number;
}

interface OfflineSession {
  /** Null once the app's library has invalidated it (Shopify refused it there); the refresh token may still work. */
  accessToken: string | null;
  expires: Date | null;
  refreshToken: string | null;
}

const tokenAnswerSchema = z.object({
  access_token: z.string().min(1),
  scope: z.string().optional(),
  expires_in: z.number().int().positive().optional(),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: z.number().int().positive().optional(),
});

const unauthorized = (message: string, status: number | null = null) =>
  new ChannelError("unauthorized", message, { status });

/**
 * The offline sessions of app-installed shops, over a pg pool. One per process: it remembers the
 * tokens it last saw (so asking before every request costs nothing while they are fresh) and
 * joins concurrent askers for the same shop; the row lock does the rest across processes.
 */
export class ShopifySessions {
  private readonly known = new Map<string, { accessToken: string; expires: Date | null }>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(readonly pool: pg.Pool) {}

  /** What `createShopifyChannel` asks before each request (see `AccessTokenProvider`). */
  tokenProvider(shop: string, deps: SessionTokenDependencies): AccessTokenProvider {
    return ({ rejected }) => this.accessToken(shop, deps, rejected);
  }

  /**
   * A usable access token for the shop: the stored one while it has more than
   * `REFRESH_MARGIN_MS` to live and is not `rejected`, else a refreshed one (refreshed here, or
   * by whoever held the row before us). Throws `ChannelError("unauthorized")` when the shop has
   * no offline session or Shopify refuses to refresh it; `("unavailable")` when Shopify's token
   * endpoint cannot be reached.
   */
  async accessToken(shop: string, deps: SessionTokenDependencies, rejected?: string): Promise<string> {
    const known = this.known.get(shop);
    if (known && known.accessToken !== rejected && usable(known.expires)) return known.accessToken;
    // Someone in this process is already at it: their answer will do unless it is the refused token.
    const running = this.pending.get(shop);
    if (running) {
      const token = await running.catch(() => undefined);
      if (token !== undefined && token !== rejected) return token;
    }
    const promise = this.obtain(shop, deps, rejected);
    this.pending.set(shop, promise);
    try {
      return await promise;
    } finally {
      if (this.pending.get(shop) === promise) this.pending.delete(shop);
    }
  }

  private async obtain(shop: string, deps: SessionTokenDependencies, rejected: string | undefined): Promise<string> {
    // Most of the time the row is fresh (another process refreshed it, or we are new): no lock.
    const stored = await readSession(this.pool, shop, deps, false);
    if (stored.accessToken !== null && stored.accessToken !== rejected && usable(stored.expires))
      return this.remember(shop, stored.accessToken, stored.expires);
    return withTransaction(this.pool, async (sql) => {
      // Read again under the lock: whoever held it before us may have refreshed already.
      const locked = await readSession(sql, shop, deps, true);
      if (locked.accessToken !== null && locked.accessToken !== rejected && usable(locked.expires))
        return this.remember(shop, locked.accessToken, locked.expires);
      if (!locked.refreshToken)
        throw unauthorized(`Shopify refused ${shop}'s access token and the app session has no refresh token`);
      const fresh = await refreshAtShopify(shop, locked.refreshToken, deps);
      // Committed with the lock: the next reader sees the new pair, never the spent one.
      await sql.query(
        // An answer without a new refresh token (Shopify always sends one) keeps the stored one:
        // it may still be usable, and nothing else would be.
        `UPDATE "Session" SET "accessToken" = $2, "expires" = $3, "refreshToken" = COALESCE($4, "refreshToken"),
                "refreshTokenExpires" = CASE WHEN $4::text IS NULL THEN "refreshTokenExpires" ELSE $5 END, "scope" = COALESCE($6, "scope")
         WHERE "id" = $1`,
        [
          offlineSessionId(shop),
          sealSessionToken(fresh.accessToken, deps.encryptionKey),
          fresh.expires,
          fresh.refreshToken === null ? null : sealSessionToken(fresh.refreshToken, deps.encryptionKey),
          fresh.refreshTokenExpires,
          fresh.scope,
        ],
      );
      deps.log.info({ shop, expires: fresh.expires?.toISOString() ?? null }, "Shopify access token refreshed");
      return this.remember(shop, fresh.accessToken, fresh.expires);
    });
  }

  private remember(shop: string, accessToken: string, expires: Date | null): string {
    this.known.set(shop, { accessToken, expires });
    return accessToken;
  }
}

function usable(expires: Date | null): boolean {
  return expires === null || expires.getTime() - Date.now() > REFRESH_MARGIN_MS;
}

async function readSession(
  sql: Sql | pg.Pool,
  shop: string,
  deps: SessionTokenDependencies,
  lock: boolean,
): Promise<OfflineSession> {
  const { rows } = await sql.query<{ accessToken: string; expires: Date | null; refreshToken: string | null }>(
    `SELECT "accessToken", "expires", "refreshToken" FROM "Session" WHERE "id" = $1${lock ? " FOR UPDATE" : ""}`,
    [offlineSessionId(shop)],
  );
  const row = rows[0];
  // The app deletes a shop's sessions on app/uninstalled; no row means no way in.
  if (!row || (!row.accessToken && !row.refreshToken))
    throw unauthorized(`${shop} has no offline app session (the app is not installed, or was uninstalled)`);
  try {
    return {
      // The library stores "" for an access token it invalidated.
      accessToken: row.accessToken ? openSessionToken(row.accessToken, deps.encryptionKey) : null,
      expires: row.expires,
      refreshToken: row.refreshToken ? openSessionToken(row.refreshToken, deps.encryptionKey) : null,
    };
  } catch (error) {
    // A row written before sessions were sealed, or sealed with another key. Opening the app
    // replaces it (its storage treats such a row as absent and exchanges a new token).
    deps.log.error(
      { shop, err: error instanceof Error ? error.message : String(error) },
      "the shop's app session could not be opened",
    );
    throw unauthorized(`${shop}'s app session could not be opened: open the app in Shopify admin to renew it`);
  }
}

/**
 * `POST https://{shop}/admin/oauth/access_token` with the refresh_token grant, as
 * `@shopify/shopify-api` sends it (JSON body with the app's client id and secret).
 */
async function refreshAtShopify(
  shop: string,
  refreshToken: string,
  deps: SessionTokenDependencies,
): Promise<{
  accessToken: string;
  expires: Date | null;
  refreshToken: string | null;
  refreshTokenExpires: Date | null;
  scope: string | null;
}> {
  const fetchImpl = deps.fetch ?? ((url, init) => fetch(url, init));
  const body = JSON.stringify({
    client_id: deps.app.apiKey,
    client_secret: deps.app.apiSecret,
    grant_type: "refresh_token",
    refresh_token: refreshToken,
  });
  const answer = await pRetry(
    async () => {
      let response: Response;
      try {
        response = await fetchImpl(`https://${shop}/admin/oauth/access_token`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body,
          signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
        });
      } catch (error) {
        // Safe to send again: the refresh token stays usable until its replacement is used.
        throw new ChannelError(
          "unavailable",
          `Shopify's token endpoint for ${shop} did not answer: ${(error as Error).message}`,
        );
      }
      const text = await response.text().catch(() => "");
      if (response.ok) return { text, receivedAt: Date.now() };
      const error = oauthError(text);
      if (RETRYABLE_STATUS.has(response.status))
        throw new ChannelError("unavailable", `Shopify's token endpoint answered ${response.status}`, {
          status: response.status,
        });
      // 402 frozen, 423 locked: the shop is unavailable, not the app unauthorized.
      if (response.status === 402 || response.status === 423) {
        throw new AbortError(
          new ChannelError("unavailable", `Shopify shop ${shop} is unavailable (${response.status})`, {
            status: response.status,
          }),
        );
      }
      // invalid_grant (revoked, expired, already rotated), invalid_client, unknown shop: only a
      // new authorisation (the merchant opening the app) helps.
      throw new AbortError(
        unauthorized(`Shopify refused to refresh ${shop}'s access token (${error})`, response.status),
      );
    },
    {
      retries: deps.retries ?? 4,
      minTimeout: deps.minRetryDelayMs ?? 500,
      maxTimeout: 10_000,
      randomize: true,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        // The grant is named, never the body: it holds the app secret and the refresh token.
        deps.log.warn(
          { shop, attempt: attemptNumber, retriesLeft, message: error.message },
          "refreshing the Shopify access token failed",
        );
      },
    },
  );
  let parsed: z.infer<typeof tokenAnswerSchema>;
  try {
    parsed = tokenAnswerSchema.parse(JSON.parse(answer.text));
  } catch {
    throw new ChannelError("unavailable", `Shopify answered ${shop}'s token refresh in an unexpected shape`);
  }
  const at = (seconds: number | undefined) =>
    seconds === undefined ? null : new Date(answer.receivedAt + seconds * 1000);
  return {
    accessToken: parsed.access_token,
    expires: at(parsed.expires_in),
    refreshToken: parsed.refresh_token ?? null,
    refreshTokenExpires: at(parsed.refresh_token_expires_in),
    scope: parsed.scope ?? null,
  };
}

function oauthError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown; errors?: unknown };
    const code = typeof body.error === "string" ? body.error : null;
    const description =
      typeof body.error_description === "string"
        ? body.error_description
        : typeof body.errors === "string"
          ? body.errors
          : null;
    return [code, description].filter(Boolean).join(": ") || "no details";
  } catch {
    return "no details";
  }
}

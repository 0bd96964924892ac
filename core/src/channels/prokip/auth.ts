/**
 * Signing in to Prokip (Laravel Passport's password grant) and keeping the tokens fresh.
 *
 * The merchant's password is used once, to obtain tokens, and never kept: from then on the
 * adapter works with the tokens alone, which the caller stores (encrypted) through a TokenStore.
 * Passport revokes the old pair when it issues a new one, so a refreshed pair must be saved
 * before anything else can use it, and two holders of the same pair must not both refresh.
 */
import { pino } from "pino";
import type { Logger } from "../../log/index.ts";
import { ChannelError } from "../types.ts";
import {
  classifyNetworkFailure,
  defaultRetry,
  exchange,
  type Exchange,
  type FetchLike,
  joinUrl,
  rejectTransient,
  type RetrySettings,
  withRetries,
} from "./http.ts";
import { oauthErrorSchema, tokenAnswerSchema } from "./schemas.ts";

export interface ProkipTokens {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires by Prokip's `expires_in`; null if it did not say. */
  expiresAt: Date | null;
}

/** Where the caller keeps the tokens (encrypted, in the database). */
export interface TokenStore {
  load(): Promise<ProkipTokens>;
  save(tokens: ProkipTokens): Promise<void>;
}

export interface ProkipClientCredentials {
  baseUrl: string;
  /** The OAuth client Prokip issued for the business (Connector settings). */
  clientId: string;
  clientSecret: string;
  fetch?: FetchLike;
}

export interface OAuthOptions extends ProkipClientCredentials {
  log: Logger;
  retry?: Partial<RetrySettings>;
  timeoutMs?: number;
}

const NOT_REACHABLE = "Prokip is not reachable right now";
/** The message of the `unauthorized` error for a wrong username or password (not a refused API client). */
export const REJECTED_USER_CREDENTIALS = "Prokip rejected the username or password";
export const DEFAULT_TIMEOUT_MS = 30_000;

/** `POST /oauth/token` with either grant. */
class OAuthEndpoint {
  private readonly fetchFn: FetchLike;
  private readonly retry: RetrySettings;

  constructor(private readonly options: OAuthOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.retry = { ...defaultRetry, ...options.retry };
  }

  /** The password grant: Prokip logs in by username. */
  async password(username: string, password: string): Promise<ProkipTokens> {
    const answer = await this.post({ grant_type: "password", username, password });
    if (answer.status >= 200 && answer.status < 300) return this.tokensFrom(answer);
    const error = this.errorOf(answer);
    // league/oauth2-server 8.x says invalid_grant (400); 7.x said invalid_credentials (401).
    if (error.code === "invalid_grant" || error.code === "invalid_credentials") {
      throw new ChannelError("unauthorized", REJECTED_USER_CREDENTIALS, { status: answer.status });
    }
    if (error.code === "invalid_client")
      throw new ChannelError("unauthorized", "Prokip rejected the API client id or secret", { status: answer.status });
    throw new ChannelError(
      answer.status === 401 ? "unauthorized" : "rejected",
      `Prokip refused the sign-in: ${error.message}`,
      { status: answer.status },
    );
  }

  /** The refresh_token grant. Any refusal means the merchant has to sign in again. */
  async refresh(refreshToken: string): Promise<ProkipTokens> {
    const answer = await this.post({ grant_type: "refresh_token", refresh_token: refreshToken });
    if (answer.status >= 200 && answer.status < 300) return this.tokensFrom(answer);
    const error = this.errorOf(answer);
    if (error.code === "invalid_client")
      throw new ChannelError("unauthorized", "Prokip rejected the API client id or secret", { status: answer.status });
    throw new ChannelError(
      "unauthorized",
      `Prokip no longer accepts the saved sign-in; sign in to Prokip again (${error.message})`,
      { status: answer.status },
    );
  }

  private async post(grant: Record<string, string>): Promise<Exchange> {
    const { baseUrl, clientId, clientSecret, log } = this.options;
    const body = new URLSearchParams({
      ...grant,
      client_id: clientId,
      client_secret: clientSecret,
      scope: "",
    }).toString();
    const path = "/oauth/token";
    // Repeating either grant is harmless: at worst Prokip issues one more pair.
    return withRetries(
      async () => {
        const answer = await exchange(this.fetchFn, {
          method: "POST",
          url: joinUrl(baseUrl, path),
          headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
          body,
          timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        }).catch((error: unknown) => classifyNetworkFailure(error, true));
        // The grant type is logged, never the body: it holds the secret and the password or token.
        log.debug(
          {
            method: "POST",
            path,
            grant: grant.grant_type,
            status: answer.status,
            durationMs: answer.receivedAt.getTime() - answer.sentAt.getTime(),
          },
          "prokip request",
        );
        return rejectTransient(answer, true);
      },
      { log, method: "POST", path, settings: this.retry, unavailableMessage: NOT_REACHABLE },
    );
  }

  private tokensFrom(answer: Exchange): ProkipTokens {
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      body = null;
    }
    const parsed = tokenAnswerSchema.safeParse(body);
    if (!parsed.success)
      throw new ChannelError("unavailable", "Prokip answered the sign-in in an unexpected shape", {
        status: answer.status,
      });
    const { access_token, refresh_token, expires_in } = parsed.data;
    return {
      accessToken: access_token,
      refreshToken: refresh_token,
      expiresAt: expires_in === undefined ? null : new Date(answer.receivedAt.getTime() + expires_in * 1000),
    };
  }

  private errorOf(answer: Exchange): { code: string | null; message: string } {
    let body: unknown = null;
    try {
      body = JSON.parse(answer.text);
    } catch {
      // Not JSON: only the status is known.
    }
    const parsed = oauthErrorSchema.safeParse(body);
    const data = parsed.success ? parsed.data : {};
    return { code: data.error ?? null, message: data.error_description ?? data.message ?? `HTTP ${answer.status}` };
  }
}

/**
 * Exchanges the merchant's Prokip username and password for tokens. Wrong username or password:
 * ChannelError `unauthorized`; Prokip unreachable: `unavailable`.
 */
export async function signInToProkip(
  input: ProkipClientCredentials & {
    username: string;
    password: string;
    log?: Logger;
    retry?: Partial<RetrySettings>;
    timeoutMs?: number;
  },
): Promise<ProkipTokens> {
  const { username, password, ...options } = input;
  const endpoint = new OAuthEndpoint({ ...options, log: options.log ?? pino({ enabled: false }) });
  return endpoint.password(username, password);
}

/**
 * The adapter's view of its tokens: loaded once from the store, renewed on a 401.
 *
 * `renew(rejected)` is single-flight: requests that were refused with the same access token
 * share one refresh. Before refreshing it reloads the store, because another instance may
 * already have refreshed (which revoked the refresh token this one holds).
 */
export class TokenKeeper {
  private current: Promise<ProkipTokens> | null = null;
  private renewal: { from: string; promise: Promise<string> } | null = null;
  private readonly oauth: OAuthEndpoint;
  private readonly log: Logger;

  constructor(
    private readonly store: TokenStore,
    options: OAuthOptions,
  ) {
    this.oauth = new OAuthEndpoint(options);
    this.log = options.log;
  }

  async accessToken(): Promise<string> {
    if (!this.current) {
      const loading = this.store.load();
      this.current = loading;
      // A failed load is not cached: the next request tries the store again.
      loading.catch(() => {
        if (this.current === loading) this.current = null;
      });
    }
    return (await this.current).accessToken;
  }

  /** A usable access token after `rejected` got a 401; ChannelError `unauthorized` if there is none. */
  async renew(rejected: string): Promise<string> {
    const held = this.current ? await this.current.catch(() => null) : null;
    if (held && held.accessToken !== rejected) return held.accessToken;
    if (this.renewal?.from === rejected) return this.renewal.promise;
    const promise = this.refresh(rejected);
    this.renewal = { from: rejected, promise };
    try {
      return await promise;
    } finally {
      if (this.renewal?.promise === promise) this.renewal = null;
    }
  }

  private async refresh(rejected: string): Promise<string> {
    const stored = await this.store.load();
    if (stored.accessToken !== rejected) {
      this.current = Promise.resolve(stored);
      return stored.accessToken;
    }
    const fresh = await this.oauth.refresh(stored.refreshToken);
    this.current = Promise.resolve(fresh);
    try {
      await this.store.save(fresh);
    } catch (error) {
      // The old pair is revoked already; the new one still works in this process, so carry on.
      this.log.error(
        { err: error instanceof Error ? error.message : String(error) },
        "prokip tokens were renewed but could not be saved",
      );
    }
    this.log.info("prokip tokens renewed");
    return fresh.accessToken;
  }
}

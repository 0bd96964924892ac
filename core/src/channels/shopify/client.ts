/**
 * The one way this adapter talks to Shopify's Admin GraphQL API: `@shopify/admin-api-client` for
 * the HTTP call (URL, headers, API version), plus what it does not do for us:
 *
 * - pacing by calculated query cost (pacing.ts), so bursts wait instead of being THROTTLED;
 * - retries with exponential backoff and jitter (p-retry) on THROTTLED, 429 (honouring
 *   Retry-After), 5xx and network errors / timeouts;
 * - mapping failures to `ChannelError`: 401/403 -> unauthorized, 404 -> not_found, GraphQL
 *   errors -> rejected, retries exhausted -> unavailable.
 *
 * Operations that must not run twice (productSet) pass `ambiguousIsFatal`: a 5xx or network
 * error after the request may have reached Shopify is then not retried blindly; the caller
 * checks what happened instead.
 *
 * The access token is only ever placed in the request header by the library; it is never logged
 * and never part of an error message. It is either fixed (a custom app's token) or asked of an
 * `AccessTokenProvider` before every attempt (an app-installed shop's expiring offline token,
 * which someone else may have refreshed meanwhile); after a 401 the provider is asked once more,
 * told which token was refused, and the request is sent again with its answer.
 */
import { createAdminApiClient, type AdminApiClient } from "@shopify/admin-api-client";
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "pino";
import { ChannelError } from "../types.ts";
import { budgetFor, systemClock, type Clock, type CostBudget, type ThrottleStatus } from "./pacing.ts";

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Hands out the shop's current access token. Called before every attempt, so it must be cheap
 * when nothing changed (a cached value). `rejected` is the token Shopify just answered 401 to:
 * the provider returns a different one (refreshed, or refreshed by someone else) or throws
 * `ChannelError("unauthorized")` when there is none to be had.
 */
export type AccessTokenProvider = (request: { rejected?: string }) => Promise<string>;

export interface RetryPolicy {
  /** Retries after the first attempt (THROTTLED answers do not count, see `maxThrottledRetries`). */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** THROTTLED answers waited out before giving up (pacing makes them rare). */
  maxThrottledRetries: number;
  /** Per-attempt timeout; a timeout counts as a network error. */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 5,
  minTimeoutMs: 500,
  maxTimeoutMs: 15_000,
  maxThrottledRetries: 10,
  requestTimeoutMs: 30_000,
};

export interface ShopifyClientOptions {
  /** `example.myshopify.com`. */
  shop: string;
  /** A fixed token, or a provider asked before every attempt (see `AccessTokenProvider`). */
  accessToken: string | AccessTokenProvider;
  apiVersion: string;
  log: Logger;
  /** Replaces global fetch (tests and sandbox mode route `https://{shop}/admin/...` elsewhere). */
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  /** Shared per shop by default. */
  budget?: CostBudget;
  clock?: Clock;
}

export interface RequestOptions {
  /** Name for logs ("ListVariants"). */
  operation: string;
  /** Requested cost to plan for before Shopify has told us; later answers refine it. */
  expectedCost: number;
  /** Do not retry after a 5xx / network error (the mutation may have been applied). */
  ambiguousIsFatal?: boolean;
}

interface GraphqlError {
  message: string;
  extensions?: { code?: string } & Record<string, unknown>;
  path?: unknown[];
}

interface GraphqlBody {
  data?: unknown;
  errors?: GraphqlError[] | string | Record<string, unknown>;
  extensions?: {
    cost?: { requestedQueryCost?: number; actualQueryCost?: number | null; throttleStatus?: ThrottleStatus };
  };
}

/** Shopify answered 401 to this token; `request` decides whether a renewed token is worth a try. */
class TokenRefused extends Error {
  constructor(readonly token: string) {
    super("Shopify refused the access token");
    this.name = "TokenRefused";
  }
}

/** A failure worth another attempt. */
class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly kind: "throttled" | "http" | "network",
    readonly status: number | null,
    /** The request may have been executed (5xx after sending, connection lost mid-way). */
    readonly ambiguous: boolean,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = "RetryableFailure";
  }
}

/** Status codes that mean "try again later" rather than "this request is wrong". */
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504, 520, 522, 524]);

function parseRetryAfter(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : null;
}

function errorList(body: GraphqlBody): GraphqlError[] {
  if (Array.isArray(body.errors)) return body.errors;
  if (typeof body.errors === "string") return [{ message: body.errors }];
  if (body.errors && typeof body.errors === "object") return [{ message: JSON.stringify(body.errors) }];
  return [];
}

export class ShopifyGraphqlClient {
  readonly shop: string;
  private readonly log: Logger;
  private readonly policy: RetryPolicy;
  private readonly budget: CostBudget;
  private readonly clock: Clock;
  private readonly fetchImpl: FetchLike;
  private readonly apiVersion: string;
  private readonly tokenProvider: AccessTokenProvider;
  private readonly renewable: boolean;
  /** The library's client for the token last used: it fixes the token header at creation. */
  private admin: { token: string; client: AdminApiClient } | null = null;
  /** Requested cost Shopify last charged per document (costs depend on page sizes, which are fixed per document here). */
  private readonly learnedCost = new Map<string, number>();

  constructor(options: ShopifyClientOptions) {
    this.shop = options.shop;
    this.log = options.log.child({ shop: options.shop, platform: "shopify" });
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.budget = options.budget ?? budgetFor(options.shop);
    this.clock = options.clock ?? systemClock;
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.apiVersion = options.apiVersion;
    const fixed = options.accessToken;
    this.renewable = typeof fixed === "function";
    this.tokenProvider = typeof fixed === "function" ? fixed : async () => fixed;
  }

  /**
   * `@shopify/admin-api-client` puts the token in its default headers, and per-request headers
   * cannot override them, so a new token gets a new (cheap) library client.
   */
  private adminFor(token: string): AdminApiClient {
    if (this.admin?.token === token) return this.admin.client;
    const log = this.log;
    const apiVersion = this.apiVersion;
    const client = createAdminApiClient({
      storeDomain: this.shop,
      apiVersion,
      accessToken: token,
      retries: 0, // ours are below: they know about cost, Retry-After and ambiguity
      customFetchApi: (url, init) => this.fetchImpl(url, init as RequestInit),
      // The library's log entries include request parameters (and so the token header): only
      // the version notice is passed on, and without its content.
      logger: (entry) => {
        if (entry.type === "Unsupported_Api_Version")
          log.debug({ apiVersion }, "API version not in the client library's supported list");
      },
    });
    this.admin = { token, client };
    return client;
  }

  /** Runs a query or mutation and returns its `data`; throws `ChannelError` on failure. */
  async request<T>(document: string, variables: Record<string, unknown>, options: RequestOptions): Promise<T> {
    let throttled = 0;
    // One renewal per request: a token refused twice in a row is not going to start working.
    let renewed = false;
    const authorized = async (): Promise<T> => {
      const token = await this.tokenProvider({});
      try {
        return await this.once<T>(document, variables, options, token);
      } catch (error) {
        if (!(error instanceof TokenRefused) || !this.renewable || renewed) throw error;
        renewed = true;
        // Not an outage: no backoff, and it does not use up a retry.
        const next = await this.tokenProvider({ rejected: error.token });
        this.log.info(
          { operation: options.operation },
          "Shopify refused the access token; trying once more with the renewed one",
        );
        return await this.once<T>(document, variables, options, next);
      }
    };
    const attempt = async (): Promise<T> => {
      try {
        return await authorized();
      } catch (error) {
        if (error instanceof TokenRefused)
          throw new AbortError(new ChannelError("unauthorized", "Shopify refused the access token", { status: 401 }));
        if (error instanceof AbortError) throw error;
        if (error instanceof RetryableFailure) {
          if (error.kind === "throttled" && ++throttled > this.policy.maxThrottledRetries) {
            throw new AbortError(
              new ChannelError("unavailable", `Shopify kept throttling ${options.operation}`, {
                status: error.status,
                cause: error,
              }),
            );
          }
          if (error.ambiguous && options.ambiguousIsFatal) {
            throw new AbortError(
              new ChannelError(
                "unavailable",
                `${options.operation}: Shopify did not confirm the outcome (${error.message})`,
                { status: error.status, cause: error },
              ),
            );
          }
          throw error;
        }
        throw new AbortError(error instanceof Error ? error : new Error(String(error)));
      }
    };
    try {
      return await pRetry(attempt, {
        retries: this.policy.retries,
        minTimeout: this.policy.minTimeoutMs,
        maxTimeout: this.policy.maxTimeoutMs,
        factor: 2,
        randomize: true,
        // A THROTTLED answer is waited out by the pacer before the next attempt (it knows how
        // long); it does not use up the retries meant for outages.
        shouldConsumeRetry: ({ error }) => !(error instanceof RetryableFailure && error.kind === "throttled"),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retryDelay }) => {
          const failure = error instanceof RetryableFailure ? error : null;
          this.log.warn(
            {
              operation: options.operation,
              attempt: attemptNumber,
              retriesLeft,
              status: failure?.status ?? null,
              reason: failure?.kind ?? "error",
              message: error.message,
            },
            retriesLeft > 0 ? "Shopify request failed; retrying" : "Shopify request failed",
          );
          // Retry-After is Shopify telling us how long: wait at least that.
          if (failure?.retryAfterMs && failure.retryAfterMs > retryDelay)
            await this.clock.sleep(failure.retryAfterMs - retryDelay);
        },
      });
    } catch (error) {
      if (error instanceof ChannelError) throw error;
      if (error instanceof RetryableFailure) {
        throw new ChannelError("unavailable", `Shopify ${options.operation} failed after retries: ${error.message}`, {
          status: error.status,
          cause: error,
        });
      }
      throw error; // a bug here, not Shopify: let it show as what it is
    }
  }

  /** One attempt: wait for budget, send, classify the answer. */
  private async once<T>(
    document: string,
    variables: Record<string, unknown>,
    options: RequestOptions,
    token: string,
  ): Promise<T> {
    const cost = this.learnedCost.get(document) ?? options.expectedCost;
    const reservation = await this.budget.reserve(cost);
    let status: ThrottleStatus | null = null;
    try {
      let response: Response;
      try {
        response = await this.adminFor(token).fetch(document, {
          variables,
          signal: AbortSignal.timeout(this.policy.requestTimeoutMs),
        });
      } catch (error) {
        // The library wraps fetch failures (refused, reset, timeout) in a plain Error.
        throw new RetryableFailure(`network error: ${(error as Error).message}`, "network", null, true);
      }
      const body = await this.readBody(response);
      status = body?.extensions?.cost?.throttleStatus ?? null;
      if (body?.extensions?.cost?.requestedQueryCost !== undefined)
        this.learnedCost.set(document, body.extensions.cost.requestedQueryCost);
      if (response.status === 401) throw new TokenRefused(token);
      return this.interpret<T>(response, body, options);
    } finally {
      this.budget.settle(reservation, status);
    }
  }

  private async readBody(response: Response): Promise<GraphqlBody | null> {
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new RetryableFailure(`answer cut off: ${(error as Error).message}`, "network", response.status, true);
    }
    if (!text) return null;
    try {
      return JSON.parse(text) as GraphqlBody;
    } catch {
      return null; // an HTML error page from a proxy: the status decides
    }
  }

  private interpret<T>(response: Response, body: GraphqlBody | null, options: RequestOptions): T {
    const { status } = response;
    const errors = body ? errorList(body) : [];
    // 401 is answered in `once` (TokenRefused), where the token that was refused is known.
    // 403: the token lacks a scope (or the app was blocked): only the merchant can fix that.
    if (status === 403)
      throw new AbortError(
        new ChannelError("unauthorized", `Shopify refused ${options.operation}: ${errors[0]?.message ?? "forbidden"}`, {
          status,
        }),
      );
    if (status === 404)
      throw new AbortError(
        new ChannelError("not_found", `Shopify answered 404 for ${this.shop} (shop or API version unknown)`, {
          status,
        }),
      );
    // 402: the shop is frozen (unpaid); 423: the shop is locked. Retrying will not help today.
    if (status === 402 || status === 423)
      throw new AbortError(
        new ChannelError("unavailable", `Shopify shop ${this.shop} is unavailable (${status})`, { status }),
      );
    if (RETRYABLE_STATUS.has(status)) {
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      // A 429 was refused before running; a 5xx may or may not have run. A 429 carries no
      // throttle status for the pacer, so it takes the normal backoff (and Retry-After).
      throw new RetryableFailure(`HTTP ${status}`, "http", status, status !== 429, retryAfter);
    }
    if (status < 200 || status >= 300) {
      throw new AbortError(
        new ChannelError(
          "rejected",
          `Shopify answered ${status} to ${options.operation}: ${errors[0]?.message ?? "no details"}`,
          { status },
        ),
      );
    }
    if (!body) throw new RetryableFailure("answer was not JSON", "http", status, true);
    if (errors.some((e) => e.extensions?.code === "THROTTLED"))
      throw new RetryableFailure("THROTTLED", "throttled", status, false);
    if (errors.some((e) => e.extensions?.code === "INTERNAL_SERVER_ERROR"))
      throw new RetryableFailure(errors[0]?.message ?? "internal error", "http", status, true);
    if (errors.length > 0) {
      const detail = errors.map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("; ");
      throw new AbortError(
        new ChannelError("rejected", `Shopify rejected ${options.operation}: ${detail}`, { status }),
      );
    }
    if (body.data === undefined || body.data === null)
      throw new RetryableFailure("answer without data", "http", status, true);
    return body.data as T;
  }

  /** GET a file Shopify handed us a URL for (bulk operation results), with the same fetch. */
  async download(url: string): Promise<Response> {
    return pRetry(
      async () => {
        let response: Response;
        try {
          response = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.policy.requestTimeoutMs * 10) });
        } catch (error) {
          throw new Error(`network error: ${(error as Error).message}`, { cause: error });
        }
        if (response.ok) return response;
        const failure = new ChannelError(
          response.status === 404 ? "not_found" : "unavailable",
          `Downloading the bulk result failed: HTTP ${response.status}`,
          { status: response.status },
        );
        if (RETRYABLE_STATUS.has(response.status)) throw failure;
        throw new AbortError(failure);
      },
      {
        retries: this.policy.retries,
        minTimeout: this.policy.minTimeoutMs,
        maxTimeout: this.policy.maxTimeoutMs,
        randomize: true,
      },
    ).catch((error: unknown) => {
      if (error instanceof ChannelError) throw error;
      throw new ChannelError("unavailable", `Downloading the bulk result failed: ${(error as Error).message}`, {
        cause: error,
      });
    });
  }
}

/**
 * A fetch that sends `https://{shop}.myshopify.com/...` to an emulator mounted at `baseUrl`
 * (`{baseUrl}/{shop}/admin/api/...`) and everything else (bulk result files) unchanged.
 * For tests and the product's sandbox mode.
 */
export function routeShopifyFetch(baseUrl: string, fetchImpl: FetchLike = (url, init) => fetch(url, init)): FetchLike {
  const base = baseUrl.replace(/\/+$/u, "");
  return (url, init) => {
    const target = new URL(url);
    if (!target.hostname.endsWith(".myshopify.com")) return fetchImpl(url, init);
    return fetchImpl(`${base}/${target.host}${target.pathname}${target.search}`, init);
  };
}

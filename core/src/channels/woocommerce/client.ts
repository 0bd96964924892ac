/**
 * The one way this adapter talks to a WooCommerce site: the official npm client (which signs
 * with OAuth 1.0a over http and uses Basic auth over https), behind
 *
 * - pacing: a Bottleneck limiter per site, shared by every channel object in this process that
 *   points at the same site (WooCommerce has no REST rate limit of its own, but the PHP workers
 *   behind it are few: a burst of parallel requests is what makes hosts answer 429/503);
 * - retries with exponential backoff and jitter (p-retry) on 429, 5xx and network errors, for
 *   reads and idempotent writes only: a create that timed out may have happened, so creates are
 *   retried only on 429 (the host refused it before WordPress ran);
 * - error mapping to `ChannelError` codes, with messages that never carry the request URL (over
 *   http it holds the OAuth consumer key and signature) or the axios error (its config holds
 *   the credentials);
 * - pagination over `X-WP-TotalPages`.
 */
import { createRequire } from "node:module";
import Bottleneck from "bottleneck";
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "../../log/index.ts";
import { ChannelError } from "../types.ts";

// Under ESM the package's default import is not a constructor; its CommonJS export is.
const WooCommerceRestApi = (
  createRequire(import.meta.url)(
    "@woocommerce/woocommerce-rest-api",
  ) as typeof import("@woocommerce/woocommerce-rest-api")
).default;

/** WooCommerce's `per_page` ceiling, and its batch endpoints' item ceiling. */
export const PAGE_SIZE = 100;
export const BATCH_LIMIT = 100;

export interface RetryOptions {
  /** Retries after the first attempt. */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** Longest `Retry-After` honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

export const defaultRetryOptions: RetryOptions = {
  retries: 5,
  minTimeoutMs: 500,
  maxTimeoutMs: 20_000,
  maxRetryAfterMs: 60_000,
};

export interface WooCommerceClientOptions {
  siteUrl: string;
  consumerKey: string;
  consumerSecret: string;
  log: Logger;
  /** Requests in flight at once for this site (default 4). */
  concurrency?: number | undefined;
  timeoutMs?: number | undefined;
  retry?: Partial<RetryOptions> | undefined;
}

/** `idempotent`: safe to send again after any transient failure; `throttle-only`: only after a 429. */
export type RetryPolicy = "idempotent" | "throttle-only";

export type QueryParams = Record<string, string | number | boolean>;

export interface WooResponse {
  status: number;
  data: unknown;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
}

/** A failure worth another attempt (429, 5xx, no answer). */
class TransientFailure extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = "TransientFailure";
  }
}

/** The parts of an axios error we read; typed structurally to keep axios out of our imports. */
interface HttpErrorLike {
  response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
  code?: string;
}

const DEFAULT_CONCURRENCY = 4;
const limiters = new Map<string, Bottleneck>();

/** One limiter per site for the whole process, so two channel objects cannot double the load. */
function limiterFor(siteUrl: string, concurrency: number): Bottleneck {
  const key = siteKey(siteUrl);
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new Bottleneck({ maxConcurrent: concurrency });
    limiters.set(key, limiter);
  } else {
    limiter.updateSettings({ maxConcurrent: concurrency });
  }
  return limiter;
}

function siteKey(siteUrl: string): string {
  try {
    const url = new URL(siteUrl);
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/u, "")}`;
  } catch {
    return siteUrl.replace(/\/+$/u, "");
  }
}

/** WordPress's error body: `{code, message, data: {status}}`. */
function wpErrorOf(body: unknown): { code: string; message: string } | null {
  if (body === null || typeof body !== "object") return null;
  const { code, message } = body as { code?: unknown; message?: unknown };
  return typeof code === "string" && typeof message === "string" ? { code, message } : null;
}

function retryAfterMs(headers: Record<string, unknown> | undefined): number | null {
  const raw = headers?.["retry-after"];
  if (typeof raw !== "string" || raw.trim() === "") return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function flattenHeaders(headers: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (headers === null || typeof headers !== "object") return out;
  // axios hands back an AxiosHeaders object; its own enumerable keys are the lower-cased names.
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (typeof value === "string") out[name.toLowerCase()] = value;
    else if (typeof value === "number") out[name.toLowerCase()] = String(value);
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WooCommerceClient {
  readonly siteUrl: string;
  private readonly credentials: { consumerKey: string; consumerSecret: string };
  private readonly timeoutMs: number;
  /** One npm client per timeout: the client takes its timeout at construction. */
  private readonly apis = new Map<number, InstanceType<typeof WooCommerceRestApi>>();
  private readonly limiter: Bottleneck;
  private readonly log: Logger;
  private readonly retry: RetryOptions;

  constructor(options: WooCommerceClientOptions) {
    this.siteUrl = options.siteUrl.replace(/\/+$/u, "");
    this.credentials = { consumerKey: options.consumerKey, consumerSecret: options.consumerSecret };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.limiter = limiterFor(this.siteUrl, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.log = options.log;
    this.retry = { ...defaultRetryOptions, ...options.retry };
  }

  /**
   * One REST call, paced and retried. `endpoint` is relative to `/wp-json/wc/v3/` and never
   * carries a query string (params go in `params`, so the client signs them). `slow` allows
   * four times the usual timeout, for batches: WooCommerce saves 100 products one by one, with
   * all their hooks, and a timeout would only make us send the same batch again.
   */
  async request(
    method: "get" | "post" | "put" | "delete",
    endpoint: string,
    options: { params?: QueryParams; data?: unknown; retry?: RetryPolicy; slow?: boolean } = {},
  ): Promise<WooResponse> {
    const policy = options.retry ?? "idempotent";
    const label = `${method.toUpperCase()} /${endpoint}`;
    const api = this.apiFor(options.slow ? this.timeoutMs * 4 : this.timeoutMs);
    const attempt = async (): Promise<WooResponse> => {
      try {
        const response = await this.limiter.schedule(() =>
          this.send(api, method, endpoint, options.params ?? {}, options.data),
        );
        return { status: response.status, data: response.data, headers: flattenHeaders(response.headers) };
      } catch (error) {
        throw this.classify(error, label, policy);
      }
    };
    try {
      return await pRetry(attempt, {
        retries: this.retry.retries,
        minTimeout: this.retry.minTimeoutMs,
        maxTimeout: this.retry.maxTimeoutMs,
        factor: 2,
        randomize: true,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          const failure = error instanceof TransientFailure ? error : null;
          this.log.warn(
            {
              platform: "woocommerce",
              request: label,
              status: failure?.status ?? null,
              attempt: attemptNumber,
              retriesLeft,
            },
            retriesLeft > 0 ? "WooCommerce request failed; retrying" : "WooCommerce request failed; giving up",
          );
          // Honour the host's Retry-After on top of our own backoff.
          if (retriesLeft > 0 && failure?.retryAfterMs)
            await sleep(Math.min(failure.retryAfterMs, this.retry.maxRetryAfterMs));
        },
      });
    } catch (error) {
      if (error instanceof ChannelError) throw error;
      if (error instanceof TransientFailure) {
        throw new ChannelError("unavailable", `${error.message}; gave up after ${this.retry.retries + 1} attempts`, {
          status: error.status,
        });
      }
      throw error;
    }
  }

  /** Every item of a collection, a page (up to 100 items) at a time. */
  async *paginate(endpoint: string, params: QueryParams = {}): AsyncGenerator<unknown[]> {
    for (let page = 1; ; page++) {
      const response = await this.request("get", endpoint, { params: { ...params, per_page: PAGE_SIZE, page } });
      if (!Array.isArray(response.data)) {
        throw new ChannelError(
          "unavailable",
          `GET /${endpoint} did not answer with a list (is ${this.siteUrl} a WooCommerce site?)`,
          { status: response.status },
        );
      }
      yield response.data;
      const totalPages = Number.parseInt(response.headers["x-wp-totalpages"] ?? "", 10);
      const last = Number.isNaN(totalPages) ? response.data.length < PAGE_SIZE : page >= totalPages;
      if (last) return;
    }
  }

  private apiFor(timeoutMs: number): InstanceType<typeof WooCommerceRestApi> {
    let api = this.apis.get(timeoutMs);
    if (!api) {
      api = new WooCommerceRestApi({ url: this.siteUrl, ...this.credentials, version: "wc/v3", timeout: timeoutMs });
      this.apis.set(timeoutMs, api);
    }
    return api;
  }

  private send(
    api: InstanceType<typeof WooCommerceRestApi>,
    method: "get" | "post" | "put" | "delete",
    endpoint: string,
    params: QueryParams,
    data: unknown,
  ) {
    switch (method) {
      case "get":
        return api.get(endpoint, params);
      case "delete":
        return api.delete(endpoint, params);
      case "post":
        return api.post(endpoint, data ?? {}, params);
      case "put":
        return api.put(endpoint, data ?? {}, params);
    }
  }

  /** Turns whatever the client threw into a retryable failure or a final ChannelError (wrapped for p-retry). */
  private classify(error: unknown, label: string, policy: RetryPolicy): Error {
    const http = (error ?? {}) as HttpErrorLike;
    const status = typeof http.response?.status === "number" ? http.response.status : null;
    if (status === null) {
      // No answer: refused, reset, timed out. The request may or may not have been applied.
      const reason = typeof http.code === "string" ? http.code : error instanceof Error ? error.name : "network error";
      const message = `WooCommerce ${label} got no answer (${reason})`;
      if (policy === "idempotent") return new TransientFailure(message, null, null);
      return new AbortError(new ChannelError("unavailable", `${message}; not retried because the outcome is unknown`));
    }
    const wp = wpErrorOf(http.response?.data);
    const detail = wp ? `${wp.code}: ${wp.message}` : `HTTP ${status}`;
    const message = `WooCommerce ${label} failed (${detail})`;
    if (status === 429 || (status >= 500 && status !== 501)) {
      if (status === 429 || policy === "idempotent")
        return new TransientFailure(message, status, retryAfterMs(http.response?.headers));
      return new AbortError(
        new ChannelError("unavailable", `${message}; not retried because the outcome is unknown`, { status }),
      );
    }
    if (status === 401 || status === 403) return new AbortError(new ChannelError("unauthorized", message, { status }));
    if (status === 404 || status === 410) return new AbortError(new ChannelError("not_found", message, { status }));
    return new AbortError(new ChannelError("rejected", message, { status }));
  }
}

/**
 * One HTTP exchange with Prokip, and the retry policy around exchanges.
 *
 * The policy turns on one question: could a failed request have reached Prokip? A 429 is
 * answered by the throttle before any controller runs, and a refused connection never carried
 * the request, so both are always safe to send again. A 5xx, a timeout or a connection reset
 * after sending may have been applied; for a request that is not safe to repeat (a sell, which
 * Prokip does not deduplicate) that is final and reported as `unavailable`, so the caller can
 * settle it by looking for the sell instead of posting it twice.
 */
import pRetry from "p-retry";
import type { Logger } from "../../log/index.ts";
import { ChannelError } from "../types.ts";

export type FetchLike = typeof fetch;

export interface RetrySettings {
  /** Further attempts after the first. */
  retries: number;
  /** First backoff delay; later ones double, each randomised by x1-x2 (jitter). */
  minDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the request fails as `unavailable`. */
  maxRetryAfterMs: number;
}

export const defaultRetry: RetrySettings = {
  retries: 4,
  minDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 120_000,
};

/** A request's answer, with when it left and when the answer was in. */
export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
  sentAt: Date;
  receivedAt: Date;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}

/** The request failed below HTTP: refused, reset, timed out. */
export class NetworkFailure extends Error {
  constructor(
    /** e.g. "ECONNREFUSED", "timeout". */
    readonly reason: string,
    /** True only when the request certainly never reached Prokip. */
    readonly notSent: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(`network failure (${reason})`, options);
  }
}

/** A failure worth another attempt. Never leaves this module's callers: see `withRetries`. */
export class TransientFailure extends Error {
  constructor(
    readonly reason: string,
    readonly status: number | null,
    readonly retryAfterMs: number | null,
    options: { cause?: unknown } = {},
  ) {
    super(reason, options);
  }
}

/**
 * Codes that mean no connection was made, so nothing was sent. Anything else (ECONNRESET,
 * UND_ERR_SOCKET, a timeout) may have happened after the request was written.
 */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** The error codes in fetch's cause chain (undici nests them, happy eyeballs aggregates them). */
function errorCodes(error: unknown, depth = 0): string[] {
  if (depth > 5 || error === null || typeof error !== "object") return [];
  const found: string[] = [];
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") found.push(code);
  const nested = (error as { errors?: unknown }).errors;
  if (Array.isArray(nested)) for (const inner of nested) found.push(...errorCodes(inner, depth + 1));
  found.push(...errorCodes((error as { cause?: unknown }).cause, depth + 1));
  return found;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
}

/** Sends one request and reads the whole answer. Throws NetworkFailure below HTTP. */
export async function exchange(fetchFn: FetchLike, request: HttpRequest): Promise<Exchange> {
  const sentAt = new Date();
  try {
    const response = await fetchFn(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      // A redirect is never followed: fetch would turn a redirected POST into a GET.
      redirect: "manual",
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, sentAt, receivedAt: new Date() };
  } catch (error) {
    if (isTimeout(error)) throw new NetworkFailure("timeout", false, { cause: error });
    const codes = errorCodes(error);
    const notSent = codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code));
    throw new NetworkFailure(codes[0] ?? "fetch failed", notSent, { cause: error });
  }
}

/** `Retry-After` in seconds or as an HTTP date; null when absent or unreadable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | null {
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Throws TransientFailure for an answer worth retrying (429 always; 5xx when the request is
 * repeatable) and ChannelError `unavailable` for a 5xx that must not be repeated.
 */
export function rejectTransient(answer: Exchange, repeatable: boolean): Exchange {
  if (answer.status === 429) throw new TransientFailure("HTTP 429", 429, retryAfterMs(answer.headers));
  if (answer.status >= 500) {
    if (repeatable) throw new TransientFailure(`HTTP ${answer.status}`, answer.status, null);
    throw new ChannelError(
      "unavailable",
      `Prokip failed while handling the request (HTTP ${answer.status}); it may or may not have been applied`,
      {
        status: answer.status,
      },
    );
  }
  return answer;
}

/** The same decision for a failure below HTTP. */
export function classifyNetworkFailure(error: unknown, repeatable: boolean): never {
  if (!(error instanceof NetworkFailure)) throw error;
  if (repeatable || error.notSent) throw new TransientFailure(error.reason, null, null, { cause: error });
  throw new ChannelError(
    "unavailable",
    `Prokip did not answer (${error.reason}); the request may or may not have been applied`,
    { cause: error },
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it stops throwing TransientFailure or the retries run out (then
 * ChannelError `unavailable`). Backoff is exponential with jitter; a 429's `Retry-After` is
 * waited for when it is longer than the backoff.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  context: { log: Logger; method: string; path: string; settings: RetrySettings; unavailableMessage: string },
): Promise<T> {
  const { log, method, path, settings } = context;
  try {
    return await pRetry(attempt, {
      retries: settings.retries,
      minTimeout: settings.minDelayMs,
      maxTimeout: settings.maxDelayMs,
      factor: 2,
      randomize: true,
      shouldRetry: ({ error }) => error instanceof TransientFailure,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft, retryDelay }) => {
        if (!(error instanceof TransientFailure) || retriesLeft === 0) return;
        const retryAfter = error.retryAfterMs ?? 0;
        if (retryAfter > settings.maxRetryAfterMs) {
          throw new ChannelError(
            "unavailable",
            `${context.unavailableMessage} (asked to wait ${Math.ceil(retryAfter / 1000)} s)`,
            { status: error.status, cause: error },
          );
        }
        const waitMs = Math.max(retryAfter, retryDelay);
        log.warn(
          { method, path, attempt: attemptNumber, reason: error.reason, retryInMs: waitMs },
          "prokip request failed, retrying",
        );
        // p-retry waits `retryDelay` after this returns; make up the rest of Retry-After here.
        if (retryAfter > retryDelay) await sleep(retryAfter - retryDelay);
      },
    });
  } catch (error) {
    if (error instanceof TransientFailure) {
      throw new ChannelError("unavailable", `${context.unavailableMessage} (${error.reason})`, {
        status: error.status,
        cause: error,
      });
    }
    throw error;
  }
}

/** Base URL and path joined as text: a base with a path (a sandbox prefix) keeps it. */
export function joinUrl(baseUrl: string, path: string, query?: Record<string, string>): string {
  const url = baseUrl.replace(/\/+$/, "") + path;
  const search = query ? new URLSearchParams(query).toString() : "";
  return search === "" ? url : `${url}?${search}`;
}

/** The human message in an error body: `{error:{message}}`, `{message}`, `{error_description}`. */
export function messageOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as unknown;
    if (body === null || typeof body !== "object") return null;
    const record = body as { error?: unknown; message?: unknown; error_description?: unknown; msg?: unknown };
    if (record.error !== null && typeof record.error === "object") {
      const inner = (record.error as { message?: unknown }).message;
      if (typeof inner === "string") return inner;
    }
    for (const candidate of [record.error_description, record.message, record.msg])
      if (typeof candidate === "string") return candidate;
    return null;
  } catch {
    return null;
  }
}

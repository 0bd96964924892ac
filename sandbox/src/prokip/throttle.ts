/**
 * Laravel's `throttle` middleware (Illuminate\Routing\Middleware\ThrottleRequests with
 * Illuminate\Cache\RateLimiter), which the Connector's `throttle:api` group and Passport's
 * token route use: 60 attempts per minute by default.
 *
 * It is a fixed window, not a sliding one: the first hit starts a timer of `decay` seconds;
 * hits are counted until the timer runs out, then the count starts over. A request is refused
 * when the count has already reached the limit (so the 61st request in a window gets 429).
 *
 * Headers, as ThrottleRequests::getHeaders sends them:
 * - every answer: `X-RateLimit-Limit`, `X-RateLimit-Remaining`;
 * - a 429 also: `Retry-After` (seconds until the window ends) and `X-RateLimit-Reset`
 *   (the epoch second it ends), with `X-RateLimit-Remaining: 0`.
 */
import type { Clock } from "./types.ts";

export interface RateLimitOptions {
  /** Requests allowed per window; Laravel's `throttle:api` default is 60. */
  limit?: number;
  /** Window length; Laravel's default decay is one minute. */
  windowSeconds?: number;
}

export type ThrottleDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; headers: Record<string, string>; retryAfter: number };

export class RateLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private windows = new Map<string, { hits: number; endsAt: number }>();

  constructor(
    private readonly clock: Clock,
    options: RateLimitOptions = {},
  ) {
    this.limit = options.limit ?? 60;
    this.windowMs = (options.windowSeconds ?? 60) * 1000;
  }

  /** Counts one request for `key` (a user id, or an IP for unauthenticated routes). */
  hit(key: string): ThrottleDecision {
    const now = this.clock();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { hits: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    if (window.hits >= this.limit) {
      // RateLimiter::availableIn works in whole seconds; never tell a client to retry at once.
      const retryAfter = Math.max(1, Math.ceil((window.endsAt - now) / 1000));
      return {
        allowed: false,
        retryAfter,
        headers: {
          "X-RateLimit-Limit": String(this.limit),
          "X-RateLimit-Remaining": "0",
          "Retry-After": String(retryAfter),
          "X-RateLimit-Reset": String(Math.floor(now / 1000) + retryAfter),
        },
      };
    }
    window.hits += 1;
    return {
      allowed: true,
      headers: { "X-RateLimit-Limit": String(this.limit), "X-RateLimit-Remaining": String(this.limit - window.hits) },
    };
  }

  reset(): void {
    this.windows.clear();
  }
}

/**
 * Pacing: at most `requests` Connector requests per `perMs` for one Prokip account, shared by
 * every adapter instance talking to that account in this process.
 *
 * Prokip (Laravel's `throttle:api`) counts requests per user in a fixed window that starts at
 * the first request after the previous window ended. A reservoir that refills on its own clock
 * does not line up with that window, and could let through up to twice the budget inside one
 * of Prokip's windows. So each request takes one unit from a Bottleneck reservoir of `requests`
 * and gives it back `perMs + marginMs` after it left: no window of that length ever holds more
 * than `requests` requests, wherever Prokip's window starts. The margin covers the difference
 * between when a request leaves and when Prokip counts it.
 */
import Bottleneck from "bottleneck";

export interface PacingSettings {
  /** Requests allowed per window. Prokip's budget is unknown; Laravel's default is 60 per minute. */
  requests: number;
  perMs: number;
  /** Extra time before a used unit comes back. */
  marginMs: number;
  /** Requests in flight at once. */
  maxConcurrent: number;
}

export const defaultPacing: PacingSettings = { requests: 60, perMs: 60_000, marginMs: 1_000, maxConcurrent: 4 };

/** Runs `send` when the account's budget allows. */
export type Pacer = <T>(send: () => Promise<T>) => Promise<T>;

/** One limiter per account and settings, for the life of the process. */
const limiters = new Map<string, Bottleneck>();

function limiterFor(key: string, settings: PacingSettings): Bottleneck {
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new Bottleneck({ reservoir: settings.requests, maxConcurrent: settings.maxConcurrent });
    limiters.set(key, limiter);
  }
  return limiter;
}

/**
 * The pacer for one Prokip account. The account is the base URL and the OAuth client id: each
 * Prokip business gets its own client, and the throttle is per user, so this is the same budget
 * or a stricter one. Different settings (tests) get their own limiter.
 */
export function pacerFor(account: { baseUrl: string; clientId: string }, settings: PacingSettings): Pacer {
  const key = `${account.baseUrl.replace(/\/+$/, "")}|${account.clientId}|${settings.requests}/${settings.perMs}+${settings.marginMs}x${settings.maxConcurrent}`;
  const limiter = limiterFor(key, settings);

  return <T>(send: () => Promise<T>): Promise<T> => {
    // The give-back timers below are unref'd so an idle process can exit; a request waiting for
    // one of them holds the event loop open itself until its turn comes.
    const waiting = setTimeout(() => undefined, 2 ** 30);
    return limiter
      .schedule(() => {
        clearTimeout(waiting);
        const giveBack = setTimeout(
          () => void limiter.incrementReservoir(1).catch(() => undefined),
          settings.perMs + settings.marginMs,
        );
        giveBack.unref();
        return send();
      })
      .finally(() => clearTimeout(waiting));
  };
}

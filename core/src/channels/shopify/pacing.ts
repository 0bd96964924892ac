/**
 * Client-side view of Shopify's GraphQL cost bucket, so requests wait instead of being THROTTLED.
 *
 * Shopify limits the Admin GraphQL API per app and store with a leaky bucket of calculated query
 * cost: a query needs its *requested* cost in the bucket, the difference to the actual cost is
 * handed back afterwards, and the bucket refills at `restoreRate` points per second. Every answer
 * carries `extensions.cost.throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}`
 * (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits). We mirror that bucket:
 * before a request whose expected cost exceeds what is available we wait
 * (cost - available) / restoreRate seconds, then take the cost; each answer resets our view.
 *
 * One budget per shop, shared by every client in the process that talks to that shop (the bucket
 * is the app's, and one process runs one app).
 */

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface Reservation {
  readonly cost: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Until the first answer tells us the real figures, assume the smallest bucket Shopify has used
 * (1,000 points refilling at 50/s): too cautious for a while is better than a THROTTLED burst.
 */
const UNKNOWN_BUCKET: ThrottleStatus = { maximumAvailable: 1_000, currentlyAvailable: 1_000, restoreRate: 50 };

/** A little headroom: Shopify rounds `currentlyAvailable` down and its clock is not ours. */
const SAFETY_POINTS = 5;
const MAX_SLEEP_SLICE_MS = 250;

export class CostBudget {
  private maximum = UNKNOWN_BUCKET.maximumAvailable;
  private available = UNKNOWN_BUCKET.currentlyAvailable;
  private restoreRate = UNKNOWN_BUCKET.restoreRate;
  private at: number;
  /** Points taken by requests that have not answered yet (Shopify may not have seen them). */
  private inFlight = 0;
  /** Reservations are handed out one at a time, in arrival order, so waits never overlap. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly clock: Clock = systemClock) {
    this.at = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    const seconds = Math.max(0, now - this.at) / 1000;
    this.available = Math.min(this.maximum, this.available + seconds * this.restoreRate);
    this.at = now;
  }

  /** Milliseconds to wait before `cost` points are available (0 when they are). */
  waitFor(cost: number): number {
    this.refill();
    const needed = Math.min(cost, this.maximum) + SAFETY_POINTS - this.available;
    return needed <= 0 ? 0 : Math.ceil((needed / this.restoreRate) * 1000);
  }

  /** Waits until `cost` points are available, then takes them. */
  reserve(cost: number): Promise<Reservation> {
    const turn = this.queue.then(async () => {
      // Sleep in slices: an answer arriving meanwhile may show more room than we assumed.
      for (let wait = this.waitFor(cost); wait > 0; wait = this.waitFor(cost))
        await this.clock.sleep(Math.min(wait, MAX_SLEEP_SLICE_MS));
      this.available -= cost;
      this.inFlight += cost;
      return { cost };
    });
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /**
   * The request answered. With a throttle status the view is reset to Shopify's figures, less
   * what other requests still in flight have taken (they may not be in Shopify's figure yet:
   * counting them twice only makes us wait a little longer).
   */
  settle(reservation: Reservation, status: ThrottleStatus | null): void {
    this.inFlight = Math.max(0, this.inFlight - reservation.cost);
    if (status) {
      this.maximum = status.maximumAvailable;
      this.restoreRate = Math.max(1, status.restoreRate);
      this.available = status.currentlyAvailable - this.inFlight;
      this.at = this.clock.now();
    } else {
      // No answer from Shopify (network error, 5xx): assume the points were not spent.
      this.refill();
      this.available = Math.min(this.maximum, this.available + reservation.cost);
    }
  }

  snapshot(): ThrottleStatus & { inFlight: number } {
    this.refill();
    return {
      maximumAvailable: this.maximum,
      currentlyAvailable: this.available,
      restoreRate: this.restoreRate,
      inFlight: this.inFlight,
    };
  }
}

const budgets = new Map<string, CostBudget>();

/** The process-wide budget for a shop. */
export function budgetFor(shop: string): CostBudget {
  let budget = budgets.get(shop);
  if (!budget) {
    budget = new CostBudget();
    budgets.set(shop, budget);
  }
  return budget;
}

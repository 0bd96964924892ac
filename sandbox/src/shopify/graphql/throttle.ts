/**
 * Leaky-bucket rate limiting per app and shop (Shopify: "GraphQL Admin API rate limits are based
 * on the combination of the app and store"). The bucket refills continuously at the restore rate;
 * a query runs only if the bucket holds its requested cost, and afterwards the difference between
 * requested and actual cost is handed back.
 */
import { PLAN_LIMITS, type PlanName } from "../state.ts";
import type { Clock } from "../time.ts";

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

class Bucket {
  private available: number;
  private at: number;

  constructor(
    readonly size: number,
    readonly restoreRate: number,
    now: number,
  ) {
    this.available = size;
    this.at = now;
  }

  private refill(now: number): void {
    const elapsedSeconds = Math.max(0, now - this.at) / 1000;
    this.available = Math.min(this.size, this.available + elapsedSeconds * this.restoreRate);
    this.at = now;
  }

  tryTake(cost: number, now: number): boolean {
    this.refill(now);
    if (this.available < cost) return false;
    this.available -= cost;
    return true;
  }

  giveBack(points: number, now: number): void {
    this.refill(now);
    this.available = Math.min(this.size, this.available + points);
  }

  status(now: number): ThrottleStatus {
    this.refill(now);
    return {
      maximumAvailable: this.size,
      currentlyAvailable: Math.floor(this.available),
      restoreRate: this.restoreRate,
    };
  }
}

export class RateLimiter {
  private buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  private bucket(apiKey: string, shop: string, plan: PlanName): Bucket {
    const key = `${apiKey}|${shop}`;
    const limits = PLAN_LIMITS[plan];
    let bucket = this.buckets.get(key);
    if (!bucket || bucket.size !== limits.bucketSize) {
      bucket = new Bucket(limits.bucketSize, limits.restoreRate, this.clock());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  /** Takes `requested` points if available; returns whether the query may run and the status. */
  take(apiKey: string, shop: string, plan: PlanName, requested: number): { allowed: boolean; status: ThrottleStatus } {
    const bucket = this.bucket(apiKey, shop, plan);
    const allowed = bucket.tryTake(requested, this.clock());
    return { allowed, status: bucket.status(this.clock()) };
  }

  refund(apiKey: string, shop: string, plan: PlanName, points: number): ThrottleStatus {
    const bucket = this.bucket(apiKey, shop, plan);
    if (points > 0) bucket.giveBack(points, this.clock());
    return bucket.status(this.clock());
  }

  reset(): void {
    this.buckets.clear();
  }
}

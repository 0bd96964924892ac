/**
 * Seeded, reproducible fault injection shared by every emulator.
 *
 * The same seed and the same sequence of calls give the same faults, so a failing chaos run
 * can be replayed exactly. Each emulator owns one `Faults` instance and asks it, per request,
 * whether to delay, fail or throttle, and per webhook, whether to drop, duplicate or hold it
 * back (reorder).
 */
import { z } from "zod";

export const faultPlanSchema = z
  .object({
    seed: z.number().int().default(1),
    /** Extra latency added to every API answer, uniformly drawn from [min, max] ms. */
    latencyMs: z.object({ min: z.number().min(0), max: z.number().min(0) }).default({ min: 0, max: 0 }),
    /** Share of API requests answered with a 5xx (0..1). */
    errorRate: z.number().min(0).max(1).default(0),
    /** Share of API requests that start a burst of 429 answers (0..1). */
    throttleBurstRate: z.number().min(0).max(1).default(0),
    /** How many consecutive requests a 429 burst lasts. */
    throttleBurstLength: z.number().int().min(1).default(3),
    /** Share of webhook deliveries never sent (0..1). */
    webhookDropRate: z.number().min(0).max(1).default(0),
    /** How many times each webhook delivery is sent (1 = normal). */
    webhookCopies: z.number().int().min(1).max(10).default(1),
    /** Share of webhook deliveries held back and sent after later ones (0..1). */
    webhookReorderRate: z.number().min(0).max(1).default(0),
  })
  .strict();

export type FaultPlan = z.infer<typeof faultPlanSchema>;
export type FaultPlanInput = z.input<typeof faultPlanSchema>;

export type RequestFault =
  | { kind: "none"; delayMs: number }
  | { kind: "error"; delayMs: number; status: 500 | 502 | 503 }
  | { kind: "throttle"; delayMs: number };

export type WebhookFault = { copies: number; holdBack: boolean };

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; plenty for fault schedules. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private plan: FaultPlan = faultPlanSchema.parse({});
  private random = seededRandom(1);
  private throttleLeft = 0;

  constructor(plan: FaultPlanInput = {}) {
    this.configure(plan);
  }

  /** Replace the plan and restart the random sequence from its seed. */
  configure(plan: FaultPlanInput): FaultPlan {
    this.plan = faultPlanSchema.parse(plan);
    this.random = seededRandom(this.plan.seed);
    this.throttleLeft = 0;
    return this.plan;
  }

  current(): FaultPlan {
    return this.plan;
  }

  /** Decide the fate of one API request. */
  nextRequest(): RequestFault {
    const { latencyMs, errorRate, throttleBurstRate, throttleBurstLength } = this.plan;
    const delayMs = latencyMs.max > 0 ? Math.round(latencyMs.min + this.random() * (latencyMs.max - latencyMs.min)) : 0;
    if (this.throttleLeft > 0) {
      this.throttleLeft -= 1;
      return { kind: "throttle", delayMs };
    }
    if (throttleBurstRate > 0 && this.random() < throttleBurstRate) {
      this.throttleLeft = throttleBurstLength - 1;
      return { kind: "throttle", delayMs };
    }
    if (errorRate > 0 && this.random() < errorRate) {
      const statuses = [500, 502, 503] as const;
      return { kind: "error", delayMs, status: statuses[Math.floor(this.random() * statuses.length)] ?? 500 };
    }
    return { kind: "none", delayMs };
  }

  /** Decide the fate of one webhook delivery: 0 copies means dropped. */
  nextWebhook(): WebhookFault {
    const { webhookDropRate, webhookCopies, webhookReorderRate } = this.plan;
    if (webhookDropRate > 0 && this.random() < webhookDropRate) return { copies: 0, holdBack: false };
    const holdBack = webhookReorderRate > 0 && this.random() < webhookReorderRate;
    return { copies: webhookCopies, holdBack };
  }
}

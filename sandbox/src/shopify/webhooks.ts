/**
 * Webhook delivery, as Shopify does it:
 *
 * - one delivery per subscription (app-level subscriptions from the app config, like
 *   shopify.app.toml, plus shop-level ones created with webhookSubscriptionCreate);
 * - body is the REST-style payload built when the event happened; headers X-Shopify-Topic,
 *   X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body keyed with the app secret),
 *   X-Shopify-Shop-Domain, X-Shopify-API-Version, X-Shopify-Webhook-Id, X-Shopify-Event-Id,
 *   X-Shopify-Triggered-At;
 * - a 2xx within 5 s counts as delivered; anything else is retried with exponential backoff,
 *   8 retries over about 4 hours (1, 2, 4 ... 128 minutes), compressed by `timeScale` for tests;
 * - seeded faults may drop a delivery, send it more than once, or hold it back so it arrives
 *   after later ones.
 */
import { createHmac, randomUUID } from "node:crypto";
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "pino";
import type { Faults } from "../shared/faults.ts";
import { ADMIN_API_VERSION } from "../../scripts/shopify-schema.ts";
import { topicToEnum, type EventSink, type PlatformEvent } from "./events.ts";
import type { PlatformState } from "./state.ts";
import type { Clock } from "./time.ts";

export interface WebhookDeliveryOptions {
  /** Multiplies every retry delay (1 = Shopify's real schedule, 0.0001 = milliseconds). */
  timeScale: number;
  /** Per-attempt timeout; Shopify allows 5 s in total. */
  timeoutMs: number;
  /** Retries after the first attempt; Shopify makes 8. */
  retries: number;
  /** First retry delay before scaling; doubling from 1 minute gives ~4 h over 8 retries. */
  firstRetryDelayMs: number;
  /** How long a held-back delivery waits at most before it is sent anyway. */
  holdBackMs: number;
}

export const defaultWebhookOptions: WebhookDeliveryOptions = {
  timeScale: 1,
  timeoutMs: 5_000,
  retries: 8,
  firstRetryDelayMs: 60_000,
  holdBackMs: 2_000,
};

export interface DeliveryAttempt {
  copy: number;
  attempt: number;
  at: string;
  status: number | null;
  error: string | null;
}

export interface DeliveryRecord {
  webhookId: string;
  eventId: string;
  topic: string;
  shop: string;
  apiKey: string;
  uri: string;
  /** Numeric id of the GraphQL subscription; null for app-level (config) subscriptions. */
  subscriptionId: number | null;
  triggeredAt: string;
  /** The body parsed back; an integer beyond 2^53 (an id, with a large `idBase`) is its digit string. */
  payload: unknown;
  body: string;
  headers: Record<string, string>;
  /** pending -> delivered | failed; dropped when a fault swallowed it. */
  status: "pending" | "held" | "delivered" | "failed" | "dropped";
  copies: number;
  attempts: DeliveryAttempt[];
}

interface Target {
  apiKey: string;
  apiSecret: string;
  uri: string;
  subscriptionId: number | null;
}

export function signWebhook(body: string, secret: string): string {
  return createHmac("sha256", secret).update(body, "utf8").digest("base64");
}

export class WebhookDispatcher implements EventSink {
  private records: DeliveryRecord[] = [];
  private inFlight = new Set<Promise<void>>();
  private held: (() => void)[] = [];
  private abort = new AbortController();

  constructor(
    private readonly state: PlatformState,
    private readonly faults: Faults,
    private readonly clock: Clock,
    private readonly logger: Logger,
    public options: WebhookDeliveryOptions,
  ) {}

  emit(event: PlatformEvent): void {
    const targets = this.targetsFor(event);
    if (targets.length === 0) return;
    const eventId = randomUUID();
    const triggeredAt = new Date(this.clock()).toISOString();
    // Payloads carry ids as JSON.rawJSON (ids.ts restId), so the text has every digit.
    const body = JSON.stringify(event.payload);
    const payload = parseKeepingBigIntegers(body);
    for (const target of targets) {
      const webhookId = randomUUID();
      const record: DeliveryRecord = {
        webhookId,
        eventId,
        topic: event.topic,
        shop: event.shop.domain,
        apiKey: target.apiKey,
        uri: target.uri,
        subscriptionId: target.subscriptionId,
        triggeredAt,
        payload,
        body,
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "Shopify-Captain-Hook",
          "X-Shopify-Topic": event.topic,
          "X-Shopify-Hmac-Sha256": signWebhook(body, target.apiSecret),
          "X-Shopify-Shop-Domain": event.shop.domain,
          "X-Shopify-API-Version": ADMIN_API_VERSION,
          "X-Shopify-Webhook-Id": webhookId,
          "X-Shopify-Event-Id": eventId,
          "X-Shopify-Triggered-At": triggeredAt,
        },
        status: "pending",
        copies: 1,
        attempts: [],
      };
      this.records.push(record);
      this.schedule(record);
    }
  }

  /** Every subscription (config or API) of every app installed on the shop that wants this topic. */
  private targetsFor(event: PlatformEvent): Target[] {
    const targets: Target[] = [];
    const topicEnum = topicToEnum(event.topic);
    for (const { app, installation } of this.state.installationsOf(event.shop.domain)) {
      if (event.onlyApiKey && app.apiKey !== event.onlyApiKey) continue;
      for (const config of installation.appSubscriptions ? app.webhooks : []) {
        if (config.topics.includes(event.topic))
          targets.push({ apiKey: app.apiKey, apiSecret: app.apiSecret, uri: config.uri, subscriptionId: null });
      }
      for (const sub of event.shop.webhookSubscriptions.values()) {
        if (sub.apiKey === app.apiKey && sub.topic === topicEnum) {
          targets.push({ apiKey: app.apiKey, apiSecret: app.apiSecret, uri: sub.uri, subscriptionId: sub.id });
        }
      }
    }
    return targets;
  }

  private schedule(record: DeliveryRecord): void {
    const fault = this.faults.nextWebhook();
    if (fault.copies === 0) {
      record.status = "dropped";
      record.copies = 0;
      this.logger.debug({ topic: record.topic, webhookId: record.webhookId }, "webhook dropped by fault plan");
      return;
    }
    record.copies = fault.copies;
    // Captured now, so cancelAll() stops this delivery even after a fresh controller is in place.
    const signal = this.abort.signal;
    const run = async (): Promise<void> => {
      if (fault.holdBack) {
        record.status = "held";
        await this.waitForLaterDelivery();
        record.status = "pending";
      } else {
        // A normal delivery going out is what lets held-back ones follow, so they arrive late.
        queueMicrotask(() => this.releaseHeld());
      }
      const results = await Promise.allSettled(
        Array.from({ length: fault.copies }, (_, copy) => this.sendWithRetries(record, copy + 1, signal)),
      );
      record.status = results.some((r) => r.status === "fulfilled") ? "delivered" : "failed";
    };
    const promise = run().catch((error: unknown) => {
      record.status = "failed";
      this.logger.warn({ err: error, topic: record.topic }, "webhook delivery crashed");
    });
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }

  private waitForLaterDelivery(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(release, this.options.holdBackMs);
      timer.unref?.();
      function release(): void {
        clearTimeout(timer);
        resolve();
      }
      this.held.push(release);
    });
  }

  private releaseHeld(): void {
    const waiting = this.held;
    this.held = [];
    // Let the triggering delivery's request start first so the held one really arrives later.
    setTimeout(() => waiting.forEach((release) => release()), 10).unref?.();
  }

  private async sendWithRetries(record: DeliveryRecord, copy: number, signal: AbortSignal): Promise<void> {
    const { retries, firstRetryDelayMs, timeScale, timeoutMs } = this.options;
    let attempt = 0;
    await pRetry(
      async () => {
        attempt += 1;
        if (signal.aborted) throw new AbortError("emulator closed");
        const entry: DeliveryAttempt = { copy, attempt, at: new Date().toISOString(), status: null, error: null };
        record.attempts.push(entry);
        try {
          const response = await fetch(record.uri, {
            method: "POST",
            headers: record.headers,
            body: record.body,
            redirect: "manual",
            signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]),
          });
          entry.status = response.status;
          await response.body?.cancel().catch(() => undefined);
          if (response.status < 200 || response.status >= 300) throw new Error(`receiver answered ${response.status}`);
        } catch (error) {
          if (signal.aborted) throw new AbortError("emulator closed");
          entry.error ??= error instanceof Error ? error.message : String(error);
          throw error instanceof Error ? error : new Error(String(error));
        }
      },
      {
        retries,
        factor: 2,
        minTimeout: Math.max(1, firstRetryDelayMs * timeScale),
        randomize: false,
        signal,
        // fetch reports network failures as TypeError; p-retry only retries those it recognises.
        shouldRetry: () => !signal.aborted,
        onFailedAttempt: ({ error, retriesLeft }) => {
          this.logger.debug(
            { topic: record.topic, uri: record.uri, retriesLeft, err: error.message },
            "webhook attempt failed",
          );
        },
      },
    );
  }

  list(filter: { shop?: string; topic?: string; apiKey?: string } = {}): DeliveryRecord[] {
    return this.records.filter(
      (r) =>
        (!filter.shop || r.shop === filter.shop) &&
        (!filter.topic || r.topic === filter.topic) &&
        (!filter.apiKey || r.apiKey === filter.apiKey),
    );
  }

  clear(): void {
    this.records = [];
  }

  /** Resolves once every delivery has succeeded, failed for good or been dropped. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Stops all pending deliveries and retries. New events are accepted straight away (they get a
   * fresh abort signal); the returned promise settles when the cancelled ones have wound down.
   */
  async cancelAll(): Promise<void> {
    const previous = this.abort;
    this.abort = new AbortController();
    const stopping = [...this.inFlight];
    previous.abort();
    this.held.splice(0).forEach((release) => release());
    await Promise.allSettled(stopping);
  }
}

/** JSON.parse, except that integers a JS number cannot hold exactly stay their digits (source text access, Node 21+). */
function parseKeepingBigIntegers(text: string): unknown {
  const reviver = (_key: string, value: unknown, context?: { source?: string }) =>
    typeof value === "number" && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/u.test(context.source)
      ? context.source
      : value;
  return JSON.parse(text, reviver as (key: string, value: unknown) => unknown);
}

/**
 * Webhook delivery, after WooCommerce's `WC_Webhook` (includes/class-wc-webhook.php) and
 * `wc-webhook-functions.php`:
 *
 * - Events raised during a request are queued when it ends (`wc_webhook_execute_queue`), one
 *   Action Scheduler action per (webhook, resource id); while such an action is still pending a
 *   second one is not added, so quick successive changes coalesce into one delivery.
 * - Actions run one after another in the background. The payload is built when the action runs
 *   (`build_payload` -> `get_endpoint_data( "/wc/v3/{resource}s/{id}" )`), so it shows the
 *   resource as it is then; `deleted` events carry only `{id}`.
 * - `deliver()` POSTs the JSON body with `X-WC-Webhook-*` headers; the signature is
 *   base64(HMAC-SHA256(body, secret)); the delivery id is `wp_hash( $id . strtotime('now') )`,
 *   so two deliveries of one webhook within the same second share an id.
 * - Nothing is ever retried. `log_delivery()` counts 200-302 as success (failure_count = 0); any
 *   other answer, a timeout or a network error calls `failed_delivery()`, which increments
 *   failure_count while it is <= 5 and otherwise sets the status to `disabled`
 *   (`woocommerce_max_webhook_delivery_failures` = 5). A disabled webhook stays disabled until
 *   someone sets it active again.
 * - Saving an active webhook that is still `pending_delivery` (its ping was never answered 200)
 *   pings again (`WC_Webhook_Data_Store::update`), including the save after each delivery.
 * - Pings (`deliver_ping`) are form-encoded `webhook_id=<id>`, unsigned, and only a 200 clears
 *   `pending_delivery`.
 *
 * Fault injection: `faults.nextWebhook()` decides, per delivery, to drop it, send extra copies,
 * or hold it back until the next delivery has been sent (at most `holdBackMaxMs`).
 */
import { createHmac } from "node:crypto";
import type { Faults } from "../shared/faults.ts";
import type { Store } from "./state.ts";
import type { SiteRecord, SiteEvent, WebhookRecord } from "./types.ts";
import { phpJsonEncode, wpHash } from "./util.ts";

export interface WebhookEngineOptions {
  userAgent: string;
  /** WC_Webhook::deliver uses MINUTE_IN_SECONDS. */
  deliveryTimeoutMs: number;
  /** wp_safe_remote_post's default timeout (5 s). */
  pingTimeoutMs: number;
  /** The longest a held-back delivery waits for a later one. */
  holdBackMaxMs: number;
  /** `woocommerce_max_webhook_delivery_failures`. */
  maxFailures: number;
  /** Enforce WordPress's `http_allowed_safe_ports` (80, 443, 8080) like a stock install. */
  safePortsOnly: boolean;
}

export interface DeliveryLogEntry {
  seq: number;
  site: string;
  webhookId: number;
  kind: "ping" | "delivery";
  topic: string | null;
  resourceId: number | null;
  deliveryId: string | null;
  url: string;
  /** "sent", or "dropped" when the fault plan swallowed it. */
  outcome: "sent" | "dropped";
  heldBack: boolean;
  copy: number;
  requestHeaders: Record<string, string>;
  requestBody: string;
  responseStatus: number | null;
  error: string | null;
  success: boolean;
  startedAt: string;
  durationMs: number;
  /** failure_count and status right after this attempt was recorded. */
  failureCountAfter: number;
  statusAfter: WebhookRecord["status"];
}

interface Job {
  site: SiteRecord;
  webhookId: number;
  resourceId: number;
  key: string;
  /** Set when a held-back job is released: its fault decision was already made. */
  decided?: { copies: number };
}

export interface WebhookEngineDeps {
  store: Store;
  faults: Faults;
  options: WebhookEngineOptions;
  siteUrl: (site: SiteRecord) => string;
  /** `get_endpoint_data( "/wc/v3/{resource}s/{id}" )`. */
  payload: (site: SiteRecord, resource: string, id: number) => unknown;
}

export function signBody(body: string, secret: string): string {
  return createHmac("sha256", secret).update(body).digest("base64");
}

export class WebhookEngine {
  readonly log: DeliveryLogEntry[] = [];
  private queue: Job[] = [];
  private readonly pendingKeys = new Set<string>();
  private held: Job[] = [];
  private holdTimer: NodeJS.Timeout | null = null;
  private running = false;
  private draining = false;
  private closed = false;
  private seq = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly deps: WebhookEngineDeps) {}

  /** Queues deliveries for the events of one finished request. */
  enqueue(site: SiteRecord, events: SiteEvent[]): void {
    if (this.closed) return;
    // In the order the events happened (the queue is run in the order hooks fired), so a new paid
    // order's order.created goes out before its order.updated whichever webhook was made first.
    for (const ev of events) {
      for (const webhook of site.webhooks.values()) {
        // WC_Webhook::should_deliver checks the status when the event happens, not when it is sent.
        if (webhook.status !== "active") continue;
        if (webhook.topic !== `${ev.resource}.${ev.event}`) continue;
        const key = `${site.slug}|${webhook.id}|${ev.id}`;
        if (this.pendingKeys.has(key)) continue;
        this.pendingKeys.add(key);
        this.queue.push({ site, webhookId: webhook.id, resourceId: ev.id, key });
      }
    }
    this.kick();
  }

  /** Resolves once nothing is queued, running or held back. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0 && this.held.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Sends everything, including deliveries held back with no later delivery to wait for (which
   * would otherwise wait `holdBackMaxMs`), and resolves when done.
   */
  drain(): Promise<void> {
    this.draining = true;
    this.releaseHeld();
    if (!this.running) this.kick();
    return this.idle().finally(() => {
      this.draining = false;
    });
  }

  /** Sends anything held back right away (tests use it to end a run). */
  releaseHeld(): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    if (this.held.length === 0) return;
    this.queue.unshift(...this.held);
    this.held = [];
    this.kick();
  }

  close(): void {
    this.closed = true;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    for (const c of this.controllers) c.abort();
    this.queue = [];
    this.held = [];
    this.pendingKeys.clear();
    this.notifyIdle();
  }

  reset(): void {
    this.queue = [];
    this.held = [];
    this.pendingKeys.clear();
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    this.log.length = 0;
    this.notifyIdle();
  }

  private kick(): void {
    if (this.running || this.closed || this.queue.length === 0) {
      if (!this.running) this.notifyIdle();
      return;
    }
    this.running = true;
    setImmediate(() => void this.pump());
  }

  private notifyIdle(): void {
    if (this.running || this.queue.length > 0 || this.held.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const job = this.queue.shift() as Job;
        this.pendingKeys.delete(job.key);
        const decision = job.decided ?? this.deps.faults.nextWebhook();
        if (decision.copies === 0) {
          this.logDropped(job);
          continue;
        }
        if (!job.decided && "holdBack" in decision && decision.holdBack) {
          this.hold({ ...job, decided: { copies: decision.copies } });
          continue;
        }
        for (let copy = 1; copy <= decision.copies && !this.closed; copy += 1)
          await this.deliver(job, copy, job.decided !== undefined);
        // A held-back delivery goes out right after the next one.
        if (this.held.length > 0 && !job.decided) this.releaseHeld();
      }
    } finally {
      this.running = false;
      if (this.draining && this.queue.length === 0 && this.held.length > 0) this.releaseHeld();
      else if (this.queue.length > 0 && !this.closed) this.kick();
      else this.notifyIdle();
    }
  }

  private hold(job: Job): void {
    this.held.push(job);
    this.holdTimer ??= setTimeout(() => this.releaseHeld(), this.deps.options.holdBackMaxMs);
  }

  private checkUrl(url: string): string | null {
    try {
      const u = new URL(url);
      if (!/^https?:$/.test(u.protocol)) return "A valid URL was not provided.";
      const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
      if (this.deps.options.safePortsOnly && ![80, 443, 8080].includes(port)) return "A valid URL was not provided.";
      return null;
    } catch {
      return "A valid URL was not provided.";
    }
  }

  private async post(
    url: string,
    headers: Record<string, string>,
    body: string,
    timeoutMs: number,
    followRedirects: boolean,
  ): Promise<{ status: number | null; error: string | null }> {
    const invalid = this.checkUrl(url);
    if (invalid) return { status: null, error: `http_request_failed: ${invalid}` };
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(
      () => controller.abort(new Error(`Operation timed out after ${timeoutMs} milliseconds`)),
      timeoutMs,
    );
    try {
      const res = await fetch(url, {
        method: "POST",
        headers,
        body,
        redirect: followRedirects ? "follow" : "manual",
        signal: controller.signal,
      });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status, error: null };
    } catch (e) {
      const reason = controller.signal.aborted ? controller.signal.reason : e;
      return {
        status: null,
        error: `http_request_failed: ${reason instanceof Error ? reason.message : String(reason)}`,
      };
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }

  /** `WC_Webhook::deliver` + `log_delivery`. */
  private async deliver(job: Job, copy: number, heldBack: boolean): Promise<void> {
    const { site } = job;
    const webhook = site.webhooks.get(job.webhookId);
    if (!webhook || this.deps.store.sites.get(site.slug) !== site) return;
    const [resource = "", event = ""] = webhook.topic.split(".");
    const payload = event === "deleted" ? { id: job.resourceId } : this.deps.payload(site, resource, job.resourceId);
    const body = phpJsonEncode(payload);
    const nowSeconds = Math.floor(this.deps.store.nowMs() / 1000);
    const deliveryId = wpHash(`${webhook.id}${nowSeconds}`, site.salt);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "user-agent": this.deps.options.userAgent,
      "x-wc-webhook-source": `${this.deps.siteUrl(site)}/`,
      "x-wc-webhook-topic": webhook.topic,
      "x-wc-webhook-resource": resource,
      "x-wc-webhook-event": event,
      "x-wc-webhook-signature": signBody(body, webhook.secret),
      "x-wc-webhook-id": String(webhook.id),
      "x-wc-webhook-delivery-id": deliveryId,
    };
    const started = Date.now();
    const { status, error } = await this.post(
      webhook.deliveryUrl,
      headers,
      body,
      this.deps.options.deliveryTimeoutMs,
      false,
    );
    const success = status !== null && status >= 200 && status < 303;
    if (success) {
      webhook.failureCount = 0;
    } else if (webhook.failureCount > this.deps.options.maxFailures) {
      // failed_delivery(): past the limit the webhook is disabled (the count stops growing).
      webhook.status = "disabled";
    } else {
      webhook.failureCount += 1;
    }
    webhook.dateModified = this.deps.store.now();
    this.log.push({
      seq: ++this.seq,
      site: site.slug,
      webhookId: webhook.id,
      kind: "delivery",
      topic: webhook.topic,
      resourceId: job.resourceId,
      deliveryId,
      url: webhook.deliveryUrl,
      outcome: "sent",
      heldBack,
      copy,
      requestHeaders: headers,
      requestBody: body,
      responseStatus: status,
      error,
      success,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      failureCountAfter: webhook.failureCount,
      statusAfter: webhook.status,
    });
    if (webhook.status === "active" && webhook.pendingDelivery) await this.ping(site, webhook);
  }

  private logDropped(job: Job): void {
    const webhook = job.site.webhooks.get(job.webhookId);
    this.log.push({
      seq: ++this.seq,
      site: job.site.slug,
      webhookId: job.webhookId,
      kind: "delivery",
      topic: webhook?.topic ?? null,
      resourceId: job.resourceId,
      deliveryId: null,
      url: webhook?.deliveryUrl ?? "",
      outcome: "dropped",
      heldBack: false,
      copy: 0,
      requestHeaders: {},
      requestBody: "",
      responseStatus: null,
      error: "dropped by fault plan",
      success: false,
      startedAt: new Date().toISOString(),
      durationMs: 0,
      failureCountAfter: webhook?.failureCount ?? 0,
      statusAfter: webhook?.status ?? "disabled",
    });
  }

  /** `WC_Webhook::deliver_ping`: returns whether the receiver answered 200. */
  async ping(site: SiteRecord, webhook: WebhookRecord): Promise<boolean> {
    const body = `webhook_id=${webhook.id}`;
    const headers = { "content-type": "application/x-www-form-urlencoded", "user-agent": this.deps.options.userAgent };
    const started = Date.now();
    const { status, error } = await this.post(
      webhook.deliveryUrl,
      headers,
      body,
      this.deps.options.pingTimeoutMs,
      true,
    );
    const ok = status === 200;
    if (ok) {
      webhook.pendingDelivery = false;
      webhook.dateModified = this.deps.store.now();
    }
    this.log.push({
      seq: ++this.seq,
      site: site.slug,
      webhookId: webhook.id,
      kind: "ping",
      topic: webhook.topic,
      resourceId: null,
      deliveryId: null,
      url: webhook.deliveryUrl,
      outcome: "sent",
      heldBack: false,
      copy: 1,
      requestHeaders: headers,
      requestBody: body,
      responseStatus: status,
      error,
      success: ok,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      failureCountAfter: webhook.failureCount,
      statusAfter: webhook.status,
    });
    return ok;
  }
}

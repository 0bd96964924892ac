/**
 * The emulator's in-memory state: sites, id sequences, the clock, and the per-request event buffer
 * that feeds webhook delivery.
 *
 * WooCommerce queues webhook deliveries at the end of the PHP request (`wc_webhook_execute_queue`
 * on `shutdown`) and a webhook handles a given resource at most once per request
 * (`WC_Webhook::is_already_processed`). The emulator mirrors that by buffering events and
 * flushing them on the next macrotask, i.e. once the current request or control call has finished.
 */
import { randomBytes } from "node:crypto";
import type { ApiKeyRecord, KeyPermissions, SiteEvent, SiteRecord } from "./types.ts";
import { WpError, randHash, toSeconds } from "./util.ts";

export interface CreateSiteInput {
  slug: string;
  name?: string;
  currency?: string;
  consumerKey?: string;
  consumerSecret?: string;
}

export class Store {
  readonly sites = new Map<string, SiteRecord>();
  /** Receives each site's deduplicated events once the current request is over. */
  onEvents: (site: SiteRecord, events: SiteEvent[]) => void = () => {};
  private readonly pending = new Map<SiteRecord, SiteEvent[]>();
  private flushTimer: NodeJS.Immediate | null = null;

  constructor(private readonly clock: () => number) {}

  /** Current time truncated to whole seconds, as WordPress stores it. */
  now(): number {
    return toSeconds(this.clock());
  }

  /** Current time with full precision (OAuth windows, delivery durations). */
  nowMs(): number {
    return this.clock();
  }

  reset(): void {
    this.sites.clear();
    this.pending.clear();
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = null;
  }

  createSite(input: CreateSiteInput): { site: SiteRecord; key: ApiKeyRecord } {
    if (this.sites.has(input.slug)) {
      throw new WpError("site_exists", `A site with the slug "${input.slug}" already exists.`, 409);
    }
    const site: SiteRecord = {
      slug: input.slug,
      name: input.name ?? input.slug,
      currency: input.currency ?? "KES",
      salt: randomBytes(32).toString("hex"),
      keys: [],
      catalog: new Map(),
      orders: new Map(),
      refunds: new Map(),
      webhooks: new Map(),
      // A fresh WordPress install already used a few post ids (sample page, privacy policy...).
      nextPostId: 10,
      nextItemId: 1,
      nextWebhookId: 1,
      nextKeyId: 1,
      nextMetaId: 1,
    };
    this.sites.set(site.slug, site);
    const key = this.createKey(site, {
      description: "Prokip Sync",
      permissions: "read_write",
      consumerKey: input.consumerKey,
      consumerSecret: input.consumerSecret,
    });
    return { site, key };
  }

  createKey(
    site: SiteRecord,
    input: {
      description?: string;
      permissions: KeyPermissions;
      consumerKey?: string | undefined;
      consumerSecret?: string | undefined;
    },
  ): ApiKeyRecord {
    const consumerKey = input.consumerKey ?? `ck_${randHash()}`;
    for (const other of this.sites.values()) {
      if (other.keys.some((k) => k.consumerKey === consumerKey)) {
        throw new WpError("key_exists", "That consumer key is already in use.", 409);
      }
    }
    const key: ApiKeyRecord = {
      keyId: site.nextKeyId++,
      userId: 1,
      description: input.description ?? "API key",
      permissions: input.permissions,
      consumerKey,
      consumerSecret: input.consumerSecret ?? `cs_${randHash()}`,
      nonces: new Map(),
      lastAccess: null,
    };
    site.keys.push(key);
    return key;
  }

  site(slug: string): SiteRecord {
    const site = this.sites.get(slug);
    if (!site) throw new WpError("site_not_found", `No site "${slug}".`, 404);
    return site;
  }

  nextPostId(site: SiteRecord): number {
    return site.nextPostId++;
  }

  nextItemId(site: SiteRecord): number {
    return site.nextItemId++;
  }

  nextMetaId(site: SiteRecord): number {
    return site.nextMetaId++;
  }

  /** Records that `resource.event` happened to `id`; delivered after the current request. */
  emit(site: SiteRecord, resource: SiteEvent["resource"], event: SiteEvent["event"], id: number): void {
    const list = this.pending.get(site) ?? [];
    if (!list.some((e) => e.resource === resource && e.event === event && e.id === id))
      list.push({ resource, event, id });
    this.pending.set(site, list);
    this.flushTimer ??= setImmediate(() => this.flush());
  }

  /** Hands buffered events to `onEvents` now (normally runs on the next macrotask). */
  flush(): void {
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = null;
    const batches = [...this.pending.entries()];
    this.pending.clear();
    for (const [site, events] of batches) {
      if (this.sites.get(site.slug) === site) this.onEvents(site, events);
    }
  }

  hasPendingEvents(): boolean {
    return this.pending.size > 0;
  }
}

/**
 * `createWooCommerceChannel`: the `Channel` for one WooCommerce site, composed from the pieces
 * in this folder. Credentials stay inside the client; nothing here logs them.
 */
import type { Logger } from "../../log/index.ts";
import type { Channel, StoreInfo } from "../types.ts";
import { type RetryOptions, WooCommerceClient } from "./client.ts";
import { createProducts, listVariants } from "./catalogue.ts";
import { ordersChangedSince, readOrder } from "./order-reads.ts";
import { parseAnswer, systemStatusSchema } from "./payloads.ts";
import { readQuantities, writeQuantities } from "./quantities.ts";
import { ensureWebhooks, removeWebhooks } from "./webhooks.ts";

export interface WooCommerceChannelOptions {
  /** The site's home URL, e.g. `https://shop.example.com` (the REST API lives under `/wp-json`). */
  siteUrl: string;
  consumerKey: string;
  consumerSecret: string;
  log: Logger;
  /** Requests in flight at once for this site, shared process-wide (default 4). */
  concurrency?: number;
  /** Request timeout (default 30 s). */
  timeoutMs?: number;
  /** Backoff tuning (tests shorten it). */
  retry?: Partial<RetryOptions>;
}

/** The one stock location WooCommerce has. */
const STORE_LOCATION = { id: "default", name: "WooCommerce stock" };

/**
 * The site's title from the public WordPress index (`GET /wp-json/`, no authentication). Best
 * effort: hosts may hide the index, in which case the host name stands in.
 */
async function siteName(siteUrl: string, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(`${siteUrl}/wp-json/`, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: "application/json" },
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { name?: unknown };
    return typeof body.name === "string" && body.name.trim() !== "" ? body.name.trim() : null;
  } catch {
    return null;
  }
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname.replace(/\/+$/u, "")}`;
  } catch {
    return url;
  }
}

export function createWooCommerceChannel(options: WooCommerceChannelOptions): Channel {
  const log = options.log.child({ platform: "woocommerce", site: hostOf(options.siteUrl) });
  const client = new WooCommerceClient({ ...options, log });

  return {
    platform: "woocommerce",

    async describeStore(): Promise<StoreInfo> {
      // system_status needs a key with read access: this is also the credentials check.
      const status = parseAnswer(
        systemStatusSchema,
        (await client.request("get", "system_status", { params: { _fields: "environment,settings" } })).data,
        "the system status",
      );
      const domain = (status.environment.home_url ?? status.environment.site_url ?? client.siteUrl).replace(
        /\/+$/u,
        "",
      );
      const name = (await siteName(client.siteUrl, Math.min(options.timeoutMs ?? 10_000, 10_000))) ?? hostOf(domain);
      return { name, domain, currency: status.settings?.currency?.trim() || null, locations: [STORE_LOCATION] };
    },

    listVariants: () => listVariants(client),
    readQuantities: (variants) => readQuantities(client, variants),
    writeQuantities: async (writes, context) => {
      const result = await writeQuantities(client, writes);
      log.info(
        {
          reference: context.reference,
          written: result.written.length,
          stale: result.stale.length,
          failed: result.failed.length,
        },
        "WooCommerce quantities written",
      );
      return result;
    },
    createProducts: (drafts) => createProducts(client, drafts),
    readOrder: (externalId) => readOrder(client, externalId),
    ordersChangedSince: (since) => ordersChangedSince(client, log, since),
    ensureWebhooks: (target) => ensureWebhooks(client, log, target),
    removeWebhooks: (url) => removeWebhooks(client, url),
  };
}

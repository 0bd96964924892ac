/**
 * `createShopifyChannel`: the `Channel` for one Shopify shop, assembled from the pieces in this
 * folder. Everything goes through one paced, retrying GraphQL client (client.ts).
 */
import type { Logger } from "pino";
import type { Channel, StoreInfo } from "../types.ts";
import { ChannelError } from "../types.ts";
import { listVariants } from "./catalogue.ts";
import { ShopifyGraphqlClient, type AccessTokenProvider, type FetchLike, type RetryPolicy } from "./client.ts";
import { readOrder, ordersChangedSince } from "./order-reads.ts";
import { systemClock, type Clock } from "./pacing.ts";
import { createProducts } from "./products.ts";
import { readQuantities, writeQuantities } from "./quantities.ts";
import { DESCRIBE_STORE, DESCRIBE_STORE_COST, PRIMARY_LOCATION, PRIMARY_LOCATION_COST } from "./queries.ts";
import { ensureWebhooks, removeWebhooks } from "./webhooks.ts";

export const SHOPIFY_API_VERSION = "2026-10";

export interface ShopifyChannelOptions {
  /** `example.myshopify.com`. */
  shop: string;
  /** A fixed token, or a provider asked before every request (an app-installed shop's expiring token). */
  accessToken: string | AccessTokenProvider;
  /** Location gid stock is read and written at; default: the shop's primary location (asked once). */
  locationId?: string;
  log: Logger;
  /** Replaces global fetch (tests and sandbox mode: see `routeShopifyFetch`). */
  fetch?: FetchLike;
  apiVersion?: string;
  /** Catalogues with more variants than this are read with a bulk query (default 2,500). */
  bulkThreshold?: number;
  /** First wait between bulk operation polls (default 1 s; grows to 10 s). */
  bulkPollIntervalMs?: number;
  /** Give up on a bulk operation after this long (default 30 min). */
  bulkTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  clock?: Clock;
}

interface DescribeResult {
  shop: { name: string; myshopifyDomain: string; currencyCode: string | null };
  locations: {
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: { id: string; name: string; isActive: boolean; isPrimary: boolean }[];
  };
}

export function createShopifyChannel(options: ShopifyChannelOptions): Channel {
  const log = options.log.child({ channel: "shopify", shop: options.shop });
  const clock = options.clock ?? systemClock;
  const client = new ShopifyGraphqlClient({
    shop: options.shop,
    accessToken: options.accessToken,
    apiVersion: options.apiVersion ?? SHOPIFY_API_VERSION,
    log: options.log,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    clock,
  });

  // The primary location, discovered once (a failed lookup is forgotten, so it is asked again).
  let location: Promise<string> | null = options.locationId ? Promise.resolve(options.locationId) : null;
  const locationId = (): Promise<string> => {
    location ??= client
      .request<{ location: { id: string } | null }>(
        PRIMARY_LOCATION,
        {},
        { operation: "PrimaryLocation", expectedCost: PRIMARY_LOCATION_COST },
      )
      .then((data) => {
        if (!data.location) throw new ChannelError("not_found", `${options.shop} has no location to keep stock at`);
        return data.location.id;
      });
    location.catch(() => {
      location = null;
    });
    return location;
  };

  const context = { client, log, clock, locationId };

  return {
    platform: "shopify",

    async describeStore(): Promise<StoreInfo> {
      let after: string | null = null;
      let shop: DescribeResult["shop"] | null = null;
      const locations: { id: string; name: string }[] = [];
      do {
        const page: DescribeResult = await client.request<DescribeResult>(
          DESCRIBE_STORE,
          { after },
          { operation: "DescribeStore", expectedCost: DESCRIBE_STORE_COST },
        );
        shop ??= page.shop;
        // Primary first: it is where stock goes unless the merchant picks another.
        const active = page.locations.nodes
          .filter((l) => l.isActive)
          .sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary));
        locations.push(...active.map((l) => ({ id: l.id, name: l.name })));
        after = page.locations.pageInfo.hasNextPage ? page.locations.pageInfo.endCursor : null;
      } while (after);
      if (!shop) throw new ChannelError("not_found", `${options.shop} did not describe itself`);
      return { name: shop.name, domain: shop.myshopifyDomain, currency: shop.currencyCode ?? null, locations };
    },

    listVariants: () =>
      listVariants({
        ...context,
        bulkThreshold: options.bulkThreshold ?? 2_500,
        bulkPollIntervalMs: options.bulkPollIntervalMs ?? 1_000,
        bulkTimeoutMs: options.bulkTimeoutMs ?? 30 * 60_000,
      }),
    readQuantities: (variants) => readQuantities(context, variants),
    writeQuantities: (writes, writeContext) => writeQuantities(context, writes, writeContext),
    createProducts: (drafts) => createProducts(context, drafts),
    readOrder: (externalId) => readOrder(context, externalId),
    ordersChangedSince: (since) => ordersChangedSince(context, since),
    ensureWebhooks: (target) => ensureWebhooks(client, target),
    removeWebhooks: (url) => removeWebhooks(client, url),
  };
}

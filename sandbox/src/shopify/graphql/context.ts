/**
 * Per-request context handed to every resolver, plus the small value helpers views share.
 */
import type { GraphQLSchema } from "graphql";
import type { Core } from "../events.ts";
import type { App, BulkOperation, Shop } from "../state.ts";
import { externalId } from "../ids.ts";
import { isoUtc } from "../time.ts";

export interface BulkRunner {
  start(ctx: RequestContext, query: string, groupObjects: boolean): BulkOperation;
}

export interface RequestContext {
  core: Core;
  shop: Shop;
  app: App;
  schema: GraphQLSchema;
  /** True while a bulk operation runs its query: connections then need no `first` and return everything. */
  bulk: boolean;
  /** Where this emulator is reachable, e.g. http://127.0.0.1:4000/sandbox/shopify (for bulk result URLs). */
  baseUrl: string;
  bulkRunner: BulkRunner;
}

export function time(ms: number | null): string | null {
  return ms === null ? null : isoUtc(ms);
}

export function moneyV2(amount: string, currencyCode: string): { amount: string; currencyCode: string } {
  return { amount, currencyCode };
}

export function moneyBag(amount: string, currencyCode: string): { shopMoney: object; presentmentMoney: object } {
  const money = moneyV2(amount, currencyCode);
  return { shopMoney: money, presentmentMoney: money };
}

export function exactCount(count: number): { count: number; precision: "EXACT" } {
  return { count, precision: "EXACT" };
}

/** For connection fields the emulator does not model (media, metafields, ...): always empty. */
export function emptyConnection(): object {
  return {
    edges: [],
    nodes: [],
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  };
}

/** Shopify's `legacyResourceId` is an UnsignedInt64, serialised as a string. */
export function legacyId(id: number): string {
  return externalId(id);
}

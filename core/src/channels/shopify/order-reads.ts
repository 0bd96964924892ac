/**
 * Reading orders through GraphQL: one order (after a webhook that is not the order itself, or to
 * check one) and every order changed since a moment (reconciliation, because webhooks get lost).
 * Orders come with their first 25 line items and refund lines; longer orders are completed page
 * by page before normalising, because a partial order would give wrong figures.
 */
import type { Logger } from "pino";
import { ChannelError, type StoreOrderState } from "../types.ts";
import type { ShopifyGraphqlClient } from "./client.ts";
import { ShopifyPayloadError } from "./errors.ts";
import { toGid } from "./ids.ts";
import { normalizeShopifyOrder } from "./orders.ts";
import {
  ORDER_LINES_PAGE,
  ORDER_LINES_PAGE_COST,
  ORDERS_CHANGED,
  ORDERS_CHANGED_COST,
  READ_ORDER,
  READ_ORDER_COST,
  REFUND_LINES_PAGE,
  REFUND_LINES_PAGE_COST,
} from "./queries.ts";

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

interface Connection<T> {
  pageInfo: PageInfo;
  nodes: T[];
}

interface GraphqlOrder {
  id: string;
  lineItems: Connection<unknown>;
  refunds: { id: string; refundLineItems: Connection<unknown> }[];
  [field: string]: unknown;
}

export interface OrderReadContext {
  client: ShopifyGraphqlClient;
  log: Logger;
}

/** Fetches the remaining pages of an order's line items and refund lines, in place. */
async function complete(ctx: OrderReadContext, order: GraphqlOrder): Promise<GraphqlOrder> {
  let lines = order.lineItems.pageInfo;
  while (lines.hasNextPage) {
    const { order: more } = await ctx.client.request<{ order: { lineItems: Connection<unknown> } | null }>(
      ORDER_LINES_PAGE,
      { id: order.id, after: lines.endCursor },
      { operation: "OrderLinesPage", expectedCost: ORDER_LINES_PAGE_COST },
    );
    if (!more) throw new ChannelError("not_found", `Order ${order.id} disappeared while reading it`);
    order.lineItems.nodes.push(...more.lineItems.nodes);
    lines = more.lineItems.pageInfo;
  }
  order.lineItems.pageInfo = lines;
  for (const refund of order.refunds) {
    let page = refund.refundLineItems.pageInfo;
    while (page.hasNextPage) {
      const { node } = await ctx.client.request<{ node: { refundLineItems: Connection<unknown> } | null }>(
        REFUND_LINES_PAGE,
        { id: refund.id, after: page.endCursor },
        { operation: "RefundLinesPage", expectedCost: REFUND_LINES_PAGE_COST },
      );
      if (!node) throw new ChannelError("not_found", `Refund ${refund.id} disappeared while reading it`);
      refund.refundLineItems.nodes.push(...node.refundLineItems.nodes);
      page = node.refundLineItems.pageInfo;
    }
    refund.refundLineItems.pageInfo = page;
  }
  return order;
}

/** One order's current state; null when Shopify no longer has it. Accepts a gid or a numeric id. */
export async function readOrder(ctx: OrderReadContext, externalId: string): Promise<StoreOrderState | null> {
  let id: string;
  try {
    id = toGid("Order", externalId);
  } catch (error) {
    throw new ChannelError("rejected", (error as Error).message);
  }
  const { order } = await ctx.client.request<{ order: GraphqlOrder | null }>(
    READ_ORDER,
    { id },
    { operation: "ReadOrder", expectedCost: READ_ORDER_COST },
  );
  if (!order) return null;
  return normalizeShopifyOrder(await complete(ctx, order));
}

interface OrdersPage {
  orders: Connection<GraphqlOrder>;
}

/**
 * Orders with `updated_at >= since`, oldest change first, a page at a time. An order that cannot
 * be normalised is logged and skipped rather than stopping reconciliation of all the others.
 */
export async function* ordersChangedSince(ctx: OrderReadContext, since: Date): AsyncGenerator<StoreOrderState[]> {
  // Search syntax (https://shopify.dev/docs/api/usage/search-syntax): quoted ISO timestamp.
  // Shopify keeps updated_at to the second, so `since` is rounded down: an order changed in the
  // same second must not be missed (seeing one twice is harmless, orders are state).
  const second = new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const query = `updated_at:>='${second}'`;
  let after: string | null = null;
  do {
    const page: OrdersPage = await ctx.client.request<OrdersPage>(
      ORDERS_CHANGED,
      { query, after },
      { operation: "OrdersChanged", expectedCost: ORDERS_CHANGED_COST },
    );
    const states: StoreOrderState[] = [];
    for (const order of page.orders.nodes) {
      try {
        states.push(normalizeShopifyOrder(await complete(ctx, order)));
      } catch (error) {
        if (!(error instanceof ShopifyPayloadError)) throw error;
        ctx.log.error(
          { order: order.id, code: error.code, err: error.message },
          "Shopify order could not be normalised; skipped in reconciliation",
        );
      }
    }
    if (states.length > 0) yield states;
    after = page.orders.pageInfo.hasNextPage ? page.orders.pageInfo.endCursor : null;
  } while (after);
}

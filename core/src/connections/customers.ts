/**
 * Shopify's customer compliance webhooks, on the central store (shop/redact is `redactShop`).
 *
 * What Prokip Sync holds about a customer (nothing is kept in a customer's name; no customer
 * table, no customer id column):
 * - `Order` rows of the shop's connection: the store order id, its number (`#1001`), whether
 *   it is paid or cancelled, and its lines (line id, SKU, quantities ordered, refunded and
 *   restocked, unit price). No name, email, phone or address.
 * - `WebhookEvent` rows: Shopify's order notifications (orders/*, refunds/create) stored as
 *   received. Those payloads carry whatever customer fields Shopify includes for the app's
 *   protected-customer-data access (customer id, email, phone, addresses).
 * Sales posted to Prokip are recorded against the business's walk-in customer: Prokip is never
 * told who bought.
 */
import type pg from "pg";
import { shopify } from "../channels/index.ts";
import { connectionByStoreDomain } from "../inbox/index.ts";
import type { PrismaClient } from "../store/index.ts";

interface CustomerRequest {
  customerId: string | null;
  /** Store order gids (`gid://shopify/Order/123`). */
  orderIds: string[];
}

/** An id's exact digits (the app parses bodies with shopify.parseShopifyWebhookBody), or null. */
const numericId = (value: unknown): string | null => {
  const parsed = shopify.restIdSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
};

/** customers/data_request `{customer:{id}, orders_requested:[...]}`, customers/redact `{customer:{id}, orders_to_redact:[...]}`. */
function customerRequest(payload: unknown, ordersField: "orders_requested" | "orders_to_redact"): CustomerRequest {
  const body = (payload ?? {}) as Record<string, unknown>;
  const customer = (body.customer ?? {}) as Record<string, unknown>;
  const orders = Array.isArray(body[ordersField]) ? (body[ordersField] as unknown[]) : [];
  return {
    customerId: numericId(customer.id),
    orderIds: orders
      .map(numericId)
      .filter((id): id is string => id !== null)
      .map((id) => shopify.toGid("Order", id)),
  };
}

/**
 * The shop's stored deliveries about these orders or this customer: the order topics carry the
 * order as `id` (or `admin_graphql_api_id`), refunds/create as `order_id`, orders/edited as
 * `order_edit.order_id`; order payloads name the customer as `customer.id`.
 */
const DELIVERIES_ABOUT_CUSTOMER = `
  SELECT "id", "topic", "receivedAt" FROM "WebhookEvent"
  WHERE "connectionId" = $1 AND "platform" = 'shopify'
    AND (
      ("topic" LIKE 'orders/%' AND "topic" <> 'orders/edited' AND (('gid://shopify/Order/' || ("payload"->>'id')) = ANY($2::text[]) OR ("payload"->'customer'->>'id') = $3))
      OR ("topic" = 'orders/edited' AND ('gid://shopify/Order/' || ("payload"->'order_edit'->>'order_id')) = ANY($2::text[]))
      OR ("topic" = 'refunds/create' AND ('gid://shopify/Order/' || ("payload"->>'order_id')) = ANY($2::text[]))
    )
  ORDER BY "receivedAt"`;

export interface CustomerDataReport {
  shop: string;
  customerId: string | null;
  summary: string;
  orders: { id: string; number: string | null; paid: boolean; cancelled: boolean; lines: unknown }[];
  deliveries: { id: string; topic: string; receivedAt: string }[];
}

const SUMMARY =
  "Prokip Sync keeps no customer profile. It holds, per order: the order id and number, paid/cancelled, and its lines (SKU, quantities, unit price). " +
  "It also keeps Shopify's order notifications as delivered, which include the customer details Shopify sends with an order. Sales recorded in Prokip name no customer.";

/** customers/data_request: what is held about the customer, for the merchant to hand over. */
export async function customerDataReport(
  deps: { prisma: PrismaClient; pool: pg.Pool },
  shop: string,
  payload: unknown,
): Promise<CustomerDataReport> {
  const request = customerRequest(payload, "orders_requested");
  const connection = await connectionByStoreDomain(deps.pool, "shopify", shop);
  if (!connection)
    return {
      shop,
      customerId: request.customerId,
      summary: `${SUMMARY} This shop is not connected: nothing is held.`,
      orders: [],
      deliveries: [],
    };
  const orders = request.orderIds.length
    ? await deps.prisma.order.findMany({
        where: { businessId: connection.businessId, connectionId: connection.id, externalId: { in: request.orderIds } },
        select: { externalId: true, number: true, paid: true, cancelled: true, lines: true },
        orderBy: { createdAt: "asc" },
      })
    : [];
  const { rows } = await deps.pool.query<{ id: string; topic: string; receivedAt: Date }>(DELIVERIES_ABOUT_CUSTOMER, [
    connection.id,
    request.orderIds,
    request.customerId,
  ]);
  return {
    shop,
    customerId: request.customerId,
    summary: SUMMARY,
    orders: orders.map((o) => ({
      id: o.externalId,
      number: o.number,
      paid: o.paid,
      cancelled: o.cancelled,
      lines: o.lines,
    })),
    deliveries: rows.map((r) => ({ id: r.id, topic: r.topic, receivedAt: r.receivedAt.toISOString() })),
  };
}

/**
 * customers/redact: the stored notifications about the customer's orders (the only rows holding
 * the customer's contact details) are deleted. The `Order` rows stay: they name no customer, and
 * the stock ledger's movements for each order are keyed by them (a later notification of a
 * deleted order would be counted as a new sale).
 */
export async function redactCustomer(
  deps: { pool: pg.Pool },
  shop: string,
  payload: unknown,
): Promise<{ deliveriesDeleted: number }> {
  const request = customerRequest(payload, "orders_to_redact");
  const connection = await connectionByStoreDomain(deps.pool, "shopify", shop);
  if (!connection) return { deliveriesDeleted: 0 };
  const { rowCount } = await deps.pool.query(
    `DELETE FROM "WebhookEvent" WHERE "id" IN (SELECT "id" FROM (${DELIVERIES_ABOUT_CUSTOMER}) AS about)`,
    [connection.id, request.orderIds, request.customerId],
  );
  return { deliveriesDeleted: rowCount ?? 0 };
}

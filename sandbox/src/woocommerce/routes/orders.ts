/**
 * `/wc/v3/orders`, `/orders/{id}`, `/orders/batch` and `/orders/{id}/refunds`, after
 * `WC_REST_Orders_Controller` and `WC_REST_Order_Refunds_Controller`.
 */
import { CREATABLE, DELETABLE, EDITABLE, READABLE, type WpRequest, type WpRoute, paginate, runBatch } from "../http.ts";
import {
  createOrder,
  createRefund,
  orderArgs,
  orderStatuses,
  refundArgs,
  refundRequestFromArgs,
  saveOrder,
  trashOrder,
  updateOrder,
} from "../orders.ts";
import { type ArgSpecs, collectionArgs, validateArgs } from "../schema.ts";
import { renderOrder, renderRefund, restUrl } from "../serialize.ts";
import type { Store } from "../state.ts";
import type { OrderRecord, RefundRecord } from "../types.ts";
import { WpError } from "../util.ts";
import { filterByDates } from "./query.ts";

const listArgs: ArgSpecs = {
  ...collectionArgs,
  status: { type: "array", items: { type: "string", enum: ["any", "trash", ...orderStatuses] } },
  customer: { type: "integer" },
  product: { type: "integer" },
  dp: { type: "integer" },
  orderby: { type: "string", enum: ["date", "id", "include", "title", "slug", "modified"] },
};

const deleteArgs: ArgSpecs = { force: { type: "boolean" } };

function filterOrders(orders: OrderRecord[], a: Record<string, unknown>): OrderRecord[] {
  const statuses = (a.status as string[] | undefined) ?? ["any"];
  let items = orders.filter((o) =>
    // "any" means every registered order status: neither trash nor checkout drafts.
    statuses.includes("any") ? o.status !== "trash" && o.status !== "checkout-draft" : statuses.includes(o.status),
  );
  if (typeof a.customer === "number") items = items.filter((o) => o.customerId === a.customer);
  if (typeof a.product === "number")
    items = items.filter((o) => o.lineItems.some((l) => l.productId === a.product || l.variationId === a.product));
  if (Array.isArray(a.include) && a.include.length > 0)
    items = items.filter((o) => (a.include as number[]).includes(o.id));
  if (Array.isArray(a.exclude) && a.exclude.length > 0)
    items = items.filter((o) => !(a.exclude as number[]).includes(o.id));
  if (typeof a.search === "string" && a.search !== "") {
    const needle = a.search.toLowerCase();
    items = items.filter((o) =>
      [o.billing.first_name, o.billing.last_name, o.billing.email ?? "", String(o.id)].some((v) =>
        v.toLowerCase().includes(needle),
      ),
    );
  }
  items = filterByDates(
    items,
    a,
    (o) => o.dateCreated,
    (o) => o.dateModified,
  );
  const dir = a.order === "asc" ? 1 : -1;
  const orderby = (a.orderby as string | undefined) ?? "date";
  const key = (o: OrderRecord): number =>
    orderby === "modified"
      ? o.dateModified
      : orderby === "id"
        ? o.id
        : orderby === "include" && Array.isArray(a.include)
          ? (a.include as number[]).indexOf(o.id)
          : o.dateCreated;
  return [...items].sort((x, y) => (key(x) - key(y)) * dir || (x.id - y.id) * dir);
}

function orderOrError(req: WpRequest, id: number, status: 400 | 404): OrderRecord {
  const order = req.site.orders.get(id);
  if (!order) throw new WpError("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", status);
  return order;
}

export function orderRoutes(store: Store): WpRoute[] {
  const create = (req: WpRequest, raw: Record<string, unknown>, lenient: boolean) => {
    if (raw.id) throw new WpError("woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.", 400);
    return createOrder(store, req.site, validateArgs(raw, orderArgs, lenient));
  };
  const update = (req: WpRequest, id: number, raw: Record<string, unknown>, lenient: boolean) => {
    const order = orderOrError(req, id, 400);
    updateOrder(store, req.site, order, validateArgs(raw, orderArgs, lenient));
    return order;
  };
  const remove = (req: WpRequest, id: number, force: boolean) => {
    const order = orderOrError(req, id, 404);
    const before = renderOrder(req.ctx, req.site, order);
    if (force) {
      // A forced delete fires woocommerce_delete_order, which no webhook topic listens to.
      req.site.orders.delete(id);
      for (const refundId of order.refundIds) req.site.refunds.delete(refundId);
      return before;
    }
    if (order.status === "trash")
      throw new WpError("woocommerce_rest_already_trashed", "The shop_order has already been deleted.", 410);
    trashOrder(store, req.site, order);
    return renderOrder(req.ctx, req.site, order);
  };
  const orderForRefunds = (req: WpRequest): OrderRecord => {
    const order = req.site.orders.get(Number(req.url.order_id));
    if (!order) throw new WpError("woocommerce_rest_invalid_order_id", "Invalid order ID.", 404);
    return order;
  };
  const refundOrError = (req: WpRequest, order: OrderRecord): RefundRecord => {
    const refund = req.site.refunds.get(Number(req.url.id));
    if (!refund || refund.orderId !== order.id)
      throw new WpError("woocommerce_rest_shop_order_refund_invalid_id", "Invalid ID.", 404);
    return refund;
  };

  return [
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/orders$/,
      permission: "list",
      handler: (req) => {
        const a = validateArgs(req.params, listArgs);
        const { page, headers } = paginate(req, filterOrders([...req.site.orders.values()], a), a);
        return { body: page.map((o) => renderOrder(req.ctx, req.site, o)), headers };
      },
    },
    {
      methods: CREATABLE,
      pattern: /^\/wc\/v3\/orders$/,
      permission: "create",
      handler: (req) => {
        const order = create(req, req.body, false);
        return {
          status: 201,
          body: renderOrder(req.ctx, req.site, order),
          headers: { location: restUrl(req.ctx, `/orders/${order.id}`) },
        };
      },
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/orders\/batch$/,
      permission: "batch",
      handler: (req) =>
        runBatch(req, {
          create: (item) => renderOrder(req.ctx, req.site, create(req, item, true)),
          update: (item) => renderOrder(req.ctx, req.site, update(req, Number(item.id ?? 0), item, true)),
          delete: (id) => remove(req, id, true),
        }),
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/orders\/(?<id>\d+)$/,
      permission: "read",
      handler: (req) => ({ body: renderOrder(req.ctx, req.site, orderOrError(req, Number(req.url.id), 404)) }),
    },
    {
      methods: EDITABLE,
      pattern: /^\/wc\/v3\/orders\/(?<id>\d+)$/,
      permission: "edit",
      handler: (req) => ({ body: renderOrder(req.ctx, req.site, update(req, Number(req.url.id), req.body, false)) }),
    },
    {
      methods: DELETABLE,
      pattern: /^\/wc\/v3\/orders\/(?<id>\d+)$/,
      permission: "delete",
      handler: (req) => ({
        body: remove(req, Number(req.url.id), validateArgs(req.params, deleteArgs).force === true),
      }),
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/orders\/(?<order_id>\d+)\/refunds$/,
      permission: "list",
      handler: (req) => {
        const a = validateArgs(req.params, collectionArgs);
        const order = orderForRefunds(req);
        const refunds = order.refundIds
          .map((id) => req.site.refunds.get(id))
          .filter((r): r is RefundRecord => r !== undefined)
          .sort((x, y) => (a.order === "asc" ? 1 : -1) * (x.dateCreated - y.dateCreated || x.id - y.id));
        const { page, headers } = paginate(req, refunds, a);
        return { body: page.map((r) => renderRefund(req.ctx, r)), headers };
      },
    },
    {
      methods: CREATABLE,
      pattern: /^\/wc\/v3\/orders\/(?<order_id>\d+)\/refunds$/,
      permission: "create",
      handler: (req) => {
        const order = orderForRefunds(req);
        const a = validateArgs(req.body, refundArgs);
        const request = refundRequestFromArgs(a);
        if (request.amount !== undefined && Number.parseFloat(request.amount) < 0) {
          throw new WpError("woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.", 400);
        }
        const refund = createRefund(store, req.site, order, request);
        return {
          status: 201,
          body: renderRefund(req.ctx, refund),
          headers: { location: restUrl(req.ctx, `/orders/${order.id}/refunds/${refund.id}`) },
        };
      },
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/orders\/(?<order_id>\d+)\/refunds\/(?<id>\d+)$/,
      permission: "read",
      handler: (req) => ({ body: renderRefund(req.ctx, refundOrError(req, orderForRefunds(req))) }),
    },
    {
      methods: DELETABLE,
      pattern: /^\/wc\/v3\/orders\/(?<order_id>\d+)\/refunds\/(?<id>\d+)$/,
      permission: "delete",
      handler: (req) => {
        const order = orderForRefunds(req);
        const refund = refundOrError(req, order);
        if (validateArgs(req.params, deleteArgs).force !== true) {
          throw new WpError("woocommerce_rest_trash_not_supported", "Refunds do not support trashing.", 501);
        }
        const body = renderRefund(req.ctx, refund);
        req.site.refunds.delete(refund.id);
        order.refundIds = order.refundIds.filter((id) => id !== refund.id);
        // woocommerce_delete_order_refund is an order.updated hook (WC_Webhook::process_refund_deleted).
        saveOrder(store, req.site, order, "updated");
        return { body };
      },
    },
  ];
}

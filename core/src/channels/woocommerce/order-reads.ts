/**
 * Reading orders: one by id, or every order changed since a moment (reconciliation). Each order
 * is fetched with its refunds (`GET /orders/{id}/refunds`), since the order only summarises them,
 * and normalised by `normalizeWooCommerceOrder`.
 */
import type { Logger } from "../../log/index.ts";
import { ChannelError, type StoreOrderState } from "../types.ts";
import type { WooCommerceClient } from "./client.ts";
import { WooCommerceOrderError, normalizeWooCommerceOrder } from "./orders.ts";

/** The refunds of an order, or none when the order's summary lists none (saves a request). */
async function refundsOf(client: WooCommerceClient, order: unknown): Promise<unknown[]> {
  const summary = (order as { id?: unknown; refunds?: unknown } | null) ?? {};
  if (!Array.isArray(summary.refunds) || summary.refunds.length === 0) return [];
  const refunds: unknown[] = [];
  for await (const page of client.paginate(`orders/${String(summary.id)}/refunds`)) refunds.push(...page);
  return refunds;
}

export async function readOrder(client: WooCommerceClient, externalId: string): Promise<StoreOrderState | null> {
  // WooCommerce order ids are post ids; anything else cannot be an order of this store.
  if (!/^\d+$/u.test(externalId)) return null;
  try {
    const order = (await client.request("get", `orders/${externalId}`)).data;
    return normalizeWooCommerceOrder(order, await refundsOf(client, order));
  } catch (error) {
    // The order (or, between the two reads, its refunds) is gone: force-deleted.
    if (error instanceof ChannelError && error.code === "not_found") return null;
    throw error;
  }
}

/** `modified_after` as WooCommerce wants it: UTC without offset, read as GMT with `dates_are_gmt`. */
function gmtBound(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/**
 * Orders changed at or after `since`, a page at a time. WooCommerce's `modified_after` is
 * exclusive and compares whole seconds, so the bound is one second before `since`'s second.
 * The default status filter ("any") leaves out trashed orders, so they get a second pass:
 * trashing an order is a change the ledger must see. Pages are ordered by creation date,
 * oldest first, so orders modified during the walk can only repeat an order, not skip one.
 *
 * An order that cannot be normalised is logged and skipped, so one odd order (a plugin's
 * fractional quantities, say) cannot stall reconciliation for the whole store.
 */
export async function* ordersChangedSince(
  client: WooCommerceClient,
  log: Logger,
  since: Date,
): AsyncGenerator<StoreOrderState[]> {
  const bound = gmtBound(new Date(Math.floor(since.getTime() / 1000) * 1000 - 1000));
  const seen = new Set<string>();
  for (const status of [null, "trash"] as const) {
    const params = {
      modified_after: bound,
      dates_are_gmt: true,
      orderby: "date",
      order: "asc",
      ...(status ? { status } : {}),
    };
    for await (const page of client.paginate("orders", params)) {
      const states = await Promise.all(
        page.map(async (order) => {
          try {
            return normalizeWooCommerceOrder(order, await refundsOf(client, order));
          } catch (error) {
            if (error instanceof ChannelError && error.code === "not_found") return null;
            if (!(error instanceof WooCommerceOrderError)) throw error;
            log.error(
              { platform: "woocommerce", orderId: error.orderId, code: error.code, err: error.message },
              "Skipping a WooCommerce order that cannot be normalised",
            );
            return null;
          }
        }),
      );
      const fresh = states.filter((s): s is StoreOrderState => s !== null && !seen.has(s.externalId));
      for (const s of fresh) seen.add(s.externalId);
      if (fresh.length > 0) yield fresh;
    }
  }
}

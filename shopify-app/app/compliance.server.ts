/**
 * Shopify's mandatory compliance webhooks and app/uninstalled: core does the work on the central
 * store (core/src/connections: what is held about a customer is described in customers.ts);
 * the app adds what only it holds, the shop's sessions.
 */
import {
  customerDataReport as reportCustomerData,
  redactCustomer as redactCustomerData,
  redactShop,
  uninstallStore,
  type CustomerDataReport,
} from "@prokip-sync/core";
import { database } from "./db.server.ts";
import { sessionStorage } from "./shopify.server.ts";

export type { CustomerDataReport };

/** customers/data_request: what the app holds about the customer, for the merchant to hand over. */
export function customerDataReport(shop: string, payload: unknown): Promise<CustomerDataReport> {
  return reportCustomerData(database, shop, payload);
}

/** customers/redact: the stored notifications about the customer's orders are deleted; orders stay. */
export function redactCustomer(shop: string, payload: unknown): Promise<{ deliveriesDeleted: number }> {
  return redactCustomerData(database, shop, payload);
}

/** shop/redact (48 hours after uninstall): core erases the shop's orders, deliveries, listings, activity, sessions and connection. */
export async function redactShopData(shop: string): Promise<{ erased: boolean; sessionsDeleted: number }> {
  const sessionsDeleted = await deleteSessions(shop);
  const { erased } = await redactShop(database.prisma, shop);
  return { erased, sessionsDeleted };
}

/**
 * app/uninstalled: sync stops (core's uninstallStore: disconnected, credentials erased, Prokip
 * sign-in forgotten, history kept) and the shop's sessions go. A delivery triggered before the
 * shop's latest connect (late, or retried after the merchant reinstalled and connected again)
 * concerns the earlier installation: nothing changes, the new installation's sessions stay.
 */
export async function appUninstalled(
  shop: string,
  triggeredAt: Date | null,
): Promise<{ syncStopped: boolean; sessionsDeleted: number }> {
  const outcome = await uninstallStore(database.pool, { platform: "shopify", storeDomain: shop, triggeredAt });
  if (outcome === "ignored_late") return { syncStopped: false, sessionsDeleted: 0 };
  const sessionsDeleted = await deleteSessions(shop);
  return { syncStopped: outcome === "uninstalled", sessionsDeleted };
}

async function deleteSessions(shop: string): Promise<number> {
  const sessions = await sessionStorage.findSessionsByShop(shop);
  if (sessions.length > 0) await sessionStorage.deleteSessions(sessions.map((s) => s.id));
  return sessions.length;
}

/**
 * app/uninstalled: stored in core's inbox like any delivery (core's inbox worker handles it
 * too), then sync stops at once and the shop's sessions are removed, unless it was triggered
 * before the shop's latest connect (a late or retried delivery about an earlier installation).
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { appUninstalled } from "../compliance.server.ts";
import { expectTopic, storeInInbox, verifyDelivery } from "../webhooks.server.ts";

export const action = async ({ request }: ActionFunctionArgs) => {
  const delivery = await verifyDelivery(request);
  expectTopic(delivery, "app/uninstalled");
  const status = await storeInInbox(delivery);
  return Response.json({ status, ...(await appUninstalled(delivery.shop, delivery.triggeredAt)) });
};

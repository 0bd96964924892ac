/**
 * The inventory sync's topics (core's SHOPIFY_WEBHOOK_TOPICS but app/uninstalled): orders,
 * refunds, inventory levels, products, bulk operations. Verified, then handed to core's inbox.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { storeInInbox, verifyDelivery } from "../webhooks.server.ts";

export const action = async ({ request }: ActionFunctionArgs) => {
  const delivery = await verifyDelivery(request);
  return Response.json({ status: await storeInInbox(delivery) });
};

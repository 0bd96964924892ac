/** shop/redact (mandatory compliance topic, 48 hours after uninstall): erases the shop's data. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { redactShopData } from "../compliance.server.ts";
import { expectTopic, verifyDelivery, whileTheDatabaseAnswers } from "../webhooks.server.ts";

export const action = async ({ request }: ActionFunctionArgs) => {
  const delivery = await verifyDelivery(request);
  expectTopic(delivery, "shop/redact");
  // An outage mid-work is a 503 too: nothing is acknowledged, so Shopify delivers again.
  return Response.json(await whileTheDatabaseAnswers(() => redactShopData(delivery.shop)));
};

/** customers/redact (mandatory compliance topic): removes what the app holds about the customer. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { redactCustomer } from "../compliance.server.ts";
import { expectTopic, verifyDelivery, whileTheDatabaseAnswers } from "../webhooks.server.ts";

export const action = async ({ request }: ActionFunctionArgs) => {
  const delivery = await verifyDelivery(request);
  expectTopic(delivery, "customers/redact");
  // An outage mid-work is a 503 too: nothing is acknowledged, so Shopify delivers again.
  return Response.json(await whileTheDatabaseAnswers(() => redactCustomer(delivery.shop, delivery.payload)));
};

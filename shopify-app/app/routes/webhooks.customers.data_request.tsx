/** customers/data_request (mandatory compliance topic): answers with what the app holds about the customer. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { customerDataReport } from "../compliance.server.ts";
import { expectTopic, verifyDelivery, whileTheDatabaseAnswers } from "../webhooks.server.ts";

export const action = async ({ request }: ActionFunctionArgs) => {
  const delivery = await verifyDelivery(request);
  expectTopic(delivery, "customers/data_request");
  // An outage mid-work is a 503 too: nothing is acknowledged, so Shopify delivers again.
  return Response.json(await whileTheDatabaseAnswers(() => customerDataReport(delivery.shop, delivery.payload)));
};

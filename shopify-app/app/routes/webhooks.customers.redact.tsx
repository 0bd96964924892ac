/** customers/redact (mandatory compliance topic): removes what the app holds about the customer. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { redactCustomer } from "../compliance.server.ts";
import { expectTopic, verifyDelivery } from "../webhooks.server.ts";

export const action = async ({ request }: ActionFunctionArgs) => {
  const delivery = await verifyDelivery(request);
  expectTopic(delivery, "customers/redact");
  return Response.json(await redactCustomer(delivery.shop, delivery.payload));
};

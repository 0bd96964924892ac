/** customers/data_request (mandatory compliance topic): answers with what the app holds about the customer. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { customerDataReport } from "../compliance.server.ts";
import { expectTopic, verifyDelivery } from "../webhooks.server.ts";

export const action = async ({ request }: ActionFunctionArgs) => {
  const delivery = await verifyDelivery(request);
  expectTopic(delivery, "customers/data_request");
  return Response.json(await customerDataReport(delivery.shop, delivery.payload));
};

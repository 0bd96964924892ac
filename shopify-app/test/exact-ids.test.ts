/**
 * The app's webhook routes with Shopify's 18-digit ids (its documented sample payloads, see
 * core/test/fixtures/shopify/README.md): what they store and what they act on keeps every digit.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { call, connectedShop, database, webhookRequest } from "./support/app.ts";

const sync = await import("../app/routes/webhooks.sync.tsx");
const dataRequest = await import("../app/routes/webhooks.customers.data_request.tsx");
const customersRedact = await import("../app/routes/webhooks.customers.redact.tsx");
const { prisma, pool } = database;

const ORDERS_CREATE = readFileSync(
  new URL("../../core/test/fixtures/shopify/orders-create.json", import.meta.url),
  "utf8",
);

/** A shop that received the documented orders/create sample through /webhooks/sync. */
async function shopWithSampleOrder() {
  const shop = await connectedShop();
  const stored = await call(
    sync.action,
    webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: ORDERS_CREATE }),
  );
  assert.equal(stored.response?.status, 200);
  return shop;
}

// Bodies written as text: a JS object could not hold these ids.
const customerBody = (domain: string, ordersField: string) =>
  `{"shop_id":548380009,"shop_domain":"${domain}","customer":{"id":115310627314723954,"email":"john@example.com","phone":null},"${ordersField}":[820982911946154508]}`;

describe("ids beyond 2^53 on the app's webhook routes", () => {
  it("/webhooks/sync stores the sample with order 820982911946154508 exact", async () => {
    const shop = await shopWithSampleOrder();
    const { rows } = await pool.query<{ id: string; customer: string }>(
      `SELECT "payload"->>'id' AS "id", "payload"->'customer'->>'id' AS "customer" FROM "WebhookEvent" WHERE "connectionId" = $1`,
      [shop.connectionId],
    );
    assert.deepEqual(rows, [{ id: "820982911946154508", customer: "115310627314723954" }]);
  });

  it("customers/data_request finds the notification about order 820982911946154508 of customer 115310627314723954", async () => {
    const shop = await shopWithSampleOrder();
    const result = await call(
      dataRequest.action,
      webhookRequest("/webhooks/customers/data_request", {
        shop: shop.domain,
        topic: "customers/data_request",
        body: customerBody(shop.domain, "orders_requested"),
      }),
    );
    assert.equal(result.response?.status, 200);
    const report = (await result.response!.json()) as { customerId: string; deliveries: { topic: string }[] };
    assert.equal(report.customerId, "115310627314723954");
    assert.deepEqual(
      report.deliveries.map((d) => d.topic),
      ["orders/create"],
    );
  });

  it("customers/redact deletes that notification, which holds the customer's details", async () => {
    const shop = await shopWithSampleOrder();
    const result = await call(
      customersRedact.action,
      webhookRequest("/webhooks/customers/redact", {
        shop: shop.domain,
        topic: "customers/redact",
        body: customerBody(shop.domain, "orders_to_redact"),
      }),
    );
    assert.equal(result.response?.status, 200);
    assert.deepEqual(await result.response!.json(), { deliveriesDeleted: 1 });
    assert.equal(await prisma.webhookEvent.count({ where: { connectionId: shop.connectionId } }), 0);
  });
});

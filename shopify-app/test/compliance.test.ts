/**
 * app/uninstalled and the mandatory compliance topics, against a real PostgreSQL. Each is
 * signed like Shopify signs it; a wrong signature changes nothing.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { getHmac, setUpValidSession } from "@shopify/shopify-api/test-helpers";
import { call, connectedShop, database, webhookRequest } from "./support/app.ts";

const uninstalled = await import("../app/routes/webhooks.app.uninstalled.tsx");
const dataRequest = await import("../app/routes/webhooks.customers.data_request.tsx");
const customersRedact = await import("../app/routes/webhooks.customers.redact.tsx");
const shopRedact = await import("../app/routes/webhooks.shop.redact.tsx");
const { sessionStorage } = await import("../app/shopify.server.ts");
const { prisma } = database;

const inFuture = () => new Date(Date.now() + 3_600_000);
async function addSession(shop: string, isOnline = false) {
  const session = setUpValidSession({
    shop,
    expires: inFuture(),
    isOnline,
    ...(isOnline ? {} : { id: `offline_${shop}` }),
  });
  assert.ok(await sessionStorage.storeSession(session));
  return session.id;
}
const sessionsOf = (shop: string) => prisma.session.count({ where: { shop } });

async function addOrder(shop: { businessId: string; connectionId: string }, id: number, number: string) {
  await prisma.order.create({
    data: {
      businessId: shop.businessId,
      connectionId: shop.connectionId,
      externalId: `gid://shopify/Order/${id}`,
      number,
      lines: [
        {
          lineId: `gid://shopify/LineItem/${id}1`,
          sku: "shirt1",
          quantity: 1,
          refunded: 0,
          restocked: 0,
          price: "10.00",
        },
      ],
      storeUpdatedAt: new Date(),
      payloadDigest: randomUUID(),
    },
  });
}
async function addDelivery(shop: { businessId: string; connectionId: string }, topic: string, payload: object) {
  const row = await prisma.webhookEvent.create({
    data: {
      businessId: shop.businessId,
      connectionId: shop.connectionId,
      platform: "shopify",
      topic,
      deliveryId: randomUUID(),
      payload,
      state: "processed",
    },
  });
  return row.id;
}

/** A shop whose customer 77 bought orders 1001 and 1002, and customer 88 order 1003. */
async function shopWithCustomers() {
  const shop = await connectedShop();
  await addOrder(shop, 1001, "#1001");
  await addOrder(shop, 1002, "#1002");
  await addOrder(shop, 1003, "#1003");
  const customer = { id: 77, email: "ann@example.com", first_name: "Ann" };
  const about77 = [
    await addDelivery(shop, "orders/create", { id: 1001, name: "#1001", email: customer.email, customer }),
    await addDelivery(shop, "orders/paid", { id: 1002, name: "#1002", email: customer.email, customer }),
    await addDelivery(shop, "orders/edited", { order_edit: { id: 5, order_id: 1001 } }),
    await addDelivery(shop, "refunds/create", { id: 9, order_id: 1002 }),
    // Named by the customer id alone (an order the request does not list).
    await addDelivery(shop, "orders/updated", { id: 1005, name: "#1005", customer }),
  ];
  const others = [
    await addDelivery(shop, "orders/create", {
      id: 1003,
      name: "#1003",
      customer: { id: 88, email: "bob@example.com" },
    }),
    await addDelivery(shop, "inventory_levels/update", {
      inventory_item_id: 1001,
      location_id: 1,
      available: 3,
      updated_at: "2026-11-21T10:00:00Z",
    }),
    await addDelivery(shop, "products/update", { id: 1002, title: "A product whose id equals an order's" }),
  ];
  return { shop, about77, others };
}

describe("POST /webhooks/app/uninstalled", () => {
  it("stores the delivery in the inbox once, stops sync and removes the shop's sessions, and only that shop's", async () => {
    const shop = await connectedShop();
    await prisma.connection.update({ where: { id: shop.connectionId }, data: { credentials: "sealed-token" } });
    await addSession(shop.domain);
    await addSession(shop.domain, true);
    const bystander = await connectedShop();
    await addSession(bystander.domain);
    const eventId = randomUUID();
    const request = () =>
      webhookRequest("/webhooks/app/uninstalled", {
        shop: shop.domain,
        topic: "app/uninstalled",
        body: { id: 1, domain: shop.domain },
        eventId,
      });

    const first = await call(uninstalled.action, request());
    assert.equal(first.response?.status, 200);
    assert.deepEqual(await first.response?.json(), { status: "stored", syncStopped: true, sessionsDeleted: 2 });
    const connection = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    assert.equal(connection.status, "disconnected");
    assert.equal(connection.credentials, null);
    assert.equal(await sessionsOf(shop.domain), 0);
    assert.equal(await sessionsOf(bystander.domain), 1);
    assert.equal(
      (await prisma.connection.findUniqueOrThrow({ where: { id: bystander.connectionId } })).status,
      "active",
    );
    const rows = await prisma.webhookEvent.findMany({ where: { connectionId: shop.connectionId } });
    assert.deepEqual(
      rows.map((r) => [r.topic, r.deliveryId]),
      [["app/uninstalled", eventId]],
    );

    // The replay finds the store disconnected: acknowledged, not kept, nothing changes.
    const replay = await call(uninstalled.action, request());
    assert.equal(replay.response?.status, 200);
    assert.deepEqual(await replay.response?.json(), { status: "not_connected", syncStopped: true, sessionsDeleted: 0 });
    assert.equal(await prisma.webhookEvent.count({ where: { connectionId: shop.connectionId } }), 1);
    assert.equal(
      await prisma.activityEvent.count({ where: { connectionId: shop.connectionId, type: "app_uninstalled" } }),
      1,
    );
  });

  it("changes nothing when the HMAC is wrong (401)", async () => {
    const shop = await connectedShop();
    await addSession(shop.domain);
    const body = JSON.stringify({ id: 1, domain: shop.domain });
    const result = await call(
      uninstalled.action,
      webhookRequest("/webhooks/app/uninstalled", {
        shop: shop.domain,
        topic: "app/uninstalled",
        body,
        hmac: getHmac(body, "someone-else"),
      }),
    );
    assert.equal(result.response?.status, 401);
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } })).status, "active");
    assert.equal(await sessionsOf(shop.domain), 1);
    assert.equal(await prisma.webhookEvent.count({ where: { connectionId: shop.connectionId } }), 0);
  });

  it("removes the sessions of a shop that never connected Prokip", async () => {
    const domain = `never-connected-${randomUUID().slice(0, 8)}.myshopify.com`;
    await addSession(domain);
    const result = await call(
      uninstalled.action,
      webhookRequest("/webhooks/app/uninstalled", { shop: domain, topic: "app/uninstalled", body: { domain } }),
    );
    assert.equal(result.response?.status, 200);
    assert.deepEqual(await result.response?.json(), {
      status: "not_connected",
      syncStopped: false,
      sessionsDeleted: 1,
    });
    assert.equal(await sessionsOf(domain), 0);
  });

  it("refuses another topic sent to this address (400) and does nothing", async () => {
    const shop = await connectedShop();
    const result = await call(
      uninstalled.action,
      webhookRequest("/webhooks/app/uninstalled", { shop: shop.domain, topic: "orders/create", body: { id: 1 } }),
    );
    assert.equal(result.response?.status, 400);
    assert.equal((await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } })).status, "active");
    assert.equal(await prisma.webhookEvent.count({ where: { connectionId: shop.connectionId } }), 0);
  });
});

describe("POST /webhooks/customers/data_request", () => {
  it("answers with the customer's orders and the stored notifications about them, nothing else", async () => {
    const { shop, about77 } = await shopWithCustomers();
    const body = {
      shop_id: 1,
      shop_domain: shop.domain,
      orders_requested: [1001, 1002],
      customer: { id: 77, email: "ann@example.com", phone: null },
      data_request: { id: 9999 },
    };
    const result = await call(
      dataRequest.action,
      webhookRequest("/webhooks/customers/data_request", { shop: shop.domain, topic: "customers/data_request", body }),
    );
    assert.equal(result.response?.status, 200);
    const report = (await result.response!.json()) as {
      customerId: string;
      summary: string;
      orders: { id: string; number: string }[];
      deliveries: { id: string; topic: string }[];
    };
    assert.equal(report.customerId, "77");
    assert.deepEqual(report.orders.map((o) => [o.id, o.number]).sort(), [
      ["gid://shopify/Order/1001", "#1001"],
      ["gid://shopify/Order/1002", "#1002"],
    ]);
    assert.deepEqual(report.deliveries.map((d) => d.id).sort(), [...about77].sort());
    assert.match(report.summary, /no customer profile/u);
  });

  it("answers 401 to a wrong signature and reveals nothing", async () => {
    const { shop } = await shopWithCustomers();
    const body = JSON.stringify({ shop_domain: shop.domain, orders_requested: [1001], customer: { id: 77 } });
    const result = await call(
      dataRequest.action,
      webhookRequest("/webhooks/customers/data_request", {
        shop: shop.domain,
        topic: "customers/data_request",
        body,
        hmac: getHmac(body, "wrong"),
      }),
    );
    assert.equal(result.response?.status, 401);
    assert.equal(await result.response?.text(), "");
  });
});

describe("POST /webhooks/customers/redact", () => {
  it("deletes the stored notifications about the customer and their orders on that shop only; orders stay", async () => {
    const { shop, about77, others } = await shopWithCustomers();
    const elsewhere = await shopWithCustomers();
    const body = {
      shop_id: 1,
      shop_domain: shop.domain,
      customer: { id: 77, email: "ann@example.com", phone: null },
      orders_to_redact: [1001, 1002],
    };
    const result = await call(
      customersRedact.action,
      webhookRequest("/webhooks/customers/redact", { shop: shop.domain, topic: "customers/redact", body }),
    );
    assert.equal(result.response?.status, 200);
    assert.deepEqual(await result.response?.json(), { deliveriesDeleted: about77.length });
    const left = await prisma.webhookEvent.findMany({
      where: { connectionId: shop.connectionId },
      select: { id: true },
    });
    assert.deepEqual(left.map((r) => r.id).sort(), [...others].sort());
    assert.equal(await prisma.order.count({ where: { connectionId: shop.connectionId } }), 3);
    assert.equal(
      await prisma.webhookEvent.count({ where: { connectionId: elsewhere.shop.connectionId } }),
      elsewhere.about77.length + elsewhere.others.length,
    );
  });

  it("deletes nothing when the HMAC is wrong (401)", async () => {
    const { shop, about77, others } = await shopWithCustomers();
    const body = JSON.stringify({ shop_domain: shop.domain, customer: { id: 77 }, orders_to_redact: [1001, 1002] });
    const result = await call(
      customersRedact.action,
      webhookRequest("/webhooks/customers/redact", {
        shop: shop.domain,
        topic: "customers/redact",
        body,
        hmac: getHmac(body, "wrong"),
      }),
    );
    assert.equal(result.response?.status, 401);
    assert.equal(
      await prisma.webhookEvent.count({ where: { connectionId: shop.connectionId } }),
      about77.length + others.length,
    );
  });
});

describe("POST /webhooks/shop/redact", () => {
  it("erases the shop's orders, deliveries, activity, sessions and connection; the business's ledger keeps its movements without the shop", async () => {
    const { shop } = await shopWithCustomers();
    await addSession(shop.domain);
    await prisma.activityEvent.create({
      data: {
        businessId: shop.businessId,
        connectionId: shop.connectionId,
        type: "order_received",
        message: "Order #1001 received",
      },
    });
    const variant = await prisma.variant.create({
      data: {
        businessId: shop.businessId,
        sku: "shirt1",
        normalizedSku: "SHIRT1",
        title: "Shirt",
        productTitle: "Shirt",
      },
    });
    await prisma.stockMovement.create({
      data: {
        businessId: shop.businessId,
        locationId: shop.locationId,
        variantId: variant.id,
        delta: -1,
        reason: "sale",
        connectionId: shop.connectionId,
        externalRef: "gid://shopify/Order/1001",
        idempotencyKey: `test:${randomUUID()}`,
      },
    });
    const bystander = await shopWithCustomers();
    await addSession(bystander.shop.domain);

    const result = await call(
      shopRedact.action,
      webhookRequest("/webhooks/shop/redact", {
        shop: shop.domain,
        topic: "shop/redact",
        body: { shop_id: 1, shop_domain: shop.domain },
      }),
    );
    assert.equal(result.response?.status, 200);
    assert.deepEqual(await result.response?.json(), { erased: true, sessionsDeleted: 1 });
    assert.equal(await prisma.connection.count({ where: { id: shop.connectionId } }), 0);
    assert.equal(await prisma.order.count({ where: { connectionId: shop.connectionId } }), 0);
    assert.equal(await prisma.webhookEvent.count({ where: { connectionId: shop.connectionId } }), 0);
    assert.equal(await prisma.activityEvent.count({ where: { connectionId: shop.connectionId } }), 0);
    assert.equal(await sessionsOf(shop.domain), 0);
    const movements = await prisma.stockMovement.findMany({ where: { businessId: shop.businessId } });
    assert.deepEqual(
      movements.map((m) => [m.delta, m.connectionId, m.externalRef]),
      [[-1, null, null]],
    );
    // Another shop is untouched.
    assert.equal(await prisma.order.count({ where: { connectionId: bystander.shop.connectionId } }), 3);
    assert.equal(await sessionsOf(bystander.shop.domain), 1);

    // Shopify may send it again: nothing left, still 200.
    const again = await call(
      shopRedact.action,
      webhookRequest("/webhooks/shop/redact", {
        shop: shop.domain,
        topic: "shop/redact",
        body: { shop_id: 1, shop_domain: shop.domain },
      }),
    );
    assert.equal(again.response?.status, 200);
    assert.deepEqual(await again.response?.json(), { erased: false, sessionsDeleted: 0 });
  });

  it("erases nothing when the HMAC is wrong (401)", async () => {
    const { shop } = await shopWithCustomers();
    const body = JSON.stringify({ shop_domain: shop.domain });
    const result = await call(
      shopRedact.action,
      webhookRequest("/webhooks/shop/redact", {
        shop: shop.domain,
        topic: "shop/redact",
        body,
        hmac: getHmac(body, "wrong"),
      }),
    );
    assert.equal(result.response?.status, 401);
    assert.equal(await prisma.connection.count({ where: { id: shop.connectionId } }), 1);
    assert.equal(await prisma.order.count({ where: { connectionId: shop.connectionId } }), 3);
  });
});

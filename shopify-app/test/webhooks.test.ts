/**
 * The sync webhook route (/webhooks/sync) against a real PostgreSQL: verified deliveries land
 * in core's inbox once, exactly as core's own receiver stores them; anything else is refused
 * and leaves nothing behind.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildServer, Health, Metrics, registerWebhookRoutes } from "../../core/src/api/index.ts";
import { createLogger } from "../../core/src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../../core/src/security/index.ts";
import { API_SECRET_KEY, call, connectedShop, database, webhookRequest } from "./support/app.ts";

const { action } = await import("../app/routes/webhooks.sync.tsx");
const { prisma } = database;
const shop = await connectedShop();
const inbox = (connectionId = shop.connectionId) =>
  prisma.webhookEvent.findMany({ where: { connectionId }, orderBy: { receivedAt: "asc" } });
const order = {
  id: 820982911946154500,
  admin_graphql_api_id: "gid://shopify/Order/820982911946154500",
  name: "#1001",
  line_items: [{ id: 1, sku: "shirt1", quantity: 2 }],
};

describe("POST /webhooks/sync", () => {
  it("stores a delivery with a valid HMAC once; a replay of the same event id is acknowledged and stores nothing", async () => {
    const eventId = randomUUID();
    const first = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: order, eventId }),
    );
    assert.equal(first.response?.status, 200);
    assert.deepEqual(await first.response?.json(), { status: "stored" });
    const rows = await inbox();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.deliveryId, eventId);
    assert.equal(rows[0]!.topic, "orders/create");
    assert.equal(rows[0]!.platform, "shopify");
    assert.equal(rows[0]!.businessId, shop.businessId);
    assert.equal(rows[0]!.state, "received");
    assert.deepEqual(rows[0]!.payload, order);

    // Shopify retries with the original payload and event id (and a new webhook id).
    const replay = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: order, eventId }),
    );
    assert.equal(replay.response?.status, 200);
    assert.deepEqual(await replay.response?.json(), { status: "duplicate" });
    assert.equal((await inbox()).length, 1);
  });

  it("refuses a wrong HMAC with 401 and stores nothing", async () => {
    const before = (await inbox()).length;
    const body = JSON.stringify(order);
    const wrongSecret = await call(
      action,
      webhookRequest("/webhooks/sync", {
        shop: shop.domain,
        topic: "orders/create",
        body,
        hmac: (await import("@shopify/shopify-api/test-helpers")).getHmac(body, "not-the-app-secret"),
      }),
    );
    assert.equal(wrongSecret.response?.status, 401);
    // Signed for other bytes than those sent.
    const tampered = await call(
      action,
      webhookRequest("/webhooks/sync", {
        shop: shop.domain,
        topic: "orders/create",
        body: JSON.stringify({ ...order, name: "#9999" }),
        hmac: (await import("@shopify/shopify-api/test-helpers")).getHmac(body, API_SECRET_KEY),
      }),
    );
    assert.equal(tampered.response?.status, 401);
    const garbage = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body, hmac: "not-base64" }),
    );
    assert.equal(garbage.response?.status, 401);
    assert.equal((await inbox()).length, before);
    assert.equal(await prisma.webhookEvent.count(), before);
  });

  it("refuses a delivery without its Shopify headers (400) and any method but POST (405)", async () => {
    const before = await prisma.webhookEvent.count();
    const request = webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: order });
    const headers = new Headers(request.headers);
    headers.delete("x-shopify-topic");
    const missing = await call(
      action,
      new Request(request.url, { method: "POST", headers, body: JSON.stringify(order) }),
    );
    assert.equal(missing.response?.status, 400);
    const get = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: order, method: "GET" }),
    );
    assert.equal(get.response?.status, 405);
    assert.equal(await prisma.webhookEvent.count(), before);
  });

  it("acknowledges a signed body that is not JSON with 400 and stores nothing", async () => {
    const before = await prisma.webhookEvent.count();
    const result = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: "{not json" }),
    );
    assert.equal(result.response?.status, 400);
    assert.equal(await prisma.webhookEvent.count(), before);
  });

  it("acknowledges a shop that has not connected Prokip without storing anything", async () => {
    const before = await prisma.webhookEvent.count();
    const result = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: "not-connected.myshopify.com", topic: "orders/create", body: order }),
    );
    assert.equal(result.response?.status, 200);
    assert.deepEqual(await result.response?.json(), { status: "not_connected" });
    assert.equal(await prisma.webhookEvent.count(), before);
  });

  it("acknowledges a shop that disconnected without storing anything (the app's subscriptions still deliver until it uninstalls)", async () => {
    const shop = await connectedShop();
    await prisma.connection.update({
      where: { id: shop.connectionId },
      data: { status: "disconnected", credentials: null },
    });
    const before = await prisma.webhookEvent.count();
    const result = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: order }),
    );
    assert.equal(result.response?.status, 200);
    assert.deepEqual(await result.response?.json(), { status: "not_connected" });
    assert.equal(await prisma.webhookEvent.count(), before);
  });
});

describe("the same delivery through core's own receiver (POST /webhooks/shopify)", () => {
  const app = buildServer({
    log: createLogger({ level: "silent" }),
    health: new Health("test"),
    metrics: new Metrics(),
  });
  let base = "";
  before(async () => {
    await registerWebhookRoutes(app, {
      database: () => database,
      metrics: new Metrics(),
      shopifyApiSecret: API_SECRET_KEY,
      encryptionKey: parseEncryptionKey(generateEncryptionKey()),
    });
    base = await app.listen({ port: 0, host: "127.0.0.1" });
  });
  after(() => app.close());

  const toCore = (request: Request) =>
    fetch(`${base}/webhooks/shopify`, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      duplex: "half",
    } as RequestInit);

  it("is one row, whichever receives it first, with the same columns", async () => {
    const other = await connectedShop();
    const body = JSON.stringify({ ...order, note: "ünïcode, spacing  and key order kept", id: 5 });
    const viaApp = { eventId: randomUUID(), webhookId: randomUUID() };
    const viaCore = { eventId: randomUUID(), webhookId: randomUUID() };
    const appAnswer = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: other.domain, topic: "refunds/create", body, ...viaApp }),
    );
    assert.equal(appAnswer.response?.status, 200);
    const coreAnswer = await toCore(
      webhookRequest("/webhooks/sync", { shop: other.domain, topic: "refunds/create", body, ...viaCore }),
    );
    assert.equal(coreAnswer.status, 200);
    const rows = await inbox(other.connectionId);
    assert.equal(rows.length, 2);
    const [fromApp, fromCore] = [
      rows.find((r) => r.deliveryId === viaApp.eventId)!,
      rows.find((r) => r.deliveryId === viaCore.eventId)!,
    ];
    const columns = (row: typeof fromApp) => ({
      businessId: row.businessId,
      connectionId: row.connectionId,
      platform: row.platform,
      topic: row.topic,
      payload: row.payload,
      triggeredAt: row.triggeredAt,
      state: row.state,
      attempts: row.attempts,
    });
    assert.deepEqual(columns(fromApp), columns(fromCore));
    assert.equal(fromApp.webhookId, viaApp.webhookId);
    assert.equal(fromCore.webhookId, viaCore.webhookId);

    // An event core stored first is a duplicate for the app, and the other way round.
    const again = await call(
      action,
      webhookRequest("/webhooks/sync", { shop: other.domain, topic: "refunds/create", body, eventId: viaCore.eventId }),
    );
    assert.deepEqual(await again.response?.json(), { status: "duplicate" });
    const againCore = await toCore(
      webhookRequest("/webhooks/sync", { shop: other.domain, topic: "refunds/create", body, eventId: viaApp.eventId }),
    );
    assert.deepEqual(await againCore.json(), { status: "duplicate" });
    assert.equal((await inbox(other.connectionId)).length, 2);
  });
});

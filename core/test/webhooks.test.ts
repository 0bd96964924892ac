/**
 * Webhook receivers over real HTTP: verify first, store once, answer at once.
 * Signatures here are computed independently with node:crypto.
 */
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { buildServer, Health, Metrics, registerWebhookRoutes } from "../src/api/index.ts";
import { MAX_PAYLOAD_DEPTH } from "../src/inbox/index.ts";
import { createLogger } from "../src/log/index.ts";
import { encryptSecret, generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, createShop } from "./support/fixtures.ts";

const database = await testDatabase({ poolSize: 4 });
const { prisma } = database;
const APP_SECRET = "test-app-secret";
const WOO_SECRET = "woo-connection-secret";
const key = parseEncryptionKey(generateEncryptionKey());
const metrics = new Metrics();
const health = new Health("test");
health.ready(database);
const app = buildServer({ log: createLogger({ level: "silent" }), health, metrics });
await registerWebhookRoutes(app, {
  database: () => database,
  metrics,
  shopifyApiSecret: APP_SECRET,
  encryptionKey: key,
});
let base = "";
before(async () => {
  base = await app.listen({ port: 0, host: "127.0.0.1" });
});
after(() => app.close());

const shop = await createShop(prisma, { platform: "shopify" });
const { storeDomain } = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
const wooConnectionId = await addConnection(prisma, shop, { platform: "woocommerce" });
await prisma.connection.update({
  where: { id: wooConnectionId },
  data: { webhookSecret: encryptSecret(WOO_SECRET, key) },
});

const sign = (body: string, secret: string) => createHmac("sha256", secret).update(body, "utf8").digest("base64");

function shopifyDelivery(body: string, options: { eventId?: string; shop?: string; hmac?: string } = {}) {
  return fetch(`${base}/webhooks/shopify`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": "orders/create",
      "x-shopify-shop-domain": options.shop ?? storeDomain,
      "x-shopify-event-id": options.eventId ?? randomUUID(),
      "x-shopify-webhook-id": randomUUID(),
      "x-shopify-triggered-at": "2026-11-21T10:00:00.000Z",
      "x-shopify-api-version": "2026-10",
      "x-shopify-hmac-sha256": options.hmac ?? sign(body, APP_SECRET),
    },
    body,
  });
}

function wooDelivery(connectionId: string, body: string, options: { deliveryId?: string; signature?: string } = {}) {
  return fetch(`${base}/webhooks/woocommerce/${connectionId}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-wc-webhook-topic": "order.updated",
      "x-wc-webhook-resource": "order",
      "x-wc-webhook-event": "updated",
      "x-wc-webhook-id": "12",
      "x-wc-webhook-delivery-id": options.deliveryId ?? randomUUID(),
      "x-wc-webhook-signature": options.signature ?? sign(body, WOO_SECRET),
    },
    body,
  });
}

const inboxCount = (connectionId: string) => prisma.webhookEvent.count({ where: { connectionId } });
async function signatureFailures(platform: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith(`prokip_sync_webhook_signature_failures_total{platform="${platform}"}`));
  return line ? Number(line.split(" ").pop()) : 0;
}

describe("POST /webhooks/shopify", () => {
  it("stores a verified delivery once and acknowledges a redelivery as a duplicate", async () => {
    const body = JSON.stringify({ id: 820982911946154500, name: "#1001", line_items: [] });
    const eventId = randomUUID();
    const first = await shopifyDelivery(body, { eventId });
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { status: "stored" });
    const again = await shopifyDelivery(body, { eventId });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { status: "duplicate" });

    const rows = await prisma.webhookEvent.findMany({ where: { deliveryId: eventId } });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.topic, "orders/create");
    assert.equal(rows[0]!.platform, "shopify");
    assert.equal(rows[0]!.state, "received");
    assert.equal(rows[0]!.triggeredAt?.toISOString(), "2026-11-21T10:00:00.000Z");
    assert.deepEqual(rows[0]!.payload, JSON.parse(body));
  });

  it("refuses a bad signature with 401, stores nothing and counts it", async () => {
    const before = await inboxCount(shop.connectionId);
    const failures = await signatureFailures("shopify");
    const body = JSON.stringify({ id: 1 });
    const tampered = await shopifyDelivery(body, { hmac: sign(`${body} `, APP_SECRET) });
    assert.equal(tampered.status, 401);
    assert.equal(((await tampered.json()) as { error: { code: string } }).error.code, "invalid_signature");
    const wrongSecret = await shopifyDelivery(body, { hmac: sign(body, "another-secret") });
    assert.equal(wrongSecret.status, 401);
    const missing = await fetch(`${base}/webhooks/shopify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    assert.equal(missing.status, 401);
    assert.equal(await inboxCount(shop.connectionId), before);
    assert.equal(await signatureFailures("shopify"), failures + 3);
  });

  it("answers 404 for a shop with no connection", async () => {
    const response = await shopifyDelivery(JSON.stringify({ id: 2 }), { shop: "stranger.myshopify.com" });
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, "unknown_connection");
  });

  it("answers 400 for a signed body that is not JSON, storing nothing", async () => {
    const before = await inboxCount(shop.connectionId);
    const response = await shopifyDelivery("{not json");
    assert.equal(response.status, 400);
    assert.equal(await inboxCount(shop.connectionId), before);
  });
});

describe("POST /webhooks/woocommerce/:connectionId", () => {
  it("answers the creation ping with 200 and stores nothing", async () => {
    const before = await inboxCount(wooConnectionId);
    const ping = await fetch(`${base}/webhooks/woocommerce/${wooConnectionId}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "webhook_id=12",
    });
    assert.equal(ping.status, 200);
    assert.equal(await inboxCount(wooConnectionId), before);
  });

  it("stores a verified delivery once", async () => {
    const body = JSON.stringify({ id: 77, status: "processing", line_items: [] });
    const deliveryId = randomUUID();
    assert.equal((await wooDelivery(wooConnectionId, body, { deliveryId })).status, 200);
    const again = await wooDelivery(wooConnectionId, body, { deliveryId });
    assert.deepEqual(await again.json(), { status: "duplicate" });
    const rows = await prisma.webhookEvent.findMany({ where: { deliveryId: { startsWith: `${deliveryId}:` } } });
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.topic, "order.updated");
    assert.equal(rows[0]!.webhookId, "12");
  });

  it("stores two notifications that share WooCommerce's delivery id (same webhook, same second)", async () => {
    // WooCommerce derives the id from the webhook id and the current second only.
    const deliveryId = randomUUID();
    const first = await wooDelivery(wooConnectionId, JSON.stringify({ id: 81, status: "processing", line_items: [] }), {
      deliveryId,
    });
    const second = await wooDelivery(
      wooConnectionId,
      JSON.stringify({ id: 82, status: "processing", line_items: [] }),
      { deliveryId },
    );
    assert.deepEqual([await first.json(), await second.json()], [{ status: "stored" }, { status: "stored" }]);
    const rows = await prisma.webhookEvent.findMany({ where: { deliveryId: { startsWith: `${deliveryId}:` } } });
    assert.deepEqual(rows.map((row) => (row.payload as { id: number }).id).sort(), [81, 82]);
  });

  it("refuses a signature made with another secret, and counts it", async () => {
    const before = await inboxCount(wooConnectionId);
    const failures = await signatureFailures("woocommerce");
    const body = JSON.stringify({ id: 78 });
    const response = await wooDelivery(wooConnectionId, body, { signature: sign(body, "not-the-secret") });
    assert.equal(response.status, 401);
    assert.equal(await inboxCount(wooConnectionId), before);
    assert.equal(await signatureFailures("woocommerce"), failures + 1);
  });

  it("answers 404 for an unknown or malformed connection id", async () => {
    assert.equal((await wooDelivery(randomUUID(), "{}")).status, 404);
    assert.equal((await wooDelivery("not-a-uuid", "{}")).status, 404);
    assert.equal(
      (await wooDelivery(shop.connectionId, "{}")).status,
      404,
      "a Shopify connection is not a WooCommerce one",
    );
  });
});

describe("a disconnected store", () => {
  it("has its deliveries acknowledged and none kept, so nothing it sends while disconnected reaches Prokip later", async () => {
    const other = await createShop(prisma, { platform: "shopify" });
    const { storeDomain: otherDomain } = await prisma.connection.findUniqueOrThrow({
      where: { id: other.connectionId },
    });
    const otherWoo = await addConnection(prisma, other, { platform: "woocommerce" });
    await prisma.connection.updateMany({
      where: { businessId: other.businessId },
      data: { status: "disconnected", credentials: null, webhookSecret: null },
    });

    const shopifyAnswer = await shopifyDelivery(JSON.stringify({ id: 7 }), { shop: otherDomain });
    assert.equal(shopifyAnswer.status, 200);
    assert.deepEqual(await shopifyAnswer.json(), { status: "not_connected" });
    const wooAnswer = await wooDelivery(otherWoo, JSON.stringify({ id: 8 }));
    assert.equal(wooAnswer.status, 200);
    assert.deepEqual(await wooAnswer.json(), { status: "not_connected" });
    assert.equal(await inboxCount(other.connectionId), 0);
    assert.equal(await inboxCount(otherWoo), 0);
  });
});

/**
 * Bodies JSON.parse accepts (or a signer signs) that PostgreSQL cannot keep as jsonb: each is
 * refused with 400 `invalid_payload` before anything is written, on both receivers.
 */
const unstorable: [string, Buffer][] = [
  ["a \\u0000 escape", Buffer.from(String.raw`{"id":1,"note":"a\u0000b"}`, "utf8")],
  ["a raw NUL byte", Buffer.concat([Buffer.from('{"id":1,"note":"a'), Buffer.from([0]), Buffer.from('b"}')])],
  ["20,000 levels of nesting", Buffer.from(`{"id":1,"note":${"[".repeat(20_000)}${"]".repeat(20_000)}}`)],
  ["a lone surrogate escape", Buffer.from(String.raw`{"id":1,"note":"\ud800"}`, "utf8")],
  ["a lone low surrogate escape", Buffer.from(String.raw`{"id":1,"note":"x\udc00"}`, "utf8")],
  [
    "bytes that are not UTF-8",
    Buffer.concat([Buffer.from('{"id":1,"note":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
  ],
  ["a number beyond PostgreSQL's numeric", Buffer.from('{"id":1,"note":1e200000}')],
];
const signBytes = (body: Buffer, secret: string) => createHmac("sha256", secret).update(body).digest("base64");

describe("a signed body PostgreSQL cannot store as jsonb", () => {
  for (const [what, body] of unstorable) {
    it(`with ${what} is refused with 400 invalid_payload by both receivers, and nothing is stored`, async () => {
      const before = await prisma.webhookEvent.count();
      const shopify = await fetch(`${base}/webhooks/shopify`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-shopify-topic": "orders/create",
          "x-shopify-shop-domain": storeDomain,
          "x-shopify-event-id": randomUUID(),
          "x-shopify-hmac-sha256": signBytes(body, APP_SECRET),
        },
        body,
      });
      const shopifyAnswer = (await shopify.json()) as { error: { code: string; message: string } };
      assert.equal(shopify.status, 400, JSON.stringify(shopifyAnswer));
      assert.equal(shopifyAnswer.error.code, "invalid_payload");
      const woo = await fetch(`${base}/webhooks/woocommerce/${wooConnectionId}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-wc-webhook-topic": "order.updated",
          "x-wc-webhook-id": "12",
          "x-wc-webhook-delivery-id": randomUUID(),
          "x-wc-webhook-signature": signBytes(body, WOO_SECRET),
        },
        body,
      });
      const wooAnswer = (await woo.json()) as { error: { code: string; message: string } };
      assert.equal(woo.status, 400, JSON.stringify(wooAnswer));
      assert.equal(wooAnswer.error.code, "invalid_payload");
      assert.equal(await prisma.webhookEvent.count(), before);
    });
  }

  it("stores a body nested as deep as PHP's json_encode allows (512 levels) with an escaped emoji pair", async () => {
    const deep = `${"[".repeat(MAX_PAYLOAD_DEPTH - 1)}${"]".repeat(MAX_PAYLOAD_DEPTH - 1)}`;
    const body = String.raw`{"id":79,"note":"caf\u00e9 \ud83d\ude00","deep":` + `${deep}}`;
    const response = await wooDelivery(wooConnectionId, body);
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), { status: "stored" });
  });
});

describe("the WooCommerce signature", () => {
  it("is compared as canonical base64 only: the right MAC in base64url or with junk after the padding is refused", async () => {
    const before = await inboxCount(wooConnectionId);
    // A body whose MAC has + or / in base64, so base64url spells it differently.
    let body = "";
    let mac = "";
    for (let n = 0; !/[+/]/u.test(mac); n += 1) {
      body = JSON.stringify({ id: 90, n });
      mac = sign(body, WOO_SECRET);
    }
    const url = Buffer.from(mac, "base64").toString("base64url");
    for (const spelled of [url, `${mac}junk`, `${mac}==`, mac.replace(/=$/u, ""), ` ${mac}x`]) {
      const response = await wooDelivery(wooConnectionId, body, { signature: spelled });
      assert.equal(response.status, 401, `signature ${spelled}`);
    }
    assert.equal(await inboxCount(wooConnectionId), before);
    assert.equal((await wooDelivery(wooConnectionId, body, { signature: mac })).status, 200);
  });
});

/**
 * Requests that take too long to arrive, over real sockets: a body trickled a byte at a time is
 * answered 408 and its socket closed once the request timeout passes (here 1.5 s instead of the
 * default 30 s), while a delivery sent slowly but within it is stored. TRACE gets 405 everywhere.
 */
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildServer, Health, Metrics, registerWebhookRoutes } from "../src/api/index.ts";
import { createLogger } from "../src/log/index.ts";
import { encryptSecret, generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { testDatabase } from "./support/database.ts";
import { addConnection, createShop } from "./support/fixtures.ts";

const database = await testDatabase({ poolSize: 2 });
const { prisma } = database;
const WOO_SECRET = "woo-connection-secret";
const key = parseEncryptionKey(generateEncryptionKey());
const metrics = new Metrics();
const health = new Health("test");
health.ready(database);
const REQUEST_MS = 1_500;
const app = buildServer({
  log: createLogger({ level: "silent" }),
  health,
  metrics,
  timeouts: { requestMs: REQUEST_MS, headersMs: 1_000 },
});
await registerWebhookRoutes(app, { database: () => database, metrics, shopifyApiSecret: null, encryptionKey: key });
let port = 0;
before(async () => {
  await app.listen({ port: 0, host: "127.0.0.1" });
  port = (app.server.address() as { port: number }).port;
});
after(() => app.close());

const shop = await createShop(prisma, { platform: "shopify" });
const connectionId = await addConnection(prisma, shop, { platform: "woocommerce" });
await prisma.connection.update({
  where: { id: connectionId },
  data: { webhookSecret: encryptSecret(WOO_SECRET, key) },
});
const inboxCount = () => prisma.webhookEvent.count({ where: { connectionId } });

/** A raw socket: what it was answered, and whether the server closed it. */
function open(): Promise<{ socket: Socket; answer: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.once("error", () => undefined);
    socket.once("connect", () => resolve({ socket, answer: () => answer, closed }));
    socket.once("error", reject);
  });
}

function deliveryHead(body: string): string {
  return [
    `POST /webhooks/woocommerce/${connectionId} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    "x-wc-webhook-topic: order.updated",
    "x-wc-webhook-id: 12",
    `x-wc-webhook-delivery-id: ${randomUUID()}`,
    `x-wc-webhook-signature: ${createHmac("sha256", WOO_SECRET).update(body).digest("base64")}`,
    "",
    "",
  ].join("\r\n");
}

describe("a request that arrives too slowly", () => {
  it(
    "is answered 408 and its socket closed when the body trickles in a byte at a time; nothing is stored",
    { timeout: 15_000 },
    async () => {
      const before = await inboxCount();
      const body = JSON.stringify({ id: 301, status: "processing", line_items: [], padding: "x".repeat(100) });
      const { socket, answer, closed } = await open();
      socket.write(deliveryHead(body));
      let sent = 0;
      let isClosed = false;
      void closed.then(() => (isClosed = true));
      // A byte every 150 ms: the whole body would take about 20 s, far beyond the 1.5 s allowed.
      while (!isClosed && sent < body.length) {
        socket.write(body[sent]!);
        sent += 1;
        await sleep(150);
      }
      await closed;
      assert.ok(sent < body.length, "the server closed the socket before the body was complete");
      assert.match(answer(), /^HTTP\/1\.1 408 /u);
      assert.match(answer(), /"code":"request_timeout"/u);
      assert.equal(await inboxCount(), before);
    },
  );

  it("is closed when a socket sends headers a byte at a time", { timeout: 15_000 }, async () => {
    const { socket, answer, closed } = await open();
    const head = deliveryHead("{}");
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    for (let sent = 0; !isClosed && sent < head.length; sent += 1) {
      socket.write(head[sent]!);
      await sleep(100);
    }
    await closed;
    assert.match(answer(), /^HTTP\/1\.1 408 /u);
    assert.match(answer(), /"code":"request_timeout"/u);
  });

  it("still stores a delivery whose body comes slowly in a few pieces within the limit", async () => {
    const before = await inboxCount();
    const body = JSON.stringify({ id: 302, status: "processing", line_items: [], note: "sent in four pieces" });
    const { socket, answer } = await open();
    socket.write(deliveryHead(body));
    const quarter = Math.ceil(body.length / 4);
    for (let at = 0; at < body.length; at += quarter) {
      await sleep(100);
      socket.write(body.slice(at, at + quarter));
    }
    while (!answer().includes("\r\n\r\n{")) await sleep(20);
    socket.end();
    assert.match(answer(), /^HTTP\/1\.1 200 /u);
    assert.match(answer(), /\{"status":"stored"\}/u);
    assert.equal(await inboxCount(), before + 1);
  });
});

describe("TRACE", () => {
  it("is answered 405 with a code, on known and unknown paths alike", async () => {
    for (const path of ["/healthz", `/webhooks/woocommerce/${connectionId}`, "/nowhere"]) {
      const { socket, answer, closed } = await open();
      socket.end(`TRACE ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n`);
      await closed;
      assert.match(answer(), /^HTTP\/1\.1 405 /u, path);
      assert.match(answer(), /"code":"method_not_allowed"/u, path);
    }
  });
});

/**
 * The compliance routes when the database fails after the delivery is verified, inside the work
 * itself: answered 503 `database_unavailable` (Shopify delivers again), not a 500. The app reaches
 * the test database through a TCP relay that drops every connection, and refuses new ones, once
 * it sees the first statement of the work go by (verification only reads the shop's session).
 */
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { connectDatabase } from "../../core/src/store/index.ts";
import { call, connectedShop, database, webhookRequest } from "./support/app.ts";

const target = new URL(database.url);
const sockets = new Set<Socket>();
/** While set, the statement that cuts the database; `cut` once it went by. */
let cutOn: RegExp | null = null;
let cut = false;
const relay = createServer((client) => {
  if (cut) return client.destroy();
  const server = connect(Number(target.port), target.hostname);
  for (const socket of [client, server]) {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      client.destroy();
      server.destroy();
    });
  }
  client.on("data", (chunk: Buffer) => {
    if (cutOn?.test(chunk.toString("latin1"))) {
      cut = true;
      for (const socket of sockets) socket.destroy();
    } else if (!cut) server.write(chunk);
  });
  server.pipe(client);
});
await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
const relayed = new URL(database.url);
relayed.port = String((relay.address() as { port: number }).port);
const appDatabase = connectDatabase(relayed.toString(), { poolSize: 2 });
globalThis.prokipSyncAppDatabase = appDatabase;
after(() => {
  // Not awaited: a pool whose connections were cut mid-transaction may not end cleanly.
  void appDatabase.close().catch(() => undefined);
  for (const socket of sockets) socket.destroy();
  relay.close();
});

const dataRequest = await import("../app/routes/webhooks.customers.data_request.tsx");
const customersRedact = await import("../app/routes/webhooks.customers.redact.tsx");
const shopRedact = await import("../app/routes/webhooks.shop.redact.tsx");

describe("the compliance routes when the database fails during the work", () => {
  const customer = { id: 77, email: "ann@example.com" };
  for (const [route, action, topic, body, statement] of [
    [
      "/webhooks/customers/data_request",
      dataRequest.action,
      "customers/data_request",
      { customer, orders_requested: [1001] },
      /"WebhookEvent"/u,
    ],
    [
      "/webhooks/customers/redact",
      customersRedact.action,
      "customers/redact",
      { customer, orders_to_redact: [1001] },
      /"WebhookEvent"/u,
    ],
    ["/webhooks/shop/redact", shopRedact.action, "shop/redact", {}, /DELETE/u],
  ] as const) {
    it(`answers ${topic} 503 database_unavailable, so Shopify delivers it again`, async () => {
      const shop = await connectedShop();
      cut = false;
      cutOn = statement;
      const { response } = await call(
        action,
        webhookRequest(route, { shop: shop.domain, topic, body: { ...body, shop_domain: shop.domain } }),
      );
      const reached = cut;
      cutOn = null;
      cut = false;
      assert.ok(reached, "the work reached the database after verification");
      assert.equal(response?.status, 503);
      assert.equal(response?.headers.get("retry-after"), "5");
      assert.equal(((await response!.json()) as { error: { code: string } }).error.code, "database_unavailable");
    });
  }
});

/**
 * The app's webhook routes while the database is unreachable: a verified delivery cannot be
 * stored, so it is answered 503 with the `database_unavailable` code (Shopify delivers it
 * again), as core's own receivers answer, not a 500. The app reaches the test database through a
 * TCP relay in this file, which the test cuts: every connection dropped, new ones refused.
 */
import assert from "node:assert/strict";
import { createServer, connect, type Socket } from "node:net";
import { after, describe, it } from "node:test";
import { connectDatabase } from "../../core/src/store/index.ts";
import { call, connectedShop, database, webhookRequest } from "./support/app.ts";

const target = new URL(database.url);
const sockets = new Set<Socket>();
const relay = createServer((client) => {
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
  client.pipe(server).pipe(client);
});
await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
const relayed = new URL(database.url);
relayed.port = String((relay.address() as { port: number }).port);
const appDatabase = connectDatabase(relayed.toString(), { poolSize: 2 });
globalThis.prokipSyncAppDatabase = appDatabase;
after(async () => {
  await appDatabase.close();
  if (relay.listening) await new Promise((resolve) => relay.close(resolve));
});

const { action: sync } = await import("../app/routes/webhooks.sync.tsx");
const { action: uninstalled } = await import("../app/routes/webhooks.app.uninstalled.tsx");
const shop = await connectedShop();

describe("the app's webhook routes during a database outage", () => {
  it("answer a verified delivery 503 database_unavailable, so Shopify delivers it again", async () => {
    const order = { id: 1, line_items: [] };
    const before = await call(
      sync,
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/create", body: order }),
    );
    assert.equal(before.response?.status, 200, "stored while the database answers");

    // The database goes away.
    relay.close();
    for (const socket of sockets) socket.destroy();

    for (const [route, action, topic] of [
      ["/webhooks/sync", sync, "orders/create"],
      ["/webhooks/app/uninstalled", uninstalled, "app/uninstalled"],
    ] as const) {
      const { response } = await call(action, webhookRequest(route, { shop: shop.domain, topic, body: order }));
      assert.equal(response?.status, 503, route);
      assert.equal(response?.headers.get("retry-after"), "5");
      assert.equal(((await response!.json()) as { error: { code: string } }).error.code, "database_unavailable");
    }
  });
});

/**
 * The production build (`remix vite:build`), served through Remix's own request handler: the
 * routes shopify.app.toml names answer at those addresses, verify signatures, and store
 * deliveries; the login page renders with Polaris' stylesheet. (The server build imports core
 * at run time: it runs where tsx is loaded, as `npm start` runs core.)
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { createRequestHandler, type ServerBuild } from "@remix-run/node";
import { parse } from "smol-toml";
import { APP_URL, connectedShop, database, webhookRequest } from "./support/app.ts";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// `remix vite:build`, with the CLI wherever npm installed it.
const require = createRequire(import.meta.url);
const remixCli = path.join(path.dirname(require.resolve("@remix-run/dev/package.json")), "dist/cli.js");
await promisify(execFile)(process.execPath, [remixCli, "vite:build"], { cwd: appDir });
const build = (await import(pathToFileURL(path.join(appDir, "build/server/index.js")).href)) as ServerBuild;
const handle = createRequestHandler(build, "production");
const toml = parse(readFileSync(path.join(appDir, "../shopify.app.toml"), "utf8")) as {
  webhooks: { subscriptions: { topics?: string[]; compliance_topics?: string[]; uri: string }[] };
};

describe("the built app", () => {
  it("answers every webhook address in shopify.app.toml: 401 for a bad signature, 200 for a good one", async () => {
    const shop = await connectedShop();
    for (const subscription of toml.webhooks.subscriptions) {
      const topic = (subscription.topics ?? subscription.compliance_topics)![0]!;
      const body = { id: 1, shop_domain: shop.domain, customer: { id: 1 }, orders_requested: [], orders_to_redact: [] };
      const refused = await handle(
        webhookRequest(subscription.uri, {
          shop: shop.domain,
          topic,
          body,
          hmac: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        }),
      );
      assert.equal(refused.status, 401, `${subscription.uri} ${topic}`);
    }
    const before = await database.prisma.webhookEvent.count({ where: { connectionId: shop.connectionId } });
    assert.equal(before, 0);
    for (const subscription of toml.webhooks.subscriptions) {
      const topic = (subscription.topics ?? subscription.compliance_topics)![0]!;
      const body = { id: 1, shop_domain: shop.domain, customer: { id: 1 }, orders_requested: [], orders_to_redact: [] };
      const accepted = await handle(webhookRequest(subscription.uri, { shop: shop.domain, topic, body }));
      assert.equal(accepted.status, 200, `${subscription.uri} ${topic}: ${await accepted.text()}`);
    }
    // shop/redact came last and erased the shop (its connection and deliveries included).
    assert.equal(await database.prisma.connection.count({ where: { id: shop.connectionId } }), 0);
  });

  it("stores a sync delivery through the full stack", async () => {
    const shop = await connectedShop();
    const response = await handle(
      webhookRequest("/webhooks/sync", { shop: shop.domain, topic: "orders/paid", body: { id: 42 } }),
    );
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: "stored" });
    assert.equal(
      await database.prisma.webhookEvent.count({ where: { connectionId: shop.connectionId, topic: "orders/paid" } }),
      1,
    );
  });

  it("renders the login page with Polaris' stylesheet, and sends an unauthenticated /app there", async () => {
    const login = await handle(new Request(`${APP_URL}/auth/login`));
    assert.equal(login.status, 200);
    const html = await login.text();
    assert.match(html, /Shop domain/u);
    assert.match(html, /<link rel="stylesheet" href="\/assets\/styles-[\w-]+\.css"/u);
    const app = await handle(new Request(`${APP_URL}/app`));
    assert.equal(app.status, 302);
    assert.equal(app.headers.get("location"), "/auth/login");
  });
});

/**
 * Connect Prokip (/app/connect) and the app's frame (/app): loaders and actions against the
 * real database, the Prokip emulator (demo business) and the Shopify emulator, authenticated
 * with the Shopify test helpers. Asserted on statuses, payloads and rows.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openStoreCredentials } from "../../core/src/connections/index.ts";
import {
  API_KEY,
  appRoute,
  CBD,
  database,
  deps,
  installApp,
  json,
  load,
  post,
  prokip,
  redirectPath,
  refusals,
  stopAll,
  TEST_SHOP,
} from "./support/screens.ts";

const connect = await import("../app/routes/app.connect.tsx");
const home = await import("../app/routes/app._index.tsx");
const { prisma } = database;

before(installApp);
after(stopAll);

describe("/app (the frame)", () => {
  it("answers the API key, and App Bridge's address only when APP_BRIDGE_URL is set", async () => {
    delete process.env.APP_BRIDGE_URL;
    assert.deepEqual((await load(appRoute.loader, "/app")).data, { apiKey: API_KEY });
    process.env.APP_BRIDGE_URL = "http://127.0.0.1:3000/sandbox/app-bridge.js";
    try {
      assert.deepEqual((await load(appRoute.loader, "/app")).data, {
        apiKey: API_KEY,
        appBridgeUrl: "http://127.0.0.1:3000/sandbox/app-bridge.js",
      });
    } finally {
      delete process.env.APP_BRIDGE_URL;
    }
  });
});

describe("Connect Prokip", () => {
  it("refuses requests without a session token (302 to login) and with a wrongly signed one (bounce / 401)", async () => {
    for (const [handler, method] of [
      [connect.loader, "GET"],
      [connect.action, "POST"],
    ] as const) {
      const { none, wrong, wrongFetch } = await refusals(handler, "/app/connect", method, { intent: "sample_data" });
      assert.equal(none.response?.status, 302);
      assert.equal(none.response?.headers.get("location"), "/auth/login");
      if (method === "GET") {
        assert.equal(wrong.response?.status, 302);
        assert.match(wrong.response?.headers.get("location") ?? "", /^\/auth\/session-token\?/u);
      }
      assert.equal(wrongFetch.response?.status, 401);
    }
    assert.equal(await prisma.storeSignIn.count(), 0);
  });

  it("a store nobody signed in for opens on Connect Prokip: the home page sends it there, with sample data offered (sandbox)", async () => {
    const opened = await load(home.loader, "/app");
    assert.equal(opened.response?.status, 302);
    assert.equal(redirectPath(opened.response), "/app/connect");
    const { data } = await load(connect.loader, "/app/connect");
    assert.deepEqual(data, { step: "sign_in", sampleDataAvailable: true, reconnecting: false });
  });

  it("an empty form is refused with the fields to fill in (400), nothing asked of Prokip", async () => {
    const { response } = await post(connect.action, "/app/connect", { intent: "sign_in", username: " ", password: "" });
    assert.equal(response?.status, 400);
    const body = await json<{ error: { code: string; details: { path: string }[] } }>(response);
    assert.equal(body.error.code, "invalid_input");
    assert.deepEqual(body.error.details.map((d) => d.path).sort(), ["password", "username"]);
    assert.equal(await prisma.storeSignIn.count(), 0);
  });

  it("a wrong password: 400 with Prokip's refusal in the merchant's words, nothing kept", async () => {
    const { response } = await post(connect.action, "/app/connect", {
      intent: "sign_in",
      username: prokip.demo.username,
      password: "not-the-password",
    });
    assert.equal(response?.status, 400);
    const body = await json<{ error: { code: string; message: string } }>(response);
    assert.deepEqual(body.error, {
      code: "prokip_rejected_credentials",
      message: "Prokip rejected the username or password",
    });
    assert.equal(await prisma.storeSignIn.count(), 0);
    assert.equal(await prisma.business.count(), 0);
  });

  it("Prokip not answering: 503 saying so", async () => {
    const reachable = deps.prokip;
    deps.prokip = { ...reachable, baseUrl: "http://127.0.0.1:9" };
    try {
      const { response } = await post(connect.action, "/app/connect", {
        intent: "sign_in",
        username: prokip.demo.username,
        password: prokip.demo.password,
      });
      assert.equal(response?.status, 503);
      const body = await json<{ error: { code: string; message: string } }>(response);
      assert.equal(body.error.code, "prokip_unreachable");
      assert.match(body.error.message, /^Prokip is not reachable right now/u);
    } finally {
      deps.prokip = reachable;
    }
    assert.equal(await prisma.storeSignIn.count(), 0);
  });

  it("Try with sample data signs in to the demo business and goes on to the location step", async () => {
    const { response } = await post(connect.action, "/app/connect", { intent: "sample_data" });
    assert.equal(response?.status, 302);
    assert.equal(redirectPath(response), "/app/connect");
    const signIn = await prisma.storeSignIn.findFirstOrThrow({ where: { storeDomain: TEST_SHOP } });
    assert.equal(signIn.platform, "shopify");
  });

  it("signing in with the username and password shows the business's locations to choose from", async () => {
    const { response } = await post(connect.action, "/app/connect", {
      intent: "sign_in",
      username: prokip.demo.username,
      password: prokip.demo.password,
    });
    assert.equal(response?.status, 302);
    assert.equal(redirectPath(response), "/app/connect");
    const { data } = await load(connect.loader, "/app/connect");
    const step = data as {
      step: string;
      businessName: string;
      locations: { prokipLocationId: number; name: string; usedBy: string[] }[];
    };
    assert.equal(step.step, "location");
    assert.ok(step.businessName.length > 0);
    assert.deepEqual(
      step.locations.map((l) => [l.prokipLocationId, l.name, l.usedBy]),
      prokip.demo.locations.map((l) => [l.id, l.name, []]),
    );
    // One business however often the store signs in.
    assert.equal(await prisma.business.count(), 1);
    // Still the location step on the home page's way.
    assert.equal(redirectPath((await load(home.loader, "/app")).response), "/app/connect");
  });

  it("a location that is not the business's is refused on its field (400)", async () => {
    const unknown = await post(connect.action, "/app/connect", {
      intent: "choose_location",
      prokipLocationId: "999999",
    });
    assert.equal(unknown.response?.status, 400);
    const body = await json<{ error: { details: { path: string }[] } }>(unknown.response);
    assert.deepEqual(
      body.error.details.map((d) => d.path),
      ["prokipLocationId"],
    );
    const blank = await post(connect.action, "/app/connect", { intent: "choose_location", prokipLocationId: "" });
    assert.equal(blank.response?.status, 400);
    assert.equal(await prisma.connection.count(), 0);
  });

  it("choosing the location connects the store with its app session and goes on to Set up products", async () => {
    const { response } = await post(connect.action, "/app/connect", {
      intent: "choose_location",
      prokipLocationId: String(CBD.id),
    });
    assert.equal(response?.status, 302);
    assert.equal(redirectPath(response), "/app/setup");
    const connection = await prisma.connection.findUniqueOrThrow({
      where: { storeDomain: TEST_SHOP },
      include: { location: true },
    });
    assert.equal(connection.platform, "shopify");
    assert.equal(connection.status, "active");
    assert.equal(connection.location.prokipLocationId, CBD.id);
    assert.equal(connection.location.name, CBD.name);
    // No token of its own: core calls Shopify with the shop's offline app session.
    assert.deepEqual(openStoreCredentials(connection.credentials!, deps.encryptionKey), {
      platform: "shopify",
      tokenSource: "app_session",
    });
    // From now on the app opens on the setup wizard, and Connect Prokip sends the merchant home.
    assert.equal(redirectPath((await load(home.loader, "/app")).response), "/app/setup");
    assert.equal(redirectPath((await load(connect.loader, "/app/connect")).response), "/app");
  });

  it("Reconnect Prokip (?reconnect=1) shows the sign-in again for a connected store; signing in leads back home", async () => {
    const { data } = await load(connect.loader, "/app/connect?reconnect=1");
    assert.deepEqual(data, { step: "sign_in", sampleDataAvailable: false, reconnecting: true });
    const { response } = await post(connect.action, "/app/connect?reconnect=1", {
      intent: "sign_in",
      username: prokip.demo.username,
      password: prokip.demo.password,
    });
    assert.equal(redirectPath(response), "/app/connect");
    assert.equal(redirectPath((await load(connect.loader, "/app/connect")).response), "/app");
    assert.equal(await prisma.connection.count(), 1);
  });
});

/**
 * Connect Prokip as the merchant screens drive it, against a real PostgreSQL and the emulated
 * Prokip and Shopify over HTTP: signing in (password, sample data, refusals, Prokip down), the
 * stage a reload lands on, choosing the location, reconnecting, who owns a shop's webhooks, and
 * app/uninstalled arriving on time or late.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { prokip as prokipEmulator } from "@prokip-sync/sandbox";
import { keepWebhookSubscriptions } from "../src/channels/index.ts";
import {
  channelForConnection,
  markUninstalled,
  sealStoreCredentials,
  signInBusiness,
  uninstallStore,
  webhookTargetFor,
} from "../src/connections/index.ts";
import { SyncError, type ErrorCode } from "../src/domain/index.ts";
import { processInbox } from "../src/jobs/index.ts";
import { chooseLocation, disconnectStore, signInToProkip, storeStage } from "../src/merchant/index.ts";
import { openJson } from "../src/security/index.ts";
import { reconcileConnection } from "../src/sync/index.ts";
import { merchantWorld } from "./support/merchant.ts";

const world = await merchantWorld();
const { prisma, pool, demo } = world;
const deps = world.deps();
const password = { username: demo.username, password: demo.password };
const [cbd, westlands] = demo.locations as [(typeof demo.locations)[number], (typeof demo.locations)[number]];

const failsWith = (code: ErrorCode, message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof SyncError, `expected a SyncError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return true;
};

/** What a refused attempt must not have changed. */
async function storedRows() {
  return {
    businesses: await prisma.business.count(),
    signIns: await prisma.storeSignIn.count(),
    connections: await prisma.connection.count(),
    locations: await prisma.location.count(),
  };
}

/** A shop signed in and connected at CBD through the screens' functions. */
async function connectedShop() {
  const shop = world.newShop();
  await signInToProkip(deps, shop.store, password);
  const { connectionId } = await chooseLocation(deps, shop.store, {
    prokipLocationId: cbd.id,
    credentials: { platform: "shopify", accessToken: shop.accessToken },
  });
  return { ...shop, connectionId };
}

describe("signing in to Prokip", () => {
  it("starts a new store at Connect Prokip, offering sample data only where the sandbox provides it", async () => {
    const shop = world.newShop();
    assert.deepEqual(await storeStage(deps, shop.store), { stage: "connect_prokip", sampleDataAvailable: true });
    assert.deepEqual(await storeStage(world.deps({ sampleData: null }), shop.store), {
      stage: "connect_prokip",
      sampleDataAvailable: false,
    });
  });

  it("signs in with a username and password: the business is made once, keyed by its Prokip id; the location step survives a reload", async () => {
    const first = world.newShop();
    const signedIn = await signInToProkip(deps, first.store, password);
    // The Connector names no business: UltimatePOS names the first location after it.
    assert.equal(signedIn.businessName, cbd.name);
    assert.deepEqual(signedIn.locations, [
      { prokipLocationId: cbd.id, name: cbd.name, usedBy: [] },
      { prokipLocationId: westlands.id, name: westlands.name, usedBy: [] },
    ]);
    const business = await prisma.business.findFirstOrThrow({
      where: { prokipBaseUrl: world.prokip.url, prokipBusinessId: demo.businessId },
    });
    assert.equal(business.authorityMode, "prokip");
    assert.equal(business.prokipSignedOutAt, null);
    // Sealed: the tokens and the username, never the password.
    assert.ok(business.prokipCredentials && !business.prokipCredentials.includes(demo.username));
    const sealed = openJson<{ username: string; tokens: { accessToken: string } }>(
      business.prokipCredentials,
      world.encryptionKey,
    );
    assert.equal(sealed.username, demo.username);
    assert.ok(sealed.tokens.accessToken.length > 0);
    assert.ok(!JSON.stringify(sealed).includes(demo.password));
    const signIn = await prisma.storeSignIn.findUniqueOrThrow({
      where: { platform_storeDomain: { platform: "shopify", storeDomain: first.store.storeDomain } },
    });
    assert.equal(signIn.businessId, business.id);

    // A reload: the same step, from what was stored.
    assert.deepEqual(await storeStage(deps, first.store), {
      stage: "choose_location",
      businessName: cbd.name,
      locations: signedIn.locations,
    });

    // A second store of the business joins it.
    const second = world.newShop();
    await signInToProkip(deps, second.store, password);
    assert.equal(
      await prisma.business.count({ where: { prokipBaseUrl: world.prokip.url, prokipBusinessId: demo.businessId } }),
      1,
    );
    assert.equal(
      (
        await prisma.storeSignIn.findUniqueOrThrow({
          where: { platform_storeDomain: { platform: "shopify", storeDomain: second.store.storeDomain } },
        })
      ).businessId,
      business.id,
    );
  });

  it("refuses a wrong password with prokip_rejected_credentials and keeps nothing", async () => {
    const shop = world.newShop();
    const before = await storedRows();
    await assert.rejects(
      signInToProkip(deps, shop.store, { username: demo.username, password: "not-the-password" }),
      failsWith("prokip_rejected_credentials", /^Prokip rejected the username or password$/),
    );
    await assert.rejects(
      signInToProkip(deps, shop.store, { username: "nobody", password: demo.password }),
      failsWith("prokip_rejected_credentials"),
    );
    assert.deepEqual(await storedRows(), before);
    assert.equal((await storeStage(deps, shop.store)).stage, "connect_prokip");
  });

  it("refuses input that is not a sign-in with invalid_input", async () => {
    const shop = world.newShop();
    await assert.rejects(signInToProkip(deps, shop.store, { username: "", password: "x" }), failsWith("invalid_input"));
    await assert.rejects(signInToProkip(deps, shop.store, { sampleData: false } as never), failsWith("invalid_input"));
    await assert.rejects(
      signInToProkip(deps, shop.store, { ...password, extra: 1 } as never),
      failsWith("invalid_input"),
    );
    await assert.rejects(
      signInToProkip(deps, { platform: "magento", storeDomain: "x.example" } as never, password),
      failsWith("invalid_input"),
    );
  });

  it("says Prokip is not reachable when it answers 5xx or nobody answers, and keeps nothing", async () => {
    const shop = world.newShop();
    const before = await storedRows();
    world.prokip.emulator.control.setFaultPlan({ errorRate: 1 });
    try {
      await assert.rejects(
        signInToProkip(deps, shop.store, password),
        failsWith("prokip_unreachable", /^Prokip is not reachable right now\. Try again in a few minutes\.$/),
      );
    } finally {
      world.prokip.emulator.control.setFaultPlan({});
    }
    // A Prokip that is down altogether: its port refuses connections.
    const gone = await prokipEmulator.startProkipEmulator({ port: 0 });
    await gone.close();
    await assert.rejects(
      signInToProkip(world.deps({ prokipBaseUrl: gone.url }), shop.store, password),
      failsWith("prokip_unreachable"),
    );
    assert.deepEqual(await storedRows(), before);
    assert.equal((await storeStage(deps, shop.store)).stage, "connect_prokip");
  });

  it("joins the demo business with sample data; sample data outside the sandbox is sample_data_unavailable", async () => {
    // The demo business as the sandbox makes it (demo/index.ts): named, then signed in.
    const isolated = await prokipEmulator.startProkipEmulator({ port: 0 });
    try {
      const seeded = isolated.emulator.control.seedDemo();
      const sandboxDeps = world.deps({ prokipBaseUrl: isolated.url });
      const demoBusiness = await prisma.business.create({
        data: { name: "Prokip Sync demo (sandbox)", authorityMode: "prokip" },
      });
      await signInBusiness(prisma, demoBusiness.id, {
        baseUrl: isolated.url,
        username: seeded.username,
        password: seeded.password,
        client: sandboxDeps.prokip.client,
        encryptionKey: world.encryptionKey,
      });
      assert.equal(
        (await prisma.business.findUniqueOrThrow({ where: { id: demoBusiness.id } })).prokipBusinessId,
        seeded.businessId,
      );
      const credentials = (await prisma.business.findUniqueOrThrow({ where: { id: demoBusiness.id } }))
        .prokipCredentials;

      const shop = world.newShop();
      const signedIn = await signInToProkip(sandboxDeps, shop.store, { sampleData: true });
      assert.equal(signedIn.businessName, "Prokip Sync demo (sandbox)");
      assert.equal(
        (
          await prisma.storeSignIn.findUniqueOrThrow({
            where: { platform_storeDomain: { platform: "shopify", storeDomain: shop.store.storeDomain } },
          })
        ).businessId,
        demoBusiness.id,
      );
      assert.equal(await prisma.business.count({ where: { prokipBaseUrl: isolated.url } }), 1);
      // The business's working sign-in is kept; the newcomer's is not swapped in.
      assert.equal(
        (await prisma.business.findUniqueOrThrow({ where: { id: demoBusiness.id } })).prokipCredentials,
        credentials,
      );

      const elsewhere = world.newShop();
      await assert.rejects(
        signInToProkip(world.deps({ sampleData: null }), elsewhere.store, { sampleData: true }),
        failsWith("sample_data_unavailable"),
      );
      assert.equal(await prisma.storeSignIn.count({ where: { storeDomain: elsewhere.store.storeDomain } }), 0);
    } finally {
      await isolated.close();
    }
  });
});

describe("choosing the Prokip location", () => {
  it("connects the store: location and connection made, token sealed, webhooks registered; a reload lands on product setup", async () => {
    const shop = world.newShop();
    await prisma.session.create({
      data: {
        id: `offline_${shop.store.storeDomain}`,
        shop: shop.store.storeDomain,
        state: "",
        accessToken: "sealed-elsewhere",
      },
    });
    await signInToProkip(deps, shop.store, password);
    const before = Date.now();
    const { connectionId } = await chooseLocation(deps, shop.store, {
      prokipLocationId: westlands.id,
      credentials: { platform: "shopify", accessToken: shop.accessToken },
    });

    const connection = await prisma.connection.findUniqueOrThrow({
      where: { id: connectionId },
      include: { location: true, business: true },
    });
    assert.equal(connection.storeDomain, shop.store.storeDomain);
    assert.equal(connection.status, "active");
    assert.equal(connection.setupStrategy, null);
    assert.equal(connection.location.prokipLocationId, westlands.id);
    assert.equal(connection.location.name, westlands.name);
    assert.equal(connection.business.prokipBusinessId, demo.businessId);
    assert.ok(connection.connectedAt && connection.connectedAt.getTime() >= before - 1_000);
    assert.ok(connection.credentials && !connection.credentials.includes(shop.accessToken));
    assert.equal(
      (await prisma.session.findUniqueOrThrow({ where: { id: `offline_${shop.store.storeDomain}` } })).businessId,
      connection.businessId,
    );
    assert.equal(await prisma.activityEvent.count({ where: { connectionId, type: "connection_connected" } }), 1);
    // A shop reached with its own token keeps core's own subscriptions.
    const subscriptions = await world.shopSubscriptions(shop);
    assert.ok(subscriptions.length >= 5 && subscriptions.every((s) => s.uri === `${world.publicUrl}/webhooks/shopify`));

    assert.deepEqual(await storeStage(deps, shop.store), {
      stage: "set_up_products",
      connectionId,
      activeRun: null,
      lastRun: null,
    });
    // A second click changes nothing.
    assert.deepEqual(
      await chooseLocation(deps, shop.store, {
        prokipLocationId: westlands.id,
        credentials: { platform: "shopify", accessToken: shop.accessToken },
      }),
      { connectionId },
    );
    assert.equal(await prisma.connection.count({ where: { storeDomain: shop.store.storeDomain } }), 1);

    // Another store of the business sees the location taken (it may still choose it).
    const other = world.newShop();
    const offered = await signInToProkip(deps, other.store, password);
    assert.deepEqual(offered.locations.find((l) => l.prokipLocationId === westlands.id)?.usedBy, [
      shop.store.storeDomain,
    ]);
  });

  it("refuses a choice before signing in, an unknown location, another store's kind of credentials and a token the shop refuses; nothing is made", async () => {
    const shop = world.newShop();
    const credentials = { platform: "shopify" as const, accessToken: shop.accessToken };
    await assert.rejects(
      chooseLocation(deps, shop.store, { prokipLocationId: cbd.id, credentials }),
      failsWith("store_not_connected", /Sign in to Prokip first/),
    );
    await signInToProkip(deps, shop.store, password);
    const before = await storedRows();
    await assert.rejects(
      chooseLocation(deps, shop.store, { prokipLocationId: 999_999, credentials }),
      failsWith("invalid_input"),
    );
    await assert.rejects(
      chooseLocation(deps, shop.store, {
        prokipLocationId: cbd.id,
        credentials: { platform: "woocommerce", consumerKey: "ck", consumerSecret: "cs" },
      }),
      failsWith("invalid_input"),
    );
    await assert.rejects(
      chooseLocation(deps, shop.store, {
        prokipLocationId: cbd.id,
        credentials: { platform: "shopify", accessToken: "shpat_wrong" },
      }),
      failsWith("invalid_input", /rejected/),
    );
    await assert.rejects(
      chooseLocation(deps, shop.store, { prokipLocationId: "1" as never, credentials }),
      failsWith("invalid_input"),
    );
    assert.equal(await prisma.connection.count({ where: { storeDomain: shop.store.storeDomain } }), 0);
    assert.equal((await storedRows()).connections, before.connections);
    assert.equal((await storeStage(deps, shop.store)).stage, "choose_location");
  });

  it("reconnects a disconnected store on its own row: history kept, products set up again", async () => {
    const shop = await connectedShop();
    await prisma.connection.update({ where: { id: shop.connectionId }, data: { setupStrategy: "push" } });
    const { businessId } = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    await prisma.order.create({
      data: {
        businessId,
        connectionId: shop.connectionId,
        externalId: "gid://shopify/Order/1",
        storeUpdatedAt: new Date(),
        payloadDigest: "d",
      },
    });
    assert.equal((await storeStage(deps, shop.store)).stage, "ready");

    const disconnected = await disconnectStore(deps, shop.store);
    assert.ok(disconnected.webhooksRemoved >= 5);
    assert.equal(disconnected.webhookError, null);
    assert.deepEqual(disconnected.kept, { orders: 1, products: 0 });
    assert.equal(disconnected.dashboard.status, "disconnected");
    assert.deepEqual(await world.shopSubscriptions(shop), []);
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    assert.equal(row.status, "disconnected");
    assert.equal(row.credentials, null);
    assert.equal(
      await prisma.activityEvent.count({ where: { connectionId: shop.connectionId, type: "connection_disconnected" } }),
      1,
    );
    // Still signed in: back at the location step.
    assert.equal((await storeStage(deps, shop.store)).stage, "choose_location");

    const again = await chooseLocation(deps, shop.store, {
      prokipLocationId: westlands.id,
      credentials: { platform: "shopify", accessToken: shop.accessToken },
    });
    assert.equal(again.connectionId, shop.connectionId);
    const reconnected = await prisma.connection.findUniqueOrThrow({
      where: { id: shop.connectionId },
      include: { location: true },
    });
    assert.equal(reconnected.status, "active");
    assert.equal(reconnected.setupStrategy, null);
    assert.equal(reconnected.location.prokipLocationId, westlands.id);
    assert.equal(await prisma.order.count({ where: { connectionId: shop.connectionId } }), 1);
    assert.equal((await storeStage(deps, shop.store)).stage, "set_up_products");
  });
});

describe("who subscribes a shop's webhooks", () => {
  it("leaves an app-installed shop's to the app: core keeps no shop-scoped subscription, at connect or at reconciliation", async () => {
    const shop = await connectedShop();
    const plain = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    const environment = { publicUrl: world.publicUrl, encryptionKey: world.encryptionKey };
    assert.equal(webhookTargetFor(plain, environment)?.topics.length, 11);
    const before = await world.shopSubscriptions(shop);
    assert.equal(before.length, 11);

    const appSession = {
      ...plain,
      credentials: sealStoreCredentials({ platform: "shopify", tokenSource: "app_session" }, world.encryptionKey),
    };
    const target = webhookTargetFor(appSession, environment);
    assert.deepEqual(target, {
      url: `${world.publicUrl}/webhooks/shopify`,
      topics: [],
      secret: "signed-with-the-app-secret",
    });

    // Reconciliation with that target removes what core had subscribed (the shop is reached with its token here).
    const channel = channelForConnection(plain, world.deps().channels);
    const result = await reconcileConnection(
      { pool, log: world.log },
      { ...plain, prokipLocationId: null, authorityMode: "prokip", webhooks: target },
      channel,
      null,
    );
    assert.equal(result.webhooks?.removed, 11);
    assert.deepEqual(await world.shopSubscriptions(shop), []);
    // And asking again finds nothing to remove.
    assert.deepEqual(await keepWebhookSubscriptions(channel, target!), {
      healthy: [],
      created: [],
      reenabled: [],
      removed: 0,
    });
  });
});

describe("app/uninstalled", () => {
  it("stops sync and forgets the sign-in when triggered after the store's latest connect", async () => {
    const shop = await connectedShop();
    assert.equal(
      await uninstallStore(pool, {
        platform: "shopify",
        storeDomain: shop.store.storeDomain,
        triggeredAt: new Date(Date.now() + 1_000),
      }),
      "uninstalled",
    );
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    assert.equal(row.status, "disconnected");
    assert.equal(row.credentials, null);
    assert.equal(
      await prisma.activityEvent.count({ where: { connectionId: shop.connectionId, type: "app_uninstalled" } }),
      1,
    );
    assert.equal(await prisma.storeSignIn.count({ where: { storeDomain: shop.store.storeDomain } }), 0);
    assert.equal((await storeStage(deps, shop.store)).stage, "connect_prokip");
    // A retry of the same delivery changes nothing more.
    assert.equal(
      await uninstallStore(pool, {
        platform: "shopify",
        storeDomain: shop.store.storeDomain,
        triggeredAt: new Date(Date.now() + 1_000),
      }),
      "uninstalled",
    );
    assert.equal(
      await prisma.activityEvent.count({ where: { connectionId: shop.connectionId, type: "app_uninstalled" } }),
      1,
    );
  });

  it("ignores one triggered before the store's latest connect (reinstalled and connected again), from the app's route or the inbox", async () => {
    const shop = await connectedShop();
    const { connectedAt, businessId } = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    const earlier = new Date(connectedAt!.getTime() - 60_000);

    assert.equal(
      await uninstallStore(pool, { platform: "shopify", storeDomain: shop.store.storeDomain, triggeredAt: earlier }),
      "ignored_late",
    );
    assert.equal(await markUninstalled(pool, shop.connectionId, { triggeredAt: earlier }), "ignored_late");

    // The same late delivery stored in the inbox and handled by the worker.
    await prisma.webhookEvent.create({
      data: {
        businessId,
        connectionId: shop.connectionId,
        platform: "shopify",
        topic: "app/uninstalled",
        deliveryId: randomUUID(),
        payload: { domain: shop.store.storeDomain },
        triggeredAt: earlier,
      },
    });
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    const inbox = await processInbox(
      pool,
      { id: row.id, businessId, platform: "shopify" },
      channelForConnection(row, world.deps().channels),
      world.log,
    );
    assert.equal(inbox.processed, 1);

    const after = await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } });
    assert.equal(after.status, "active");
    assert.ok(after.credentials);
    assert.equal(
      await prisma.activityEvent.count({ where: { connectionId: shop.connectionId, type: "app_uninstalled" } }),
      0,
    );
    assert.equal(await prisma.storeSignIn.count({ where: { storeDomain: shop.store.storeDomain } }), 1);
    assert.equal((await storeStage(deps, shop.store)).stage, "set_up_products");

    // Without a trigger time (a delivery that did not say) it is applied, as before.
    assert.equal(await markUninstalled(pool, shop.connectionId), "uninstalled");
    assert.equal(
      (await prisma.connection.findUniqueOrThrow({ where: { id: shop.connectionId } })).status,
      "disconnected",
    );
  });

  it("forgets the sign-in of a store that never connected, unless it signed in after the uninstall was triggered", async () => {
    const shop = world.newShop();
    await signInToProkip(deps, shop.store, password);
    assert.equal(
      await uninstallStore(pool, {
        platform: "shopify",
        storeDomain: shop.store.storeDomain,
        triggeredAt: new Date(Date.now() - 60_000),
      }),
      "not_connected",
    );
    assert.equal((await storeStage(deps, shop.store)).stage, "choose_location");
    assert.equal(
      await uninstallStore(pool, {
        platform: "shopify",
        storeDomain: shop.store.storeDomain,
        triggeredAt: new Date(Date.now() + 1_000),
      }),
      "not_connected",
    );
    assert.equal((await storeStage(deps, shop.store)).stage, "connect_prokip");
  });
});

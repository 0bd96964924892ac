/**
 * The posting worker and businesses that cannot post: jobs of an order or business that no
 * longer exists (a sandbox restart erases its old demo business) are dropped, jobs of a business
 * that is not signed in to Prokip are parked on the order; neither fails, asks Prokip, nor comes
 * back, and another business's posting goes through. Real PostgreSQL and pg-boss, the Prokip
 * emulator over HTTP.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { prokip } from "@prokip-sync/sandbox";
import { signInBusiness } from "../src/connections/index.ts";
import { runPosting, startQueue, WAITING_FOR_SIGN_IN, type WorkerDependencies } from "../src/jobs/index.ts";
import { createLogger } from "../src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../src/security/index.ts";
import { applyOrderState } from "../src/sync/index.ts";
import { testDatabase } from "./support/database.ts";
import { createShop, createVariant, type Shop } from "./support/fixtures.ts";

const db = await testDatabase({ poolSize: 12 });
const { prisma, pool } = db;
const log = createLogger({ level: "silent" });
const encryptionKey = parseEncryptionKey(generateEncryptionKey());
const started = await prokip.startProkipEmulator({ port: 0, rateLimit: { limit: 100_000, windowSeconds: 60 } });
const demo = started.emulator.control.seedDemo();
const boss = await startQueue(db.url, log);
after(async () => {
  await boss.stop({ graceful: false, timeout: 2_000 });
  await started.close();
});

const CBD = 210001; // Nairobi CBD Store in the emulator's demo business
const SHIRT = { sku: "shirt1", productId: 430001, variationId: 550001 };

const deps: WorkerDependencies = {
  pool,
  prisma,
  boss,
  log,
  publicUrl: "http://127.0.0.1:9",
  channels: { encryptionKey, log },
  prokipClient: { clientId: demo.clientId, clientSecret: demo.clientSecret },
};

/**
 * A Prokip-mode business with one pending order, signed in to the emulated Prokip; or, given
 * `like`, holding a copy of that business's sign-in (one Business per Prokip business).
 */
async function businessWithOrder(like?: Shop): Promise<{ shop: Shop; orderId: string }> {
  const shop = await createShop(prisma, { mode: "prokip", platform: "shopify" });
  await prisma.location.update({ where: { id: shop.locationId }, data: { prokipLocationId: CBD } });
  if (like) {
    const signedIn = await prisma.business.findUniqueOrThrow({ where: { id: like.businessId } });
    await prisma.business.update({
      where: { id: shop.businessId },
      data: { prokipBaseUrl: signedIn.prokipBaseUrl, prokipCredentials: signedIn.prokipCredentials },
    });
  } else {
    await signInBusiness(prisma, shop.businessId, {
      baseUrl: started.url,
      username: demo.username,
      password: demo.password,
      client: deps.prokipClient!,
      encryptionKey,
    });
  }
  const variantId = await createVariant(db, shop, SHIRT.sku, 10);
  await prisma.variant.update({
    where: { id: variantId },
    data: { prokipProductId: SHIRT.productId, prokipVariationId: SHIRT.variationId, price: "1500.0000" },
  });
  const { orderId } = await applyOrderState(pool, {
    connectionId: shop.connectionId,
    externalId: randomUUID(),
    number: `#${Math.floor(Math.random() * 1e9)}`,
    updatedAt: new Date(),
    paid: true,
    cancelled: false,
    lines: [{ lineId: "1", sku: SHIRT.sku, quantity: 1 }],
  });
  return { shop, orderId };
}

async function queuedPostings(businessId: string): Promise<number> {
  const { rows } = await pool.query<{ count: number }>(
    `SELECT count(*)::int AS "count" FROM pgboss.job
     WHERE name = 'posting' AND data->>'businessId' = $1 AND state IN ('created', 'retry', 'active')`,
    [businessId],
  );
  return rows[0]!.count;
}

describe("posting jobs of businesses that cannot post", () => {
  it("are dropped or parked without asking Prokip, and another business's order is posted", async () => {
    const live = await businessWithOrder();
    // Signed out: Prokip refused its sign-in earlier (the tokens themselves would still work here).
    const signedOut = await businessWithOrder(live.shop);
    await prisma.business.update({
      where: { id: signedOut.shop.businessId },
      data: { prokipSignedOutAt: new Date() },
    });
    // Never signed in (or its sign-in was forgotten).
    const unsigned = await businessWithOrder(live.shop);
    await prisma.business.update({
      where: { id: unsigned.shop.businessId },
      data: { prokipCredentials: null },
    });
    const sellsBefore = started.emulator.control.listSells({ businessId: demo.businessId }).length;

    // Ahead of the live one: a business erased with its orders (an old sandbox demo), and the two above.
    const gone = Array.from({ length: 20 }, () => ({ businessId: randomUUID(), orderId: randomUUID() }));
    for (const job of gone) await assert.doesNotReject(runPosting(deps, job));
    for (const parked of [signedOut, unsigned]) {
      await assert.doesNotReject(runPosting(deps, { businessId: parked.shop.businessId, orderId: parked.orderId }));
      const order = await prisma.order.findUniqueOrThrow({ where: { id: parked.orderId } });
      assert.deepEqual([order.postingState, order.postingError], ["failed", WAITING_FOR_SIGN_IN]);
      assert.equal(await queuedPostings(parked.shop.businessId), 0, "a parked order is not asked for again");
    }
    for (const job of gone) assert.equal(await queuedPostings(job.businessId), 0);
    assert.equal(
      started.emulator.control.listSells({ businessId: demo.businessId }).length,
      sellsBefore,
      "Prokip was not asked for the businesses that cannot post",
    );

    await runPosting(deps, { businessId: live.shop.businessId, orderId: live.orderId });
    const posted = await prisma.order.findUniqueOrThrow({ where: { id: live.orderId } });
    assert.equal(posted.postingState, "posted");
    assert.equal(started.emulator.control.listSells({ businessId: demo.businessId }).length, sellsBefore + 1);
  });
});

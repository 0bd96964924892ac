/**
 * The sandbox's demo business: a Prokip business (Prokip is the authority, one location)
 * connected to the demo Shopify shop and the demo WooCommerce site, through the real adapters
 * and real webhooks, exactly as a merchant's would be. It is the emulated Prokip's demo
 * business (recorded by its Prokip id), so a shop choosing "Try with sample data" joins it.
 * The emulators keep their state in memory, so the demo business is rebuilt from scratch at
 * every start. Core logic driving the real adapters over HTTP, so it lives here, not in the
 * sandbox workspace: the sandbox only hands over its demo credentials (`DemoCredentials`).
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { shopify, woocommerce } from "../channels/index.ts";
import {
  channelForConnection,
  posForBusiness,
  sealStoreCredentials,
  signInBusiness,
  type ChannelEnvironment,
  type ProkipClientConfig,
} from "../connections/index.ts";
import type { Logger } from "../log/index.ts";
import { encryptSecret } from "../security/index.ts";
import { runSetup, type SetupDeps } from "../setup/index.ts";
import { storeTarget } from "../domain/index.ts";
import type { PrismaClient } from "../store/index.ts";

/** The sandbox's demo shop, site and Prokip business, as the sandbox gives them (what core reads of them). */
export interface DemoCredentials {
  shopify: { shop: string; accessToken: string; apiKey: string; apiSecret: string };
  woocommerce: { siteUrl: string; consumerKey: string; consumerSecret: string };
  prokip: {
    baseUrl: string;
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    locations: { id: number; name: string }[];
  };
}

export const DEMO_BUSINESS_NAME = "Prokip Sync demo (sandbox)";

export interface DemoBusiness {
  businessId: string;
  locationId: string;
  prokipLocationId: number;
  shopifyConnectionId: string;
  wooConnectionId: string;
}

export interface DemoDependencies {
  prisma: PrismaClient;
  pool: pg.Pool;
  log: Logger;
  encryptionKey: Buffer;
  /** Where the backend receives webhooks, e.g. http://localhost:3000. */
  publicUrl: string;
  credentials: DemoCredentials;
  channels: ChannelEnvironment;
  prokipClient: ProkipClientConfig;
}

export async function connectDemoBusiness(deps: DemoDependencies): Promise<DemoBusiness> {
  const { prisma, credentials } = deps;
  // The emulated Prokip starts empty at every start, so every business signed in to it before
  // (the demo, and any a merchant screen joined or made with "Try with sample data") is stale.
  const stale = await prisma.business.findMany({
    where: { OR: [{ name: DEMO_BUSINESS_NAME }, { prokipBaseUrl: credentials.prokip.baseUrl }] },
    select: { id: true },
  });
  for (const old of stale) {
    await eraseBusiness(deps.pool, old.id);
  }

  const business = await prisma.business.create({ data: { name: DEMO_BUSINESS_NAME, authorityMode: "prokip" } });
  await signInBusiness(prisma, business.id, {
    baseUrl: credentials.prokip.baseUrl,
    username: credentials.prokip.username,
    password: credentials.prokip.password,
    client: deps.prokipClient,
    encryptionKey: deps.encryptionKey,
  });
  const prokipLocation = credentials.prokip.locations[0]!;
  const location = await prisma.location.create({
    data: { businessId: business.id, name: prokipLocation.name, prokipLocationId: prokipLocation.id },
  });

  const shopifyConnection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: "shopify",
      storeDomain: credentials.shopify.shop,
      locationId: location.id,
      setupStrategy: "push",
      credentials: sealStoreCredentials(
        { platform: "shopify", accessToken: credentials.shopify.accessToken },
        deps.encryptionKey,
      ),
    },
  });
  const wooSecret = randomBytes(24).toString("hex");
  const wooConnection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: "woocommerce",
      storeDomain: credentials.woocommerce.siteUrl,
      locationId: location.id,
      setupStrategy: "push",
      credentials: sealStoreCredentials(
        {
          platform: "woocommerce",
          consumerKey: credentials.woocommerce.consumerKey,
          consumerSecret: credentials.woocommerce.consumerSecret,
        },
        deps.encryptionKey,
      ),
      webhookSecret: encryptSecret(wooSecret, deps.encryptionKey),
    },
  });

  // "Use my Prokip products" on both stores: every Prokip product appears in both, linked.
  const setup: SetupDeps = {
    prisma,
    pool: deps.pool,
    log: deps.log,
    channelFor: (connection) => channelForConnection(connection, deps.channels),
    posFor: (businessId) =>
      posForBusiness(prisma, businessId, {
        client: deps.prokipClient,
        encryptionKey: deps.encryptionKey,
        log: deps.log,
      }),
  };
  for (const connectionId of [shopifyConnection.id, wooConnection.id]) {
    const run = await runSetup(setup, { connectionId, strategy: "push", options: { status: "active" } });
    deps.log.info({ connectionId, state: run.state, counts: run.counts }, "demo store set up");
  }

  await channelForConnection(shopifyConnection, deps.channels).ensureWebhooks({
    url: `${deps.publicUrl}/webhooks/shopify`,
    topics: shopify.SHOPIFY_WEBHOOK_TOPICS,
    secret: "signed-with-the-app-secret",
  });
  await channelForConnection(wooConnection, deps.channels).ensureWebhooks({
    url: `${deps.publicUrl}/webhooks/woocommerce/${wooConnection.id}`,
    topics: woocommerce.WOOCOMMERCE_WEBHOOK_TOPICS,
    secret: wooSecret,
  });

  return {
    businessId: business.id,
    locationId: location.id,
    prokipLocationId: prokipLocation.id,
    shopifyConnectionId: shopifyConnection.id,
    wooConnectionId: wooConnection.id,
  };
}

/** One demo SKU as the sandbox console shows it: the product, its Prokip variation and the ledger's figures. */
export interface DemoStockRow {
  sku: string;
  product: string;
  prokipVariationId: number | null;
  available: number;
  /** What each store should show (the largest buffer of the business's connections applied). */
  target: number;
}

/** Every SKU of the demo business with its availability at the demo location, in SKU order. */
export async function demoStock(pool: pg.Pool, demo: DemoBusiness): Promise<DemoStockRow[]> {
  const { rows } = await pool.query<{
    sku: string;
    product: string;
    prokipVariationId: number | null;
    available: number | null;
    buffer: number | null;
  }>(
    `SELECT v."sku", v."productTitle" || CASE WHEN v."title" <> v."productTitle" THEN ' - ' || v."title" ELSE '' END AS "product",
            v."prokipVariationId", s."available", (SELECT max(c."buffer") FROM "Connection" c WHERE c."businessId" = v."businessId") AS "buffer"
     FROM "Variant" v
     LEFT JOIN "StockLevel" s ON s."businessId" = v."businessId" AND s."variantId" = v."id" AND s."locationId" = $2
     WHERE v."businessId" = $1 ORDER BY v."sku"`,
    [demo.businessId, demo.locationId],
  );
  return rows.map((row) => ({
    sku: row.sku,
    product: row.product,
    prokipVariationId: row.prokipVariationId,
    available: row.available ?? 0,
    target: storeTarget(row.available ?? 0, row.buffer ?? 0),
  }));
}

/** The Prokip variation of one of the demo business's SKUs (matched as SKUs are), or null. */
export async function demoProkipVariationId(pool: pg.Pool, demo: DemoBusiness, sku: string): Promise<number | null> {
  const { rows } = await pool.query<{ prokipVariationId: number | null }>(
    `SELECT "prokipVariationId" FROM "Variant" WHERE "businessId" = $1 AND "normalizedSku" = lower(trim($2))`,
    [demo.businessId, sku],
  );
  return rows[0]?.prokipVariationId ?? null;
}

/** Every row of one tenant, in an order the foreign keys accept. */
async function eraseBusiness(pool: pg.Pool, businessId: string): Promise<void> {
  for (const table of [
    "WebhookEvent",
    "ActivityEvent",
    "SyncRun",
    "StockMovement",
    "Order",
    "Listing",
    "StockLevel",
    "Variant",
    "Connection",
    "Location",
  ]) {
    await pool.query(`DELETE FROM "${table}" WHERE "businessId" = $1`, [businessId]);
  }
  await pool.query(`DELETE FROM "Business" WHERE "id" = $1`, [businessId]);
}

/**
 * Connecting a store: the credentials are checked against the store itself before anything is
 * kept, then stored sealed, and the webhook subscriptions are registered (none for a Shopify shop
 * whose app subscriptions deliver them: see webhooks.ts). Connecting a store that was
 * disconnected before reuses its row, so its history stays with it.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { ChannelError, keepWebhookSubscriptions, type StoreInfo } from "../channels/index.ts";
import { SyncError } from "../domain/index.ts";
import { encryptSecret } from "../security/index.ts";
import type { PrismaClient } from "../store/index.ts";
import { channelForConnection, type ChannelEnvironment } from "./channels.ts";
import { sealStoreCredentials, storeCredentialsSchema } from "./credentials.ts";
import { webhookTargetFor } from "./webhooks.ts";

const connectRequestSchema = z
  .object({
    businessId: z.uuid(),
    locationId: z.uuid(),
    /** Shopify: the myshopify domain; WooCommerce: the site URL. */
    storeDomain: z.string().trim().min(3),
    credentials: storeCredentialsSchema,
  })
  .strict()
  .refine((r) => r.credentials.platform !== "shopify" || /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/u.test(r.storeDomain), {
    message: "a Shopify store is its myshopify.com domain",
    path: ["storeDomain"],
  })
  .refine((r) => r.credentials.platform !== "woocommerce" || /^https?:\/\//u.test(r.storeDomain), {
    message: "a WooCommerce store is its site URL",
    path: ["storeDomain"],
  });

export interface ConnectResult {
  connectionId: string;
  store: StoreInfo;
  webhooks: { created: string[]; healthy: string[] };
}

export async function connectStore(
  deps: { prisma: PrismaClient; channels: ChannelEnvironment; publicUrl: string },
  input: unknown,
): Promise<ConnectResult> {
  const parsed = connectRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new SyncError(
      "invalid_input",
      "The connection request is not valid",
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  const request = parsed.data;
  const platform = request.credentials.platform;
  const location = await deps.prisma.location.findFirst({
    where: { id: request.locationId, businessId: request.businessId },
  });
  if (!location)
    throw new SyncError("invalid_input", "That location is not one of this business's", [
      { path: "locationId", message: "unknown location" },
    ]);
  const existing = await deps.prisma.connection.findUnique({ where: { storeDomain: request.storeDomain } });
  if (existing && (existing.businessId !== request.businessId || existing.status !== "disconnected")) {
    throw new SyncError("invalid_input", "This store is already connected", [
      { path: "storeDomain", message: "already connected" },
    ]);
  }

  const sealed = sealStoreCredentials(request.credentials, deps.channels.encryptionKey);
  const candidate = {
    id: existing?.id ?? "new",
    platform,
    storeDomain: request.storeDomain,
    storeLocationId: null,
    credentials: sealed,
  };
  let store: StoreInfo;
  try {
    store = await channelForConnection(candidate, deps.channels).describeStore();
  } catch (error) {
    if (error instanceof ChannelError && error.code === "unauthorized") {
      throw new SyncError(
        "invalid_input",
        `${platform === "shopify" ? "Shopify" : "WooCommerce"} rejected these credentials`,
        [{ path: "credentials", message: "rejected by the store" }],
      );
    }
    throw new SyncError(
      "invalid_input",
      `The store could not be reached: ${error instanceof Error ? error.message : String(error)}`,
      [{ path: "storeDomain", message: "unreachable" }],
    );
  }

  const webhookSecret = randomBytes(24).toString("hex");
  const data = {
    businessId: request.businessId,
    platform,
    storeDomain: request.storeDomain,
    locationId: request.locationId,
    status: "active" as const,
    credentials: sealed,
    webhookSecret: platform === "woocommerce" ? encryptSecret(webhookSecret, deps.channels.encryptionKey) : null,
    // A store connected again sets its products up again: its listings date from before the
    // disconnect and its location may have changed.
    setupStrategy: null,
    connectedAt: new Date(),
    disconnectedAt: null,
    lastError: null,
  };
  const connection = existing
    ? await deps.prisma.connection.update({ where: { id: existing.id }, data })
    : await deps.prisma.connection.create({ data });

  const channel = channelForConnection(connection, deps.channels);
  const target = webhookTargetFor(connection, {
    publicUrl: deps.publicUrl,
    encryptionKey: deps.channels.encryptionKey,
  });
  const report = target ? await keepWebhookSubscriptions(channel, target) : { healthy: [], created: [] };
  await deps.prisma.activityEvent.create({
    data: {
      businessId: request.businessId,
      connectionId: connection.id,
      type: "connection_connected",
      message: `${store.name} connected`,
    },
  });
  return { connectionId: connection.id, store, webhooks: { created: report.created, healthy: report.healthy } };
}

/**
 * Shopify's shop/redact (48 hours after uninstall): erase what we hold about the shop. Orders
 * (which carry customer-facing numbers and lines), deliveries, listings, its activity and the
 * connection itself go; the business's own stock ledger keeps its movements, which name no
 * customer and are the business's record.
 */
export async function redactShop(prisma: PrismaClient, shop: string): Promise<{ erased: boolean }> {
  const connection = await prisma.connection.findUnique({ where: { storeDomain: shop } });
  if (!connection || connection.platform !== "shopify") return { erased: false };
  await prisma.$transaction([
    prisma.webhookEvent.deleteMany({ where: { businessId: connection.businessId, connectionId: connection.id } }),
    prisma.activityEvent.deleteMany({ where: { businessId: connection.businessId, connectionId: connection.id } }),
    prisma.order.deleteMany({ where: { businessId: connection.businessId, connectionId: connection.id } }),
    prisma.listing.deleteMany({ where: { businessId: connection.businessId, connectionId: connection.id } }),
    prisma.stockMovement.updateMany({
      where: { businessId: connection.businessId, connectionId: connection.id },
      data: { connectionId: null, externalRef: null },
    }),
    prisma.session.deleteMany({ where: { shop } }),
    prisma.connection.delete({ where: { id: connection.id } }),
  ]);
  return { erased: true };
}

/**
 * Small builders for the rows a test needs: a business, its location, a connected store,
 * catalogue variants with their listings, and opening stock.
 */
import { normalizeSku } from "../../src/domain/index.ts";
import { applyMovements, recordProkipReadings } from "../../src/ledger/index.ts";
import {
  withTransaction,
  type AuthorityMode,
  type Database,
  type Platform,
  type PrismaClient,
} from "../../src/store/index.ts";

let counter = 0;
const unique = () => `${process.pid}-${++counter}`;

export interface Shop {
  businessId: string;
  locationId: string;
  connectionId: string;
  mode: AuthorityMode;
}

export async function createShop(
  prisma: PrismaClient,
  options: { mode?: AuthorityMode; platform?: Platform; buffer?: number; settings?: object } = {},
): Promise<Shop> {
  const mode = options.mode ?? "central";
  const business = await prisma.business.create({ data: { name: `Business ${unique()}`, authorityMode: mode } });
  const location = await prisma.location.create({
    data: { businessId: business.id, name: "Main store", prokipLocationId: 1 },
  });
  const connection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: options.platform ?? "shopify",
      storeDomain: `shop-${unique()}.myshopify.com`,
      locationId: location.id,
      buffer: options.buffer ?? 0,
      settings: options.settings ?? {},
    },
  });
  return { businessId: business.id, locationId: location.id, connectionId: connection.id, mode };
}

/** A second store on the same business and location. */
export async function addConnection(
  prisma: PrismaClient,
  shop: Shop,
  options: { platform?: Platform; buffer?: number } = {},
): Promise<string> {
  const connection = await prisma.connection.create({
    data: {
      businessId: shop.businessId,
      platform: options.platform ?? "woocommerce",
      storeDomain: `https://site-${unique()}.example`,
      locationId: shop.locationId,
      buffer: options.buffer ?? 0,
    },
  });
  return connection.id;
}

/** A variant with a matched listing on every connection of the business, and its opening stock. */
export async function createVariant(
  { prisma, pool }: Pick<Database, "prisma" | "pool">,
  shop: Shop,
  sku: string,
  stock: number,
): Promise<string> {
  const variant = await prisma.variant.create({
    data: {
      businessId: shop.businessId,
      sku,
      normalizedSku: normalizeSku(sku)!,
      title: sku,
      productTitle: `Product ${sku}`,
    },
  });
  const connections = await prisma.connection.findMany({ where: { businessId: shop.businessId } });
  for (const connection of connections) {
    await prisma.listing.create({
      data: {
        businessId: shop.businessId,
        connectionId: connection.id,
        variantId: variant.id,
        externalProductId: `p-${unique()}`,
        externalVariantId: `v-${unique()}`,
        sku,
        normalizedSku: normalizeSku(sku),
        title: sku,
        matchStatus: "matched",
      },
    });
  }
  await withTransaction(pool, async (sql) => {
    if (shop.mode === "central") {
      await applyMovements(sql, [
        {
          businessId: shop.businessId,
          locationId: shop.locationId,
          variantId: variant.id,
          delta: stock,
          reason: "import",
          idempotencyKey: `import:${variant.id}`,
          postingState: "not_required",
        },
      ]);
    } else {
      const at = new Date(Date.now() - 60_000);
      await recordProkipReadings(sql, {
        businessId: shop.businessId,
        locationId: shop.locationId,
        startedAt: at,
        finishedAt: at,
        readings: [{ variantId: variant.id, quantity: stock }],
      });
    }
  });
  await prisma.listing.updateMany({ where: { variantId: variant.id }, data: { dirty: false, dirtySince: null } });
  return variant.id;
}

export async function available(prisma: PrismaClient, shop: Shop, variantId: string): Promise<number> {
  const level = await prisma.stockLevel.findUnique({
    where: { businessId_locationId_variantId: { businessId: shop.businessId, locationId: shop.locationId, variantId } },
  });
  return level?.available ?? 0;
}

/** Net units the ledger holds for one order and variant (negative = taken from stock). */
export async function orderNet(prisma: PrismaClient, orderId: string, variantId: string): Promise<number> {
  const sum = await prisma.stockMovement.aggregate({ where: { orderId, variantId }, _sum: { delta: true } });
  return sum._sum.delta ?? 0;
}

/**
 * What each store should show: `max(0, available - buffer)` for the connection's location.
 */
import { storeTarget } from "../domain/index.ts";
import type { PrismaClient } from "../store/index.ts";

export interface ListingTarget {
  listingId: string;
  variantId: string;
  available: number;
  target: number;
  lastPushedQuantity: number | null;
  dirty: boolean;
}

/** Targets for a connection's matched listings (all of them, or only the dirty ones). */
export async function listingTargets(
  db: PrismaClient,
  businessId: string,
  connectionId: string,
  options: { onlyDirty?: boolean; limit?: number } = {},
): Promise<ListingTarget[]> {
  const connection = await db.connection.findFirstOrThrow({
    where: { id: connectionId, businessId },
    select: { locationId: true, buffer: true },
  });
  const listings = await db.listing.findMany({
    where: {
      businessId,
      connectionId,
      matchStatus: "matched",
      variantId: { not: null },
      ...(options.onlyDirty ? { dirty: true } : {}),
    },
    select: { id: true, variantId: true, lastPushedQuantity: true, dirty: true },
    orderBy: { id: "asc" },
    ...(options.limit ? { take: options.limit } : {}),
  });
  const variantIds = listings.map((listing) => listing.variantId!);
  const levels = await db.stockLevel.findMany({
    where: { businessId, locationId: connection.locationId, variantId: { in: variantIds } },
    select: { variantId: true, available: true },
  });
  const availableByVariant = new Map(levels.map((level) => [level.variantId, level.available]));
  return listings.map((listing) => {
    const available = availableByVariant.get(listing.variantId!) ?? 0;
    return {
      listingId: listing.id,
      variantId: listing.variantId!,
      available,
      target: storeTarget(available, connection.buffer),
      lastPushedQuantity: listing.lastPushedQuantity,
      dirty: listing.dirty,
    };
  });
}

/**
 * Store orders into the ledger ("orders are state, not events").
 *
 * Any notification about an order (created, paid, edited, refunded, cancelled; duplicated,
 * late or out of order) carries the order's full current state. Under a per-order lock we
 * compute the stock the order should hold now, compare it with what the ledger already holds
 * for the order, and write only the difference. Replaying any subset of deliveries in any
 * order converges to the same ledger.
 */
import { createHash } from "node:crypto";
import {
  SyncError,
  normalizedOrderSchema,
  orderSoldBySku,
  planOrderMovements,
  readConnectionSettings,
  type NormalizedOrder,
  type PlannedOrderMovement,
} from "../domain/index.ts";
import { applyMovements, type AppliedMovements, type Transaction } from "../ledger/index.ts";
import type { PrismaClient } from "../store/index.ts";

export type ApplyOrderStatus = "applied" | "unchanged" | "stale";

export interface ApplyOrderResult {
  status: ApplyOrderStatus;
  orderId: string;
  movements: PlannedOrderMovement[];
  ledger: AppliedMovements | null;
  /** Normalised SKUs on the order that match no product in the catalogue. */
  unmatchedSkus: string[];
}

/**
 * Validates `input` as a normalised order and brings the ledger in line with it.
 * Throws SyncError `invalid_order` (nothing written) or `unknown_connection`.
 */
export async function applyOrderState(prisma: PrismaClient, input: unknown): Promise<ApplyOrderResult> {
  const parsed = normalizedOrderSchema.safeParse(input);
  if (!parsed.success) {
    throw new SyncError("invalid_order", "The order is not valid", parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })));
  }
  const order = parsed.data;
  const connection = await prisma.connection.findUnique({
    where: { id: order.connectionId },
    select: { id: true, businessId: true, locationId: true, platform: true, settings: true, business: { select: { authorityMode: true } } },
  });
  if (!connection) throw new SyncError("unknown_connection", `No connection ${order.connectionId}`);
  const { deductOn } = readConnectionSettings(connection.settings);
  const postsToProkip = connection.business.authorityMode === "prokip";

  return prisma.$transaction(
    async (tx) => {
      // One order at a time: concurrent deliveries of the same order queue here.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`order:${connection.id}:${order.externalId}`}, 0))`;
      const existing = await tx.order.findUnique({
        where: { businessId_connectionId_externalId: { businessId: connection.businessId, connectionId: connection.id, externalId: order.externalId } },
        select: { id: true, storeUpdatedAt: true, payloadDigest: true, lines: true, cancelled: true, paid: true },
      });
      const digest = orderDigest(order);
      if (existing && order.updatedAt < existing.storeUpdatedAt) return noChange("stale", existing.id);
      if (existing && existing.payloadDigest === digest) return noChange("unchanged", existing.id);

      const now = orderSoldBySku(order, deductOn);
      const before = existing ? orderSoldBySku({ cancelled: existing.cancelled, paid: existing.paid, lines: existing.lines as NormalizedOrder["lines"] }, deductOn) : null;
      const variantBySku = await variantsForSkus(tx, connection.businessId, [...now.sold.keys(), ...(before?.sold.keys() ?? [])]);

      const row = await tx.order.upsert({
        where: { businessId_connectionId_externalId: { businessId: connection.businessId, connectionId: connection.id, externalId: order.externalId } },
        create: {
          businessId: connection.businessId,
          connectionId: connection.id,
          externalId: order.externalId,
          number: order.number ?? null,
          cancelled: order.cancelled,
          paid: order.paid,
          storeStatus: order.storeStatus ?? null,
          lines: order.lines,
          storeUpdatedAt: order.updatedAt,
          payloadDigest: digest,
        },
        update: {
          number: order.number ?? null,
          cancelled: order.cancelled,
          paid: order.paid,
          storeStatus: order.storeStatus ?? null,
          lines: order.lines,
          storeUpdatedAt: order.updatedAt,
          payloadDigest: digest,
        },
        select: { id: true },
      });

      const recorded = await tx.stockMovement.groupBy({
        by: ["variantId"],
        where: { businessId: connection.businessId, orderId: row.id },
        _sum: { delta: true },
        _count: { _all: true },
      });
      const recordedByVariant = new Map(recorded.map((group) => [group.variantId, group._sum.delta ?? 0]));
      const countByVariant = new Map(recorded.map((group) => [group.variantId, group._count._all]));

      const planned = planOrderMovements(byVariant(now.sold, variantBySku), recordedByVariant, {
        cancelled: order.cancelled,
        restockedNow: byVariant(now.restocked, variantBySku),
        restockedBefore: before ? byVariant(before.restocked, variantBySku) : new Map(),
      });
      const ledger = await applyMovements(
        tx,
        planned.map((movement) => ({
          businessId: connection.businessId,
          locationId: connection.locationId,
          variantId: movement.variantId,
          delta: movement.delta,
          reason: movement.reason,
          connectionId: connection.id,
          orderId: row.id,
          externalRef: order.number ?? order.externalId,
          // The n-th movement of this order for this variant: unique under the order lock,
          // and the database's unique constraint refuses a second copy even without it.
          idempotencyKey: `order:${row.id}:${movement.variantId}:${(countByVariant.get(movement.variantId) ?? 0) + 1}`,
          postingState: postsToProkip ? "pending" : "not_required",
        })),
      );

      if (planned.length > 0 && postsToProkip) {
        await tx.order.update({ where: { id: row.id }, data: { postingState: "pending" } });
      }
      const unmatchedSkus = [...now.sold.keys()].filter((sku) => !variantBySku.has(sku));
      if (!existing) {
        await tx.activityEvent.create({
          data: {
            businessId: connection.businessId,
            connectionId: connection.id,
            orderId: row.id,
            type: "order_received",
            message: `Order ${order.number ?? order.externalId} received from ${connection.platform === "shopify" ? "Shopify" : "WooCommerce"}`,
            severity: unmatchedSkus.length > 0 ? "warning" : "info",
            data: { lines: order.lines.length, unmatchedSkus },
          },
        });
      }
      return { status: "applied" as const, orderId: row.id, movements: planned, ledger, unmatchedSkus };
    },
    { maxWait: 10_000, timeout: 20_000 },
  );
}

function noChange(status: "stale" | "unchanged", orderId: string): ApplyOrderResult {
  return { status, orderId, movements: [], ledger: null, unmatchedSkus: [] };
}

/** A digest of the state that matters for stock, independent of key and line order. */
function orderDigest(order: NormalizedOrder): string {
  const lines = [...order.lines]
    .sort((a, b) => a.lineId.localeCompare(b.lineId))
    .map((line) => [line.lineId, line.sku, line.quantity, line.refundedQuantity, line.restockedQuantity]);
  return createHash("sha256").update(JSON.stringify([order.paid, order.cancelled, lines])).digest("hex");
}

async function variantsForSkus(tx: Transaction, businessId: string, skus: string[]): Promise<Map<string, string>> {
  if (skus.length === 0) return new Map();
  const variants = await tx.variant.findMany({
    where: { businessId, normalizedSku: { in: [...new Set(skus)] } },
    select: { id: true, normalizedSku: true },
  });
  return new Map(variants.map((variant) => [variant.normalizedSku, variant.id]));
}

function byVariant(bySku: ReadonlyMap<string, number>, variantBySku: ReadonlyMap<string, string>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [sku, units] of bySku) {
    const variantId = variantBySku.get(sku);
    if (variantId) result.set(variantId, (result.get(variantId) ?? 0) + units);
  }
  return result;
}

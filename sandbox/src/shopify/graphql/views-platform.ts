/**
 * GraphQL views of platform objects: bulk operations, webhook subscriptions, inventory
 * adjustment groups and the `node(id:)` lookup across every type the emulator knows.
 */
import { ADMIN_API_VERSION } from "../../../scripts/shopify-schema.ts";
import { gid, internalId, parseGid } from "../ids.ts";
import type { AppliedChange } from "../inventory.ts";
import type { BulkOperation, WebhookSubscription } from "../state.ts";
import { legacyId, time, type RequestContext } from "./context.ts";
import {
  inventoryItemView,
  inventoryLevelView,
  locationView,
  productView,
  shopView,
  variantView,
} from "./views-catalog.ts";
import { lineItemView, orderView, refundView } from "./views-orders.ts";

export function bulkOperationView(op: BulkOperation): object {
  return {
    __typename: "BulkOperation",
    id: gid("BulkOperation", op.id),
    status: op.status,
    type: "QUERY",
    query: op.query,
    errorCode: op.errorCode,
    createdAt: time(op.createdAt),
    completedAt: time(op.completedAt),
    objectCount: String(op.objectCount),
    rootObjectCount: String(op.rootObjectCount),
    fileSize: op.fileSize === null ? null : String(op.fileSize),
    url: op.url,
    partialDataUrl: null,
  };
}

export function webhookSubscriptionView(sub: WebhookSubscription): object {
  return {
    __typename: "WebhookSubscription",
    id: gid("WebhookSubscription", sub.id),
    legacyResourceId: legacyId(sub.id),
    topic: sub.topic,
    uri: sub.uri,
    callbackUrl: sub.uri,
    endpoint: { __typename: "WebhookHttpEndpoint", callbackUrl: sub.uri },
    format: sub.format,
    filter: sub.filter,
    name: sub.name,
    includeFields: sub.includeFields,
    metafieldNamespaces: [],
    metafields: [],
    apiVersion: {
      __typename: "ApiVersion",
      handle: ADMIN_API_VERSION,
      displayName: ADMIN_API_VERSION,
      supported: true,
    },
    createdAt: time(sub.createdAt),
    updatedAt: time(sub.updatedAt),
  };
}

export interface AdjustmentGroupSnapshot {
  id: number;
  createdAt: number;
  reason: string;
  referenceDocumentUri: string | null;
  changes: AppliedChange[];
}

/**
 * An InventoryAdjustmentGroup as recorded when the mutation ran, so an idempotent replay shows
 * exactly the original changes.
 */
export function adjustmentGroupView(ctx: RequestContext, group: AdjustmentGroupSnapshot): object {
  const shop = ctx.shop;
  return {
    __typename: "InventoryAdjustmentGroup",
    id: gid("InventoryAdjustmentGroup", group.id),
    createdAt: time(group.createdAt),
    reason: group.reason,
    referenceDocumentUri: group.referenceDocumentUri,
    staffMember: null,
    app: {
      __typename: "App",
      id: `gid://shopify/App/${ctx.app.apiKey}`,
      title: ctx.app.title,
      apiKey: ctx.app.apiKey,
      handle: ctx.app.title.toLowerCase().replace(/\W+/g, "-"),
    },
    changes: (args: {
      inventoryItemIds?: string[] | null;
      locationIds?: string[] | null;
      quantityNames?: string[] | null;
    }) =>
      group.changes
        .filter(
          (c) =>
            (!args.inventoryItemIds || args.inventoryItemIds.includes(gid("InventoryItem", c.inventoryItemId))) &&
            (!args.locationIds || args.locationIds.includes(gid("Location", c.locationId))) &&
            (!args.quantityNames || args.quantityNames.includes(c.name)),
        )
        .map((c) => ({
          __typename: "InventoryChange",
          name: c.name,
          delta: c.delta,
          quantityAfterChange: c.quantityAfterChange,
          ledgerDocumentUri: c.ledgerDocumentUri,
          item: () => {
            const item = shop.inventoryItems.get(c.inventoryItemId);
            return item ? inventoryItemView(ctx, item) : null;
          },
          location: () => {
            const location = shop.locations.get(c.locationId);
            return location ? locationView(ctx, location) : null;
          },
        })),
  };
}

/** `node(id:)` / `nodes(ids:)`: resolves any gid the emulator stores, else null. */
export function nodeView(ctx: RequestContext, id: string): object | null {
  const parsed = parseGid(id);
  if (!parsed) return null;
  const shop = ctx.shop;
  switch (parsed.type) {
    case "Shop":
      return parsed.id === shop.id ? shopView(ctx, shop) : null;
    case "Location": {
      const location = shop.locations.get(parsed.id);
      return location ? locationView(ctx, location) : null;
    }
    case "Product": {
      const product = shop.products.get(parsed.id);
      return product ? productView(ctx, product) : null;
    }
    case "ProductVariant": {
      const variant = shop.variants.get(parsed.id);
      return variant ? variantView(ctx, variant) : null;
    }
    case "InventoryItem": {
      const item = shop.inventoryItems.get(parsed.id);
      return item ? inventoryItemView(ctx, item) : null;
    }
    case "InventoryLevel": {
      const itemId = internalId(parsed.params.get("inventory_item_id") ?? "");
      const level = [...shop.levels.values()].find((l) => l.locationId === parsed.id && l.inventoryItemId === itemId);
      return level ? inventoryLevelView(ctx, level) : null;
    }
    case "Order": {
      const order = shop.orders.get(parsed.id);
      return order ? orderView(ctx, order) : null;
    }
    case "LineItem": {
      for (const order of shop.orders.values()) {
        const line = order.lineItems.find((l) => l.id === parsed.id);
        if (line) return lineItemView(ctx, order, line);
      }
      return null;
    }
    case "Refund": {
      for (const order of shop.orders.values()) {
        const refund = order.refunds.find((r) => r.id === parsed.id);
        if (refund) return refundView(ctx, order, refund);
      }
      return null;
    }
    case "BulkOperation": {
      const op = shop.bulkOperations.get(parsed.id);
      return op && op.apiKey === ctx.app.apiKey ? bulkOperationView(op) : null;
    }
    case "WebhookSubscription": {
      const sub = shop.webhookSubscriptions.get(parsed.id);
      return sub && sub.apiKey === ctx.app.apiKey ? webhookSubscriptionView(sub) : null;
    }
    default:
      return null;
  }
}

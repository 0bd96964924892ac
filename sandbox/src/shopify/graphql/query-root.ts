/**
 * Resolvers for `QueryRoot`: the fields an inventory sync reads. Everything else in the schema
 * validates but resolves to null (or a "not emulated" error for non-null fields).
 */
import { GraphQLError } from "graphql";
import { idOf } from "../ids.ts";
import { paginate, type ConnectionArgs } from "./connection.ts";
import { exactCount, type RequestContext } from "./context.ts";
import { matchesSearch, parseSearch } from "./search.ts";
import { skuOf, variantTitle } from "../state.ts";
import {
  inventoryItemFields,
  inventoryItemView,
  locationView,
  productFields,
  productView,
  shopView,
  variantFields,
  variantView,
} from "./views-catalog.ts";
import { orderFields, orderSortValue, orderView } from "./views-orders.ts";
import { bulkOperationView, nodeView, webhookSubscriptionView } from "./views-platform.ts";
import { time } from "./context.ts";

type Args = ConnectionArgs & { query?: string | null; sortKey?: string | null };

export function queryRoot(ctx: RequestContext): Record<string, unknown> {
  const shop = ctx.shop;
  const unbounded = ctx.bulk;
  return {
    shop: () => shopView(ctx, shop),
    node: (args: { id: string }) => nodeView(ctx, args.id),
    nodes: (args: { ids: string[] }) => args.ids.map((id) => nodeView(ctx, id)),

    location: (args: { id?: string | null }) => {
      // Without an id Shopify answers with the shop's primary location.
      const id = args.id ? idOf(args.id, "Location") : [...shop.locations.keys()][0];
      const location = id === undefined ? undefined : shop.locations.get(id);
      return location ? locationView(ctx, location) : null;
    },
    locations: (args: Args & { includeInactive?: boolean | null }) => {
      const query = parseSearch(args.query);
      const locations = [...shop.locations.values()].filter(
        (l) =>
          (args.includeInactive || l.isActive) &&
          matchesSearch(
            l,
            query,
            (x, f) => (f === "name" ? x.name : f === "id" ? x.id : undefined),
            (x) => [x.name],
          ),
      );
      const byName = (args.sortKey ?? "NAME") === "NAME";
      return paginate(locations, args, {
        position: (l) => ({ value: byName ? l.name : l.id, id: l.id }),
        view: (l) => locationView(ctx, l),
        unbounded,
      });
    },
    locationsCount: () => exactCount([...shop.locations.values()].filter((l) => l.isActive).length),

    product: (args: { id: string }) => {
      const id = idOf(args.id, "Product");
      const product = id === undefined ? undefined : shop.products.get(id);
      return product ? productView(ctx, product) : null;
    },
    productByHandle: (args: { handle: string }) => {
      const product = [...shop.products.values()].find((p) => p.handle === args.handle);
      return product ? productView(ctx, product) : null;
    },
    productByIdentifier: (args: { identifier: { id?: string; handle?: string } }) => {
      const id = args.identifier.id ? idOf(args.identifier.id, "Product") : undefined;
      const product =
        id !== undefined
          ? shop.products.get(id)
          : [...shop.products.values()].find((p) => p.handle === args.identifier.handle);
      return product ? productView(ctx, product) : null;
    },
    products: (args: Args) => {
      const query = parseSearch(args.query);
      const read = productFields(shop);
      const products = [...shop.products.values()].filter((p) => matchesSearch(p, query, read, (x) => [x.title]));
      const sortKey = args.sortKey ?? "ID";
      return paginate(products, args, {
        position: (p) => ({
          value:
            sortKey === "TITLE"
              ? p.title
              : sortKey === "UPDATED_AT"
                ? p.updatedAt
                : sortKey === "CREATED_AT"
                  ? p.createdAt
                  : p.id,
          id: p.id,
        }),
        view: (p) => productView(ctx, p),
        unbounded,
      });
    },
    productsCount: (args: { query?: string | null }) => {
      const query = parseSearch(args.query);
      const read = productFields(shop);
      return exactCount(
        [...shop.products.values()].filter((p) => matchesSearch(p, query, read, (x) => [x.title])).length,
      );
    },

    productVariant: (args: { id: string }) => {
      const id = idOf(args.id, "ProductVariant");
      const variant = id === undefined ? undefined : shop.variants.get(id);
      return variant ? variantView(ctx, variant) : null;
    },
    productVariants: (args: Args) => {
      const query = parseSearch(args.query);
      const read = variantFields(shop);
      const variants = [...shop.variants.values()].filter((v) =>
        matchesSearch(v, query, read, (x) => [
          skuOf(shop, x) ?? "",
          variantTitle(x),
          shop.products.get(x.productId)?.title ?? "",
        ]),
      );
      const sortKey = args.sortKey ?? "ID";
      return paginate(variants, args, {
        position: (v) => ({
          value:
            sortKey === "SKU"
              ? (skuOf(shop, v) ?? "")
              : sortKey === "TITLE"
                ? variantTitle(v)
                : sortKey === "POSITION"
                  ? v.position
                  : v.id,
          id: v.id,
        }),
        view: (v) => variantView(ctx, v),
        unbounded,
      });
    },
    productVariantsCount: (args: { query?: string | null }) => {
      const query = parseSearch(args.query);
      const read = variantFields(shop);
      return exactCount(
        [...shop.variants.values()].filter((v) => matchesSearch(v, query, read, (x) => [skuOf(shop, x) ?? ""])).length,
      );
    },

    inventoryItem: (args: { id: string }) => {
      const id = idOf(args.id, "InventoryItem");
      const item = id === undefined ? undefined : shop.inventoryItems.get(id);
      return item ? inventoryItemView(ctx, item) : null;
    },
    inventoryItems: (args: Args) => {
      const query = parseSearch(args.query);
      const items = [...shop.inventoryItems.values()].filter((i) =>
        matchesSearch(i, query, inventoryItemFields, (x) => [x.sku ?? ""]),
      );
      return paginate(items, args, {
        position: (i) => ({ value: i.id, id: i.id }),
        view: (i) => inventoryItemView(ctx, i),
        unbounded,
      });
    },
    inventoryLevel: (args: { id: string }) => nodeView(ctx, args.id),

    order: (args: { id: string }) => {
      const id = idOf(args.id, "Order");
      const order = id === undefined ? undefined : shop.orders.get(id);
      return order ? orderView(ctx, order) : null;
    },
    orders: (args: Args) => {
      const query = parseSearch(args.query);
      const orders = [...shop.orders.values()].filter((o) =>
        matchesSearch(o, query, orderFields, (x) => [x.name, ...x.lineItems.map((l) => l.sku ?? "")]),
      );
      const sortKey = args.sortKey ?? "PROCESSED_AT";
      return paginate(orders, args, {
        position: (o) => ({ value: orderSortValue(o, sortKey), id: o.id }),
        view: (o) => orderView(ctx, o),
        unbounded,
      });
    },
    ordersCount: (args: { query?: string | null }) => {
      const query = parseSearch(args.query);
      return exactCount(
        [...shop.orders.values()].filter((o) => matchesSearch(o, query, orderFields, (x) => [x.name])).length,
      );
    },

    bulkOperation: (args: { id: string }) => nodeView(ctx, args.id),
    currentBulkOperation: (args: { type?: string | null }) => {
      if ((args.type ?? "QUERY") !== "QUERY") return null;
      const mine = [...shop.bulkOperations.values()].filter((op) => op.apiKey === ctx.app.apiKey);
      const latest = mine.sort((a, b) => b.id - a.id)[0];
      return latest ? bulkOperationView(latest) : null;
    },
    bulkOperations: (args: Args) => {
      const mine = [...shop.bulkOperations.values()].filter((op) => op.apiKey === ctx.app.apiKey);
      return paginate(mine, args, { position: (op) => ({ value: op.createdAt, id: op.id }), view: bulkOperationView });
    },

    webhookSubscription: (args: { id: string }) => nodeView(ctx, args.id),
    webhookSubscriptions: (
      args: Args & { topics?: string[] | null; uri?: string | null; callbackUrl?: string | null },
    ) => {
      const query = parseSearch(args.query);
      const subs = [...shop.webhookSubscriptions.values()].filter(
        (s) =>
          s.apiKey === ctx.app.apiKey &&
          (!args.topics || args.topics.includes(s.topic)) &&
          (!args.uri || s.uri === args.uri) &&
          (!args.callbackUrl || s.uri === args.callbackUrl) &&
          matchesSearch(
            s,
            query,
            (x, f) =>
              f === "topic"
                ? [x.topic, x.topic.toLowerCase().replace("_", "/")]
                : f === "uri"
                  ? x.uri
                  : f === "created_at"
                    ? time(x.createdAt)
                    : undefined,
            (x) => [x.uri],
          ),
      );
      return paginate(subs, args, {
        position: (s) => ({ value: s.createdAt, id: s.id }),
        view: webhookSubscriptionView,
      });
    },
    webhookSubscriptionsCount: () =>
      exactCount([...shop.webhookSubscriptions.values()].filter((s) => s.apiKey === ctx.app.apiKey).length),
  };
}

/** Guard used by mutation resolvers that need an id of a given type. */
export function requireId(value: string, type: Parameters<typeof idOf>[1]): number {
  const id = idOf(value, type);
  if (id === undefined)
    throw new GraphQLError(`Invalid global id '${value}'`, { extensions: { code: "INVALID_GLOBAL_ID" } });
  return id;
}

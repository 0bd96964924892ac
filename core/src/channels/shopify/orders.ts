/**
 * Shopify orders -> the normalised order (`StoreOrderState`). Pure: no I/O, validated with zod at
 * the edge, a `ShopifyPayloadError` with a code on bad input.
 *
 * Two sources describe the same order, and both must give the same figures:
 * - a GraphQL `Order` (readOrder, reconciliation), and
 * - a REST-style webhook payload (orders/create, paid, updated, cancelled).
 *
 * The figures the ledger needs, per line:
 * - `quantity`: units ordered after order edits, NOT reduced by refunds. Shopify gives
 *   `quantity` ("including refunded and removed units") and `currentQuantity` / REST
 *   `current_quantity` ("excluding refunded and removed units"; added to REST in 2024-01 as "a line
 *   item's current quantity after removals", https://shopify.dev/changelog/addition-of-lineitem-current_quantity-on-admin-rest-api).
 *   Removed (edited-away) units are not listed anywhere else, so
 *   quantity-after-edits = current quantity + units refunded on that line,
 *   capped at the original quantity.
 * - `refundedQuantity`: the line's refund line items.
 * - `restockedQuantity`: refund line items whose restock type is not NO_RESTOCK. Types
 *   (https://shopify.dev/docs/api/admin-graphql/latest/enums/RefundLineItemRestockType): CANCEL
 *   (unfulfilled units restocked; also what cancelling an order with restock records), RETURN
 *   (fulfilled units returned and restocked), LEGACY_RESTOCK (old refunds that restocked),
 *   NO_RESTOCK.
 *
 * `orders/edited` carries only the edit (`{order_edit: {order_id, line_items: {additions,
 * removals}}}`), not the order: it cannot be normalised, read the order instead (see
 * `orderIdFromShopifyWebhook`). Shopify also sends `orders/updated` for every edit.
 */
import { z } from "zod";
import { orderLineSchema, type OrderLine } from "../../domain/index.ts";
import type { StoreOrderState } from "../types.ts";
import { ShopifyPayloadError } from "./errors.ts";
import { toGid } from "./ids.ts";
import { jsonNumber, restIdSchema } from "./json.ts";
import { unitPriceAfterDiscounts } from "./money.ts";

// ---- Shared building blocks ----------------------------------------------------------------

const count = z.number().int().min(0);
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/u, "must be a decimal string");
const timestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "must be a date-time");
/** Webhook bodies come from parseShopifyWebhookBody: ids are exact digits, counts safe integers. */
const webhookCount = jsonNumber(count);

/** Financial states in which the customer's money has been taken (at least in part). */
const PAID_STATES = new Set(["paid", "partially_paid", "partially_refunded", "refunded"]);

const RESTOCK_TYPES = ["no_restock", "cancel", "return", "legacy_restock"] as const;
type RestockType = (typeof RESTOCK_TYPES)[number];

/** The order in one neutral shape, before the figures are derived. */
interface RawOrder {
  externalId: string;
  number: string | undefined;
  createdAt: string | undefined;
  updatedAt: string;
  cancelled: boolean;
  financialStatus: string | null;
  lines: {
    lineId: string;
    sku: string | null;
    title: string | undefined;
    quantity: number;
    currentQuantity: number;
    unitPrice: string | undefined;
  }[];
  refundLines: { lineId: string; quantity: number; restockType: RestockType }[];
}

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
    const first = issues[0];
    throw new ShopifyPayloadError(
      "invalid_payload",
      `Invalid ${what}${first ? `: ${first.path || "(root)"} ${first.message}` : ""}`,
      issues,
    );
  }
  return result.data;
}

function derive(raw: RawOrder): StoreOrderState {
  const refunded = new Map<string, number>();
  const restocked = new Map<string, number>();
  const known = new Set(raw.lines.map((line) => line.lineId));
  if (known.size !== raw.lines.length)
    throw new ShopifyPayloadError("inconsistent_order", `Order ${raw.externalId} lists a line item twice`);
  for (const refundLine of raw.refundLines) {
    if (!known.has(refundLine.lineId)) {
      throw new ShopifyPayloadError(
        "inconsistent_order",
        `Order ${raw.externalId} refunds line ${refundLine.lineId}, which it does not list`,
      );
    }
    refunded.set(refundLine.lineId, (refunded.get(refundLine.lineId) ?? 0) + refundLine.quantity);
    if (refundLine.restockType !== "no_restock")
      restocked.set(refundLine.lineId, (restocked.get(refundLine.lineId) ?? 0) + refundLine.quantity);
  }

  const lines: OrderLine[] = raw.lines.map((line) => {
    const refundedUnits = refunded.get(line.lineId) ?? 0;
    if (line.currentQuantity > line.quantity) {
      throw new ShopifyPayloadError(
        "inconsistent_order",
        `Line ${line.lineId} of order ${raw.externalId} has more current than ordered units`,
      );
    }
    // Ordered after edits: what is still on the order plus what was refunded from it. The cap
    // guards against a refund that Shopify also counted as a removal.
    const quantity = Math.min(line.quantity, line.currentQuantity + refundedUnits);
    const refundedQuantity = Math.min(refundedUnits, quantity);
    const restockedQuantity = Math.min(restocked.get(line.lineId) ?? 0, refundedQuantity);
    const candidate = {
      lineId: line.lineId,
      sku: line.sku,
      quantity,
      refundedQuantity,
      restockedQuantity,
      ...(line.title !== undefined ? { title: line.title } : {}),
      ...(line.unitPrice !== undefined ? { unitPrice: line.unitPrice } : {}),
    };
    const checked = orderLineSchema.safeParse(candidate);
    if (!checked.success) {
      throw new ShopifyPayloadError(
        "inconsistent_order",
        `Line ${line.lineId} of order ${raw.externalId}: ${checked.error.issues[0]?.message ?? "invalid"}`,
      );
    }
    return checked.data;
  });

  const financialStatus = raw.financialStatus?.toLowerCase() ?? null;
  return {
    externalId: raw.externalId,
    ...(raw.number !== undefined ? { number: raw.number } : {}),
    updatedAt: new Date(raw.updatedAt),
    ...(raw.createdAt !== undefined ? { createdAt: new Date(raw.createdAt) } : {}),
    paid: financialStatus !== null && PAID_STATES.has(financialStatus),
    cancelled: raw.cancelled,
    storeStatus: raw.cancelled ? "cancelled" : (financialStatus ?? "unknown"),
    lines,
  };
}

// ---- GraphQL -------------------------------------------------------------------------------

const pageInfo = z.object({ hasNextPage: z.boolean() }).loose().optional();

const graphqlLineSchema = z
  .object({
    id: z.string().min(1),
    sku: z.string().nullable().optional(),
    title: z.string().optional(),
    quantity: count,
    currentQuantity: count,
    discountedUnitPriceAfterAllDiscountsSet: z
      .object({ shopMoney: z.object({ amount: decimal }).loose() })
      .loose()
      .nullable()
      .optional(),
  })
  .loose();

const graphqlOrderSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().optional(),
    createdAt: timestamp.optional(),
    updatedAt: timestamp,
    cancelledAt: timestamp.nullable().optional(),
    displayFinancialStatus: z.string().nullable().optional(),
    lineItems: z.object({ nodes: z.array(graphqlLineSchema), pageInfo }).loose(),
    refunds: z
      .array(
        z
          .object({
            refundLineItems: z
              .object({
                nodes: z.array(
                  z
                    .object({
                      quantity: count,
                      restockType: z.enum(RESTOCK_TYPES.map((t) => t.toUpperCase()) as [string, ...string[]]),
                      lineItem: z.object({ id: z.string().min(1) }).loose(),
                    })
                    .loose(),
                ),
                pageInfo,
              })
              .loose(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

export type ShopifyGraphqlOrder = z.input<typeof graphqlOrderSchema>;

/**
 * A GraphQL `Order` (fields as in queries.ts READ_ORDER) -> `StoreOrderState`. Every page of line
 * items and refund line items must be present: an incomplete order is refused, never guessed.
 */
export function normalizeShopifyOrder(graphqlOrder: unknown): StoreOrderState {
  const order = parse(graphqlOrderSchema, graphqlOrder, "Shopify order");
  const incomplete =
    order.lineItems.pageInfo?.hasNextPage === true ||
    order.refunds.some((r) => r.refundLineItems.pageInfo?.hasNextPage === true);
  if (incomplete)
    throw new ShopifyPayloadError(
      "invalid_payload",
      `Order ${order.id} is incomplete: read every page of its line items and refunds first`,
    );
  return derive({
    externalId: toGid("Order", order.id),
    number: order.name,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    cancelled: order.cancelledAt != null,
    financialStatus: order.displayFinancialStatus ?? null,
    lines: order.lineItems.nodes.map((line) => ({
      lineId: toGid("LineItem", line.id),
      sku: line.sku ?? null,
      title: line.title,
      quantity: line.quantity,
      currentQuantity: line.currentQuantity,
      unitPrice: line.discountedUnitPriceAfterAllDiscountsSet?.shopMoney.amount,
    })),
    refundLines: order.refunds.flatMap((refund) =>
      refund.refundLineItems.nodes.map((rl) => ({
        lineId: toGid("LineItem", rl.lineItem.id),
        quantity: rl.quantity,
        restockType: rl.restockType.toLowerCase() as RestockType,
      })),
    ),
  });
}

// ---- Webhooks ------------------------------------------------------------------------------

const webhookLineSchema = z
  .object({
    id: restIdSchema,
    admin_graphql_api_id: z.string().optional(),
    sku: z.string().nullable().optional(),
    title: z.string().optional(),
    quantity: webhookCount,
    current_quantity: webhookCount,
    price: decimal.optional(),
    discount_allocations: z.array(z.object({ amount: decimal }).loose()).optional(),
  })
  .loose();

const webhookRefundSchema = z
  .object({
    refund_line_items: z
      .array(
        z
          .object({
            line_item_id: restIdSchema,
            quantity: webhookCount,
            restock_type: z.enum(RESTOCK_TYPES),
            line_item: z.object({ admin_graphql_api_id: z.string().optional() }).loose().nullable().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .loose();

const webhookOrderSchema = z
  .object({
    id: restIdSchema,
    admin_graphql_api_id: z.string().optional(),
    name: z.string().optional(),
    created_at: timestamp.optional(),
    updated_at: timestamp,
    cancelled_at: timestamp.nullable().optional(),
    financial_status: z.string().nullable().optional(),
    line_items: z.array(webhookLineSchema),
    refunds: z.array(webhookRefundSchema).default([]),
  })
  .loose();

export type ShopifyOrderWebhookPayload = z.input<typeof webhookOrderSchema>;

function webhookUnitPrice(line: z.infer<typeof webhookLineSchema>): string | undefined {
  if (line.price === undefined) return undefined;
  const discounts = (line.discount_allocations ?? []).map((d) => d.amount);
  // Discount allocations cover all units originally ordered.
  return unitPriceAfterDiscounts(line.price, discounts, line.quantity);
}

/**
 * An order webhook payload (orders/create, orders/paid, orders/updated, orders/cancelled: the
 * REST order resource as the payload was built) -> `StoreOrderState`.
 * An `orders/edited` payload is refused with code `not_an_order`.
 */
export function normalizeShopifyOrderWebhook(payload: unknown): StoreOrderState {
  if (payload && typeof payload === "object" && "order_edit" in payload && !("line_items" in payload)) {
    throw new ShopifyPayloadError(
      "not_an_order",
      "orders/edited describes an edit, not the order: read the order (orderIdFromShopifyWebhook)",
    );
  }
  const order = parse(webhookOrderSchema, payload, "Shopify order webhook");
  return derive({
    externalId: order.admin_graphql_api_id ? toGid("Order", order.admin_graphql_api_id) : toGid("Order", order.id),
    number: order.name,
    createdAt: order.created_at,
    updatedAt: order.updated_at,
    cancelled: order.cancelled_at != null,
    financialStatus: order.financial_status ?? null,
    lines: order.line_items.map((line) => ({
      lineId: line.admin_graphql_api_id ? toGid("LineItem", line.admin_graphql_api_id) : toGid("LineItem", line.id),
      sku: line.sku ?? null,
      title: line.title,
      quantity: line.quantity,
      currentQuantity: line.current_quantity,
      unitPrice: webhookUnitPrice(line),
    })),
    refundLines: order.refunds.flatMap((refund) =>
      refund.refund_line_items.map((rl) => ({
        lineId: rl.line_item?.admin_graphql_api_id
          ? toGid("LineItem", rl.line_item.admin_graphql_api_id)
          : toGid("LineItem", rl.line_item_id),
        quantity: rl.quantity,
        restockType: rl.restock_type,
      })),
    ),
  });
}

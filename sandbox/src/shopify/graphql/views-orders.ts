/**
 * GraphQL views of orders, line items and refunds. Only what an inventory sync reads is modelled
 * in depth (quantities, refunds with restock types, cancellation, timestamps); money has no tax,
 * discounts or shipping.
 */
import { externalId, gid } from "../ids.ts";
import { fromCents, orderTotals, toCents } from "../money.ts";
import type { LineItem, Order, Refund } from "../state.ts";
import { paginate, type ConnectionArgs } from "./connection.ts";
import { emptyConnection, exactCount, legacyId, moneyBag, time, type RequestContext } from "./context.ts";
import type { FieldReader } from "./search.ts";
import { locationView, productView, variantView } from "./views-catalog.ts";

const DISPLAY_FINANCIAL_STATUS: Record<Order["financialStatus"], string> = {
  pending: "PENDING",
  authorized: "AUTHORIZED",
  paid: "PAID",
  partially_paid: "PARTIALLY_PAID",
  partially_refunded: "PARTIALLY_REFUNDED",
  refunded: "REFUNDED",
  voided: "VOIDED",
};

export function lineItemView(ctx: RequestContext, order: Order, line: LineItem): object {
  const shop = ctx.shop;
  const currency = shop.currency;
  const zero = moneyBag("0.00", currency);
  const unfulfilled = order.cancelledAt === null ? line.currentQuantity : 0;
  return {
    __typename: "LineItem",
    id: gid("LineItem", line.id),
    name: line.variantTitle ? `${line.title} - ${line.variantTitle}` : line.title,
    title: line.title,
    variantTitle: line.variantTitle,
    vendor: line.vendor,
    sku: line.sku,
    quantity: line.quantity,
    currentQuantity: line.currentQuantity,
    refundableQuantity: line.currentQuantity,
    unfulfilledQuantity: unfulfilled,
    fulfillableQuantity: unfulfilled,
    nonFulfillableQuantity: line.quantity - unfulfilled,
    fulfillmentStatus: "unfulfilled",
    restockable: line.currentQuantity > 0 && line.inventoryItemId !== null,
    canRestock: line.currentQuantity > 0 && line.inventoryItemId !== null,
    requiresShipping: true,
    taxable: true,
    isGiftCard: false,
    merchantEditable: order.cancelledAt === null,
    customAttributes: [],
    discountAllocations: [],
    duties: [],
    taxLines: () => [],
    image: null,
    contract: null,
    sellingPlan: null,
    staffMember: null,
    lineItemGroup: null,
    weight: null,
    originalUnitPriceSet: moneyBag(line.price, currency),
    discountedUnitPriceSet: moneyBag(line.price, currency),
    discountedUnitPriceAfterAllDiscountsSet: moneyBag(line.price, currency),
    originalTotalSet: moneyBag(fromCents(toCents(line.price) * line.quantity), currency),
    discountedTotalSet: () => moneyBag(fromCents(toCents(line.price) * line.currentQuantity), currency),
    priceAfterAllDiscountsBeforeTaxesSet: moneyBag(fromCents(toCents(line.price) * line.currentQuantity), currency),
    unfulfilledOriginalTotalSet: moneyBag(fromCents(toCents(line.price) * unfulfilled), currency),
    unfulfilledDiscountedTotalSet: moneyBag(fromCents(toCents(line.price) * unfulfilled), currency),
    totalDiscountSet: zero,
    originalUnitPrice: line.price,
    variant: () => {
      const v = line.variantId === null ? undefined : shop.variants.get(line.variantId);
      return v ? variantView(ctx, v) : null;
    },
    product: () => {
      const p = line.productId === null ? undefined : shop.products.get(line.productId);
      return p ? productView(ctx, p) : null;
    },
  };
}

export function refundView(ctx: RequestContext, order: Order, refund: Refund): object {
  const shop = ctx.shop;
  const currency = shop.currency;
  const total = refund.lines.reduce((sum, l) => sum + toCents(l.subtotal), 0);
  return {
    __typename: "Refund",
    id: gid("Refund", refund.id),
    legacyResourceId: legacyId(refund.id),
    note: refund.note,
    createdAt: time(refund.createdAt),
    processedAt: time(refund.createdAt),
    updatedAt: time(refund.createdAt),
    duties: [],
    return: null,
    staffMember: null,
    totalRefundedSet: moneyBag(fromCents(total), currency),
    order: () => orderView(ctx, order),
    transactions: () => emptyConnection(),
    orderAdjustments: () => emptyConnection(),
    refundShippingLines: () => emptyConnection(),
    refundLineItems: (args: ConnectionArgs) =>
      paginate(refund.lines, args, {
        position: (rl) => ({ value: rl.id, id: rl.id }),
        unbounded: ctx.bulk,
        view: (rl) => {
          const line = order.lineItems.find((l) => l.id === rl.lineItemId);
          const location = rl.locationId === null ? undefined : shop.locations.get(rl.locationId);
          return {
            __typename: "RefundLineItem",
            id: gid("RefundLineItem", rl.id),
            quantity: rl.quantity,
            restockType: rl.restockType,
            restocked: rl.restockType !== "NO_RESTOCK",
            location: location ? locationView(ctx, location) : null,
            lineItem: line ? lineItemView(ctx, order, line) : null,
            priceSet: moneyBag(line?.price ?? "0.00", currency),
            subtotalSet: moneyBag(rl.subtotal, currency),
            totalTaxSet: moneyBag("0.00", currency),
          };
        },
      }),
  };
}

export function orderView(ctx: RequestContext, order: Order): object {
  const shop = ctx.shop;
  const currency = shop.currency;
  const totals = orderTotals(order);
  const zero = moneyBag("0.00", currency);
  const paid = ["paid", "partially_refunded", "refunded"].includes(order.financialStatus);
  return {
    __typename: "Order",
    id: gid("Order", order.id),
    legacyResourceId: legacyId(order.id),
    name: order.name,
    number: order.number - 1000,
    email: order.email,
    phone: null,
    note: null,
    tags: [],
    test: order.test,
    confirmed: true,
    confirmationNumber: `PRK${order.id}`,
    sourceName: order.sourceName,
    sourceIdentifier: null,
    currencyCode: currency,
    presentmentCurrencyCode: currency,
    createdAt: time(order.createdAt),
    updatedAt: time(order.updatedAt),
    processedAt: time(order.processedAt),
    cancelledAt: time(order.cancelledAt),
    cancelReason: order.cancelReason,
    closed: order.closedAt !== null,
    closedAt: time(order.closedAt),
    edited: order.edits.length > 0,
    displayFinancialStatus: DISPLAY_FINANCIAL_STATUS[order.financialStatus],
    displayFulfillmentStatus: "UNFULFILLED",
    fullyPaid: order.financialStatus === "paid",
    unpaid: order.financialStatus === "pending",
    canMarkAsPaid: order.financialStatus === "pending" && order.cancelledAt === null,
    capturable: false,
    refundable: paid && totals.current > 0,
    restockable: order.lineItems.some((l) => l.currentQuantity > 0),
    fulfillable: order.cancelledAt === null && totals.currentQuantity > 0,
    requiresShipping: true,
    taxesIncluded: false,
    taxExempt: false,
    estimatedTaxes: false,
    dutiesIncluded: false,
    merchantEditable: order.cancelledAt === null,
    merchantEditableErrors: [],
    customerAcceptsMarketing: false,
    billingAddressMatchesShippingAddress: true,
    hasTimelineComment: false,
    productNetwork: false,
    canNotifyCustomer: false,
    customer: null,
    shippingAddress: null,
    billingAddress: null,
    displayAddress: null,
    shippingLine: null,
    app: null,
    customAttributes: [],
    discountCodes: [],
    discountCode: null,
    paymentGatewayNames: paid ? ["manual"] : [],
    taxLines: [],
    currentTaxLines: [],
    additionalFees: [],
    alerts: [],
    disputes: [],
    subtotalLineItemsQuantity: totals.originalQuantity,
    currentSubtotalLineItemsQuantity: totals.currentQuantity,
    totalWeight: "0",
    currentTotalWeight: "0",
    subtotalPriceSet: moneyBag(fromCents(totals.original), currency),
    totalPriceSet: moneyBag(fromCents(totals.original), currency),
    currentSubtotalPriceSet: moneyBag(fromCents(totals.current), currency),
    currentTotalPriceSet: moneyBag(fromCents(totals.current), currency),
    originalTotalPriceSet: moneyBag(fromCents(totals.original), currency),
    totalRefundedSet: moneyBag(fromCents(totals.refunded), currency),
    totalReceivedSet: moneyBag(paid ? fromCents(totals.original) : "0.00", currency),
    netPaymentSet: moneyBag(paid ? fromCents(totals.original - totals.refunded) : "0.00", currency),
    totalOutstandingSet: moneyBag(paid ? "0.00" : fromCents(totals.current), currency),
    totalCapturableSet: zero,
    totalDiscountsSet: zero,
    totalTaxSet: zero,
    totalShippingPriceSet: zero,
    totalRefundedShippingSet: zero,
    totalTipReceivedSet: zero,
    currentTotalDiscountsSet: zero,
    currentTotalTaxSet: zero,
    currentShippingPriceSet: zero,
    currentCartDiscountAmountSet: zero,
    refundDiscrepancySet: zero,
    fulfillmentsCount: exactCount(0),
    fulfillments: () => [],
    transactions: () => [],
    metafield: null,
    metafields: () => emptyConnection(),
    events: () => emptyConnection(),
    fulfillmentOrders: () => emptyConnection(),
    returns: () => emptyConnection(),
    shippingLines: () => emptyConnection(),
    discountApplications: () => emptyConnection(),
    retailLocation: () => {
      const location = shop.locations.get(order.locationId);
      return location ? locationView(ctx, location) : null;
    },
    lineItems: (args: ConnectionArgs) =>
      paginate(order.lineItems, args, {
        position: (l) => ({ value: l.id, id: l.id }),
        view: (l) => lineItemView(ctx, order, l),
        unbounded: ctx.bulk,
      }),
    refunds: (args: { first?: number | null }) =>
      order.refunds.slice(0, args.first ?? undefined).map((r) => refundView(ctx, order, r)),
  };
}

/** `updated_at:>`, `created_at:`, `name:`, `financial_status:`, `status:`, `sku:` ... on orders. */
export const orderFields: FieldReader<Order> = (order, field) => {
  switch (field) {
    case "id":
      return externalId(order.id);
    case "name":
      return order.name;
    case "updated_at":
      return time(order.updatedAt);
    case "created_at":
      return time(order.createdAt);
    case "processed_at":
      return time(order.processedAt);
    case "financial_status":
      return order.financialStatus;
    case "status":
      return order.cancelledAt !== null
        ? ["cancelled", "closed", "any"]
        : order.closedAt !== null
          ? ["closed", "any"]
          : ["open", "any"];
    case "sku":
      return order.lineItems.map((l) => l.sku);
    case "test":
      return String(order.test);
    case "email":
      return order.email;
    default:
      return undefined;
  }
};

export function orderSortValue(order: Order, sortKey: string): string | number {
  switch (sortKey) {
    case "UPDATED_AT":
      return order.updatedAt;
    case "CREATED_AT":
      return order.createdAt;
    case "ORDER_NUMBER":
      return order.number;
    case "ID":
      return order.id;
    default:
      return order.processedAt;
  }
}

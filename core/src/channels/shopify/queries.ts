/**
 * Every GraphQL document the adapter sends (Admin API 2026-10), with the requested cost we plan
 * for before Shopify has told us the real one (client.ts then learns it per document).
 *
 * Cost rules (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): objects 1,
 * scalars 0, a connection 2 + `first` x node cost, a mutation 10, and no single query may
 * request more than 1,000. Page sizes below are chosen to stay well under that.
 */

const PAGE_INFO = "pageInfo { hasNextPage endCursor }";

// ---- Store ---------------------------------------------------------------------------------

export const DESCRIBE_STORE = /* GraphQL */ `
  query DescribeStore($after: String) {
    shop { name myshopifyDomain currencyCode }
    locations(first: 100, after: $after) { ${PAGE_INFO} nodes { id name isActive isPrimary } }
  }`;
export const DESCRIBE_STORE_COST = 1 + 2 + 100;

/** Without an id, `location` is the shop's primary location. */
export const PRIMARY_LOCATION = /* GraphQL */ `
  query PrimaryLocation {
    location {
      id
      name
    }
  }
`;
export const PRIMARY_LOCATION_COST = 1;

// ---- Catalogue -----------------------------------------------------------------------------

export const VARIANTS_COUNT = /* GraphQL */ `
  query VariantsCount($limit: Int) {
    productVariantsCount(limit: $limit) {
      count
      precision
    }
  }
`;
export const VARIANTS_COUNT_COST = 1;

/** What we read of a variant, paginated or in bulk. The location is a variable or inlined (bulk). */
const variantFields = (locationArgument: string) => `
  id sku title price
  product { id title }
  inventoryItem { id tracked inventoryLevel(locationId: ${locationArgument}) { quantities(names: ["available"]) { name quantity } } }`;

export const VARIANTS_PAGE_SIZE = 150;
export const LIST_VARIANTS = /* GraphQL */ `
  query ListVariants($after: String, $locationId: ID!) {
    productVariants(first: ${VARIANTS_PAGE_SIZE}, after: $after, sortKey: ID) {
      ${PAGE_INFO}
      nodes { ${variantFields("$locationId")} }
    }
  }`;
// variant 1 + product 1 + inventoryItem 1 + inventoryLevel 1 + quantities 1 = 5 per node
export const LIST_VARIANTS_COST = 2 + VARIANTS_PAGE_SIZE * 5;

/** Bulk queries take no variables: the location id is inlined (it is a gid we read from Shopify). */
export function bulkVariantsQuery(locationId: string): string {
  return `{ productVariants { edges { node { ${variantFields(JSON.stringify(locationId))} } } } }`;
}

export const BULK_RUN_QUERY = /* GraphQL */ `
  mutation BulkRunQuery($query: String!) {
    bulkOperationRunQuery(query: $query, groupObjects: false) {
      bulkOperation {
        id
        status
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

export const BULK_OPERATION_STATUS = /* GraphQL */ `
  query BulkOperationStatus($id: ID!) {
    node(id: $id) {
      ... on BulkOperation {
        id
        status
        errorCode
        objectCount
        url
        partialDataUrl
      }
    }
  }
`;
export const BULK_OPERATION_STATUS_COST = 1;

// ---- Quantities ----------------------------------------------------------------------------

export const READ_QUANTITIES_CHUNK = 100;
export const READ_QUANTITIES = /* GraphQL */ `
  query ReadQuantities($ids: [ID!]!, $locationId: ID!) {
    nodes(ids: $ids) {
      ... on InventoryItem {
        id
        tracked
        inventoryLevel(locationId: $locationId) {
          quantities(names: ["available"]) {
            name
            quantity
          }
        }
      }
    }
  }
`;
export const READ_QUANTITIES_COST = READ_QUANTITIES_CHUNK * 3;

/**
 * `@idempotent` is required on inventory mutations from 2026-04; the same key with the same input
 * replays the first result instead of applying it again
 * (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations).
 */
export const SET_QUANTITIES = /* GraphQL */ `
  mutation SetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
    inventorySetQuantities(input: $input) @idempotent(key: $key) {
      inventoryAdjustmentGroup {
        id
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

export const MUTATION_COST = 10;

// ---- Products ------------------------------------------------------------------------------

const CREATED_VARIANTS = `variants(first: 250) { ${PAGE_INFO} nodes { id sku inventoryItem { id } } }`;

export const PRODUCT_SET = /* GraphQL */ `
  mutation ProductSet($input: ProductSetInput!) {
    productSet(input: $input, synchronous: true) {
      product { id title ${CREATED_VARIANTS} }
      userErrors { field message code }
    }
  }`;

export const PRODUCT_VARIANTS_PAGE = /* GraphQL */ `
  query ProductVariantsPage($id: ID!, $after: String) {
    product(id: $id) { id variants(first: 250, after: $after) { ${PAGE_INFO} nodes { id sku inventoryItem { id } } } }
  }`;
export const PRODUCT_VARIANTS_PAGE_COST = 1 + 2 + 250 * 2;

/** Finds variants by SKU (after a productSet whose outcome we did not hear). */
export const VARIANTS_BY_SKU = /* GraphQL */ `
  query VariantsBySku($query: String!) {
    productVariants(first: 100, query: $query) {
      nodes {
        id
        sku
        product {
          id
          title
        }
        inventoryItem {
          id
        }
      }
    }
  }
`;
export const VARIANTS_BY_SKU_COST = 2 + 100 * 3;

// ---- Orders --------------------------------------------------------------------------------

export const ORDER_LINES_PAGE_SIZE = 25;
export const REFUND_LINES_PAGE_SIZE = 25;

const LINE_FIELDS =
  "id sku title quantity currentQuantity discountedUnitPriceAfterAllDiscountsSet { shopMoney { amount } }";
const REFUND_LINE_FIELDS = "quantity restockType lineItem { id }";

/**
 * An order as the normaliser needs it. `refunds` is read without `first` (all refunds, charged
 * as one object); long line lists are completed page by page (order-reads.ts).
 */
const ORDER_FIELDS = `
  id name createdAt updatedAt cancelledAt displayFinancialStatus
  lineItems(first: ${ORDER_LINES_PAGE_SIZE}) { ${PAGE_INFO} nodes { ${LINE_FIELDS} } }
  refunds { id refundLineItems(first: ${REFUND_LINES_PAGE_SIZE}) { ${PAGE_INFO} nodes { ${REFUND_LINE_FIELDS} } } }`;
// order 1 + lineItems (2 + 25 x 3) + refunds 1 + refundLineItems (2 + 25 x 2)
const ORDER_COST = 1 + (2 + ORDER_LINES_PAGE_SIZE * 3) + 1 + (2 + REFUND_LINES_PAGE_SIZE * 2);

export const READ_ORDER = /* GraphQL */ `
  query ReadOrder($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
export const READ_ORDER_COST = ORDER_COST;

export const ORDERS_PAGE_SIZE = 5;
export const ORDERS_CHANGED = /* GraphQL */ `
  query OrdersChanged($query: String!, $after: String) {
    orders(first: ${ORDERS_PAGE_SIZE}, after: $after, query: $query, sortKey: UPDATED_AT) {
      ${PAGE_INFO}
      nodes { ${ORDER_FIELDS} }
    }
  }`;
export const ORDERS_CHANGED_COST = 2 + ORDERS_PAGE_SIZE * ORDER_COST;

export const ORDER_LINES_PAGE = /* GraphQL */ `
  query OrderLinesPage($id: ID!, $after: String) {
    order(id: $id) { id lineItems(first: 100, after: $after) { ${PAGE_INFO} nodes { ${LINE_FIELDS} } } }
  }`;
export const ORDER_LINES_PAGE_COST = 1 + 2 + 100 * 3;

export const REFUND_LINES_PAGE = /* GraphQL */ `
  query RefundLinesPage($id: ID!, $after: String) {
    node(id: $id) { ... on Refund { id refundLineItems(first: 100, after: $after) { ${PAGE_INFO} nodes { ${REFUND_LINE_FIELDS} } } } }
  }`;
export const REFUND_LINES_PAGE_COST = 1 + 2 + 100 * 2;

// ---- Webhooks ------------------------------------------------------------------------------

export const WEBHOOK_SUBSCRIPTIONS = /* GraphQL */ `
  query WebhookSubscriptions($uri: String, $after: String) {
    webhookSubscriptions(first: 100, after: $after, uri: $uri) { ${PAGE_INFO} nodes { id topic uri } }
  }`;
export const WEBHOOK_SUBSCRIPTIONS_COST = 2 + 100;

/** The endpoint goes in `uri` (`callbackUrl` is deprecated in 2026-10: "Use `uri` instead"). */
export const WEBHOOK_CREATE = /* GraphQL */ `
  mutation WebhookCreate($topic: WebhookSubscriptionTopic!, $uri: String!) {
    webhookSubscriptionCreate(topic: $topic, webhookSubscription: { uri: $uri, format: JSON }) {
      webhookSubscription {
        id
        topic
        uri
      }
      userErrors {
        field
        message
      }
    }
  }
`;

export const WEBHOOK_DELETE = /* GraphQL */ `
  mutation WebhookDelete($id: ID!) {
    webhookSubscriptionDelete(id: $id) {
      deletedWebhookSubscriptionId
      userErrors {
        field
        message
      }
    }
  }
`;

/**
 * The mutation root: the mutations the emulator implements. Any other Mutation field validates
 * against the schema but answers NOT_IMPLEMENTED (see resolvers.ts).
 */
import { inventoryAdjustQuantities, inventorySetQuantities } from "./mutations-inventory.ts";
import { bulkOperationRunQuery, webhookSubscriptionCreate, webhookSubscriptionDelete } from "./mutations-platform.ts";
import {
  productCreate,
  productDelete,
  productSet,
  productVariantsBulkCreate,
  productVariantsBulkUpdate,
} from "./mutations-products.ts";

export function mutationRoot(): Record<string, unknown> {
  return {
    inventorySetQuantities,
    inventoryAdjustQuantities,
    productSet,
    productCreate,
    productVariantsBulkCreate,
    productVariantsBulkUpdate,
    productDelete,
    bulkOperationRunQuery,
    webhookSubscriptionCreate,
    webhookSubscriptionDelete,
  };
}

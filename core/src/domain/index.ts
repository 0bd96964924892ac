export { SyncError, isSyncError, httpStatusFor, type ErrorCode } from "./errors.ts";
export {
  normalizeSku,
  matchBySku,
  type SkuItem,
  type SkuMatch,
  type SkuConflict,
  type SkuConflictReason,
} from "./sku.ts";
export {
  storeTarget,
  fellToLowStock,
  centralAvailable,
  prokipAvailable,
  isReflectedIn,
  isReadingAmbiguous,
  type PostableMovement,
  type ProkipReading,
} from "./stock.ts";
export {
  normalizedOrderSchema,
  orderLineSchema,
  orderSoldBySku,
  isEarlierTiedState,
  planOrderMovements,
  type NormalizedOrder,
  type OrderLine,
  type DeductOn,
  type PlannedOrderMovement,
  type OrderMovementReason,
} from "./order.ts";
export { connectionSettingsSchema, readConnectionSettings, type ConnectionSettings } from "./settings.ts";
export {
  postingRecordSchema,
  prokipHolds,
  planPosting,
  invoiceBaseFor,
  nextInvoiceNo,
  unlinkedProduct,
  sellLinesFor,
  sameSellLines,
  type PostingRecord,
  type PostingStep,
  type PostingVariant,
  type SellRecord,
  type DraftLine,
  type UnconfirmedSell,
} from "./posting.ts";

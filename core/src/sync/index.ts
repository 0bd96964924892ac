export {
  applyOrderState,
  applyOrderStates,
  type ApplyOrderResult,
  type ApplyOrderStatus,
  type OrderStateOutcome,
} from "./orders.ts";
export { drainConnection, type DrainOptions, type DrainResult } from "./drain.ts";
export {
  recordStoreQuantities,
  checkStoreEdits,
  type StoreQuantityReport,
  type StoreEditCheck,
} from "./store-edits.ts";
export { postOrderToProkip, type PostingOutcome, type PostingStatus, type PostingAction } from "./prokip-posting.ts";
export { refreshProkipStock, type ProkipStockRefresh } from "./prokip-stock.ts";
export { reconcileConnection, type ReconcileTarget, type ReconcileResult } from "./reconcile.ts";

export { applyOrderState, type ApplyOrderResult, type ApplyOrderStatus } from "./orders.ts";
export { drainConnection, type DrainOptions, type DrainResult } from "./drain.ts";
export { recordStoreQuantity, checkStoreEdits, type StoreQuantityReport, type StoreEditCheck } from "./store-edits.ts";

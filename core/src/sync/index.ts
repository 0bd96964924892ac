export { applyOrderState, type ApplyOrderResult, type ApplyOrderStatus } from "./orders.ts";
export { drainConnection, type DrainOptions, type DrainResult } from "./drain.ts";

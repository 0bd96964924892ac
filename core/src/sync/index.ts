export { applyOrderState, type ApplyOrderResult, type ApplyOrderStatus } from "./orders.ts";

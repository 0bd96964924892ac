export {
  recordDelivery,
  connectionByStoreDomain,
  connectionById,
  keepsDeliveries,
  type Delivery,
  type ReceivingConnection,
} from "./deliveries.ts";
export { storablePayload, MAX_PAYLOAD_DEPTH } from "./payload.ts";

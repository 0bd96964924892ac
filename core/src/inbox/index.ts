export {
  recordDelivery,
  connectionByStoreDomain,
  connectionById,
  keepsDeliveries,
  type Delivery,
  type ReceivingConnection,
} from "./deliveries.ts";

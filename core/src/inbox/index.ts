export { recordDelivery, connectionByStoreDomain, connectionById, type Delivery, type ReceivingConnection } from "./deliveries.ts";

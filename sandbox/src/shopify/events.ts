/**
 * Platform events that can become webhooks. Behaviour modules (inventory, orders, catalogue)
 * report what happened through an `EventSink`; the webhook dispatcher turns each event into one
 * delivery per matching subscription.
 */
import type { PlatformState, Shop } from "./state.ts";

/** Topics the emulator emits, in Shopify's REST spelling (the `X-Shopify-Topic` header value). */
export const WEBHOOK_TOPICS = [
  "orders/create",
  "orders/paid",
  "orders/updated",
  "orders/cancelled",
  "orders/edited",
  "refunds/create",
  "inventory_levels/update",
  "products/create",
  "products/update",
  "products/delete",
  "app/uninstalled",
  "bulk_operations/finish",
] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

/** `orders/create` <-> `ORDERS_CREATE` (the GraphQL `WebhookSubscriptionTopic` enum). */
export function topicToEnum(topic: string): string {
  return topic.replace("/", "_").toUpperCase();
}

export function enumToTopic(value: string): string {
  const lower = value.toLowerCase();
  // The enum joins resource and event with "_" but resources contain "_" too (inventory_levels),
  // so match against the known topics first and fall back to splitting at the last underscore.
  const known = WEBHOOK_TOPICS.find((t) => topicToEnum(t) === value);
  if (known) return known;
  const at = lower.lastIndexOf("_");
  return at < 0 ? lower : `${lower.slice(0, at)}/${lower.slice(at + 1)}`;
}

export interface PlatformEvent {
  shop: Shop;
  topic: WebhookTopic;
  /** REST-style payload, built when the event happens (payloads reflect state at that moment). */
  payload: unknown;
  /** Only deliver to this app (app/uninstalled, bulk_operations/finish go to one app only). */
  onlyApiKey?: string;
}

export interface EventSink {
  emit(event: PlatformEvent): void;
}

/** What behaviour modules need: the state to change and somewhere to report events. */
export interface Core {
  state: PlatformState;
  events: EventSink;
}

/**
 * A Shopify payload (webhook body or GraphQL object) that does not have the shape this adapter
 * relies on. Thrown by the pure normalisers, so callers can tell "bad input" (park the delivery,
 * alert) from transport failures (`ChannelError`, retry later).
 */
export type ShopifyPayloadErrorCode =
  /** The payload failed validation (missing or mistyped fields). */
  | "invalid_payload"
  /** The payload is valid but describes something else (e.g. an `orders/edited` edit, not an order). */
  | "not_an_order"
  /** The figures contradict each other (e.g. more refunded than ordered). */
  | "inconsistent_order";

export class ShopifyPayloadError extends Error {
  readonly code: ShopifyPayloadErrorCode;
  /** Validation issues (paths and messages), never the payload itself. */
  readonly details: unknown;

  constructor(code: ShopifyPayloadErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "ShopifyPayloadError";
    this.code = code;
    this.details = details;
  }
}

/**
 * Shopify's REST-style webhook bodies, read with their ids exact.
 *
 * Shopify's ids are 64-bit integers written as bare JSON numbers (`"id": 820982911946154508` in
 * every documented sample payload; live shops carry 13-14 digits now and ids only grow). A JS
 * number holds integers exactly only up to 2^53 - 1, so `JSON.parse` silently rounds the sample's
 * order id to 820982911946154500: another order. Bodies are therefore parsed with `lossless-json`,
 * which leaves every number as a `LosslessNumber` carrying its digits as written, and the schemas
 * below read ids from those digits (never through a JS number) and counts as safe integers only.
 * Why this parser: docs/decisions/0001-exact-shopify-ids.md.
 */
import { isLosslessNumber, isSafeNumber, parse } from "lossless-json";
import { z } from "zod";
import { ShopifyPayloadError } from "./errors.ts";

/**
 * A webhook body as text -> a JSON value whose numbers are `LosslessNumber`s. Throws
 * `ShopifyPayloadError("invalid_payload")` for text that is not JSON.
 */
export function parseShopifyWebhookBody(text: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new ShopifyPayloadError("invalid_payload", `The webhook body is not JSON: ${(error as Error).message}`);
  }
}

const DIGITS = /^\d+$/u;

/**
 * A REST id -> its exact decimal digits. From a parsed body (a `LosslessNumber`), a digit string,
 * or a JS number only when it is a safe integer (an in-process caller's literal): a larger JS
 * number has already been rounded and is refused rather than turned into someone else's id.
 */
export const restIdSchema = z.unknown().transform((value, ctx): string => {
  const digits = isLosslessNumber(value)
    ? value.value
    : typeof value === "string"
      ? value.trim()
      : typeof value === "number" && Number.isSafeInteger(value)
        ? String(value)
        : null;
  if (digits !== null && DIGITS.test(digits) && !/^0+$/u.test(digits)) return digits;
  ctx.addIssue({
    code: "custom",
    message:
      typeof value === "number"
        ? "must be an exact id: this number is beyond 2^53 and was rounded (parse the body with parseShopifyWebhookBody)"
        : "must be a positive integer id",
  });
  return z.NEVER;
});

/** A JSON number as a JS number, when it is one exactly (a `LosslessNumber` beyond 2^53 is not). */
export function jsonNumber<S extends z.ZodType>(schema: S) {
  return z.preprocess(
    (value) => (isLosslessNumber(value) ? (isSafeNumber(value.value) ? Number(value.value) : value.value) : value),
    schema,
  );
}

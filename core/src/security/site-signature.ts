/**
 * How the WooCommerce plugin signs its calls to the store API (docs/woocommerce.md, "Signing"):
 * HMAC-SHA256 with the site's secret over a canonical string of the method, the path with its
 * query exactly as sent, the timestamp, the nonce, the site id and the body's SHA-256. Pure, so
 * the shared test vectors (core/test/fixtures/site-signature-vectors.json) pin it for the PHP.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SITE_SIGNATURE_HEADERS = {
  site: "x-prokip-site",
  timestamp: "x-prokip-timestamp",
  nonce: "x-prokip-nonce",
  signature: "x-prokip-signature",
} as const;

/** First line of the canonical string: a later scheme gets a new one, so old signatures never verify under it. */
export const SITE_SIGNATURE_VERSION = "PROKIP-SYNC-SITE-V1";

/** How far a request's timestamp may be from the backend's clock, either way. */
export const SITE_SIGNATURE_WINDOW_SECONDS = 300;

export interface SignedRequestParts {
  /** Upper case, e.g. "POST". */
  method: string;
  /** The request target as sent: path and query, e.g. "/api/v1/store/products?status=synced". */
  pathWithQuery: string;
  /** Unix time in whole seconds, as the decimal string sent in the header. */
  timestamp: string;
  nonce: string;
  siteId: string;
  /** The raw body bytes as sent (empty for none). */
  body: Buffer | string;
}

export function sha256Hex(body: Buffer | string): string {
  return createHash("sha256").update(body).digest("hex");
}

export function siteCanonicalString(parts: SignedRequestParts): string {
  return [
    SITE_SIGNATURE_VERSION,
    parts.method.toUpperCase(),
    parts.pathWithQuery,
    parts.timestamp,
    parts.nonce,
    parts.siteId,
    sha256Hex(parts.body),
  ].join("\n");
}

/** Lower-case hex HMAC-SHA256 of the canonical string, keyed with the secret's UTF-8 bytes. */
export function signSiteRequest(secret: string, parts: SignedRequestParts): string {
  return createHmac("sha256", secret).update(siteCanonicalString(parts), "utf8").digest("hex");
}

/** Constant-time: how much of a wrong signature matches must not show in the time taken. */
export function siteSignatureMatches(secret: string, parts: SignedRequestParts, signature: string): boolean {
  const expected = Buffer.from(signSiteRequest(secret, parts), "utf8");
  const given = Buffer.from(signature.toLowerCase(), "utf8");
  // Lengths are not secret (always 64 hex digits); comparing equal lengths keeps timingSafeEqual's contract.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A new site secret: 32 random bytes, base64url (43 characters, safe in a WordPress option and a header). */
export function generateSiteSecret(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * REST API authentication, ported from WooCommerce's `WC_REST_Authentication`
 * (plugins/woocommerce/includes/class-wc-rest-authentication.php):
 *
 * - `authenticate()`: over SSL try HTTP Basic (or `consumer_key`/`consumer_secret` query params,
 *   which win); whatever happened, if no user was found fall back to OAuth 1.0a.
 * - Basic: an unknown key is silently ignored (the request is then anonymous and fails the
 *   permission check with 401 `woocommerce_rest_cannot_view`); a known key with the wrong secret
 *   is `woocommerce_rest_authentication_error` "Consumer secret is invalid." (401).
 * - OAuth 1.0a one-legged: parameters from `$_GET`, `$_POST` and an `Authorization: OAuth` header;
 *   the signature base string is `METHOD&rawurlencode(home_url(path))&` + the sorted, normalised
 *   parameters joined with `%26`; HMAC-SHA1 or HMAC-SHA256 keyed with `consumer_secret&`;
 *   the timestamp must be within 15 minutes and the nonce unused for that key.
 * - `check_permissions()`: read keys may only GET/HEAD, write keys only POST/PUT/PATCH/DELETE.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ApiKeyRecord, SiteRecord } from "./types.ts";
import { type PhpArray, type PhpValue, WpError, phpUrldecode, rawurldecode, rawurlencode } from "./util.ts";

export interface AuthRequest {
  method: string;
  /** Scheme + host + raw path the client addressed (what `home_url( $request_path )` yields). */
  baseUri: string;
  /** `$_GET`, parsed PHP-style from the raw query string. */
  query: PhpArray;
  /** `$_POST`: only form-encoded bodies populate it (JSON bodies are not part of the signature). */
  post: PhpArray;
  authorization: string | undefined;
  isSsl: boolean;
  nowSeconds: number;
}

export interface AuthResult {
  key: ApiKeyRecord | null;
  error: WpError | null;
  method: "basic_auth" | "oauth1" | "";
}

const VALID_WINDOW = 15 * 60;

function hashEquals(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function findKey(site: SiteRecord, consumerKey: string): ApiKeyRecord | undefined {
  return site.keys.find((k) => k.consumerKey === consumerKey.trim());
}

function str(v: PhpValue | undefined): string {
  return typeof v === "string" ? v : "";
}

function basicAuth(site: SiteRecord, req: AuthRequest): AuthResult {
  let consumerKey = "";
  let consumerSecret = "";
  if (str(req.query.consumer_key) && str(req.query.consumer_secret)) {
    consumerKey = str(req.query.consumer_key);
    consumerSecret = str(req.query.consumer_secret);
  }
  if (!consumerKey && req.authorization?.startsWith("Basic ")) {
    // PHP_AUTH_USER / PHP_AUTH_PW: split at the first colon.
    const decoded = Buffer.from(req.authorization.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      consumerKey = decoded.slice(0, colon);
      consumerSecret = decoded.slice(colon + 1);
    }
  }
  if (!consumerKey || !consumerSecret) return { key: null, error: null, method: "basic_auth" };
  const key = findKey(site, consumerKey);
  if (!key) return { key: null, error: null, method: "basic_auth" };
  if (!hashEquals(key.consumerSecret, consumerSecret)) {
    return {
      key: null,
      error: new WpError("woocommerce_rest_authentication_error", "Consumer secret is invalid.", 401),
      method: "basic_auth",
    };
  }
  return { key, error: null, method: "basic_auth" };
}

/** `parse_header`: the OAuth params of an `Authorization: OAuth k="v", ...` header. */
function parseOAuthHeader(header: string): Record<string, string> {
  if (!header.startsWith("OAuth ")) return {};
  const params: Record<string, string> = {};
  const re = /(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null) {
    params[m[1] ?? ""] = phpUrldecode(m[3] ? m[3] : (m[4] ?? ""));
  }
  return params;
}

const requiredOAuth = [
  "oauth_consumer_key",
  "oauth_timestamp",
  "oauth_nonce",
  "oauth_signature",
  "oauth_signature_method",
];

/** `get_oauth_parameters`: returns null when the request is not even trying OAuth. */
function oauthParameters(req: AuthRequest): { params: PhpArray } | { error: WpError } | null {
  let params: PhpArray = { ...req.query, ...req.post };
  const header = req.authorization?.trim();
  if (header) params = { ...params, ...parseOAuthHeader(header) };
  const missing = requiredOAuth.filter((name) => !str(params[name]));
  if (missing.length === requiredOAuth.length) return null;
  if (missing.length > 0) {
    const message = `Missing OAuth parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`;
    return { error: new WpError("woocommerce_rest_authentication_missing_parameter", message, 401) };
  }
  return { params };
}

/**
 * `normalize_parameters` + `join_with_equals_sign`: keys and values are RFC 3986 encoded, each
 * `key=value` pair is encoded again (so `=` becomes `%3D`), and nested arrays become `key%5Bsub%5D`.
 */
function joinWithEqualsSign(params: PhpArray, prefix = ""): string[] {
  const out: string[] = [];
  for (const [rawKey, value] of Object.entries(params)) {
    const key = prefix ? `${prefix}%5B${rawurlencode(rawKey)}%5D` : rawurlencode(rawKey);
    if (typeof value === "object") out.push(...joinWithEqualsSign(value, key));
    else out.push(rawurlencode(`${key}=${rawurlencode(value)}`));
  }
  return out;
}

/** The signature base string exactly as `check_oauth_signature` builds it. */
export function oauthBaseString(method: string, baseUri: string, params: PhpArray): string {
  const { oauth_signature: _ignored, ...rest } = params;
  // uksort( $params, 'strcmp' ): byte order of the top-level keys.
  const sorted: PhpArray = {};
  for (const key of Object.keys(rest).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    const value = rest[key];
    if (value !== undefined) sorted[key] = value;
  }
  return `${method.toUpperCase()}&${rawurlencode(baseUri)}&${joinWithEqualsSign(sorted).join("%26")}`;
}

export function oauthSignature(
  baseString: string,
  consumerSecret: string,
  signatureMethod: "HMAC-SHA1" | "HMAC-SHA256",
): string {
  const algorithm = signatureMethod === "HMAC-SHA1" ? "sha1" : "sha256";
  return createHmac(algorithm, `${consumerSecret}&`).update(baseString).digest("base64");
}

function oauth(site: SiteRecord, req: AuthRequest): AuthResult {
  const parsed = oauthParameters(req);
  if (parsed === null) return { key: null, error: null, method: "oauth1" };
  if ("error" in parsed) return { key: null, error: parsed.error, method: "oauth1" };
  const { params } = parsed;
  const key = findKey(site, str(params.oauth_consumer_key));
  if (!key)
    return {
      key: null,
      error: new WpError("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401),
      method: "oauth1",
    };

  // check_oauth_signature
  const fail = (message: string): AuthResult => ({
    key: null,
    error: new WpError("woocommerce_rest_authentication_error", message, 401),
    method: "oauth1",
  });
  const signatureMethod = str(params.oauth_signature_method);
  if (signatureMethod !== "HMAC-SHA1" && signatureMethod !== "HMAC-SHA256")
    return fail("Invalid signature - signature method is invalid.");
  // $_GET decoding turned '+' into ' '; WooCommerce puts it back before comparing.
  const consumerSignature = rawurldecode(str(params.oauth_signature).replace(/ /g, "+"));
  const expected = oauthSignature(
    oauthBaseString(req.method, req.baseUri, params),
    key.consumerSecret,
    signatureMethod,
  );
  if (!hashEquals(expected, consumerSignature)) return fail("Invalid signature - provided signature does not match.");

  // check_oauth_timestamp_and_nonce
  const timestamp = Number(str(params.oauth_timestamp));
  if (
    !Number.isFinite(timestamp) ||
    timestamp < req.nowSeconds - VALID_WINDOW ||
    timestamp > req.nowSeconds + VALID_WINDOW
  ) {
    return fail("Invalid timestamp.");
  }
  const nonce = str(params.oauth_nonce);
  for (const [seen, at] of key.nonces) if (at < req.nowSeconds - VALID_WINDOW) key.nonces.delete(seen);
  if (key.nonces.has(nonce)) return fail("Invalid nonce - nonce has already been used.");
  key.nonces.set(nonce, timestamp);
  return { key, error: null, method: "oauth1" };
}

export function authenticate(site: SiteRecord, req: AuthRequest): AuthResult {
  let error: WpError | null = null;
  if (req.isSsl) {
    const basic = basicAuth(site, req);
    if (basic.key) return basic;
    error = basic.error;
  }
  // perform_oauth_authentication always runs when Basic found no user, and set_error() keeps the
  // latest error: a wrong Basic secret is still reported when no OAuth parameters were sent.
  const viaOAuth = oauth(site, req);
  error = viaOAuth.error ?? error;
  return { key: error ? null : viaOAuth.key, error, method: "oauth1" };
}

/** `check_permissions`: the key's read/write scope against the HTTP method. */
export function checkKeyPermissions(key: ApiKeyRecord, method: string): WpError | null {
  const p = key.permissions;
  switch (method) {
    case "HEAD":
    case "GET":
      return p === "read" || p === "read_write"
        ? null
        : new WpError(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have read permissions.",
            401,
          );
    case "POST":
    case "PUT":
    case "PATCH":
    case "DELETE":
      return p === "write" || p === "read_write"
        ? null
        : new WpError(
            "woocommerce_rest_authentication_error",
            "The API key provided does not have write permissions.",
            401,
          );
    case "OPTIONS":
      return null;
    default:
      return new WpError("woocommerce_rest_authentication_error", "Unknown request method.", 401);
  }
}

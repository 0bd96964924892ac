/**
 * Small helpers shared by the WooCommerce emulator: WordPress error objects, dates the way the
 * REST API prints them, money in cents, PHP-compatible encoders and key generation.
 */
import { createHmac, randomBytes } from "node:crypto";

/** A WordPress `WP_Error` as the REST API serialises it: `{code, message, data:{status,...}}`. */
export class WpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly extra: Record<string, unknown> = {},
    /** `new WP_Error( $code, $message, 500 )`: the data is the bare status, not `{status}`. */
    readonly bareData = false,
  ) {
    super(message);
  }

  toJSON(): { code: string; message: string; data: Record<string, unknown> | number } {
    return {
      code: this.code,
      message: this.message,
      data: this.bareData ? this.status : { status: this.status, ...this.extra },
    };
  }
}

/** Whole seconds: WordPress stores datetimes in MySQL DATETIME columns, so sub-second precision is lost. */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * `wc_rest_prepare_date_response`: ISO 8601 without a timezone suffix, e.g. `2024-05-01T09:30:00`.
 * The emulated sites run in UTC, so the local and `_gmt` variants are identical.
 */
export function wcDate(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toISOString().slice(0, 19);
}

/**
 * `rest_parse_date`: WordPress accepts RFC 3339 with optional fraction and offset. Without an
 * offset the date is read in the site timezone (UTC here). Returns ms, or null when invalid.
 */
export function parseWpDate(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return null;
  const offset =
    m[8] === undefined || /z/i.test(m[8]) ? "Z" : m[8].length === 5 ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : m[8];
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? ""}${offset}`);
  return Number.isNaN(ms) ? null : ms;
}

/** Money is kept in cents so totals add up exactly; WooCommerce prints 2 decimals (`wc_get_price_decimals`). */
export function toCents(value: string | number): number {
  const n = typeof value === "number" ? value : Number.parseFloat(value);
  return Number.isFinite(n) ? Math.round(n * 100) : 0;
}

export function formatCents(cents: number): string {
  return (cents / 100).toFixed(2);
}

/**
 * Prices are stored as the merchant typed them (`wc_format_decimal` without trimming); when the
 * emulator itself writes a price it uses the shortest form, as wp-admin users usually do.
 */
export function plainPrice(value: string): string {
  const n = Number.parseFloat(value);
  if (!Number.isFinite(n)) return "";
  return String(Math.round(n * 100) / 100);
}

/** PHP `rawurlencode`: RFC 3986, everything but `A-Za-z0-9-_.~` is percent-encoded. */
export function rawurlencode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** PHP `urldecode` (what fills `$_GET`): `+` is a space, invalid escapes are left alone. */
export function phpUrldecode(value: string): string {
  const spaced = value.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

/** PHP `rawurldecode`: like `urldecode` but `+` stays a plus. */
export function rawurldecode(value: string): string {
  return phpUrldecode(value.replace(/\+/g, "%2B"));
}

/** A parsed PHP request variable: a string or a (possibly nested) array. */
export type PhpValue = string | PhpArray;
export interface PhpArray {
  [key: string]: PhpValue;
}

/**
 * PHP `parse_str` (how `$_GET` / `$_POST` are built): `a[b][]=1` becomes nested arrays, a later
 * plain key overwrites an earlier one. Key order is kept, as PHP arrays are ordered.
 */
export function phpParseQuery(query: string): PhpArray {
  const out: PhpArray = {};
  if (!query) return out;
  for (const pair of query.split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const rawKey = phpUrldecode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? "" : phpUrldecode(pair.slice(eq + 1));
    const bracket = rawKey.indexOf("[");
    const base = bracket > 0 ? rawKey.slice(0, bracket) : rawKey;
    if (!base) continue;
    const path: string[] = [];
    if (bracket > 0) {
      const re = /\[([^\]]*)\]/g;
      let m: RegExpExecArray | null;
      while ((m = re.exec(rawKey.slice(bracket))) !== null) path.push(m[1] ?? "");
    }
    if (path.length === 0) {
      out[base] = value;
      continue;
    }
    let node: PhpArray = typeof out[base] === "object" ? (out[base] as PhpArray) : (out[base] = {});
    path.forEach((segment, i) => {
      const key = segment === "" ? String(Object.keys(node).filter((k) => /^\d+$/.test(k)).length) : segment;
      if (i === path.length - 1) {
        node[key] = value;
      } else {
        const next = node[key];
        node = typeof next === "object" ? next : (node[key] = {});
      }
    });
  }
  return out;
}

/**
 * `wp_json_encode` with default flags: like JSON.stringify, but `/` is escaped as `\/` and
 * non-ASCII characters as `\uXXXX`. Webhook signatures are computed over these exact bytes, so
 * a receiver that re-serialises the JSON before verifying fails here just as it would in production.
 */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, "\\/")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** `wc_rand_hash`: 40 hex characters; consumer keys are `ck_` + hash, secrets `cs_` + hash. */
export function randHash(): string {
  return randomBytes(20).toString("hex");
}

/** `wp_generate_password( 50, true, true )`, used when a webhook is created without a secret. */
export function generatePassword(length: number): string {
  const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_ []{}<>~`+=,.;:/?|";
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => chars[b % chars.length]).join("");
}

/** `wp_hash`: an HMAC-MD5 with the site's salt; used for webhook delivery ids. */
export function wpHash(data: string, salt: string): string {
  return createHmac("md5", salt).update(data).digest("hex");
}

export function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "product"
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

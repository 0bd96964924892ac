/**
 * What the inbox accepts as a delivery body: JSON that PostgreSQL can keep as `jsonb`, checked
 * before the INSERT so a signed but unstorable body is a 400 `invalid_payload`, never a database
 * error. Core's receivers and the Shopify app's routes store through `recordDelivery`, which
 * calls this, so there is one rule for every way in.
 *
 * PostgreSQL's jsonb refuses what JSON.parse lets through (measured on the embedded server):
 * the `\u0000` escape (22P05), lone UTF-16 surrogate escapes (22P02), deep nesting (its parser
 * recurses: 20,000 levels exceed the stack, 54001) and numbers beyond `numeric` (more than
 * 131,072 digits before the point or 16,383 after, 22003). Raw NUL and other bytes that are not
 * UTF-8 are refused here too: a decoder that replaced them would store other bytes than were signed.
 */
import { SyncError } from "../domain/index.ts";

/** PHP's json_encode default depth (WooCommerce encodes with it); Shopify's bodies nest less than 10. */
export const MAX_PAYLOAD_DEPTH = 512;
/** Far inside numeric's range; no platform sends a number this long or this far off. */
const MAX_NUMBER_LENGTH = 1_000;
const MAX_EXPONENT = 1_000;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body as text, if the inbox can store it; a SyncError `invalid_payload` saying why not. */
export function storablePayload(body: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw refused("The delivery body is not UTF-8");
  }
  try {
    JSON.parse(text);
  } catch {
    throw refused("The delivery body is not JSON");
  }
  const problem = unstorable(text);
  if (problem) throw refused(`The delivery body cannot be stored: ${problem}`);
  return text;
}

function refused(message: string): SyncError {
  return new SyncError("invalid_payload", message);
}

/**
 * One pass over text JSON.parse accepted (so strings, escapes and numbers are well formed):
 * nesting depth, escapes PostgreSQL refuses, numbers out of its range. Null when storable.
 */
function unstorable(text: string): string | null {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > MAX_PAYLOAD_DEPTH) return `it nests deeper than ${MAX_PAYLOAD_DEPTH} levels`;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    } else if (c === 0x22) {
      // A string: only its escapes matter (raw control characters and lone surrogates cannot
      // occur: JSON.parse refuses the first, the strict decoder the second).
      for (i += 1; text.charCodeAt(i) !== 0x22; i += 1) {
        if (text.charCodeAt(i) !== 0x5c) continue;
        i += 1;
        if (text.charCodeAt(i) !== 0x75) continue;
        const unit = Number.parseInt(text.slice(i + 1, i + 5), 16);
        i += 4;
        if (unit === 0) return "a \\u0000 escape";
        if (unit >= 0xdc00 && unit <= 0xdfff) return "a lone surrogate escape";
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const next = text.startsWith("\\u", i + 1) ? Number.parseInt(text.slice(i + 3, i + 7), 16) : NaN;
          if (!(next >= 0xdc00 && next <= 0xdfff)) return "a lone surrogate escape";
          i += 6;
        }
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const match = /-?\d+(?:\.\d+)?(?:[eE][+-]?(\d+))?/uy;
      match.lastIndex = i;
      const number = match.exec(text)!;
      if (number[0].length > MAX_NUMBER_LENGTH || (number[1] && Number(number[1]) > MAX_EXPONENT))
        return "a number out of PostgreSQL's range";
      i += number[0].length - 1;
    }
  }
  return null;
}

/**
 * The `@idempotent(key:)` directive. From API version 2026-04 Shopify requires it at run time on
 * the inventory mutations even though the schema does not mark it required
 * (https://shopify.dev/changelog/making-idempotency-mandatory-for-inventory-adjustments-and-refund-mutations):
 *
 * - missing -> top-level error `BAD_REQUEST` "The @idempotent directive is required for this
 *   mutation but was not provided." (wording as observed live, e.g.
 *   https://github.com/luke-selrai/openclaw-workshop-kit/issues/218);
 * - same key, same parameters -> the original result is returned and nothing changes again;
 * - same key, different parameters -> userError `IDEMPOTENCY_KEY_PARAMETER_MISMATCH`.
 *
 * Keys are scoped to app and shop and kept until the emulator is reset.
 */
import { getDirectiveValues, GraphQLError, type GraphQLResolveInfo } from "graphql";
import type { RequestContext } from "./context.ts";

export function idempotencyKey(info: GraphQLResolveInfo): string {
  const directive = info.schema.getDirective("idempotent");
  const node = info.fieldNodes[0];
  const values = directive && node ? getDirectiveValues(directive, node, info.variableValues) : undefined;
  const key = values?.["key"];
  if (typeof key !== "string" || key.length === 0) {
    throw new GraphQLError("The @idempotent directive is required for this mutation but was not provided.", {
      nodes: info.fieldNodes,
      extensions: { code: "BAD_REQUEST" },
    });
  }
  return key;
}

/** JSON with sorted keys, so the same input always gives the same fingerprint. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Runs `perform` once per key: replays the stored payload for a repeated request and answers a
 * reused key with different parameters with `mismatch()`.
 */
export function withIdempotency<P>(
  ctx: RequestContext,
  mutation: string,
  key: string,
  parameters: unknown,
  perform: () => P,
  mismatch: () => P,
): P {
  const recordKey = `${ctx.app.apiKey}|${mutation}|${key}`;
  const fingerprint = stableStringify(parameters);
  const previous = ctx.shop.idempotency.get(recordKey);
  if (previous) return previous.fingerprint === fingerprint ? (previous.payload as P) : mismatch();
  const payload = perform();
  ctx.shop.idempotency.set(recordKey, { fingerprint, payload });
  return payload;
}

export const MISMATCH_MESSAGE = "The same idempotency key cannot be used with different operation parameters.";

/**
 * Request argument validation the way WordPress does it (`rest_validate_value_from_schema` and
 * `rest_sanitize_value_from_schema`): each endpoint declares typed args; a wrong type is a 400
 * `rest_invalid_param` listing every bad parameter, e.g. sending `regular_price: 10` (a number)
 * fails with "regular_price is not of type string.". Unknown fields are ignored, as in WordPress.
 */
import { WpError, parseWpDate } from "./util.ts";

export type ArgType = "string" | "integer" | "number" | "boolean" | "array" | "object";

export interface ArgSpec {
  type: ArgType | ArgType[] | "null-integer";
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  format?: "date-time" | "uri";
  /** Arrays given as `a,b` or `a[]=` in query strings (WordPress `wp_parse_list`). */
  items?: ArgSpec;
}

export type ArgSpecs = Record<string, ArgSpec>;

interface Problem {
  code: string;
  message: string;
}

function isIntegerLike(v: unknown): boolean {
  if (typeof v === "number") return Number.isInteger(v);
  return typeof v === "string" && /^\s*-?\d+(\.0+)?\s*$/.test(v);
}

function isNumberLike(v: unknown): boolean {
  if (typeof v === "number") return Number.isFinite(v);
  return typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v));
}

/** `rest_is_boolean`. */
function isBooleanLike(v: unknown): boolean {
  return (
    typeof v === "boolean" ||
    v === 0 ||
    v === 1 ||
    (typeof v === "string" && ["true", "false", "1", "0", ""].includes(v.toLowerCase()))
  );
}

function toBoolean(v: unknown): boolean {
  return v === true || v === 1 || (typeof v === "string" && ["true", "1"].includes(v.toLowerCase()));
}

/** `wp_parse_list`: arrays may arrive as comma/space separated strings. */
function toList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v !== null && typeof v === "object") return Object.values(v);
  if (typeof v === "string") return v.split(/[\s,]+/).filter((s) => s !== "");
  return [v];
}

function checkOne(name: string, value: unknown, spec: ArgSpec): { problem?: Problem; value?: unknown } {
  const types: ArgType[] =
    spec.type === "null-integer" ? ["integer"] : Array.isArray(spec.type) ? spec.type : [spec.type];
  if (value === null && spec.type === "null-integer") return { value: null };
  for (const type of types) {
    switch (type) {
      case "string":
        if (typeof value !== "string") continue;
        if (spec.enum && !spec.enum.includes(value)) {
          return { problem: { code: "rest_not_in_enum", message: `${name} is not one of ${spec.enum.join(", ")}.` } };
        }
        if (spec.format === "date-time" && parseWpDate(value) === null) {
          return { problem: { code: "rest_invalid_date", message: "Invalid date." } };
        }
        if (spec.format === "uri" && !/^https?:\/\/\S+$/i.test(value)) {
          return { problem: { code: "rest_invalid_uri", message: "Invalid URL." } };
        }
        return { value };
      case "integer":
      case "number": {
        if (type === "integer" ? !isIntegerLike(value) : !isNumberLike(value)) continue;
        const n = type === "integer" ? Math.trunc(Number(value)) : Number(value);
        if (spec.minimum !== undefined && n < spec.minimum) {
          const message =
            spec.maximum !== undefined
              ? `${name} must be between ${spec.minimum} (inclusive) and ${spec.maximum} (inclusive)`
              : `${name} must be greater than or equal to ${spec.minimum}`;
          return { problem: { code: "rest_out_of_bounds", message } };
        }
        if (spec.maximum !== undefined && n > spec.maximum) {
          const message =
            spec.minimum !== undefined
              ? `${name} must be between ${spec.minimum} (inclusive) and ${spec.maximum} (inclusive)`
              : `${name} must be less than or equal to ${spec.maximum}`;
          return { problem: { code: "rest_out_of_bounds", message } };
        }
        return { value: n };
      }
      case "boolean":
        if (!isBooleanLike(value)) continue;
        return { value: toBoolean(value) };
      case "array": {
        if (typeof value === "number" || typeof value === "boolean") continue;
        const list = toList(value);
        if (!spec.items) return { value: list };
        const out: unknown[] = [];
        for (const [i, item] of list.entries()) {
          const r = checkOne(`${name}[${i}]`, item, spec.items);
          if (r.problem) return r;
          out.push(r.value);
        }
        return { value: out };
      }
      case "object":
        if (value === null || typeof value !== "object" || Array.isArray(value)) continue;
        return { value };
    }
  }
  const typeLabel = spec.type === "null-integer" ? "integer,null" : types.join(",");
  return { problem: { code: "rest_invalid_type", message: `${name} is not of type ${typeLabel}.` } };
}

/**
 * PHP's loose typing, for batch items: `WC_REST_Controller::batch_items` calls the item handlers
 * directly, skipping the REST schema validation, so `"regular_price": 10` just works there.
 */
function coerceLoosely(value: unknown, spec: ArgSpec): unknown {
  const types = spec.type === "null-integer" ? ["integer"] : Array.isArray(spec.type) ? spec.type : [spec.type];
  if (types.includes("string") && (typeof value === "number" || typeof value === "boolean")) return String(value);
  return value;
}

/**
 * Validates and sanitises the declared args present in `params`. Returns the sanitised values
 * (only declared keys that were sent) or throws `rest_invalid_param` listing every problem.
 * With `lenient` (batch items) values are coerced first and still-invalid ones are dropped.
 */
export function validateArgs(
  params: Record<string, unknown>,
  specs: ArgSpecs,
  lenient = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: Record<string, Problem> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (!(name in params) || params[name] === undefined) continue;
    const result = checkOne(name, lenient ? coerceLoosely(params[name], spec) : params[name], spec);
    if (result.problem && lenient && result.problem.code === "rest_invalid_type") continue;
    if (result.problem) problems[name] = result.problem;
    else out[name] = result.value;
  }
  const names = Object.keys(problems);
  if (names.length > 0) {
    throw new WpError("rest_invalid_param", `Invalid parameter(s): ${names.join(", ")}`, 400, {
      params: Object.fromEntries(names.map((n) => [n, problems[n]?.message])),
      details: Object.fromEntries(
        names.map((n) => [n, { code: problems[n]?.code, message: problems[n]?.message, data: null }]),
      ),
    });
  }
  return out;
}

/** Collection args every WooCommerce list endpoint declares (`WC_REST_Controller::get_collection_params`). */
export const collectionArgs: ArgSpecs = {
  page: { type: "integer", minimum: 1 },
  per_page: { type: "integer", minimum: 1, maximum: 100 },
  offset: { type: "integer" },
  order: { type: "string", enum: ["asc", "desc"] },
  search: { type: "string" },
  include: { type: "array", items: { type: "integer" } },
  exclude: { type: "array", items: { type: "integer" } },
  after: { type: "string", format: "date-time" },
  before: { type: "string", format: "date-time" },
  modified_after: { type: "string", format: "date-time" },
  modified_before: { type: "string", format: "date-time" },
  dates_are_gmt: { type: "boolean" },
};

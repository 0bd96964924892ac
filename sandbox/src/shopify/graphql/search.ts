/**
 * Shopify search syntax for the `query:` argument
 * (https://shopify.dev/docs/api/usage/search-syntax): whitespace-separated terms are ANDed, `OR`
 * separates alternatives, `-term` / `NOT term` negates, `field:value` filters with optional
 * comparators (`field:>value`, `:>=`, `:<`, `:<=`), values may be quoted and may end in `*` for a
 * prefix match. Terms without a field search free text. Parentheses are not supported.
 * Unknown fields are ignored (match everything), as Shopify ignores filters it does not know.
 */

export type Comparator = "=" | ">" | ">=" | "<" | "<=";

export interface SearchTerm {
  field: string | null;
  comparator: Comparator;
  value: string;
  negated: boolean;
}

/** Alternatives (OR) of conjunctions (AND). An empty query matches everything. */
export type SearchQuery = SearchTerm[][];

function tokenize(query: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (const ch of query) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (/\s/.test(ch)) {
      if (current) tokens.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (current) tokens.push(current);
  return tokens;
}

export function parseSearch(query: string | null | undefined): SearchQuery {
  if (!query?.trim()) return [];
  const groups: SearchQuery = [[]];
  let negateNext = false;
  for (const token of tokenize(query)) {
    if (token === "OR") {
      groups.push([]);
      continue;
    }
    if (token === "AND") continue;
    if (token === "NOT") {
      negateNext = true;
      continue;
    }
    let text = token;
    let negated = negateNext;
    negateNext = false;
    if (text.startsWith("-") && text.length > 1) {
      negated = !negated;
      text = text.slice(1);
    }
    const match = /^([A-Za-z_][A-Za-z0-9_.]*):(>=|<=|>|<)?(.*)$/.exec(text);
    const term: SearchTerm = match
      ? {
          field: match[1]!.toLowerCase(),
          comparator: (match[2] as Comparator | undefined) ?? "=",
          value: match[3] ?? "",
          negated,
        }
      : { field: null, comparator: "=", value: text, negated };
    groups[groups.length - 1]!.push(term);
  }
  return groups.filter((g) => g.length > 0);
}

/** How one record answers each filterable field; `undefined` marks a field this resource ignores. */
export type FieldReader<T> = (record: T, field: string) => string | number | null | (string | null)[] | undefined;

function compareValue(actual: string | number | null, term: SearchTerm, kind: "text" | "date" | "number"): boolean {
  if (actual === null) return term.value === "" || term.value.toLowerCase() === "null";
  // Ids are integers beyond 2^53 with a large id base: compare their digits exactly.
  if (kind === "number" && /^\d+$/u.test(String(actual)) && /^\d+$/u.test(term.value)) {
    const [left, right] = [BigInt(actual), BigInt(term.value)];
    const order = left < right ? -1 : left > right ? 1 : 0;
    if (term.comparator === ">") return order > 0;
    if (term.comparator === ">=") return order >= 0;
    if (term.comparator === "<") return order < 0;
    if (term.comparator === "<=") return order <= 0;
    return order === 0;
  }
  if (kind === "date" || kind === "number") {
    const left = kind === "date" ? Date.parse(String(actual)) : Number(actual);
    const right = kind === "date" ? Date.parse(term.value) : Number(term.value);
    if (Number.isNaN(left) || Number.isNaN(right)) return false;
    switch (term.comparator) {
      case ">":
        return left > right;
      case ">=":
        return left >= right;
      case "<":
        return left < right;
      case "<=":
        return left <= right;
      default:
        return kind === "date" ? String(actual).startsWith(term.value) || left === right : left === right;
    }
  }
  const a = String(actual).toLowerCase();
  const v = term.value.toLowerCase();
  if (term.comparator !== "=") {
    const order = a.localeCompare(v);
    return term.comparator === ">"
      ? order > 0
      : term.comparator === ">="
        ? order >= 0
        : term.comparator === "<"
          ? order < 0
          : order <= 0;
  }
  return v.endsWith("*") ? a.startsWith(v.slice(0, -1)) : a === v;
}

const DATE_FIELDS = new Set(["updated_at", "created_at", "processed_at", "published_at"]);
const NUMBER_FIELDS = new Set(["id", "product_id", "inventory_total", "inventory_quantity"]);

export function matchesSearch<T>(
  record: T,
  query: SearchQuery,
  read: FieldReader<T>,
  freeText: (record: T) => string[],
): boolean {
  if (query.length === 0) return true;
  return query.some((group) =>
    group.every((term) => {
      let hit: boolean;
      if (term.field === null) {
        const needle = term.value.toLowerCase().replace(/\*$/, "");
        hit = freeText(record).some((t) => t.toLowerCase().includes(needle));
      } else {
        const actual = read(record, term.field);
        if (actual === undefined) return true; // unknown filter: Shopify ignores it
        const kind = DATE_FIELDS.has(term.field) ? "date" : NUMBER_FIELDS.has(term.field) ? "number" : "text";
        hit = Array.isArray(actual)
          ? actual.some((a) => compareValue(a, term, kind))
          : compareValue(actual, term, kind);
      }
      return term.negated ? !hit : hit;
    }),
  );
}

/**
 * Relay cursor pagination as the Admin API does it: `first`/`after` or `last`/`before`,
 * `edges { cursor node }`, `nodes`, `pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`.
 * Cursors are opaque base64 JSON of the sort position (`{"last_id":…,"last_value":…}`, the shape
 * Shopify's own cursors decode to), so they stay valid when records are added or removed.
 * One of `first`/`last` is required ("you must provide one of first or last"); a page size above
 * 250 is an error of the same kind (Shopify caps connection arguments at 250: the wording here is
 * ours, see README). Bulk operations read connections without `first`, so `unbounded` skips both rules.
 */
import { GraphQLError } from "graphql";

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
  reverse?: boolean | null;
}

export const MAX_PAGE_SIZE = 250;

interface Position {
  value: string | number;
  id: number;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify({ last_id: position.id, last_value: position.value })).toString("base64");
}

function decodeCursor(cursor: string): Position {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64").toString("utf8")) as {
      last_id?: unknown;
      last_value?: unknown;
    };
    if (
      typeof parsed.last_id === "number" &&
      (typeof parsed.last_value === "string" || typeof parsed.last_value === "number")
    ) {
      return { id: parsed.last_id, value: parsed.last_value };
    }
  } catch {
    // fall through to the error below
  }
  throw new GraphQLError(`Invalid cursor for current pagination sort.`, { extensions: { code: "BAD_REQUEST" } });
}

function compare(a: Position, b: Position): number {
  if (a.value !== b.value) {
    if (typeof a.value === "number" && typeof b.value === "number") return a.value - b.value;
    return String(a.value) < String(b.value) ? -1 : 1;
  }
  return a.id - b.id;
}

export interface Connection<V> {
  edges: { cursor: string; node: V }[];
  nodes: V[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export function paginate<T, V>(
  items: readonly T[],
  args: ConnectionArgs,
  options: { position: (item: T) => Position; view: (item: T) => V; unbounded?: boolean },
): Connection<V> {
  const first = args.first ?? undefined;
  const last = args.last ?? undefined;
  if (!options.unbounded && first === undefined && last === undefined) {
    throw new GraphQLError("you must provide one of first or last", { extensions: { code: "BAD_REQUEST" } });
  }
  if (!options.unbounded) {
    for (const [name, size] of [
      ["first", first],
      ["last", last],
    ] as const) {
      if (size !== undefined && size > MAX_PAGE_SIZE)
        throw new GraphQLError(
          `Requested page size ${name}: ${size} exceeds the maximum page size of ${MAX_PAGE_SIZE}`,
          {
            extensions: { code: "BAD_REQUEST" },
          },
        );
    }
  }
  const direction = args.reverse ? -1 : 1;
  const ordered = [...items]
    .map((item) => ({ item, position: options.position(item) }))
    .sort((a, b) => direction * compare(a.position, b.position));

  let start = 0;
  let end = ordered.length;
  if (args.after) {
    const after = decodeCursor(args.after);
    while (start < end && direction * compare(ordered[start]!.position, after) <= 0) start++;
  }
  if (args.before) {
    const before = decodeCursor(args.before);
    while (end > start && direction * compare(ordered[end - 1]!.position, before) >= 0) end--;
  }
  if (!options.unbounded) {
    if (first !== undefined) end = Math.min(end, start + Math.max(0, Math.min(first, MAX_PAGE_SIZE)));
    if (last !== undefined) start = Math.max(start, end - Math.max(0, Math.min(last, MAX_PAGE_SIZE)));
  }
  const window = ordered.slice(start, end);
  const edges = window.map(({ item, position }) => ({ cursor: encodeCursor(position), node: options.view(item) }));
  return {
    edges,
    nodes: edges.map((e) => e.node),
    pageInfo: {
      hasNextPage: end < ordered.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}

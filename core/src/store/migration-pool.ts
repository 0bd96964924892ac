import pg from "pg";
import { surviveLostConnections } from "./connection-loss.ts";

const NAME_OID = 19;
const TEXT_OID = 25;

/**
 * A pg pool for Prisma's migration engine only.
 *
 * `@prisma/adapter-pg` 6.x cannot decode
 * PostgreSQL's internal `name` type, which migrate's introspection reads
 * (upstream prisma/orm#27403: "Column type 'name' could not be deserialized").
 * `name` is text on the wire, so reporting it as `text` is exact.
 */
export function migrationPool(connectionString: string): pg.Pool {
  // A migration interrupted by a lost connection fails (and is retried at the next start); it must not crash.
  return surviveLostConnections(
    new pg.Pool({
      connectionString,
      max: 2,
      allowExitOnIdle: true,
      Client: NameAsTextClient as unknown as typeof pg.Client,
    }),
  );
}

type QueryCallback = (err: Error | null, res?: pg.QueryResult) => void;
/** pg.Client's query() with its overloads (promise, callback, submittable) seen as one. */
type AnyQuery = (this: pg.Client, ...args: unknown[]) => unknown;
const clientQuery = pg.Client.prototype.query as AnyQuery;

class NameAsTextClient extends pg.Client {}

// Patches the results of every overload: the callback's, a config's callback, the promise's.
NameAsTextClient.prototype.query = function query(this: pg.Client, ...args: unknown[]): unknown {
  const last = args.length - 1;
  const first = args[0];
  if (typeof args[last] === "function") {
    const callback = args[last] as QueryCallback;
    args[last] = ((err, res) => callback(err, res && nameAsText(res))) satisfies QueryCallback;
  } else if (hasCallback(first)) {
    const callback = first.callback;
    first.callback = (err, res) => callback(err, res && nameAsText(res));
  }
  const result = clientQuery.apply(this, args);
  return isThenable(result) ? result.then(nameAsText) : result;
} as pg.Client["query"];

function hasCallback(value: unknown): value is { callback: QueryCallback } {
  return (
    typeof value === "object" && value !== null && typeof (value as { callback?: unknown }).callback === "function"
  );
}

function isThenable(value: unknown): value is Promise<pg.QueryResult> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function nameAsText(res: pg.QueryResult): pg.QueryResult {
  for (const field of res.fields ?? []) if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
  return res;
}

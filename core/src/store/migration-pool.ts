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

class NameAsTextClient extends pg.Client {
  // pg's query() has many overloads (promise, callback, submittable); patch results from each.
  override query(...args: any[]): any {
    const last = args.length - 1;
    if (typeof args[last] === "function") {
      const callback = args[last] as (err: Error | null, res?: pg.QueryResult) => void;
      args[last] = (err: Error | null, res?: pg.QueryResult) => callback(err, res && nameAsText(res));
    } else if (args[0] && typeof args[0] === "object" && typeof args[0].callback === "function") {
      const callback = args[0].callback as (err: Error | null, res?: pg.QueryResult) => void;
      args[0].callback = (err: Error | null, res?: pg.QueryResult) => callback(err, res && nameAsText(res));
    }
    const result = (super.query as (...a: any[]) => any)(...args);
    if (result && typeof result.then === "function") {
      return result.then(nameAsText);
    }
    return result;
  }
}

function nameAsText(res: pg.QueryResult): pg.QueryResult {
  for (const field of res.fields ?? []) if (field.dataTypeID === NAME_OID) field.dataTypeID = TEXT_OID;
  return res;
}

/**
 * The ledger's hot paths speak SQL directly over the same pg pool Prisma uses: the order and
 * movement writes are a handful of statements per event, and Prisma's per-query overhead was
 * measured at ~10x their cost (see docs/architecture.md, "Performance").
 */
import pg from "pg";

const { escapeLiteral } = pg;

/** A connection inside a transaction. */
export type Sql = pg.ClientBase;

/** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (sql: Sql) => Promise<T>, begin = "BEGIN"): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * A SQL literal, for the few hot-path statements sent over the simple protocol (several
 * statements in one round trip, which the extended protocol cannot carry). Strings go through
 * pg's own `escapeLiteral`; callers add casts (`::uuid`, `::jsonb`, `::timestamptz`).
 */
export function literal(value: string | number | boolean | Date | null | readonly string[]): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`Not a finite number: ${value}`);
    return String(value);
  }
  if (value instanceof Date) return escapeLiteral(value.toISOString());
  if (typeof value === "string") return escapeLiteral(value);
  return value.length === 0 ? "'{}'" : `ARRAY[${value.map((item) => escapeLiteral(item)).join(", ")}]`;
}

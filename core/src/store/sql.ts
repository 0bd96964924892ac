/**
 * The ledger's hot paths speak SQL directly over the same pg pool Prisma uses: the order and
 * movement writes are a handful of statements per event, and Prisma's per-query overhead was
 * measured at ~10x their cost (see docs/architecture.md, "Performance").
 */
import type pg from "pg";

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

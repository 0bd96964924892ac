/**
 * The central store handle: one pg pool shared by Prisma (through the pg driver adapter, no
 * native engine) and by the few hot paths that speak SQL directly.
 */
import path from "node:path";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client.ts";
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from "./embedded.ts";
import { applyMigrations, projectRoot } from "./migrate.ts";
import { surviveLostConnections } from "./connection-loss.ts";
import type { Logger } from "../log/index.ts";

export type { PrismaClient };

export interface Database {
  readonly prisma: PrismaClient;
  readonly pool: pg.Pool;
  /** Answers when the server is reachable; throws otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function connectDatabase(url: string, options: { poolSize?: number; log?: Logger } = {}): Database {
  const pool = new pg.Pool({
    connectionString: url,
    // More is not faster on a small server: with 32 concurrent webhook requests a pool of 20
    // ingested a third less than 10 (measured). Workers get their own (WORKER_POOL_SIZE).
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // Hot-path statements are named so they are planned once per connection. Their arrays
    // (unnest) make PostgreSQL's custom plans look cheaper than the generic one, so by default it
    // would plan them again on every call: measured, that was a third of the server's CPU in
    // the order-ingest benchmark. Unnamed statements (Prisma's) are unaffected.
    options: "-c plan_cache_mode=force_generic_plan",
  });
  let lastReported = 0;
  surviveLostConnections(pool, (error) => {
    // Every connection of the pool fails at once when the server goes: one line per few seconds says so.
    if (Date.now() - lastReported < 5_000) return;
    lastReported = Date.now();
    options.log?.warn({ err: error }, "a database connection was lost; new ones are opened when needed");
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closed = false;
  return {
    prisma,
    pool,
    async ping(timeoutMs = 2_000) {
      const client = await pool.connect();
      try {
        await client.query({ text: `SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}` });
        await client.query("SELECT 1");
      } finally {
        client.release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

export const defaultDataDir = path.join(projectRoot, ".data");

export interface DatabaseServer {
  /** The URL the product connects to. */
  url: string;
  /** Set when an embedded PostgreSQL was started for this process. */
  embedded: EmbeddedPostgresHandle | null;
  stop(): Promise<void>;
}

/**
 * The product's database: DATABASE_URL when configured, otherwise an embedded PostgreSQL whose
 * data lives in `<dataDir>/postgres` (created on first run, kept across runs).
 */
export async function startDatabaseServer(options: {
  databaseUrl?: string | undefined;
  dataDir?: string;
  log?: Logger;
}): Promise<DatabaseServer> {
  if (options.databaseUrl) return { url: options.databaseUrl, embedded: null, stop: async () => undefined };
  const embedded = await startEmbeddedPostgres({
    dataDir: path.join(options.dataDir ?? defaultDataDir, "postgres"),
    persistent: true,
    ...(options.log ? { log: options.log } : {}),
  });
  await ensureDatabase(embedded.adminUrl, "prokip_sync");
  options.log?.info({ embedded: true }, "embedded PostgreSQL started");
  return { url: embedded.urlFor("prokip_sync"), embedded, stop: () => embedded.stop() };
}

/** CREATE DATABASE if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/u.test(name) || (template && !/^[a-z_][a-z0-9_]*$/u.test(template))) {
    throw new Error(`Unsafe database name: ${name}`);
  }
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => undefined); // a lost connection fails the pending query instead
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`);
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/u.test(name)) throw new Error(`Unsafe database name: ${name}`);
  const client = new pg.Client({ connectionString: adminUrl });
  client.on("error", () => undefined); // a lost connection fails the pending query instead
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export { applyMigrations };

/**
 * `npm run db:migrate`: apply migrations to DATABASE_URL, or to the embedded PostgreSQL when
 * DATABASE_URL is not set (starting it for the duration of the command).
 */
import { readEnvironment } from "../config/index.ts";
import { createLogger } from "../log/index.ts";
import { applyMigrations, startDatabaseServer } from "./database.ts";

const command = process.argv[2];
const env = readEnvironment();
const log = createLogger({ level: env.LOG_LEVEL, name: "db" });

if (command === "migrate") {
  const server = await startDatabaseServer({ databaseUrl: env.DATABASE_URL, dataDir: env.PROKIP_SYNC_DATA_DIR, log });
  try {
    const outcome = await applyMigrations(server.url);
    log.info({ outcome }, outcome === "applied" ? "migrations applied" : "database already up to date");
  } finally {
    await server.stop();
  }
} else {
  log.error({ command }, "usage: cli.ts migrate");
  process.exitCode = 2;
}

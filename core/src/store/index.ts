export {
  connectDatabase,
  startDatabaseServer,
  ensureDatabase,
  dropDatabase,
  applyMigrations,
  defaultDataDir,
  type Database,
  type DatabaseServer,
} from "./database.ts";
export { isDatabaseUnavailable, surviveLostConnections } from "./connection-loss.ts";
export { startEmbeddedPostgres, freePort, type EmbeddedPostgresHandle } from "./embedded.ts";
export { projectRoot } from "./migrate.ts";
export { PrismaClient, Prisma } from "./generated/client.ts";
export * from "./generated/enums.ts";
export type * from "./generated/models.ts";
export { withTransaction, literal, type Sql } from "./sql.ts";

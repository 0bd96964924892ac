/**
 * The central store the whole product shares (sessions included): core's pool and Prisma
 * client on DATABASE_URL. One per process, kept across Vite's module reloads in development.
 */
import { connectDatabase, type Database } from "@prokip-sync/core";

declare global {
  var prokipSyncAppDatabase: Database | undefined;
}

function connect(): Database {
  const url = process.env.DATABASE_URL;
  if (!url)
    throw new Error("DATABASE_URL is not set: the Shopify app stores its sessions in the central PostgreSQL store");
  return connectDatabase(url);
}

export const database: Database = (globalThis.prokipSyncAppDatabase ??= connect());

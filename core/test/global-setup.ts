/**
 * Node test runner global setup: one real PostgreSQL for the whole run. Without DATABASE_URL a
 * throwaway embedded server is started (deleted afterwards); with it, that server is used and
 * must allow CREATE DATABASE. Migrations are applied once to a template database; each test
 * file clones it (support/database.ts), so files never see each other's rows.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  applyMigrations,
  dropDatabase,
  ensureDatabase,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from "../src/store/index.ts";

const TEMPLATE = `prokip_test_template_${process.pid}`;
let embedded: EmbeddedPostgresHandle | null = null;
let adminUrl = "";

export async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    url.pathname = "/postgres";
    adminUrl = url.toString();
  } else {
    const dataDir = mkdtempSync(path.join(tmpdir(), "prokip-sync-test-"));
    embedded = await startEmbeddedPostgres({ dataDir, persistent: false, fast: true });
    adminUrl = embedded.adminUrl;
  }
  await dropDatabase(adminUrl, TEMPLATE);
  await ensureDatabase(adminUrl, TEMPLATE);
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  await applyMigrations(templateUrl.toString());
  process.env.PROKIP_TEST_ADMIN_URL = adminUrl;
  process.env.PROKIP_TEST_TEMPLATE = TEMPLATE;
}

export async function globalTeardown(): Promise<void> {
  if (adminUrl) await dropDatabase(adminUrl, TEMPLATE).catch(() => undefined);
  await embedded?.stop();
}

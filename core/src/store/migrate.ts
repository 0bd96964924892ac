/**
 * Applies the committed migrations (prisma/migrations) with `prisma migrate deploy`, offline:
 * Prisma's WASM schema engine over the pg driver adapter (see prisma.config.ts).
 *
 * The WASM engine leaves a 10 s timer armed after it finishes, so every CLI run costs ~11 s.
 * When the database already has every committed migration, the CLI is not started at all.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const migrationsDir = path.join(projectRoot, "prisma", "migrations");

export async function applyMigrations(databaseUrl: string): Promise<"applied" | "up_to_date"> {
  if (await isUpToDate(databaseUrl)) return "up_to_date";
  await runPrismaMigrateDeploy(databaseUrl);
  return "applied";
}

/** Names of committed migrations that the database has not finished applying. */
export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  const committed = readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => undefined); // a lost connection fails the pending query instead
  await client.connect();
  try {
    const table = await client.query("SELECT to_regclass('public._prisma_migrations') IS NOT NULL AS present");
    if (!table.rows[0]?.present) return committed;
    const done = await client.query<{ migration_name: string }>(
      "SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    const applied = new Set(done.rows.map((row) => row.migration_name));
    return committed.filter((name) => !applied.has(name));
  } finally {
    await client.end();
  }
}

async function isUpToDate(databaseUrl: string): Promise<boolean> {
  return (await pendingMigrations(databaseUrl)).length === 0;
}

function runPrismaMigrateDeploy(databaseUrl: string): Promise<string> {
  const script = path.join(projectRoot, "scripts", "prisma.mjs");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, "migrate", "deploy"], {
      cwd: projectRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else
        reject(
          new Error(
            `prisma migrate deploy failed (exit ${code}):\n${output.replaceAll(databaseUrl, "[database url]")}`,
          ),
        );
    });
  });
}

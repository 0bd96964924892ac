// Prisma CLI configuration. Migrations run through Prisma's WASM schema engine over the `pg`
// driver adapter, so no native engine is ever downloaded (see docs/architecture.md, "Store").
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import { migrationPool } from "./core/src/store/migration-pool.ts";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new PrismaPg(migrationPool(requireDatabaseUrl())),
});

function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (npm run db:migrate starts the embedded PostgreSQL for you)");
  return url;
}

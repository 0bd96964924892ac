/**
 * `npm start`: the backend host. The Shopify app's server process is the backend: this starts
 * core's backend (webhook receivers, /healthz, /metrics, the sandbox, the job workers; see
 * core/src/host/backend.ts) and serves the built Remix app on the same Fastify server, on the
 * paths the app owns. Run with `node --import tsx shopify-app/server.ts` after
 * `npm run build -w shopify-app` (scripts/start.sh does both).
 *
 * Who answers what:
 *
 * - core: /healthz, /metrics, /webhooks/shopify, /webhooks/woocommerce/:id.
 * - the sandbox (@prokip-sync/sandbox, mounted by core in sandbox mode): /sandbox and /sandbox/*.
 * - the app (Remix): /app and /app/*, /auth and /auth/*, /webhooks/sync, /webhooks/app/*,
 *   /webhooks/customers/*, /webhooks/shop/*, /__manifest (Remix's route discovery), and the
 *   application URL `/`: Shopify opens it with ?shop= (the app's _index route goes on to /app);
 *   without a shop, sandbox mode sends people to /sandbox and otherwise the app answers (its
 *   login form).
 * - static files from build/client: /assets/* (content-hashed names: cached for a year,
 *   immutable), anything else there for an hour.
 *
 * Remix is reached through @remix-run/node's request handler behind Fastify routes (a request
 * is turned into a web Request, the Response streamed back). @mcansh/remix-fastify, the
 * maintained adapter, was the first choice: its 4.x line (Fastify 5) declares an optional peer
 * `react-router >= 7`, which npm refuses next to the react-router 6 that Remix 2 brings
 * (ERESOLVE), and its 5.x targets React Router 8; its catch-all route would also take every
 * path core does not own. The conversion here is the same few lines it uses.
 *
 * Before the app's server build is imported (it reads these when it loads):
 * `globalThis.prokipSyncAppDatabase` (the backend's pool and Prisma client: one central store),
 * `globalThis.prokipSyncMerchant` (core's merchant dependencies, jobs included), and the app's
 * environment. In sandbox mode SHOPIFY_API_KEY / SHOPIFY_API_SECRET default to the emulator's
 * demo app (its key is shopify.app.toml's client_id), SHOPIFY_APP_URL to this server,
 * APP_BRIDGE_URL to the sandbox's App Bridge stand-in, and the Shopify library's own HTTP (token
 * exchange, refresh, GraphQL) goes to the in-process emulator. Only in sandbox mode, app
 * documents may also be framed by this server's own pages (the sandbox's emulated admin).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import fastifyStatic from "@fastify/static";
import { createReadableStreamFromReadable, createRequestHandler, type ServerBuild } from "@remix-run/node";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { parse } from "smol-toml";
import {
  exitIfStartupRefused,
  startBackend,
  type Database,
  type HostedShopifyApp,
  type ReadyBackend,
} from "@prokip-sync/core";

const appDir = path.dirname(fileURLToPath(import.meta.url));
/** PROKIP_SYNC_APP_BUILD: another build directory (the host test builds its own). */
const buildDir = path.resolve(process.env.PROKIP_SYNC_APP_BUILD ?? path.join(appDir, "build"));
const serverBuildFile = path.join(buildDir, "server", "index.js");
const clientDir = path.join(buildDir, "client");
const APP_BRIDGE_CDN = "https://cdn.shopify.com/shopifycloud/app-bridge.js";

/** Paths the app owns (Fastify routes; everything else is core's or a 404). */
const APP_PATHS = [
  "/app",
  "/app/*",
  "/auth",
  "/auth/*",
  "/webhooks/sync",
  "/webhooks/app/*",
  "/webhooks/customers/*",
  "/webhooks/shop/*",
  "/__manifest",
];
/**
 * The methods each kind of app path serves; others get 405 here rather than Remix's 400 or its
 * HTML 405 page. Webhook routes take Shopify's POSTs only; screens are loaded (GET, and HEAD with
 * it) and submit forms (POST). The app answers no CORS preflight (no route of it is cross-origin).
 */
function allowedMethods(url: string): readonly string[] {
  return url.startsWith("/webhooks/") ? ["POST"] : ["GET", "HEAD", "POST"];
}

/** A form or a webhook body: more is refused with 413 before the app sees it. */
const BODY_LIMIT = 10 * 1024 * 1024;

if (!existsSync(serverBuildFile) || !existsSync(clientDir)) {
  console.error(
    `The Shopify app is not built (${path.relative(process.cwd(), serverBuildFile)} is missing): run \`npm run build -w shopify-app\`, or \`npm start\`, which builds it when needed.`,
  );
  process.exit(1);
}

const shopifyApp = readAppConfig(path.resolve(appDir, "../shopify.app.toml"));
let remix: ((request: Request) => Promise<Response>) | null = null;

const backend = await startBackend({
  shopifyApp,
  // Imported only in sandbox mode: the emulators, the console and the emulated admin.
  sandbox: async (request) => (await import("@prokip-sync/sandbox")).sandboxForBackend(request),
  routes: (app, context) =>
    registerAppRoutes(app, {
      sandbox: context.sandbox !== null,
      publicUrl: context.publicUrl,
      appBridgeUrl: context.sandbox?.appBridgeUrl ?? null,
    }),
  onReady: loadApp,
}).catch(exitIfStartupRefused);

// The app's environment, read by app/shopify.server.ts (and the library's node adapter) when the
// server build is imported in loadApp, after this.
if (backend.sandbox) {
  const demoApp = backend.sandbox.credentials.shopify;
  process.env.SHOPIFY_API_KEY ??= demoApp.apiKey;
  process.env.SHOPIFY_API_SECRET ??= demoApp.apiSecret;
  if (backend.sandbox.appBridgeUrl) process.env.APP_BRIDGE_URL ??= backend.sandbox.appBridgeUrl;
}
process.env.SHOPIFY_APP_URL ??= backend.publicUrl;
process.env.SCOPES ??= shopifyApp.scopes;

if (!process.env.SHOPIFY_API_KEY || !process.env.SHOPIFY_API_SECRET) {
  backend.log.fatal(
    "SHOPIFY_API_KEY and SHOPIFY_API_SECRET are required outside sandbox mode (the Shopify app's client id and secret)",
  );
  await backend.close();
  process.exit(2);
}

backend.ready.catch(async (error: unknown) => {
  backend.log.fatal({ err: error }, "the Shopify app could not be loaded");
  await backend.close();
  process.exit(1);
});

/** Runs once core is ready: the app's globals, then its server build. */
async function loadApp(ready: ReadyBackend): Promise<void> {
  globalThis.prokipSyncAppDatabase = ready.database;
  if (ready.merchant) globalThis.prokipSyncMerchant = ready.merchant;
  if (ready.sandbox)
    await forgetSandboxSessions(
      ready.database,
      ready.sandbox.credentials.shopify.shop,
      ready.sandbox.provider.newShopPattern,
    );
  const build = (await import(pathToFileURL(serverBuildFile).href)) as ServerBuild;
  // After the import: the library's adapters set their own fetch when they load.
  if (ready.sandbox) {
    const emulated = ready.sandbox.shopifyFetch;
    setAbstractFetchFunc((input, init) =>
      emulated(typeof input === "string" ? input : input instanceof URL ? input.href : input.url, init),
    );
  }
  // Remix's development mode answers a failure with its message and stack: only in development.
  const handle = createRequestHandler(build, ready.env.NODE_ENV === "development" ? "development" : "production");
  remix = (request) => handle(request);
  ready.log.info({ build: path.relative(process.cwd(), buildDir) || "." }, "Shopify app loaded");
}

/**
 * The emulators start empty at every start, so the app's stored sessions of the sandbox's shops
 * (the demo shop and "new shops") hold tokens nobody knows any more: they go, and the next visit
 * exchanges a new session token as on a first install.
 */
async function forgetSandboxSessions(database: Database, demoShop: string, newShops: RegExp): Promise<void> {
  await database.pool.query(`DELETE FROM "Session" WHERE "shop" = $1 OR "shop" ~ $2`, [demoShop, newShops.source]);
}

async function registerAppRoutes(
  app: FastifyInstance,
  options: { sandbox: boolean; publicUrl: string; appBridgeUrl: string | null },
): Promise<void> {
  await app.register(async (scope) => {
    // The app reads bodies itself (webhook signatures cover the exact bytes): keep them raw.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_request, body, done) =>
      done(null, body),
    );

    if (options.sandbox) {
      const origin = new URL(options.publicUrl).origin;
      scope.addHook("onSend", async (_request, reply, payload) => {
        // The library lets Shopify admin frame the app (frame-ancestors https://<shop>
        // https://admin.shopify.com ...); the sandbox's emulated admin is a page of this server.
        // Answers nobody may frame (core's default, frame-ancestors 'none') stay that way.
        const policy = reply.getHeader("content-security-policy");
        if (typeof policy === "string" && policy.includes("frame-ancestors") && !policy.includes("'none'")) {
          reply.header(
            "content-security-policy",
            policy.replace(/frame-ancestors([^;]*)/u, `frame-ancestors$1 'self' ${origin}`),
          );
        }
        // And preloads App Bridge from where the app will load it.
        const link = reply.getHeader("link");
        if (options.appBridgeUrl && typeof link === "string" && link.includes(APP_BRIDGE_CDN))
          reply.header("link", link.replace(APP_BRIDGE_CDN, options.appBridgeUrl));
        return payload;
      });
    }

    const serve = async (request: FastifyRequest, reply: FastifyReply) => {
      const allowed = allowedMethods(request.url);
      if (!allowed.includes(request.method))
        return reply
          .code(405)
          .header("allow", allowed.join(", "))
          .send({ error: { code: "method_not_allowed", message: `${request.method} is not served here` } });
      if (!remix)
        return reply
          .code(503)
          .header("retry-after", "5")
          .send({ error: { code: "starting", message: "The app is starting; try again in a few seconds" } });
      return sendResponse(reply, await remix(toRequest(request, reply)));
    };
    for (const url of APP_PATHS) scope.all(url, serve);
    // The application URL: Shopify's launch carries ?shop=; a person typing the address in the
    // sandbox wants the sandbox console.
    scope.all("/", async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      if (options.sandbox && !query["shop"] && (request.method === "GET" || request.method === "HEAD"))
        return reply.redirect("/sandbox");
      return serve(request, reply);
    });
  });

  // Built assets. Files are listed once at start (no wildcard route), so nothing else is shadowed.
  await app.register(fastifyStatic, {
    root: clientDir,
    prefix: "/",
    wildcard: false,
    index: false,
    cacheControl: false,
    setHeaders(reply, filePath) {
      const immutable = path.relative(clientDir, filePath).startsWith(`assets${path.sep}`);
      reply.header("cache-control", immutable ? "public, max-age=31536000, immutable" : "public, max-age=3600");
    },
  });
}

/** The Fastify request as the web Request Remix takes. */
function toRequest(request: FastifyRequest, reply: FastifyReply): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  // Aborted when the client goes away before the answer is complete (Remix stops its loaders).
  const controller = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  const init: RequestInit & { duplex?: "half" } = { method: request.method, headers, signal: controller.signal };
  if (request.method !== "GET" && request.method !== "HEAD") {
    // Fastify's body buffers sit on an ordinary ArrayBuffer (never a shared one).
    if (Buffer.isBuffer(request.body)) init.body = request.body as Buffer<ArrayBuffer>;
    else {
      // No content type, so no parser ran: the body is still on the socket.
      init.body = createReadableStreamFromReadable(request.raw);
      init.duplex = "half";
    }
  }
  return new Request(new URL(request.url, `${request.protocol}://${request.host}`), init);
}

/** Remix's Response through Fastify (so its hooks, logging and headers apply), streamed. */
function sendResponse(reply: FastifyReply, response: Response) {
  reply.code(response.status);
  for (const [name, value] of response.headers) if (name !== "set-cookie") reply.header(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header("set-cookie", cookies);
  if (!response.body) return reply.send();
  return reply.send(Readable.fromWeb(response.body as import("node:stream/web").ReadableStream));
}

/** What the sandbox's emulated app takes from shopify.app.toml, and the app's default scopes. */
function readAppConfig(file: string): HostedShopifyApp {
  const toml = parse(readFileSync(file, "utf8")) as {
    name?: string;
    access_scopes?: { scopes?: string };
    webhooks?: { subscriptions?: { topics?: string[]; compliance_topics?: string[]; uri: string }[] };
  };
  return {
    // The key the app runs with; in sandbox mode the emulator's demo app when not configured.
    ...(process.env.SHOPIFY_API_KEY ? { apiKey: process.env.SHOPIFY_API_KEY } : {}),
    name: toml.name ?? "Prokip Sync",
    scopes: toml.access_scopes?.scopes ?? "",
    // Compliance topics are Shopify's own deliveries; the emulator does not send them.
    webhooks: (toml.webhooks?.subscriptions ?? [])
      .filter((s) => s.topics?.length)
      .map((s) => ({ topics: s.topics!, uri: s.uri })),
  };
}

/**
 * The merchant screens as a test file sees them: the app (./app.ts: its own migrated database,
 * the Shopify test app's keys) hosted the way the backend hosts it, with
 * `globalThis.prokipSyncMerchant` filled in for real:
 *
 * - the Prokip Connector emulator over HTTP, seeded with the demo business (its OAuth client is
 *   the server's, its demo login the sample data);
 * - the Shopify emulator over HTTP with the test shop (`test-shop.myshopify.com`, the shop the
 *   Shopify test helpers sign session tokens for), the test app registered with the test keys,
 *   and the demo catalogue's Shopify products (plus products the tests need). Both the Shopify
 *   library's requests (token exchange, refresh) and core's (`shopifyFetch`) go to it;
 * - core's channels reading the shop's offline session as the app stores it (sealed);
 * - job requests recorded, as the host's queue would receive them; setup requests are carried
 *   out with core's own worker function (`runSetupJob`) when a test says so.
 *
 * Requests are signed with @shopify/shopify-api's test helpers, as in auth.test.ts.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { RequestType, setUpValidRequest, TEST_SHOP, TEST_SHOP_NAME } from "@shopify/shopify-api/test-helpers";
import { demoCatalogue, prokip as prokipEmulator, shopify as shopifyEmulator } from "@prokip-sync/sandbox";
import {
  chooseLocation,
  previewStoreSetup,
  signInToProkip,
  type JobRequests,
  type MerchantDeps,
} from "@prokip-sync/core";
import { shopify } from "../../../core/src/channels/index.ts";
import { ShopifySessions } from "../../../core/src/connections/index.ts";
import { runSetupJob, startQueue, type WorkerDependencies } from "../../../core/src/jobs/index.ts";
import { createLogger } from "../../../core/src/log/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "../../../core/src/security/index.ts";
import { API_KEY, API_SECRET_KEY, APP_URL, call, database } from "./app.ts";

export { API_KEY, API_SECRET_KEY, APP_URL, call, database, TEST_SHOP };

const log = createLogger({ level: "silent" });
const encryptionKey = parseEncryptionKey(generateEncryptionKey());

// ---------------------------------------------------------------------------------------------
// Prokip: the demo business

const prokipStarted = await prokipEmulator.startProkipEmulator({ port: 0 });
export const prokip = {
  url: prokipStarted.url,
  emulator: prokipStarted.emulator,
  demo: prokipStarted.emulator.control.seedDemo(),
};
/** The Prokip location the tests' store sells from (the demo's first: "Nairobi CBD Store"). */
export const CBD = prokip.demo.locations[0]!;

// ---------------------------------------------------------------------------------------------
// Shopify: the test shop with the app installed through token exchange

const shopifyStarted = await shopifyEmulator.startShopifyEmulator({ port: 0 });
export const shop = {
  url: shopifyStarted.url,
  emulator: shopifyStarted.emulator,
  control: shopifyStarted.emulator.control,
};

/** A product in the shop that Prokip does not have (a pull lists it as missing in Prokip). */
export const STORE_ONLY = { title: "Handmade Basket", sku: "basket-hand", price: "1300.00", stock: 4 };

// The app's webhook route (/webhooks/sync) over HTTP: what Shopify delivers reaches the app's own
// handler, as in production. (Loaded below, with the app's other modules.)
let deliverToApp: ((request: Request) => Promise<Response>) | null = null;
const receiver = http.createServer((incoming, outgoing) => {
  const chunks: Buffer[] = [];
  incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
  incoming.on("end", () => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers))
      if (typeof value === "string") headers.set(name, value);
    const request = new Request(`${APP_URL}${incoming.url}`, {
      method: incoming.method,
      headers,
      body: Buffer.concat(chunks),
    });
    const answer = deliverToApp
      ? deliverToApp(request).catch((error: unknown) =>
          error instanceof Response ? error : new Response(String(error), { status: 500 }),
        )
      : Promise.resolve(new Response(null, { status: 503 }));
    void answer.then(async (response) => outgoing.writeHead(response.status).end(await response.text()));
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const publicUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

// The app as shopify.app.toml declares it: its order topics go to /webhooks/sync (here, through
// the receiver above). Stock and product topics are left out: the screens' tests don't need them.
shop.control.registerApp({
  apiKey: API_KEY,
  apiSecret: API_SECRET_KEY,
  webhooks: [
    {
      topics: ["orders/create", "orders/paid", "orders/updated", "orders/cancelled", "refunds/create"],
      uri: `${publicUrl}/webhooks/sync`,
    },
  ],
});
shop.control.createShop({ domain: TEST_SHOP, name: "Test shop", currency: "KES", locations: [{ name: CBD.name }] });
for (const product of demoCatalogue.filter((p) => p.inShopify)) {
  shop.control.createProduct({
    shop: TEST_SHOP,
    title: product.name,
    optionName: product.optionName,
    variants: product.variants.map((v) => ({ sku: v.sku, price: v.price, option: v.option, stock: v.stock[0] })),
  });
}
shop.control.createProduct({
  shop: TEST_SHOP,
  title: STORE_ONLY.title,
  variants: [{ sku: STORE_ONLY.sku, price: STORE_ONLY.price, stock: STORE_ONLY.stock }],
});

/** Demo products in the test shop and in Prokip (the SKUs a setup links). */
export const SHOPIFY_DEMO_SKUS = demoCatalogue.filter((p) => p.inShopify).flatMap((p) => p.variants.map((v) => v.sku));
/** Demo products in Prokip and not in the test shop (a push creates them). */
export const PROKIP_ONLY_SKUS = demoCatalogue.filter((p) => !p.inShopify).flatMap((p) => p.variants.map((v) => v.sku));

const shopifyFetch = shopify.routeShopifyFetch(shop.url);

// ---------------------------------------------------------------------------------------------
// The merchant functions' dependencies, as the backend host provides them

export type JobRequest =
  | { kind: "reconcile" | "drain" | "postings" | "inbox"; connectionId: string }
  | { kind: "setup"; connectionId: string; runId: string };

/** Every job the screens asked for, in order. */
export const jobRequests: JobRequest[] = [];

const jobs: JobRequests = {
  reconcile: async (connectionId) => void jobRequests.push({ kind: "reconcile", connectionId }),
  drain: async (connectionId) => void jobRequests.push({ kind: "drain", connectionId }),
  setup: async (connectionId, runId) => void jobRequests.push({ kind: "setup", connectionId, runId }),
  postings: async (connectionId) => void jobRequests.push({ kind: "postings", connectionId }),
  inbox: async (connectionId) => void jobRequests.push({ kind: "inbox", connectionId }),
};

const channels = {
  encryptionKey,
  log,
  shopifyFetch,
  shopifyApp: { apiKey: API_KEY, apiSecret: API_SECRET_KEY },
  shopifySessions: new ShopifySessions(database.pool),
};

export const deps: MerchantDeps = {
  prisma: database.prisma,
  pool: database.pool,
  log,
  encryptionKey,
  channels,
  prokip: { baseUrl: prokip.url, client: { clientId: prokip.demo.clientId, clientSecret: prokip.demo.clientSecret } },
  sampleData: { username: prokip.demo.username, password: prokip.demo.password },
  publicUrl,
  jobs,
};
globalThis.prokipSyncMerchant = deps;

export const store = { platform: "shopify" as const, storeDomain: TEST_SHOP };

// The app's modules, loaded once the host's globals are in place.
export const appRoute = await import("../../app/routes/app.tsx");
const webhookRoute = await import("../../app/routes/webhooks.sync.tsx");
deliverToApp = (request) => webhookRoute.action({ request, params: {}, context: {} });
const { sessionStorage } = await import("../../app/shopify.server.ts");
export { sessionStorage };

// The Shopify library's own requests (token exchange, refresh) go to the emulator too; nothing
// leaves the machine. (Set after the app's modules load: the library's node adapter sets its own.)
setAbstractFetchFunc(async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!new URL(url).hostname.endsWith(".myshopify.com")) throw new Error(`unexpected request to ${url}`);
  return shopifyFetch(url, init);
});

/**
 * The merchant opening the app for the first time: App Bridge's session token (minted by the
 * emulator, signed with the app secret) is exchanged by the library for an expiring offline
 * token at the emulator, and the session stored by the app's own storage (sealed).
 */
export async function installApp(): Promise<void> {
  const token = shop.control.mintSessionToken({ shop: TEST_SHOP, apiKey: API_KEY, ttlSeconds: 60 });
  const result = await call(
    appRoute.loader,
    new Request(`${APP_URL}/app`, { headers: { authorization: `Bearer ${token}` } }),
  );
  if (result.response) throw new Error(`opening the app failed: ${result.response.status}`);
}

/** The test shop installed, signed in to the demo Prokip and selling from its CBD location; its connection id. */
export async function connectTestStore(): Promise<string> {
  await installApp();
  await signInToProkip(deps, store, { username: prokip.demo.username, password: prokip.demo.password });
  const { connectionId } = await chooseLocation(deps, store, {
    prokipLocationId: CBD.id,
    credentials: { platform: "shopify", tokenSource: "app_session" },
  });
  return connectionId;
}

// ---------------------------------------------------------------------------------------------
// Requests

type Handler = Parameters<typeof call>[0];

/** A document request from Shopify admin (session token in the URL), as the test helpers make it. */
export async function page(path: string, secret = API_SECRET_KEY): Promise<Request> {
  return setUpValidRequest(
    { type: RequestType.Admin, store: TEST_SHOP_NAME, apiKey: API_KEY, apiSecretKey: secret },
    new Request(`${APP_URL}${path}`),
  );
}

/** App Bridge's fetch (a Remix data request or form post) with a bearer session token. */
export async function fetchRequest(
  path: string,
  init: { form?: Record<string, string>; secret?: string } = {},
): Promise<Request> {
  const request = init.form
    ? new Request(`${APP_URL}${path}`, { method: "POST", body: new URLSearchParams(init.form) })
    : new Request(`${APP_URL}${path}`);
  return setUpValidRequest(
    { type: RequestType.Bearer, store: TEST_SHOP_NAME, apiKey: API_KEY, apiSecretKey: init.secret ?? API_SECRET_KEY },
    request,
  );
}

/** A loader's answer to a signed GET (`data` when it answered data, `response` otherwise). */
export async function load(handler: Handler, path: string, params: Record<string, string> = {}) {
  return call(handler, await page(path), params);
}

/** An action's answer to a signed form post. */
export async function post(handler: Handler, path: string, form: Record<string, string>) {
  return call(handler, await fetchRequest(path, { form }));
}

/** A Response's JSON body. */
export async function json<T = unknown>(response: Response | null): Promise<T> {
  if (!response) throw new Error("expected a response, got data");
  return (await response.json()) as T;
}

/**
 * What every screen must refuse: no credentials at all (302 to the login page, nothing run),
 * and a session token signed with another secret (document: bounced for a new token; fetch and
 * form post: 401 with App Bridge's retry header).
 */
export async function refusals(
  handler: Handler,
  path: string,
  method: "GET" | "POST",
  form: Record<string, string> = {},
) {
  const body = method === "POST" ? { method, body: new URLSearchParams(form) } : {};
  const none = await call(handler, new Request(`${APP_URL}${path}`, body));
  const wrong =
    method === "GET"
      ? await call(handler, await page(path, "not-the-app-secret"))
      : await call(handler, await fetchRequest(path, { form, secret: "not-the-app-secret" }));
  const wrongFetch =
    method === "GET" ? await call(handler, await fetchRequest(path, { secret: "not-the-app-secret" })) : wrong;
  return { none, wrong, wrongFetch };
}

/** Where a redirect answered by the app points, relative to the app (query left out). */
export function redirectPath(response: Response | null): string | null {
  const location = response?.headers.get("location");
  if (!location) return null;
  return new URL(location, APP_URL).pathname;
}

// ---------------------------------------------------------------------------------------------
// Running the host's jobs

let workerDeps: WorkerDependencies | null = null;

/** Core's worker for the setup queue, on the test database (a real pg-boss for what it asks for next). */
export async function workers(): Promise<WorkerDependencies> {
  workerDeps ??= {
    pool: database.pool,
    prisma: database.prisma,
    boss: await startQueue(database.url, log),
    channels,
    log,
    publicUrl,
    prokipClient: deps.prokip.client,
  };
  return workerDeps;
}

/** Carries out the setup runs the screens asked for and not yet run, as a worker of the setup queue would. */
export async function runRequestedSetups(): Promise<void> {
  const pending = jobRequests.filter((job): job is Extract<JobRequest, { kind: "setup" }> => job.kind === "setup");
  for (const job of pending) {
    jobRequests.splice(jobRequests.indexOf(job), 1);
    await runSetupJob(await workers(), { connectionId: job.connectionId, runId: job.runId });
  }
}

/** A dry run of setup for the test store (what the wizard's preview step shows); its run id. */
export async function previewRun(strategy: "pull" | "push"): Promise<string> {
  return (await previewStoreSetup(deps, store, { strategy })).runId;
}

/** Stops what this file started (after its tests). */
export async function stopAll(): Promise<void> {
  await workerDeps?.boss.stop({ graceful: false, timeout: 2_000 });
  await shopifyStarted.close();
  await prokipStarted.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
}

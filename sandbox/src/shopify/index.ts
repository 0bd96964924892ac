/**
 * Shopify Admin API emulator (GraphQL Admin API 2026-10) for Prokip Sync's sandbox.
 *
 *   const emulator = createShopifyEmulator();
 *   await app.register(emulator.routes, { prefix: "/sandbox/shopify" });
 *   const demo = emulator.control.seedDemo();
 *   // POST /sandbox/shopify/prokip-demo.myshopify.com/admin/api/2026-10/graphql.json
 *
 * or standalone: `const { url, emulator, close } = await startShopifyEmulator({ port: 0 })`.
 * See README.md for what is emulated and where each behaviour comes from.
 */
import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance } from "fastify";
import type { GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import { ADMIN_API_VERSION, loadAdminSchema } from "../../scripts/shopify-schema.ts";
import type { Emulator } from "../shared/emulator.ts";
import { Faults, type FaultPlanInput } from "../shared/faults.ts";
import { emulatorLogger } from "../shared/log.ts";
import { createControl, type ShopifyControl } from "./control.ts";
import { registerControlRoutes } from "./control-routes.ts";
import type { Core } from "./events.ts";
import { BulkOperations } from "./graphql/bulk.ts";
import { graphqlRoute } from "./graphql/handler.ts";
import { RateLimiter } from "./graphql/throttle.ts";
import { tokenRoute } from "./oauth.ts";
import { setIdBase } from "./ids.ts";
import { PlatformState } from "./state.ts";
import { systemClock, type Clock } from "./time.ts";
import { defaultWebhookOptions, WebhookDispatcher, type WebhookDeliveryOptions } from "./webhooks.ts";

export interface ShopifyEmulatorOptions {
  /** Milliseconds since the epoch; inject a fake clock to move time (bucket refill, token expiry) in tests. */
  clock?: Clock;
  faults?: FaultPlanInput;
  /** Webhook delivery tuning; `timeScale: 0.0001` turns Shopify's 4-hour retry schedule into ~1.5 s. */
  webhooks?: Partial<WebhookDeliveryOptions>;
  /** Delay before a bulk operation runs (it then completes at once). */
  bulkOperationDelayMs?: number;
  /** Public base URL (with prefix) used in bulk result URLs; derived from each request otherwise. */
  publicUrl?: string;
  /** A prebuilt schema (tests share one); loaded with loadAdminSchema() otherwise. */
  schema?: GraphQLSchema;
  logger?: Logger;
  /**
   * Added to every id the emulator shows (ids.ts): `900_000_000_000_000_000n` gives 18-digit ids
   * beyond 2^53, as in Shopify's documented samples. Per process (the last emulator given one sets
   * it); `SANDBOX_SHOPIFY_ID_BASE` sets it for a whole process. Default: 13-digit ids.
   */
  idBase?: bigint | string;
}

export type ShopifyEmulator = Emulator<ShopifyControl> & {
  /** The Admin API version served ("2026-10"); other versions answer 404. */
  readonly apiVersion: string;
};

export function createShopifyEmulator(options: ShopifyEmulatorOptions = {}): ShopifyEmulator {
  if (options.idBase !== undefined) setIdBase(options.idBase);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? emulatorLogger("shopify-emulator");
  const faults = new Faults(options.faults ?? {});
  const state = new PlatformState(clock);
  const webhooks = new WebhookDispatcher(state, faults, clock, logger, {
    ...defaultWebhookOptions,
    ...options.webhooks,
  });
  const core: Core = { state, events: webhooks };
  const limiter = new RateLimiter(clock);
  const bulk = new BulkOperations(logger, options.bulkOperationDelayMs ?? 20);
  const control = createControl({ core, faults, webhooks, limiter, bulk });

  async function routes(app: FastifyInstance): Promise<void> {
    const schema = options.schema ?? (await loadAdminSchema());
    // Token exchange may be form encoded. The host server may already parse forms (a parent
    // context's parser is inherited and may not be added twice).
    if (!app.hasContentTypeParser("application/x-www-form-urlencoded")) await app.register(formbody);
    // Shopify also accepts a bare GraphQL document with Content-Type: application/graphql.
    if (!app.hasContentTypeParser("application/graphql")) {
      app.addContentTypeParser("application/graphql", { parseAs: "string" }, (_request, text, done) =>
        done(null, text),
      );
    }
    const prefix = app.prefix;

    app.post(
      "/:shop/admin/api/:version/graphql.json",
      graphqlRoute({ core, schema, limiter, faults, bulk, logger, publicUrl: options.publicUrl }, prefix),
    );
    app.post("/:shop/admin/oauth/access_token", tokenRoute(core));
    app.get<{ Params: { shop: string; file: string } }>("/_bulk/:shop/:file", async (request, reply) => {
      const id = Number(/^(\d+)\.jsonl$/.exec(request.params.file)?.[1]);
      const op = state.shops.get(request.params.shop)?.bulkOperations.get(id);
      if (!op?.result) return reply.code(404).send({ errors: "Not Found" });
      return reply.type("application/jsonl").send(op.result);
    });
    registerControlRoutes(app, control, faults);
  }

  return {
    name: "shopify",
    apiVersion: ADMIN_API_VERSION,
    routes,
    control,
    faults,
    async close() {
      bulk.cancelAll();
      await webhooks.cancelAll();
    },
  };
}

export interface StartedShopifyEmulator {
  /** Base URL, e.g. http://127.0.0.1:53211 (no prefix). */
  url: string;
  emulator: ShopifyEmulator;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Runs the emulator on its own HTTP server (no prefix). */
export async function startShopifyEmulator(
  options: ShopifyEmulatorOptions & { port?: number; host?: string } = {},
): Promise<StartedShopifyEmulator> {
  const emulator = createShopifyEmulator(options);
  const app = Fastify({ logger: false });
  await app.register(emulator.routes);
  const host = options.host ?? "127.0.0.1";
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    emulator,
    app,
    async close() {
      await emulator.close();
      await app.close();
    },
  };
}

export { ADMIN_API_VERSION, loadAdminSchema };
export type { ShopifyControl } from "./control.ts";
export type { DeliveryRecord } from "./webhooks.ts";
export type { DemoSeed, DemoSeedOptions } from "./demo.ts";
export { DEMO_APP, DEMO_SHOP } from "./demo.ts";
export { signWebhook } from "./webhooks.ts";
export { DEFAULT_ID_BASE, currentIdBase, setIdBase } from "./ids.ts";
export { signSessionToken } from "./oauth.ts";

/**
 * WooCommerce REST API (wc/v3) emulator: one or more in-memory WooCommerce sites served at
 * `/{site}/wp-json/wc/v3/...`, with WooCommerce's authentication, stock rules, webhooks and a
 * control API under `/_control/...`. See README.md for what is covered and where each behaviour
 * comes from.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { Emulator } from "../shared/emulator.ts";
import { Faults, type FaultPlanInput } from "../shared/faults.ts";
import { type WooCommerceControl, createControl } from "./control.ts";
import { registerControlRoutes } from "./control-http.ts";
import { type ParsedBody, type WpRoute, dispatch, isSslRequest, requestHost } from "./http.ts";
import { orderRoutes } from "./routes/orders.ts";
import { PluginPairing } from "./routes/plugin-pairing.ts";
import { productRoutes } from "./routes/products.ts";
import { systemRoutes } from "./routes/system.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { type RenderContext, renderOrder, renderProduct } from "./serialize.ts";
import { Store } from "./state.ts";
import type { SiteRecord } from "./types.ts";
import { WebhookEngine, type WebhookEngineOptions } from "./webhooks.ts";

export type { WooCommerceControl, SiteCredentials, WebhookInfo } from "./control.ts";
export type { DeliveryLogEntry } from "./webhooks.ts";
export { demoCredentials, DEMO_SITE } from "./demo.ts";
export { signBody as signWebhookBody } from "./webhooks.ts";
export { oauthBaseString, oauthSignature } from "./auth.ts";

export interface WooCommerceEmulatorOptions {
  /**
   * Public base URL the sites live under, e.g. `http://localhost:4000/sandbox/woocommerce`
   * (a site's home URL is `${publicUrl}/${slug}`). Without it the emulator derives it from the
   * Host header and mount prefix of the requests it receives.
   */
  publicUrl?: string;
  /** Treat every request as HTTPS (as if behind a TLS-terminating proxy). `X-Forwarded-Proto: https` works per request. */
  https?: boolean;
  faultPlan?: FaultPlanInput;
  /** Clock (ms since epoch); tests can move time to exercise OAuth windows and date filters. */
  now?: () => number;
  versions?: { woocommerce?: string; wordpress?: string };
  webhooks?: Partial<Omit<WebhookEngineOptions, "userAgent">>;
  /** Create the demo site on start. */
  seedDemo?: boolean;
}

export interface WooCommerceEmulator extends Emulator<WooCommerceControl> {
  /** Sets the public base URL once it is known (e.g. after `listen` picked a port). */
  setPublicUrl(url: string): void;
  /** The stand-in for the Prokip Sync plugin's pairing callback (routes/plugin-pairing.ts). */
  pluginPairing: PluginPairing;
}

export function createWooCommerceEmulator(options: WooCommerceEmulatorOptions = {}): WooCommerceEmulator {
  // The versions the emulator was compared with side by side (/work/shared/reference/woocommerce.md).
  const versions = { wc: options.versions?.woocommerce ?? "7.9.0", wp: options.versions?.wordpress ?? "6.1.9" };
  const store = new Store(options.now ?? Date.now);
  const faults = new Faults(options.faultPlan ?? {});
  let publicUrl = options.publicUrl ?? null;
  let learnedBaseUrl: string | null = null;
  const baseUrl = () => (publicUrl ?? learnedBaseUrl ?? "http://localhost").replace(/\/+$/, "");
  const siteUrlFor = (site: SiteRecord) => `${baseUrl()}/${site.slug}`;
  const ctxFor = (site: SiteRecord): RenderContext => ({
    siteUrl: siteUrlFor(site),
    wcVersion: versions.wc,
    wpVersion: versions.wp,
  });

  const engine = new WebhookEngine({
    store,
    faults,
    options: {
      userAgent: `WooCommerce/${versions.wc} Hookshot (WordPress/${versions.wp})`,
      deliveryTimeoutMs: 60_000,
      pingTimeoutMs: 5_000,
      holdBackMaxMs: 5_000,
      maxFailures: 5,
      safePortsOnly: false,
      ...options.webhooks,
    },
    siteUrl: siteUrlFor,
    payload: (site, resource, id) => {
      const ctx = ctxFor(site);
      if (resource === "product") {
        const record = site.catalog.get(id);
        return record
          ? renderProduct(ctx, site, record)
          : { code: "woocommerce_rest_product_invalid_id", message: "Invalid ID.", data: { status: 404 } };
      }
      const order = site.orders.get(id);
      return order
        ? renderOrder(ctx, site, order)
        : { code: "woocommerce_rest_shop_order_invalid_id", message: "Invalid ID.", data: { status: 404 } };
    },
  });
  store.onEvents = (site, events) => engine.enqueue(site, events);

  const pluginPairing = new PluginPairing(options.now ?? Date.now);
  const routes: WpRoute[] = [];
  routes.push(
    ...pluginPairing.routes(),
    ...productRoutes(store),
    ...orderRoutes(store),
    ...webhookRoutes(store, engine),
    ...systemRoutes(() => routes),
  );

  const control = createControl({ store, engine, faults, siteUrl: siteUrlFor, ctx: ctxFor });
  if (options.seedDemo) control.seedDemo();

  const register = async (app: FastifyInstance): Promise<void> => {
    // A child scope of our own: our body parsers and routes do not leak into the host app.
    await app.register(async (scope) => {
      const prefix = scope.prefix;
      const deps = {
        store,
        faults,
        routes,
        https: options.https ?? false,
        versions,
        siteUrl: siteUrlFor,
      };
      scope.removeAllContentTypeParsers();
      // WordPress reads JSON only for application/json, $_POST only for form posts; other bodies carry no params.
      scope.addContentTypeParser("application/json", { parseAs: "string" }, (_req, raw, done) => {
        const text = String(raw);
        if (text.trim() === "") return done(null, { kind: "json", value: undefined } satisfies ParsedBody);
        try {
          done(null, { kind: "json", value: JSON.parse(text) } satisfies ParsedBody);
        } catch (e) {
          done(null, {
            kind: "invalid-json",
            message: e instanceof Error ? e.message : "Syntax error",
          } satisfies ParsedBody);
        }
      });
      scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, raw, done) =>
        done(null, { kind: "form", raw: String(raw) } satisfies ParsedBody),
      );
      scope.addContentTypeParser("*", { parseAs: "string" }, (_req, raw, done) =>
        done(null, { kind: "raw", raw: String(raw) } satisfies ParsedBody),
      );

      const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
      const restHandler = async (
        request: FastifyRequest<{ Params: { site: string; "*"?: string } }>,
        reply: Parameters<typeof dispatch>[2],
      ) => {
        // WordPress's home URL is configuration; here the latest request's address stands in for it.
        if (!publicUrl)
          learnedBaseUrl = `${isSslRequest(request, options.https ?? false) ? "https" : "http"}://${requestHost(request)}${prefix}`;
        const site = store.sites.get(request.params.site);
        return dispatch(deps, request, reply, site, `/${request.params["*"] ?? ""}`);
      };
      scope.route({ method: methods, url: "/:site/wp-json", handler: restHandler });
      scope.route({ method: methods, url: "/:site/wp-json/*", handler: restHandler });
      // Plain permalinks: /?rest_route=/wc/v3/products.
      scope.route({
        method: methods,
        url: "/:site/",
        handler: async (
          request: FastifyRequest<{ Params: { site: string }; Querystring: { rest_route?: string } }>,
          reply,
        ) => {
          const site = store.sites.get(request.params.site);
          const restRoute = request.query.rest_route;
          if (typeof restRoute !== "string")
            return reply.code(404).type("text/html").send("<html><body><h1>Not Found</h1></body></html>");
          return dispatch(deps, request, reply, site, restRoute.startsWith("/") ? restRoute : `/${restRoute}`);
        },
      });
      registerControlRoutes(scope, control);
    });
  };

  return {
    name: "woocommerce",
    routes: register,
    control,
    pluginPairing,
    setPublicUrl(url: string) {
      publicUrl = url;
    },
    faults,
    async close() {
      engine.close();
      store.reset();
    },
  };
}

/** A standalone emulator on its own port. `url` is the base URL; the demo site (if seeded) is at `${url}/demo`. */
export async function startWooCommerceEmulator(
  opts: { port: number; host?: string } & Omit<WooCommerceEmulatorOptions, "publicUrl">,
): Promise<{ url: string; emulator: WooCommerceEmulator; close: () => Promise<void> }> {
  const host = opts.host ?? "127.0.0.1";
  const emulator = createWooCommerceEmulator(opts);
  const app = Fastify({ logger: false });
  await app.register(emulator.routes);
  await app.listen({ port: opts.port, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  emulator.setPublicUrl(url);
  return {
    url,
    emulator,
    close: async () => {
      await emulator.close();
      await app.close();
    },
  };
}

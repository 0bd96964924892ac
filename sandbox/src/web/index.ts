/**
 * The sandbox as a backend mounts it: the emulators under /sandbox/{shopify,woocommerce,prokip},
 * the console (/sandbox) and its JSON API, and, when a host serves the Shopify app in the same
 * process, the emulated Shopify admin and its App Bridge stand-in, all behind the Host and
 * cross-site checks (guard.ts). `sandboxForBackend` is what a host hands core's `startBackend`
 * (its `sandbox` option, see core/src/host/sandbox.ts); the sandbox never imports core, and core
 * reaches the sandbox only through that object.
 */
import type { FastifyInstance } from "fastify";
import { createSandbox, SANDBOX_PREFIXES, type SandboxCredentials } from "../sandbox.ts";
import { registerConsoleApi, type DemoBusinessView } from "./api.ts";
import { sandboxPage } from "./console.ts";
import { guardSandboxRoutes } from "./guard.ts";
import {
  APP_BRIDGE_STAND_IN_PATH,
  registerShopifyAdmin,
  SANDBOX_SHOP_PATTERN,
  SHOPIFY_ADMIN_PATH,
} from "./shopify-admin.ts";

export { sandboxPage } from "./console.ts";
export { appFrameUrl, APP_BRIDGE_STAND_IN_PATH, SANDBOX_SHOP_PATTERN, SHOPIFY_ADMIN_PATH } from "./shopify-admin.ts";
export type { DemoBusinessView } from "./api.ts";

/** The Shopify app a host serves in this process, as its shopify.app.toml describes it. */
export interface HostedApp {
  /** The API key the app runs with; absent: the emulated demo app's. */
  apiKey?: string;
  name: string;
  scopes: string;
  webhooks: { topics: string[]; uri: string }[];
}

/** The sandbox, ready for a backend to mount (core's `SandboxProvider`). */
export interface BackendSandbox {
  credentials: SandboxCredentials;
  /** Where the emulated Shopify answers: `https://{shop}.myshopify.com/...` goes there. */
  shopifyUrl: string;
  /** The App Bridge stand-in (absolute URL) when a Shopify app is hosted; null otherwise. */
  appBridgeUrl: string | null;
  /** The emulated Shopify admin that opens the hosted app (absolute URL); null when no app is hosted. */
  shopifyAdminUrl: string | null;
  /** Shops made by "Open a new shop": the sandbox's own, with the demo shop. */
  newShopPattern: RegExp;
  /** Mounts every /sandbox route on the backend's server; `demo` is null until the demo business is connected. */
  register(app: FastifyInstance, demo: () => DemoBusinessView | null): Promise<void>;
  /** Stops the emulators' timers and deliveries. */
  close(): Promise<void>;
}

/** Fresh emulators (they keep their state in memory) seeded with the demo shop, site and Prokip business. */
export function sandboxForBackend(options: { publicUrl: string; shopifyApp?: HostedApp }): BackendSandbox {
  const { publicUrl, shopifyApp } = options;
  const emulators = createSandbox({
    publicUrl,
    ...(shopifyApp ? { shopifyApp: { scopes: shopifyApp.scopes, webhooks: shopifyApp.webhooks } } : {}),
  });
  const credentials = emulators.seedDemo();
  return {
    credentials,
    shopifyUrl: `${publicUrl}${SANDBOX_PREFIXES.shopify}`,
    appBridgeUrl: shopifyApp ? `${publicUrl}${APP_BRIDGE_STAND_IN_PATH}` : null,
    shopifyAdminUrl: shopifyApp ? `${publicUrl}${SHOPIFY_ADMIN_PATH}` : null,
    newShopPattern: SANDBOX_SHOP_PATTERN,
    async register(app, demo) {
      // Before the routes: the checks are a root hook that every /sandbox route passes.
      guardSandboxRoutes(app, { publicUrl });
      await emulators.routes(app);
      if (shopifyApp)
        registerShopifyAdmin(app, emulators, credentials, {
          appApiKey: shopifyApp.apiKey ?? credentials.shopify.apiKey,
          appName: shopifyApp.name,
        });
      const page = sandboxPage(credentials, { shopifyAdminUrl: shopifyApp ? SHOPIFY_ADMIN_PATH : null });
      registerConsoleApi(app, emulators, credentials, demo);
      app.get("/sandbox", async (_request, reply) => reply.type("text/html; charset=utf-8").send(page));
    },
    close: () => emulators.close(),
  };
}

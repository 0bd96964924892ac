/**
 * The three emulators together, as the product runs them in sandbox mode: mounted under one
 * server at /sandbox/shopify, /sandbox/woocommerce and /sandbox/prokip, seeded with the demo
 * catalogue, with the demo credentials a newcomer (or the product) connects with.
 */
import type { FastifyInstance } from "fastify";
import { createProkipEmulator, type ProkipEmulator, type ProkipEmulatorOptions } from "./prokip/index.ts";
import {
  ADMIN_API_VERSION,
  createShopifyEmulator,
  type ShopifyEmulator,
  type ShopifyEmulatorOptions,
} from "./shopify/index.ts";
import {
  createWooCommerceEmulator,
  type WooCommerceEmulator,
  type WooCommerceEmulatorOptions,
} from "./woocommerce/index.ts";

export const SANDBOX_PREFIXES = {
  shopify: "/sandbox/shopify",
  woocommerce: "/sandbox/woocommerce",
  prokip: "/sandbox/prokip",
} as const;

export interface SandboxCredentials {
  shopify: {
    shop: string;
    adminApiUrl: string;
    accessToken: string;
    apiKey: string;
    apiSecret: string;
    apiVersion: string;
  };
  woocommerce: { siteUrl: string; consumerKey: string; consumerSecret: string };
  prokip: {
    baseUrl: string;
    clientId: string;
    clientSecret: string;
    username: string;
    password: string;
    businessName: string;
    locations: { id: number; name: string }[];
  };
}

export interface SandboxOptions {
  /** Where the product's server is reachable, e.g. http://localhost:3000. */
  publicUrl: string;
  shopify?: Omit<ShopifyEmulatorOptions, "publicUrl">;
  woocommerce?: Omit<WooCommerceEmulatorOptions, "publicUrl" | "seedDemo">;
  prokip?: ProkipEmulatorOptions;
  /**
   * The Shopify app a host serves in this process (its shopify.app.toml): the emulated demo app
   * carries its access scopes and app-scoped webhook subscriptions, so every shop the app is
   * installed on later gets deliveries at the app's own routes, as Shopify delivers TOML
   * subscriptions. Relative `uri`s resolve against `publicUrl` (the app's URL here), as Shopify
   * resolves them against `application_url`. Without it the demo app has no subscriptions of its
   * own (core alone serves no app routes). The demo shop never gets them: see DemoSeedOptions.
   */
  shopifyApp?: { scopes?: string; webhooks: { topics: string[]; uri: string }[] };
}

export interface Sandbox {
  readonly shopify: ShopifyEmulator;
  readonly woocommerce: WooCommerceEmulator;
  readonly prokip: ProkipEmulator;
  /** Registers the three emulators under their /sandbox/* prefixes. */
  routes(app: FastifyInstance): Promise<void>;
  /** Seeds (or returns the already seeded) demo shop, site and business. */
  seedDemo(): SandboxCredentials;
  close(): Promise<void>;
}

export function createSandbox(options: SandboxOptions): Sandbox {
  const base = options.publicUrl.replace(/\/+$/u, "");
  const shopify = createShopifyEmulator({ ...options.shopify, publicUrl: `${base}${SANDBOX_PREFIXES.shopify}` });
  const woocommerce = createWooCommerceEmulator({
    ...options.woocommerce,
    publicUrl: `${base}${SANDBOX_PREFIXES.woocommerce}`,
  });
  const prokip = createProkipEmulator(options.prokip);

  return {
    shopify,
    woocommerce,
    prokip,
    async routes(app) {
      await app.register(shopify.routes, { prefix: SANDBOX_PREFIXES.shopify });
      await app.register(woocommerce.routes, { prefix: SANDBOX_PREFIXES.woocommerce });
      await app.register(prokip.routes, { prefix: SANDBOX_PREFIXES.prokip });
    },
    seedDemo() {
      const app = options.shopifyApp;
      const shop = shopify.control.seedDemo(
        app
          ? {
              ...(app.scopes ? { scopes: app.scopes } : {}),
              appWebhooks: app.webhooks.map((subscription) => ({
                topics: subscription.topics,
                uri: new URL(subscription.uri, `${base}/`).href,
              })),
            }
          : {},
      );
      const site = woocommerce.control.seedDemo();
      const business = prokip.control.seedDemo();
      return {
        shopify: {
          shop: shop.shop,
          adminApiUrl: `${base}${SANDBOX_PREFIXES.shopify}/${shop.shop}/admin/api/${ADMIN_API_VERSION}/graphql.json`,
          accessToken: shop.accessToken,
          apiKey: shop.apiKey,
          apiSecret: shop.apiSecret,
          apiVersion: ADMIN_API_VERSION,
        },
        woocommerce: { siteUrl: site.url, consumerKey: site.consumerKey, consumerSecret: site.consumerSecret },
        prokip: {
          baseUrl: `${base}${SANDBOX_PREFIXES.prokip}`,
          clientId: business.clientId,
          clientSecret: business.clientSecret,
          username: business.username,
          password: business.password,
          businessName: business.businessName,
          locations: business.locations.map((location) => ({ id: location.id, name: location.name })),
        },
      };
    },
    async close() {
      await Promise.all([shopify.close(), woocommerce.close(), prokip.close()]);
    },
  };
}

/**
 * The demo shop: the shared demo catalogue's products flagged `inShopify`, stocked with Prokip
 * location 0's quantities at a single Shopify location of the same name, plus a fixed demo app so
 * the product's demo mode can talk to it without any set-up. Variable products become products
 * with a "Size" option and one variant per size.
 *
 * Seeding is idempotent: calling it again returns the existing shop and the same token.
 */
import { demoCatalogue, demoLocations } from "../shared/demo-catalogue.ts";
import type { ShopifyControl } from "./control.ts";
import { ControlError } from "./errors.ts";
import { WEBHOOK_TOPICS, type WebhookTopic } from "./events.ts";
import type { PlatformState } from "./state.ts";

export const DEMO_SHOP = "prokip-demo.myshopify.com";
export const DEMO_APP = {
  apiKey: "prokip-sync-demo-api-key",
  apiSecret: "demoShopifySecretProkipSync0123456789abcdef",
  title: "Prokip Sync",
} as const;

export interface DemoSeed {
  shop: string;
  accessToken: string;
  apiKey: string;
  apiSecret: string;
  scopes: string;
  locations: { id: string; name: string }[];
  products: { id: string; title: string; variants: { id: string; sku: string | null; inventoryItemId: string }[] }[];
}

export interface DemoSeedOptions {
  /** The demo app subscribes every topic to this address for every installation, the demo shop's included. */
  webhookUri?: string;
  /**
   * The demo app's configured subscriptions (shopify.app.toml's `[[webhooks.subscriptions]]`,
   * absolute addresses), as a host serving the Shopify app declares them: delivered to every shop
   * the app is installed on later, as Shopify delivers TOML subscriptions. Not to the demo shop:
   * core connects it with a token of its own and subscribes it shop-scoped (to /webhooks/shopify),
   * so with both it would get every event twice. (Shopify has no per-shop exception; the demo
   * shop stands for a store connected without the app.)
   */
  appWebhooks?: { topics: string[]; uri: string }[];
  /** The demo app's access scopes (shopify.app.toml's `[access_scopes] scopes`). */
  scopes?: string;
}

const seeded = new WeakMap<PlatformState, DemoSeed>();

export function seedDemo(control: ShopifyControl, state: PlatformState, options: DemoSeedOptions = {}): DemoSeed {
  const previous = seeded.get(state);
  // A reset wipes the shop; only reuse the remembered seed while its shop still exists.
  if (previous && state.shops.has(DEMO_SHOP)) return previous;
  if (state.shops.has(DEMO_SHOP))
    throw new ControlError("shop_exists", `${DEMO_SHOP} exists but was not created by seedDemo`, 409);

  const location = demoLocations[0];
  const shop = control.createShop({
    domain: DEMO_SHOP,
    name: "Prokip Demo Store",
    plan: "standard",
    currency: "KES",
    ianaTimezone: "Africa/Nairobi",
    timezoneOffsetMinutes: 180,
    locations: [{ name: location.name, city: location.city, country: location.country, countryCode: "KE" }],
  });
  if (options.webhookUri && options.appWebhooks)
    throw new ControlError("invalid_input", "give webhookUri or appWebhooks, not both", 400);
  const app = control.registerApp({
    ...DEMO_APP,
    ...(options.scopes ? { scopes: options.scopes } : {}),
    webhooks: options.webhookUri
      ? [{ topics: [...WEBHOOK_TOPICS], uri: options.webhookUri }]
      : ((options.appWebhooks ?? []) as { topics: WebhookTopic[]; uri: string }[]),
  });
  const { accessToken } = control.installApp({
    shop: DEMO_SHOP,
    apiKey: DEMO_APP.apiKey,
    appSubscriptions: !options.appWebhooks,
  });

  const products = demoCatalogue
    .filter((p) => p.inShopify)
    .map((p) =>
      control.createProduct({
        shop: DEMO_SHOP,
        title: p.name,
        descriptionHtml: `<p>${p.description}</p>`,
        vendor: "Prokip Demo",
        optionName: p.optionName,
        variants: p.variants.map((v) => ({ sku: v.sku, price: v.price, option: v.option, stock: v.stock[0] })),
      }),
    );

  const seed: DemoSeed = {
    shop: DEMO_SHOP,
    accessToken,
    apiKey: DEMO_APP.apiKey,
    apiSecret: DEMO_APP.apiSecret,
    scopes: app.scopes,
    locations: shop.locations,
    products: products.map((p) => ({ id: p.id, title: p.title, variants: p.variants })),
  };
  seeded.set(state, seed);
  return seed;
}

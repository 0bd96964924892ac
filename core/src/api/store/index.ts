/**
 * The store API, `/api/v1/store/*`: what the WooCommerce plugin's PHP forwards its admin
 * screens' calls to, one route per core/src/merchant operation. Every call is signed by the
 * site (auth.ts); the store it acts on is the verified site's, never a parameter.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { MerchantDeps } from "../../merchant/types.ts";
import { activityRoutes } from "./activity/routes.ts";
import { installSiteAuthentication, notReady, STORE_BODY_LIMIT, type SiteAuthDependencies } from "./auth.ts";
import { connectRoutes } from "./connect/routes.ts";
import { dashboardRoutes } from "./dashboard/routes.ts";
import { pairingRoutes } from "./pairing/routes.ts";
import { productRoutes } from "./products/routes.ts";
import { settingsRoutes } from "./settings/routes.ts";
import { setupRoutes } from "./setup/routes.ts";

export interface StoreApiDependencies {
  /** The merchant functions' dependencies once the backend is ready; null before (or with no Prokip client). */
  merchant: () => MerchantDeps | null;
  encryptionKey: Buffer;
  /**
   * Pairing's call back to the site: private addresses only in the sandbox and tests, https only
   * in production. Unset: the safe choice (no private addresses, https only).
   */
  pairing?: { allowPrivateAddresses: boolean; httpsOnly: boolean; callbackTimeoutMs?: number };
}

/** What each route group gets: the merchant dependencies, or a 503 when there are none yet. */
export interface StoreRouteOptions {
  merchant: () => MerchantDeps;
}

export const storeApi: FastifyPluginAsyncZod<StoreApiDependencies> = async (app, deps) => {
  // Pairing is unsigned (the site has no secret yet): its own scope, outside the signature hook's.
  await app.register(async (unsigned) => {
    await unsigned.register(pairingRoutes, {
      bodyLimit: STORE_BODY_LIMIT,
      pairing: () => {
        const merchant = deps.merchant();
        if (!merchant) return null;
        return {
          prisma: merchant.prisma,
          pool: merchant.pool,
          encryptionKey: deps.encryptionKey,
          allowPrivateAddresses: deps.pairing?.allowPrivateAddresses ?? false,
          httpsOnly: deps.pairing?.httpsOnly ?? true,
          callbackTimeoutMs: deps.pairing?.callbackTimeoutMs ?? 5_000,
        };
      },
    });
  });
  await app.register(async (signed) => signedStoreApi(signed, deps));
};

const signedStoreApi: FastifyPluginAsyncZod<StoreApiDependencies> = async (app, deps) => {
  const auth: SiteAuthDependencies = { database: () => deps.merchant(), encryptionKey: deps.encryptionKey };
  installSiteAuthentication(app, auth);
  const options: StoreRouteOptions & { bodyLimit: number } = {
    merchant: () => {
      const merchant = deps.merchant();
      if (!merchant) throw notReady();
      return merchant;
    },
    bodyLimit: STORE_BODY_LIMIT,
  };
  for (const group of [connectRoutes, setupRoutes, dashboardRoutes, productRoutes, activityRoutes, settingsRoutes])
    await app.register(group, options);
};

export { STORE_BODY_LIMIT } from "./auth.ts";
export type { VerifiedSite } from "./auth.ts";

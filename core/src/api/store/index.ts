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
import { productRoutes } from "./products/routes.ts";
import { settingsRoutes } from "./settings/routes.ts";
import { setupRoutes } from "./setup/routes.ts";

export interface StoreApiDependencies {
  /** The merchant functions' dependencies once the backend is ready; null before (or with no Prokip client). */
  merchant: () => MerchantDeps | null;
  encryptionKey: Buffer;
}

/** What each route group gets: the merchant dependencies, or a 503 when there are none yet. */
export interface StoreRouteOptions {
  merchant: () => MerchantDeps;
}

export const storeApi: FastifyPluginAsyncZod<StoreApiDependencies> = async (app, deps) => {
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

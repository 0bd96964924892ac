/**
 * What the merchant screens call: core's merchant functions with the dependencies of the
 * process hosting the app (database, Prokip client, channels, job queue). The backend host puts
 * them in `globalThis.prokipSyncMerchant` before it loads the app's build; tests put their own
 * (a real test database and the emulators). Routes never build dependencies themselves.
 */
import type { MerchantDeps, StoreRef } from "@prokip-sync/core";

declare global {
  var prokipSyncMerchant: MerchantDeps | undefined;
}

export function merchantDeps(): MerchantDeps {
  const deps = globalThis.prokipSyncMerchant;
  if (!deps)
    throw new Error(
      "The app is not hosted by the Prokip Sync backend (globalThis.prokipSyncMerchant is not set): start it with `npm start`",
    );
  return deps;
}

/** The store a merchant screen acts on: always the shop of the verified session, never a parameter. */
export function storeOf(session: { shop: string }): StoreRef {
  return { platform: "shopify", storeDomain: session.shop };
}

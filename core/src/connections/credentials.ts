/**
 * A store's credentials, validated and sealed (AES-256-GCM) before they touch the database.
 */
import { z } from "zod";
import { openJson, sealJson } from "../security/index.ts";

// A plain union: Shopify has two shapes under one `platform`, which zod's discriminated union
// refuses; the objects are strict, so at most one of them matches.
export const storeCredentialsSchema = z.union([
  /** A token held by the connection itself (a custom app's, or the sandbox demo shop's). */
  z.object({ platform: z.literal("shopify"), accessToken: z.string().min(1) }).strict(),
  /**
   * A shop that installed the Shopify app: no token here. The token is the shop's offline
   * session (`Session` row `offline_<shop>`, sealed), which expires hourly and is refreshed by
   * whoever needs it first (connections/shopify-sessions.ts).
   */
  z.object({ platform: z.literal("shopify"), tokenSource: z.literal("app_session") }).strict(),
  z
    .object({ platform: z.literal("woocommerce"), consumerKey: z.string().min(1), consumerSecret: z.string().min(1) })
    .strict(),
]);

export type StoreCredentials = z.infer<typeof storeCredentialsSchema>;

export function sealStoreCredentials(credentials: StoreCredentials, key: Buffer): string {
  return sealJson(storeCredentialsSchema.parse(credentials), key);
}

export function openStoreCredentials(sealed: string, key: Buffer): StoreCredentials {
  return storeCredentialsSchema.parse(openJson(sealed, key));
}

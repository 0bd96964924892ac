/**
 * A store's credentials, validated and sealed (AES-256-GCM) before they touch the database.
 */
import { z } from "zod";
import { openJson, sealJson } from "../security/index.ts";

export const storeCredentialsSchema = z.discriminatedUnion("platform", [
  z.object({ platform: z.literal("shopify"), accessToken: z.string().min(1) }).strict(),
  z.object({ platform: z.literal("woocommerce"), consumerKey: z.string().min(1), consumerSecret: z.string().min(1) }).strict(),
]);

export type StoreCredentials = z.infer<typeof storeCredentialsSchema>;

export function sealStoreCredentials(credentials: StoreCredentials, key: Buffer): string {
  return sealJson(storeCredentialsSchema.parse(credentials), key);
}

export function openStoreCredentials(sealed: string, key: Buffer): StoreCredentials {
  return storeCredentialsSchema.parse(openJson(sealed, key));
}

/**
 * Prokip for a business: its tokens live sealed in Business.prokipCredentials (the merchant's
 * password never does), the OAuth client comes from server configuration.
 */
import { prokip, type PosSystem } from "../channels/index.ts";
import { SyncError } from "../domain/index.ts";
import type { Logger } from "../log/index.ts";
import { openJson, sealJson } from "../security/index.ts";
import type { PrismaClient } from "../store/index.ts";

export interface ProkipClientConfig {
  clientId: string;
  clientSecret: string;
}

interface StoredProkipCredentials {
  username: string;
  tokens: { accessToken: string; refreshToken: string; expiresAt: string | null };
}

/** Signs a business in to Prokip and keeps only the resulting tokens, sealed. */
export async function signInBusiness(
  prisma: PrismaClient,
  businessId: string,
  input: { baseUrl: string; username: string; password: string; client: ProkipClientConfig; encryptionKey: Buffer },
): Promise<void> {
  const tokens = await prokip.signInToProkip({ baseUrl: input.baseUrl, clientId: input.client.clientId, clientSecret: input.client.clientSecret, username: input.username, password: input.password });
  await prisma.business.update({
    where: { id: businessId },
    data: { prokipBaseUrl: input.baseUrl, prokipCredentials: sealJson({ username: input.username, tokens } satisfies StoredCredentialsInput, input.encryptionKey) },
  });
}

type StoredCredentialsInput = { username: string; tokens: prokip.ProkipTokens };

/** The business's Prokip, refreshing and re-sealing its tokens as the adapter renews them. */
export async function posForBusiness(
  prisma: PrismaClient,
  businessId: string,
  environment: { client: ProkipClientConfig; encryptionKey: Buffer; log: Logger; limiter?: prokip.ProkipPosOptions["limiter"] },
): Promise<PosSystem> {
  const business = await prisma.business.findUnique({ where: { id: businessId }, select: { prokipBaseUrl: true, prokipCredentials: true } });
  if (!business?.prokipBaseUrl || !business.prokipCredentials) throw new SyncError("unknown_business", "The business is not signed in to Prokip");
  const baseUrl = business.prokipBaseUrl;
  const tokens: prokip.TokenStore = {
    async load() {
      const row = await prisma.business.findUniqueOrThrow({ where: { id: businessId }, select: { prokipCredentials: true } });
      const stored = openJson<StoredProkipCredentials>(row.prokipCredentials!, environment.encryptionKey);
      return prokip.prokipTokensSchema.parse(stored.tokens);
    },
    async save(next) {
      const row = await prisma.business.findUniqueOrThrow({ where: { id: businessId }, select: { prokipCredentials: true } });
      const stored = openJson<StoredProkipCredentials>(row.prokipCredentials!, environment.encryptionKey);
      await prisma.business.update({
        where: { id: businessId },
        data: { prokipCredentials: sealJson({ username: stored.username, tokens: next } satisfies StoredCredentialsInput, environment.encryptionKey) },
      });
    },
  };
  return prokip.createProkipPos({
    baseUrl,
    clientId: environment.client.clientId,
    clientSecret: environment.client.clientSecret,
    tokens,
    log: environment.log.child({ businessId, platform: "prokip" }),
    ...(environment.limiter ? { limiter: environment.limiter } : {}),
  });
}

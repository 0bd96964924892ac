/**
 * Prokip for a business: its tokens live sealed in Business.prokipCredentials (the merchant's
 * password never does), the OAuth client comes from server configuration.
 */
import { pino } from "pino";
import { ChannelError, prokip, type PosSystem } from "../channels/index.ts";
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

/** A Prokip sign-in before anything is stored: the tokens and the business the account belongs to. */
export interface ProkipAccount {
  tokens: prokip.ProkipTokens;
  business: prokip.ProkipBusiness;
}

/**
 * Signs in with a username and password and finds which Prokip business the account belongs to
 * (two requests); nothing is stored. Errors are the adapter's: ChannelError `unauthorized` (wrong
 * username or password: message REJECTED_USER_CREDENTIALS; or a refused API client) or `unavailable`.
 */
export async function signInToProkipAccount(input: {
  baseUrl: string;
  username: string;
  password: string;
  client: ProkipClientConfig;
  log: Logger;
  retry?: Partial<prokip.RetrySettings>;
  timeoutMs?: number;
}): Promise<ProkipAccount> {
  const client = { baseUrl: input.baseUrl, clientId: input.client.clientId, clientSecret: input.client.clientSecret };
  const settings = {
    ...(input.retry ? { retry: input.retry } : {}),
    ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
  };
  let tokens = await prokip.signInToProkip({
    ...client,
    username: input.username,
    password: input.password,
    log: input.log,
    ...settings,
  });
  const pos = prokip.createProkipPos({
    ...client,
    log: input.log,
    ...settings,
    // Held in memory until the caller decides where they belong.
    tokens: { load: async () => tokens, save: async (fresh) => void (tokens = fresh) },
  });
  const business = await pos.describeBusiness();
  return { tokens, business };
}

/** A business's sealed Prokip credentials: the account's username and its tokens, never the password. */
export function sealProkipCredentials(username: string, tokens: prokip.ProkipTokens, key: Buffer): string {
  return sealJson({ username, tokens } satisfies StoredCredentialsInput, key);
}

/** Signs a business in to Prokip and keeps only the resulting tokens, sealed, and which Prokip business it is. */
export async function signInBusiness(
  prisma: PrismaClient,
  businessId: string,
  input: {
    baseUrl: string;
    username: string;
    password: string;
    client: ProkipClientConfig;
    encryptionKey: Buffer;
    log?: Logger;
  },
): Promise<void> {
  const account = await signInToProkipAccount({ ...input, log: input.log ?? pino({ enabled: false }) });
  await prisma.business.update({
    where: { id: businessId },
    data: {
      prokipBaseUrl: input.baseUrl,
      prokipBusinessId: account.business.businessId,
      prokipCredentials: sealProkipCredentials(input.username, account.tokens, input.encryptionKey),
      prokipSignedOutAt: null,
    },
  });
}

type StoredCredentialsInput = { username: string; tokens: prokip.ProkipTokens };

/**
 * The business's Prokip, refreshing and re-sealing its tokens as the adapter renews them. Prokip
 * refusing the saved sign-in (after the adapter's one renewal) is recorded on the business
 * (`prokipSignedOutAt`: the merchant screens ask the merchant to sign in again), and cleared by
 * the next request Prokip accepts.
 */
export async function posForBusiness(
  prisma: PrismaClient,
  businessId: string,
  environment: {
    client: ProkipClientConfig;
    encryptionKey: Buffer;
    log: Logger;
    limiter?: prokip.ProkipPosOptions["limiter"];
  },
): Promise<PosSystem> {
  const business = await prisma.business.findUnique({
    where: { id: businessId },
    select: { prokipBaseUrl: true, prokipCredentials: true, prokipSignedOutAt: true },
  });
  if (!business?.prokipBaseUrl || !business.prokipCredentials)
    throw new SyncError("unknown_business", "The business is not signed in to Prokip");
  const baseUrl = business.prokipBaseUrl;
  const tokens: prokip.TokenStore = {
    async load() {
      const row = await prisma.business.findUniqueOrThrow({
        where: { id: businessId },
        select: { prokipCredentials: true },
      });
      const stored = openJson<StoredProkipCredentials>(row.prokipCredentials!, environment.encryptionKey);
      return prokip.prokipTokensSchema.parse(stored.tokens);
    },
    async save(next) {
      const row = await prisma.business.findUniqueOrThrow({
        where: { id: businessId },
        select: { prokipCredentials: true },
      });
      const stored = openJson<StoredProkipCredentials>(row.prokipCredentials!, environment.encryptionKey);
      await prisma.business.update({
        where: { id: businessId },
        data: { prokipCredentials: sealProkipCredentials(stored.username, next, environment.encryptionKey) },
      });
    },
  };
  const pos = prokip.createProkipPos({
    baseUrl,
    clientId: environment.client.clientId,
    clientSecret: environment.client.clientSecret,
    tokens,
    log: environment.log.child({ businessId, platform: "prokip" }),
    ...(environment.limiter ? { limiter: environment.limiter } : {}),
  });
  let signedOut = business.prokipSignedOutAt !== null;
  return watchSignIn(pos, {
    async refused() {
      signedOut = true;
      await prisma.business.updateMany({
        where: { id: businessId, prokipSignedOutAt: null },
        data: { prokipSignedOutAt: new Date() },
      });
    },
    async accepted() {
      // Written only when it changes: this runs after every request.
      if (!signedOut) return;
      signedOut = false;
      await prisma.business.update({ where: { id: businessId }, data: { prokipSignedOutAt: null } });
    },
  });
}

/** `pos` with every call reporting whether Prokip accepted the sign-in; the call's own outcome is unchanged. */
function watchSignIn(pos: PosSystem, watch: { refused(): Promise<void>; accepted(): Promise<void> }): PosSystem {
  const watched =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      let result: R;
      try {
        result = await call(...args);
      } catch (error) {
        if (error instanceof ChannelError && error.code === "unauthorized")
          await watch.refused().catch(() => undefined);
        throw error;
      }
      await watch.accepted().catch(() => undefined);
      return result;
    };
  return {
    capabilities: pos.capabilities,
    listLocations: watched(() => pos.listLocations()),
    listVariations: watched((options?: { details?: boolean }) => pos.listVariations(options)),
    readStock: watched((locationId: number) => pos.readStock(locationId)),
    defaultContactId: watched(() => pos.defaultContactId()),
    createSell: watched((draft: Parameters<PosSystem["createSell"]>[0]) => pos.createSell(draft)),
    returnSell: watched((input: Parameters<PosSystem["returnSell"]>[0]) => pos.returnSell(input)),
    deleteSell: watched((sellId: number) => pos.deleteSell(sellId)),
    findSells: watched((input: Parameters<PosSystem["findSells"]>[0]) => pos.findSells(input)),
  };
}

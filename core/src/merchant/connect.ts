/**
 * Connect Prokip: sign in (username and password, or the sandbox's sample data), then choose the
 * Prokip location the store sells from.
 *
 * Signing in finds which Prokip business the account belongs to. A business already known
 * (same Prokip, same Prokip business id) is joined, never duplicated: a second store of a
 * business, or a sandbox shop trying the sample data (the demo business), shares its catalogue
 * and stock. The sign-in is kept per store (StoreSignIn), so the location step survives a reload.
 */
import { z } from "zod";
import { ChannelError, prokip } from "../channels/index.ts";
import {
  connectStore,
  sealProkipCredentials,
  signInToProkipAccount,
  storeCredentialsSchema,
  type ProkipAccount,
} from "../connections/index.ts";
import { SyncError } from "../domain/index.ts";
import { issuesOf } from "./connection.ts";
import { locationChoices, parseStoreRef, storeConnection, storeSignIn } from "./stage.ts";
import type { ChooseLocationInput, MerchantDeps, SignedIn, SignInInput, StoreRef } from "./types.ts";

const signInSchema = z.union([
  z.object({ username: z.string().trim().min(1).max(255), password: z.string().min(1).max(1024) }).strict(),
  z.object({ sampleData: z.literal(true) }).strict(),
]);

const chooseLocationSchema = z
  .object({ prokipLocationId: z.number().int().positive(), credentials: storeCredentialsSchema })
  .strict();

/** The merchant is waiting on the screen: fail within seconds rather than retry for half a minute. */
const SIGN_IN_RETRY = { retries: 2, minDelayMs: 300, maxDelayMs: 1_500 };
const SIGN_IN_TIMEOUT_MS = 15_000;

export const PROKIP_UNREACHABLE = "Prokip is not reachable right now. Try again in a few minutes.";

export async function signInToProkip(deps: MerchantDeps, store: StoreRef, input: SignInInput): Promise<SignedIn> {
  const ref = parseStoreRef(store);
  const parsed = signInSchema.safeParse(input);
  if (!parsed.success)
    throw new SyncError("invalid_input", "Enter your Prokip username and password", issuesOf(parsed.error));
  let login: { username: string; password: string };
  if ("sampleData" in parsed.data) {
    if (!deps.sampleData)
      throw new SyncError("sample_data_unavailable", "Sample data is only available in the sandbox");
    login = deps.sampleData;
  } else {
    login = parsed.data;
  }

  let account: ProkipAccount;
  try {
    account = await signInToProkipAccount({
      baseUrl: deps.prokip.baseUrl,
      client: deps.prokip.client,
      ...login,
      log: deps.log,
      retry: SIGN_IN_RETRY,
      timeoutMs: SIGN_IN_TIMEOUT_MS,
    });
  } catch (error) {
    throw signInError(error);
  }

  // Checked before anything is written: a connected store stays with its business.
  const known = await deps.pool.query<{ id: string }>(
    `SELECT "id" FROM "Business" WHERE "prokipBaseUrl" = $1 AND "prokipBusinessId" = $2`,
    [deps.prokip.baseUrl, account.business.businessId],
  );
  const connection = await storeConnection(deps, ref);
  if (connection && connection.status !== "disconnected" && connection.businessId !== known.rows[0]?.id) {
    throw new SyncError(
      "invalid_input",
      "This store is connected to another Prokip business. Disconnect it first to connect it to this one.",
    );
  }

  const business = await keepBusinessSignIn(deps, login.username, account);
  const locations = account.business.locations
    .filter((location) => location.active)
    .map((location) => ({ prokipLocationId: location.id, name: location.name }));
  await deps.pool.query(
    `INSERT INTO "StoreSignIn" ("platform", "storeDomain", "businessId", "locations", "signedInAt") VALUES ($1::"Platform", $2, $3, $4::jsonb, now())
     ON CONFLICT ("platform", "storeDomain") DO UPDATE SET "businessId" = EXCLUDED."businessId", "locations" = EXCLUDED."locations", "signedInAt" = EXCLUDED."signedInAt"`,
    [ref.platform, ref.storeDomain, business.id, JSON.stringify(locations)],
  );
  deps.log.info(
    {
      storeDomain: ref.storeDomain,
      businessId: business.id,
      prokipBusinessId: account.business.businessId,
      created: business.created,
    },
    "store signed in to prokip",
  );
  return {
    businessName: business.name,
    locations: await locationChoices(deps, { businessId: business.id, locations }, ref),
  };
}

/**
 * The Business for the account's Prokip business, made or joined in one statement (two stores
 * signing in at once cannot make two). A business already signed in keeps its saved sign-in
 * unless Prokip stopped accepting it (or it has none): the newcomer may be a user with fewer
 * rights than the one every store of the business syncs with.
 */
async function keepBusinessSignIn(
  deps: MerchantDeps,
  username: string,
  account: ProkipAccount,
): Promise<{ id: string; name: string; created: boolean }> {
  const { rows } = await deps.pool.query<{ id: string; name: string; created: boolean }>(
    `INSERT INTO "Business" ("name", "authorityMode", "prokipBaseUrl", "prokipBusinessId", "prokipCredentials", "updatedAt")
     VALUES ($1, 'prokip', $2, $3, $4, now())
     ON CONFLICT ("prokipBaseUrl", "prokipBusinessId") DO UPDATE SET
       "prokipCredentials" = CASE WHEN "Business"."prokipCredentials" IS NULL OR "Business"."prokipSignedOutAt" IS NOT NULL
                                  THEN EXCLUDED."prokipCredentials" ELSE "Business"."prokipCredentials" END,
       "prokipSignedOutAt" = NULL,
       "updatedAt" = now()
     RETURNING "id", "name", (xmax = 0) AS "created"`,
    [
      nameForNewBusiness(account.business),
      deps.prokip.baseUrl,
      account.business.businessId,
      sealProkipCredentials(username, account.tokens, deps.encryptionKey),
    ],
  );
  return rows[0]!;
}

/**
 * The Connector API does not say a business's name. UltimatePOS names a business's first
 * location after the business when it is registered, so that is the best name there is.
 */
function nameForNewBusiness(business: prokip.ProkipBusiness): string {
  const first = [...business.locations].sort((a, b) => a.id - b.id)[0];
  return first?.name ?? `Prokip business ${business.businessId}`;
}

function signInError(error: unknown): unknown {
  if (!(error instanceof ChannelError)) return error;
  if (error.code === "unauthorized" && error.message === prokip.REJECTED_USER_CREDENTIALS) {
    return new SyncError("prokip_rejected_credentials", "Prokip rejected the username or password");
  }
  // Prokip refusing the server's OAuth client is a deployment fault the merchant cannot fix.
  if (error.code === "unauthorized")
    return new SyncError("prokip_unreachable", "Prokip refused this server's connection. Contact Prokip Sync support.");
  return new SyncError("prokip_unreachable", PROKIP_UNREACHABLE);
}

/**
 * The location step: the Location of the signed-in business and the store's Connection (a store
 * disconnected before gets its row back, history included), credentials checked against the
 * store and sealed. Choosing the location a connected store already sells from is answered with
 * its connection (a second click changes nothing).
 */
export async function chooseLocation(
  deps: MerchantDeps,
  store: StoreRef,
  input: ChooseLocationInput,
): Promise<{ connectionId: string }> {
  const ref = parseStoreRef(store);
  const parsed = chooseLocationSchema.safeParse(input);
  if (!parsed.success) throw new SyncError("invalid_input", "The location choice is not valid", issuesOf(parsed.error));
  const { prokipLocationId, credentials } = parsed.data;
  if (credentials.platform !== ref.platform)
    throw new SyncError("invalid_input", "These credentials are for another kind of store", [
      { path: "credentials.platform", message: `expected ${ref.platform}` },
    ]);

  const signIn = await storeSignIn(deps, ref);
  if (!signIn) throw new SyncError("store_not_connected", "Sign in to Prokip first");
  const location = signIn.locations.find((l) => l.prokipLocationId === prokipLocationId);
  if (!location)
    throw new SyncError("invalid_input", `That location is not one of ${signIn.businessName}'s`, [
      { path: "prokipLocationId", message: "unknown location" },
    ]);

  const existing = await storeConnection(deps, ref);
  if (existing && existing.status !== "disconnected") {
    if (existing.businessId === signIn.businessId && existing.prokipLocationId === prokipLocationId)
      return { connectionId: existing.id };
    throw new SyncError(
      "invalid_input",
      "This store is already connected. Disconnect it first to choose another location.",
    );
  }
  if (existing && existing.businessId !== signIn.businessId) {
    // Its orders and stock history are the other business's records and stay with it.
    throw new SyncError(
      "invalid_input",
      "This store was connected to another Prokip business before. Sign in to that business to connect it again.",
    );
  }

  const row = await deps.prisma.location.upsert({
    where: { businessId_prokipLocationId: { businessId: signIn.businessId, prokipLocationId } },
    create: { businessId: signIn.businessId, prokipLocationId, name: location.name },
    update: { name: location.name, isActive: true },
    select: { id: true },
  });
  const connected = await connectStore(
    { prisma: deps.prisma, channels: deps.channels, publicUrl: deps.publicUrl },
    { businessId: signIn.businessId, locationId: row.id, storeDomain: ref.storeDomain, credentials },
  );
  // The app's sessions of the shop now belong to the business (Session's tenant key, see schema).
  if (ref.platform === "shopify")
    await deps.prisma.session.updateMany({ where: { shop: ref.storeDomain }, data: { businessId: signIn.businessId } });
  deps.log.info(
    { storeDomain: ref.storeDomain, connectionId: connected.connectionId, prokipLocationId },
    "store connected",
  );
  return { connectionId: connected.connectionId };
}

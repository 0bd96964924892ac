/**
 * Which screen a store opens on, from what is stored (so a reload lands on the same step):
 * no sign-in -> Connect Prokip; signed in (StoreSignIn) but no live connection -> the location
 * step; connected but products not set up (`setupStrategy` unset, or a run still going or
 * failed) -> the setup wizard; set up -> the dashboard.
 */
import { z } from "zod";
import { SyncError } from "../domain/index.ts";
import { getSyncRun, type SyncRunView } from "../setup/index.ts";
import { issuesOf } from "./connection.ts";
import type { MerchantDeps, ProkipLocationChoice, StoreRef, StoreStage } from "./types.ts";

const storeRefSchema = z
  .object({ platform: z.enum(["shopify", "woocommerce"]), storeDomain: z.string().trim().min(3).max(255) })
  .strict();

/** The store a screen acts on, validated: `invalid_input` when it is not a store reference. */
export function parseStoreRef(store: StoreRef): StoreRef {
  const parsed = storeRefSchema.safeParse(store);
  if (!parsed.success) throw new SyncError("invalid_input", "The store is not named correctly", issuesOf(parsed.error));
  return parsed.data;
}

export async function storeStage(deps: MerchantDeps, store: StoreRef): Promise<StoreStage> {
  const ref = parseStoreRef(store);
  const connection = await storeConnection(deps, ref);
  if (connection && connection.status !== "disconnected") {
    if (connection.setupStrategy !== null) return { stage: "ready", connectionId: connection.id };
    const runs = await setupRunsSinceConnect(deps, connection);
    return { stage: "set_up_products", connectionId: connection.id, activeRun: runs.active, lastRun: runs.last };
  }
  const signIn = await storeSignIn(deps, ref);
  if (signIn)
    return {
      stage: "choose_location",
      businessName: signIn.businessName,
      locations: await locationChoices(deps, signIn, ref),
    };
  return { stage: "connect_prokip", sampleDataAvailable: deps.sampleData !== null };
}

export interface StoreConnectionRow {
  id: string;
  businessId: string;
  status: "active" | "paused" | "needs_attention" | "disconnected";
  setupStrategy: "push" | "pull" | null;
  connectedAt: Date | null;
  locationId: string;
  prokipLocationId: number | null;
}

/** The store's connection row whatever its status (a disconnected one keeps its history); null if none. */
export async function storeConnection(
  deps: Pick<MerchantDeps, "pool">,
  ref: StoreRef,
): Promise<StoreConnectionRow | null> {
  const { rows } = await deps.pool.query<StoreConnectionRow>(
    `SELECT c."id", c."businessId", c."status", c."setupStrategy", c."connectedAt", c."locationId", l."prokipLocationId"
     FROM "Connection" c JOIN "Location" l ON l."id" = c."locationId"
     WHERE c."storeDomain" = $1 AND c."platform" = $2::"Platform"`,
    [ref.storeDomain, ref.platform],
  );
  return rows[0] ?? null;
}

/** A Prokip location as kept with the sign-in. */
export const signedInLocationSchema = z.object({ prokipLocationId: z.number().int(), name: z.string() });

export interface StoreSignInRow {
  businessId: string;
  businessName: string;
  locations: z.infer<typeof signedInLocationSchema>[];
}

export async function storeSignIn(deps: Pick<MerchantDeps, "pool">, ref: StoreRef): Promise<StoreSignInRow | null> {
  const { rows } = await deps.pool.query<{ businessId: string; businessName: string; locations: unknown }>(
    `SELECT s."businessId", b."name" AS "businessName", s."locations" FROM "StoreSignIn" s JOIN "Business" b ON b."id" = s."businessId"
     WHERE s."platform" = $1::"Platform" AND s."storeDomain" = $2`,
    [ref.platform, ref.storeDomain],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    businessId: row.businessId,
    businessName: row.businessName,
    locations: z.array(signedInLocationSchema).parse(row.locations),
  };
}

/** The business's locations, each with the other stores of the business already selling from it. */
export async function locationChoices(
  deps: Pick<MerchantDeps, "pool">,
  signIn: Pick<StoreSignInRow, "businessId" | "locations">,
  ref: StoreRef,
): Promise<ProkipLocationChoice[]> {
  const { rows } = await deps.pool.query<{ prokipLocationId: number; storeDomain: string }>(
    `SELECT l."prokipLocationId", c."storeDomain" FROM "Connection" c JOIN "Location" l ON l."id" = c."locationId"
     WHERE c."businessId" = $1 AND c."status" <> 'disconnected' AND c."storeDomain" <> $2 AND l."prokipLocationId" IS NOT NULL
     ORDER BY c."storeDomain"`,
    [signIn.businessId, ref.storeDomain],
  );
  return signIn.locations.map((location) => ({
    prokipLocationId: location.prokipLocationId,
    name: location.name,
    usedBy: rows.filter((row) => row.prokipLocationId === location.prokipLocationId).map((row) => row.storeDomain),
  }));
}

/**
 * The store's setup runs since it was (last) connected: the one queued or running, and the
 * latest finished. Runs from before a reconnect belong to the earlier connection.
 */
async function setupRunsSinceConnect(
  deps: Pick<MerchantDeps, "prisma">,
  connection: StoreConnectionRow,
): Promise<{ active: SyncRunView | null; last: SyncRunView | null }> {
  const runs = await deps.prisma.syncRun.findMany({
    where: {
      connectionId: connection.id,
      dryRun: false,
      kind: { in: ["push", "pull"] },
      ...(connection.connectedAt ? { createdAt: { gte: connection.connectedAt } } : {}),
    },
    orderBy: { createdAt: "desc" },
    select: { id: true, state: true },
    take: 10,
  });
  const active = runs.find((run) => run.state === "queued" || run.state === "running");
  const last = runs.find((run) => run.state === "succeeded" || run.state === "failed");
  return {
    active: active ? await getSyncRun(deps, active.id) : null,
    last: last ? await getSyncRun(deps, last.id) : null,
  };
}

/**
 * The "Set up products" wizard for one store: the dry-run preview, the run itself (queued here,
 * carried out by a worker of the `setup` queue, polled by the screen), and the import file of
 * products Prokip lacks after a pull.
 */
import { z } from "zod";
import { ChannelError, type PosSystem } from "../channels/index.ts";
import { channelForConnection, posForBusiness } from "../connections/index.ts";
import { SyncError } from "../domain/index.ts";
import {
  createSetupRun,
  getSyncRun,
  parseSetupRequest,
  previewSetup,
  type SetupDeps,
  type SetupPreview,
  type SyncRunView,
} from "../setup/index.ts";
import { PROKIP_UNREACHABLE } from "./connect.ts";
import { connectedStore, issuesOf } from "./connection.ts";
import { parseStoreRef, storeConnection } from "./stage.ts";
import type { MerchantDeps, StoreRef } from "./types.ts";

/** What the wizard sends: the strategy and its options (`connectionId` is the store's own, never sent). */
export interface StoreSetupRequest {
  strategy: "push" | "pull";
  options?: object;
}

export async function previewStoreSetup(
  deps: MerchantDeps,
  store: StoreRef,
  request: StoreSetupRequest,
): Promise<SetupPreview> {
  const connection = await connectedStore(deps, store);
  try {
    return await previewSetup(setupDeps(deps), { ...asObject(request), connectionId: connection.id });
  } catch (error) {
    // The store refusing our access: its connection has to be made again.
    if (error instanceof ChannelError && error.code === "unauthorized")
      throw new SyncError("store_not_connected", `The store refused Prokip Sync's access: ${error.message}`);
    throw error;
  }
}

/**
 * Queues a setup run and asks a worker to carry it out. While one is queued or running, that
 * one is answered instead of starting another (a second click, two tabs).
 */
export async function startStoreSetup(
  deps: MerchantDeps,
  store: StoreRef,
  request: StoreSetupRequest,
): Promise<SyncRunView> {
  const connection = await connectedStore(deps, store);
  const input = { ...asObject(request), connectionId: connection.id };
  parseSetupRequest(input); // a bad request is refused even while a run goes
  const running = await activeSetupRuns(deps, connection.id);
  if (running[0]) return (await getSyncRun(deps, running[0]))!;
  const runId = await createSetupRun(deps, input);
  // Two requests at once may both have created a run: the older one stands, this one is withdrawn.
  const first = (await activeSetupRuns(deps, connection.id))[0];
  if (first && first !== runId) {
    await deps.prisma.syncRun.updateMany({
      where: { id: runId, state: "queued" },
      data: { state: "cancelled", finishedAt: new Date() },
    });
    return (await getSyncRun(deps, first))!;
  }
  await deps.jobs.setup(connection.id, runId);
  return (await getSyncRun(deps, runId))!;
}

/** A setup run of this store (preview or run), for the progress bar and the summary. */
export async function storeSetupRun(deps: MerchantDeps, store: StoreRef, runId: string): Promise<SyncRunView> {
  return ownRun(deps, store, runId);
}

/** A pull's file of the store's products that Prokip lacks, in UltimatePOS's product import layout. */
export async function missingInProkipFile(
  deps: MerchantDeps,
  store: StoreRef,
  runId: string,
): Promise<{ filename: string; csv: string }> {
  const run = await ownRun(deps, store, runId);
  if (run.missingInProkipCsv === null)
    throw new SyncError("not_found", "This setup has no file of products missing in Prokip");
  const day = (run.finishedAt ?? run.createdAt).toISOString().slice(0, 10);
  return {
    filename: `products-missing-in-prokip-${slug(parseStoreRef(store).storeDomain)}-${day}.csv`,
    csv: run.missingInProkipCsv,
  };
}

/** The run, if it is this store's: another store's run, or none, is `not_found` alike. */
async function ownRun(deps: MerchantDeps, store: StoreRef, runId: string): Promise<SyncRunView> {
  const ref = parseStoreRef(store);
  const notFound = new SyncError("not_found", "There is no such setup for this store");
  if (typeof runId !== "string" || !UUID.test(runId)) throw notFound;
  const connection = await storeConnection(deps, ref);
  if (!connection) throw notFound;
  const run = await getSyncRun(deps, runId);
  if (!run || run.connectionId !== connection.id || (run.kind !== "push" && run.kind !== "pull")) throw notFound;
  return run;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

async function activeSetupRuns(deps: Pick<MerchantDeps, "prisma">, connectionId: string): Promise<string[]> {
  const runs = await deps.prisma.syncRun.findMany({
    where: { connectionId, dryRun: false, kind: { in: ["push", "pull"] }, state: { in: ["queued", "running"] } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { id: true },
  });
  return runs.map((run) => run.id);
}

/** Only the strategy and its options: a `connectionId` (or anything else) is refused, the store's own is added. */
const requestSchema = z.object({ strategy: z.unknown(), options: z.unknown().optional() }).strict();

function asObject(request: unknown): Record<string, unknown> {
  const parsed = requestSchema.safeParse(request);
  if (!parsed.success) throw new SyncError("invalid_input", "The setup request is not valid", issuesOf(parsed.error));
  return parsed.data;
}

function slug(storeDomain: string): string {
  return storeDomain
    .replace(/^https?:\/\//u, "")
    .replace(/[^a-z0-9]+/giu, "-")
    .replace(/^-|-$/gu, "")
    .toLowerCase();
}

/** Setup's dependencies for a preview made while the merchant waits; Prokip's failures in the merchant's words. */
function setupDeps(deps: MerchantDeps): SetupDeps {
  return {
    prisma: deps.prisma,
    pool: deps.pool,
    log: deps.log,
    channelFor: (connection) => channelForConnection(connection, deps.channels),
    posFor: async (businessId) =>
      merchantErrors(
        await posForBusiness(deps.prisma, businessId, {
          client: deps.prokip.client,
          encryptionKey: deps.encryptionKey,
          log: deps.log,
        }),
      ),
  };
}

function merchantErrors(pos: PosSystem): PosSystem {
  return new Proxy(pos, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          if (error instanceof ChannelError && error.code === "unauthorized") {
            throw new SyncError(
              "prokip_rejected_credentials",
              "Prokip no longer accepts the saved sign-in. Sign in to Prokip again.",
            );
          }
          if (error instanceof ChannelError && error.code === "unavailable")
            throw new SyncError("prokip_unreachable", PROKIP_UNREACHABLE);
          throw error;
        }
      };
    },
  });
}

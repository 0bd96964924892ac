/**
 * Running a setup: the plan the preview showed, carried out as a SyncRun.
 *
 * Steps, for push and pull alike: import Prokip's catalogue as Variants, set where each
 * variant's stock starts, write the store's variants as Listings (matched, unmatched or in
 * conflict), then (push) create in the store the products Prokip has and the store lacks, or
 * (pull) produce the import file of the products Prokip lacks, and finally make the store show
 * each linked listing's target.
 *
 * One item failing never stops the run: it is counted, listed with its SKU, and the rest goes
 * on. Only what concerns the whole run (the store or Prokip refusing our credentials, or being
 * unreachable while reading the catalogues) fails it.
 */
import { ChannelError, type Channel, type StoreVariant } from "../channels/index.ts";
import { isSyncError, normalizeSku, SyncError } from "../domain/index.ts";
import type { Logger } from "../log/index.ts";
import { importVariations, type ProkipImport } from "./catalogue.ts";
import { loadSetupContext, readCatalogues, type SetupContext } from "./context.ts";
import { missingInProkipCsv } from "./csv.ts";
import { alignStoreQuantities, writeListings, type ListingWrite } from "./listings.ts";
import { parseSetupRequest, type SetupRequest } from "./options.ts";
import type { CreateWork, LinkWork } from "./plan.ts";
import { buildPlan } from "./preview.ts";
import { claimRun, createQueuedRun, finishRun, getSyncRun, RunProgress, type StoredCounts } from "./runs.ts";
import { recordOpeningStock } from "./stock.ts";
import type { PreviewRow, SetupDeps, SetupItemError, SetupResults, SyncRunView } from "./types.ts";

/** Rows whose listings are written in one transaction. */
const LISTING_BATCH = 250;
/** Products sent to the store per createProducts call; progress is saved after each. */
const PRODUCT_BATCH = 20;

/** Validates the request and queues a run; `executeSetupRun` carries it out (now or in a worker). */
export async function createSetupRun(deps: Pick<SetupDeps, "prisma">, input: unknown): Promise<string> {
  const request = parseSetupRequest(input);
  const context = await loadSetupContext(deps, request.connectionId);
  return createQueuedRun(deps.prisma, context, { strategy: request.strategy, options: request.options });
}

/** Queues and carries out a setup; resolves with the finished run. */
export async function runSetup(deps: SetupDeps, input: unknown): Promise<SyncRunView> {
  return executeSetupRun(deps, await createSetupRun(deps, input));
}

/** Carries out a queued run. A run that is not queued (taken by another worker, finished) is only read back. */
export async function executeSetupRun(deps: SetupDeps, runId: string): Promise<SyncRunView> {
  const run = await getSyncRun(deps, runId);
  if (!run) throw new SyncError("invalid_input", `No sync run ${runId}`);
  if (run.kind !== "push" && run.kind !== "pull")
    throw new SyncError("invalid_input", `Sync run ${runId} is not a product setup`);
  if (!(await claimRun(deps.prisma, runId))) return run;

  const log = deps.log.child({ syncRunId: runId, connectionId: run.connectionId });
  const progress = new RunProgress(deps.prisma, runId);
  const stored: StoredCounts = {};
  try {
    const request = parseSetupRequest({ connectionId: run.connectionId, strategy: run.kind, options: run.options });
    const context = await loadSetupContext(deps, request.connectionId);
    await carryOut(deps, context, request, progress, stored, log);
    await finishRun(deps.prisma, progress, { state: "succeeded", counts: stored });
    await deps.prisma.connection.update({
      where: { id: context.connection.id },
      data: { setupStrategy: request.strategy, lastSyncAt: new Date() },
    });
    log.info({ total: progress.total, failed: progress.failed, ...stored.results }, "product setup finished");
  } catch (error) {
    log.error({ err: error }, "product setup failed");
    progress.notice([{ sku: null, product: null, message: runFailure(error) }]);
    await finishRun(deps.prisma, progress, { state: "failed", counts: stored });
  }
  return (await getSyncRun(deps, runId))!;
}

async function carryOut(
  deps: SetupDeps,
  context: SetupContext,
  request: SetupRequest,
  progress: RunProgress,
  stored: StoredCounts,
  log: Logger,
): Promise<void> {
  const catalogues = await readCatalogues(deps, context);
  // Planned before anything is written, from the same state the preview saw.
  const plan = await buildPlan(deps, context, request, catalogues);
  const imported = await importVariations(deps, context.connection.businessId, catalogues.prokip);
  const results: SetupResults = {
    variantsImported: imported.variantIds.size,
    productsCreated: 0,
    listingsMatched: 0,
    listingsUnmatched: 0,
    listingsInConflict: 0,
    quantitiesWritten: 0,
    quantitiesPending: 0,
  };
  stored.actions = plan.counts;
  stored.results = results;
  progress.total = plan.rows.length;
  await progress.save();

  await recordOpeningStock(deps, context, {
    pos: catalogues.pos,
    imported,
    opening: plan.opening,
    runId: progress.runId,
  });
  const linked: string[] = [];
  await linkListings(deps, context, plan.links, imported, { progress, results, linked });
  if (request.strategy === "push") {
    await createInStore(deps, context, catalogues.channel, plan.creates, imported, { progress, results, linked });
  } else {
    stored.missingInProkipCsv = missingInProkipCsv(plan.missingInProkip, { locationName: context.locationName });
  }

  const alignment = await alignStoreQuantities(deps, context, catalogues.channel, linked, progress.runId);
  results.quantitiesWritten = alignment.written;
  results.quantitiesPending = alignment.pending.length;
  progress.notice(
    alignment.pending.map((p) => ({
      sku: p.sku,
      product: p.title,
      message: "The store's stock could not be updated yet; sync will try again.",
    })),
  );
  if (alignment.pending.length > 0)
    log.warn({ pending: alignment.pending.length }, "store quantities left for the drain");
}

interface Tally {
  progress: RunProgress;
  results: SetupResults;
  /** Matched listings, whose store quantity is set at the end. */
  linked: string[];
}

/** Matched, unmatched and conflicting store variants as listings, a batch of rows at a time. */
async function linkListings(
  deps: SetupDeps,
  context: SetupContext,
  links: readonly LinkWork[],
  imported: ProkipImport,
  tally: Tally,
): Promise<void> {
  for (let i = 0; i < links.length; i += LISTING_BATCH) {
    const batch = links.slice(i, i + LISTING_BATCH);
    const writable: LinkWork[] = [];
    const failures: SetupItemError[] = [];
    for (const work of batch) {
      const unimported = work.listings.some((l) => l.variantSku !== null && !imported.variantIds.has(l.variantSku));
      if (unimported) failures.push(itemError(work.row, "This Prokip product could not be imported."));
      else writable.push(work);
    }
    const writes: ListingWrite[] = writable.flatMap((work) =>
      work.listings.map((l) => ({
        store: l.store,
        matchStatus: l.matchStatus,
        variantId: l.variantSku === null ? null : imported.variantIds.get(l.variantSku)!,
        pushedQuantity: null,
      })),
    );
    try {
      record(tally, await writeListings(deps.pool, context, writes));
      tally.progress.handled(writable.length);
    } catch (error) {
      failures.push(...writable.map((work) => itemError(work.row, `Could not be saved: ${messageOf(error)}`)));
    }
    tally.progress.failedItems(failures);
    await tally.progress.save();
  }
}

/** Push: the products Prokip has and the store lacks, created in the store and linked. */
async function createInStore(
  deps: SetupDeps,
  context: SetupContext,
  channel: Channel,
  creates: readonly CreateWork[],
  imported: ProkipImport,
  tally: Tally,
): Promise<void> {
  for (let i = 0; i < creates.length; i += PRODUCT_BATCH) {
    const batch = creates.slice(i, i + PRODUCT_BATCH);
    // Refusals of single products come back in `failed`; a throw concerns the whole store.
    const result = await channel.createProducts(batch.map((work) => work.draft));
    const createdBySku = new Map(
      result.created.flatMap((product) =>
        product.variants.map((variant) => [normalizeSku(variant.sku), variant] as const),
      ),
    );
    const refusalByTitle = new Map(result.failed.map((failure) => [failure.title, failure.message]));
    const writes: (ListingWrite & { row: PreviewRow })[] = [];
    const failures: SetupItemError[] = [];
    for (const work of batch) {
      let createdAny = false;
      work.draft.variants.forEach((variant, index) => {
        const row = work.rows[index]!;
        const sku = normalizeSku(variant.sku);
        const created = sku === null ? undefined : createdBySku.get(sku);
        const variantId = sku === null ? undefined : imported.variantIds.get(sku);
        if (!created || !variantId) {
          failures.push(
            itemError(row, refusalByTitle.get(work.draft.title) ?? "The store did not create this product."),
          );
          return;
        }
        createdAny = true;
        const store: StoreVariant = {
          ...created,
          productTitle: work.draft.title,
          title: variant.optionValue ?? work.draft.title,
          price: variant.price,
          quantity: variant.quantity,
        };
        writes.push({ row, store, matchStatus: "matched", variantId, pushedQuantity: variant.quantity });
      });
      if (createdAny) tally.results.productsCreated += 1;
    }
    try {
      record(tally, await writeListings(deps.pool, context, writes));
      tally.progress.handled(writes.length);
    } catch (error) {
      failures.push(
        ...writes.map((w) =>
          itemError(w.row, `Created in the store but not linked (${messageOf(error)}); run setup again to link it.`),
        ),
      );
    }
    tally.progress.failedItems(failures);
    await tally.progress.save();
  }
}

function record(tally: Tally, written: Awaited<ReturnType<typeof writeListings>>): void {
  for (const listing of written) {
    if (listing.matchStatus === "matched") {
      tally.results.listingsMatched += 1;
      tally.linked.push(listing.id);
    } else if (listing.matchStatus === "unmatched") tally.results.listingsUnmatched += 1;
    else if (listing.matchStatus === "conflict") tally.results.listingsInConflict += 1;
  }
}

function itemError(row: PreviewRow, message: string): SetupItemError {
  return { sku: row.sku, product: row.product, message };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why the whole run stopped, in the merchant's words. */
function runFailure(error: unknown): string {
  if (error instanceof ChannelError) {
    if (error.code === "unauthorized")
      return `The store or Prokip refused the saved sign-in; reconnect it and run setup again. (${error.message})`;
    if (error.code === "unavailable")
      return `The store or Prokip is not reachable right now; try again in a few minutes. (${error.message})`;
  }
  if (isSyncError(error)) return error.message;
  return `Setup stopped: ${messageOf(error)}`;
}

/**
 * The dry run: what setup would do, row by row, with nothing written but the record of the
 * preview itself (a SyncRun with dryRun: true), so the wizard can show it again.
 */
import type { Catalogues, SetupContext } from "./context.ts";
import { knownAvailability, loadSetupContext, readCatalogues } from "./context.ts";
import { parseSetupRequest, type SetupRequest } from "./options.ts";
import { planSetup, type SetupPlan } from "./plan.ts";
import { recordPreview } from "./runs.ts";
import type { SetupDeps, SetupPreview } from "./types.ts";

export async function previewSetup(deps: SetupDeps, input: unknown): Promise<SetupPreview> {
  const request = parseSetupRequest(input);
  const context = await loadSetupContext(deps, request.connectionId);
  const plan = await buildPlan(deps, context, request, await readCatalogues(deps, context));
  const runId = await recordPreview(deps.prisma, context, {
    strategy: request.strategy,
    options: request.options,
    rows: plan.rows,
    counts: plan.counts,
  });
  return {
    runId,
    connectionId: context.connection.id,
    strategy: request.strategy,
    rows: plan.rows,
    counts: plan.counts,
  };
}

/** The plan for a request, from the catalogues as read and the stock the ledger holds. */
export async function buildPlan(
  deps: Pick<SetupDeps, "pool">,
  context: SetupContext,
  request: SetupRequest,
  catalogues: Catalogues,
): Promise<SetupPlan> {
  return planSetup({
    strategy: request.strategy,
    pushOptions: request.strategy === "push" ? request.options : null,
    prokip: catalogues.prokip,
    store: catalogues.store,
    prokipLocationId: context.prokipLocationId,
    buffer: context.connection.buffer,
    mode: context.mode,
    knownAvailable: await knownAvailability(deps, context),
  });
}

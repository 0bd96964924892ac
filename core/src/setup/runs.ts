/**
 * Setup runs as SyncRun rows, so the wizard can show progress while a run works and the result
 * (or a preview) again later.
 *
 * `counts` (JSON) holds `{ actions, results, preview?, missingInProkipCsv? }`: the rows per
 * action, what the run did, a dry run's rows and a pull's import file. `errors` holds one entry
 * per item that failed, and entries for stock still to be written (those are not failures).
 */
import { z } from "zod";
import { SyncError } from "../domain/index.ts";
import type { Prisma, PrismaClient } from "../store/index.ts";
import type { SetupContext } from "./context.ts";
import type { ActionCounts, PreviewRow, SetupItemError, SetupResults, SetupStrategy, SyncRunView } from "./types.ts";

export interface StoredCounts {
  actions?: ActionCounts;
  results?: SetupResults;
  preview?: PreviewRow[];
  missingInProkipCsv?: string;
}

/** Our own plain objects as a JSON column value (undefined fields dropped, as JSON would). */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;

/** A dry run, stored finished: nothing else was written. */
export async function recordPreview(
  prisma: PrismaClient,
  context: SetupContext,
  input: { strategy: SetupStrategy; options: object; rows: PreviewRow[]; counts: ActionCounts },
): Promise<string> {
  const now = new Date();
  const run = await prisma.syncRun.create({
    data: {
      businessId: context.connection.businessId,
      connectionId: context.connection.id,
      kind: input.strategy,
      dryRun: true,
      state: "succeeded",
      total: input.rows.length,
      done: input.rows.length,
      options: asJson(input.options),
      counts: asJson({ actions: input.counts, preview: input.rows } satisfies StoredCounts),
      startedAt: now,
      finishedAt: now,
    },
    select: { id: true },
  });
  return run.id;
}

export async function createQueuedRun(
  prisma: PrismaClient,
  context: SetupContext,
  input: { strategy: SetupStrategy; options: object },
): Promise<string> {
  const run = await prisma.syncRun.create({
    data: {
      businessId: context.connection.businessId,
      connectionId: context.connection.id,
      kind: input.strategy,
      state: "queued",
      options: asJson(input.options),
    },
    select: { id: true },
  });
  return run.id;
}

/** queued -> running; false when the run is not queued (another worker took it, or it is done). */
export async function claimRun(prisma: PrismaClient, runId: string): Promise<boolean> {
  const { count } = await prisma.syncRun.updateMany({
    where: { id: runId, state: "queued", dryRun: false },
    data: { state: "running", startedAt: new Date() },
  });
  return count === 1;
}

/** Progress as the run goes; `save` makes it visible to whoever polls the run. */
export class RunProgress {
  total = 0;
  done = 0;
  failed = 0;
  readonly errors: SetupItemError[] = [];

  constructor(
    private readonly prisma: PrismaClient,
    readonly runId: string,
  ) {}

  handled(count: number): void {
    this.done += count;
  }

  failedItems(items: readonly SetupItemError[]): void {
    this.done += items.length;
    this.failed += items.length;
    this.errors.push(...items);
  }

  /** Worth showing, but not a failed item (e.g. stock that sync still has to write). */
  notice(items: readonly SetupItemError[]): void {
    this.errors.push(...items);
  }

  async save(): Promise<void> {
    await this.prisma.syncRun.update({
      where: { id: this.runId },
      data: { total: this.total, done: this.done, failed: this.failed, errors: asJson(this.errors) },
    });
  }
}

export async function finishRun(
  prisma: PrismaClient,
  progress: RunProgress,
  outcome: { state: "succeeded" | "failed"; counts: StoredCounts },
): Promise<void> {
  await prisma.syncRun.update({
    where: { id: progress.runId },
    data: {
      state: outcome.state,
      total: progress.total,
      done: progress.done,
      failed: progress.failed,
      errors: asJson(progress.errors),
      counts: asJson(outcome.counts),
      finishedAt: new Date(),
    },
  });
}

const runIdSchema = z.uuid();

/** A run as the wizard and the staff API show it; null when there is no such run. */
export async function getSyncRun(deps: { prisma: PrismaClient }, id: string): Promise<SyncRunView | null> {
  if (!runIdSchema.safeParse(id).success)
    throw new SyncError("invalid_input", "A sync run id is a UUID", [{ path: "id", message: "Invalid UUID" }]);
  const run = await deps.prisma.syncRun.findUnique({ where: { id } });
  if (!run) return null;
  const stored = (run.counts ?? {}) as StoredCounts;
  const finished = run.state === "succeeded" || run.state === "failed" || run.state === "cancelled";
  return {
    id: run.id,
    businessId: run.businessId,
    connectionId: run.connectionId,
    kind: run.kind,
    dryRun: run.dryRun,
    state: run.state,
    total: run.total,
    done: run.done,
    failed: run.failed,
    progress: run.total > 0 ? Math.min(1, run.done / run.total) : finished ? 1 : 0,
    options: run.options,
    counts: stored.actions ?? null,
    results: stored.results ?? null,
    errors: Array.isArray(run.errors) ? (run.errors as unknown as SetupItemError[]) : [],
    preview: stored.preview ?? null,
    missingInProkipCsv: stored.missingInProkipCsv ?? null,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    createdAt: run.createdAt,
  };
}

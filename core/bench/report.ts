/**
 * Benchmarks print a readable table and write the same figures as JSON to
 * bench-results/<benchmark>.json (git-ignored). They never assert.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../src/store/index.ts";

export interface Measurement {
  events: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMb: number;
}

export function percentile(sortedMs: readonly number[], p: number): number {
  if (sortedMs.length === 0) return 0;
  const index = Math.min(sortedMs.length - 1, Math.max(0, Math.ceil((p / 100) * sortedMs.length) - 1));
  return sortedMs[index]!;
}

/** Samples the process RSS while `work` runs and returns the peak, in MB. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 25);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRssMb: Math.round((peak / 1024 / 1024) * 10) / 10 };
  } finally {
    clearInterval(timer);
  }
}

/** Runs `task` over `items` with `concurrency` workers, timing each call. */
export function timedPool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<unknown>,
): Promise<Measurement> {
  return timedBatches(items, concurrency, 1, ([item]) => task(item!));
}

/**
 * Like timedPool, but each worker takes up to `batchSize` waiting items at once, as the inbox
 * worker does. An item's latency is its batch's: it is done when its batch commits.
 */
export async function timedBatches<T>(
  items: readonly T[],
  concurrency: number,
  batchSize: number,
  task: (batch: T[]) => Promise<unknown>,
): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const { peakRssMb } = await withPeakRss(async () => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < items.length) {
          const batch = items.slice(next, next + batchSize);
          next += batch.length;
          const t = performance.now();
          await task(batch);
          const elapsed = performance.now() - t;
          for (let i = 0; i < batch.length; i++) latencies.push(elapsed);
        }
      }),
    );
  });
  return measurement(items.length, latencies, started, peakRssMb);
}

function measurement(events: number, latencies: number[], started: number, peakRssMb: number): Measurement {
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    events,
    seconds: round(seconds, 2),
    perSecond: Math.round(events / seconds),
    p50Ms: round(percentile(latencies, 50), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    peakRssMb,
  };
}

export function report(
  benchmark: string,
  title: string,
  rows: Record<string, Record<string, string | number>>,
  extra: Record<string, unknown> = {},
): void {
  const columns = [...new Set(Object.values(rows).flatMap((row) => Object.keys(row)))];
  const table = [
    ["", ...columns],
    ...Object.entries(rows).map(([name, row]) => [name, ...columns.map((column) => String(row[column] ?? ""))]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  console.log(`\n${title}`);
  console.log(line(table[0]!));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table.slice(1)) console.log(line(row));
  for (const [key, value] of Object.entries(extra))
    console.log(`${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
  const dir = path.join(projectRoot, "bench-results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${benchmark}.json`),
    `${JSON.stringify({ benchmark, title, measuredAt: new Date().toISOString(), rows, ...extra }, null, 2)}\n`,
  );
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * `npm run bench`: every core benchmark, one after another (figures printed, never asserted).
 * Each runs in a fresh process, so one benchmark's memory and warm caches do not colour the
 * next one's figures (peak RSS especially). `node --import tsx bench/run.ts <name>` runs one.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { cataloguePushBenchmark } from "./catalogue-push.bench.ts";
import { orderIngestBenchmark } from "./order-ingest.bench.ts";
import { propagationBenchmark } from "./propagation.bench.ts";
import { webhookIngestBenchmark } from "./webhook-ingest.bench.ts";

const benchmarks: Record<string, () => Promise<void>> = {
  "order-ingest": orderIngestBenchmark,
  "webhook-ingest": webhookIngestBenchmark,
  propagation: propagationBenchmark,
  "catalogue-push": cataloguePushBenchmark,
};

const only = process.argv[2];
if (only) {
  const run = benchmarks[only];
  if (!run) throw new Error(`No benchmark "${only}"; there are: ${Object.keys(benchmarks).join(", ")}`);
  await run();
} else {
  for (const name of Object.keys(benchmarks)) {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], {
      stdio: "inherit",
    });
    if (child.status !== 0) process.exitCode = child.status ?? 1;
  }
}

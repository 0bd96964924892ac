/** `npm run bench`: every core benchmark, one after another (figures printed, never asserted). */
import { orderIngestBenchmark } from "./order-ingest.bench.ts";
import { webhookIngestBenchmark } from "./webhook-ingest.bench.ts";

const only = process.argv[2];
const benchmarks: Record<string, () => Promise<void>> = {
  "order-ingest": orderIngestBenchmark,
  "webhook-ingest": webhookIngestBenchmark,
};
for (const [name, run] of Object.entries(benchmarks)) {
  if (!only || only === name) await run();
}

/** `npm run bench`: every core benchmark, one after another (figures printed, never asserted). */
import { cataloguePushBenchmark } from "./catalogue-push.bench.ts";
import { orderIngestBenchmark } from "./order-ingest.bench.ts";
import { propagationBenchmark } from "./propagation.bench.ts";
import { webhookIngestBenchmark } from "./webhook-ingest.bench.ts";

const only = process.argv[2];
const benchmarks: Record<string, () => Promise<void>> = {
  "order-ingest": orderIngestBenchmark,
  "webhook-ingest": webhookIngestBenchmark,
  propagation: propagationBenchmark,
  "catalogue-push": cataloguePushBenchmark,
};
for (const [name, run] of Object.entries(benchmarks)) {
  if (!only || only === name) await run();
}

/** `npm run bench`: every core benchmark, one after another (figures printed, never asserted). */
import { orderIngestBenchmark } from "./order-ingest.bench.ts";

await orderIngestBenchmark();

/**
 * The backend alone (no Shopify app): webhooks, /healthz, /metrics, the sandbox, the job
 * workers. `npm start` runs the same backend through the Shopify app's server
 * (shopify-app/server.ts), which adds the app's routes; this entry point is what the tests,
 * the chaos suite and the benchmarks start, and what a deployment without the app would run.
 * See host/backend.ts for what starts when, and how it stops.
 */
import { exitIfStartupRefused, startBackend } from "./host/index.ts";

await startBackend().catch(exitIfStartupRefused);

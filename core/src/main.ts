/**
 * The backend alone (no Shopify app): webhooks, /healthz, /metrics, the sandbox, the job
 * workers. `npm start` runs the same backend through the Shopify app's server
 * (shopify-app/server.ts), which adds the app's routes; this entry point is what the tests,
 * the chaos suite and the benchmarks start, and what a deployment without the app would run.
 * See host/backend.ts for what starts when, and how it stops.
 *
 * A host, like server.ts: it wires the sandbox in. The sandbox package is imported only in
 * sandbox mode (startBackend calls the factory only then); core's own code never imports it.
 */
import { exitIfStartupRefused, startBackend } from "./host/index.ts";

await startBackend({
  sandbox: async (request) => (await import("@prokip-sync/sandbox")).sandboxForBackend(request),
}).catch(exitIfStartupRefused);

/**
 * `npm run emulator -- <shopify|woocommerce|prokip> --port N [--host H] [--no-demo]`:
 * one emulator on its own port (benchmarks run the emulators in a separate process this way).
 * Prints one JSON line with the URL and the demo credentials, then serves until Ctrl-C.
 */
import { parseArgs } from "node:util";
import { startProkipEmulator } from "./prokip/index.ts";
import { startShopifyEmulator } from "./shopify/index.ts";
import { startWooCommerceEmulator } from "./woocommerce/index.ts";

const usage = "usage: npm run emulator -- <shopify|woocommerce|prokip> --port N [--host 127.0.0.1] [--no-demo]";
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    "no-demo": { type: "boolean", default: false },
  },
});
const name = positionals[0];
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535 || !["shopify", "woocommerce", "prokip"].includes(name ?? "")) {
  console.error(usage);
  process.exit(2);
}
const seed = !values["no-demo"];

let started: { url: string; close(): Promise<void> };
let demo: unknown = null;
if (name === "shopify") {
  const emulator = await startShopifyEmulator({ port, host: values.host });
  if (seed) demo = emulator.emulator.control.seedDemo();
  started = emulator;
} else if (name === "woocommerce") {
  const emulator = await startWooCommerceEmulator({ port, host: values.host });
  if (seed) demo = emulator.emulator.control.seedDemo();
  started = emulator;
} else {
  const emulator = await startProkipEmulator({ port, host: values.host });
  if (seed) demo = emulator.emulator.control.seedDemo();
  started = emulator;
}
console.log(JSON.stringify({ emulator: name, url: started.url, demo }));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void started.close().then(() => process.exit(0)));
}

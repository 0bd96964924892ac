/**
 * The emulated Shopify and WooCommerce for the benchmarks, in ONE process of their own (so the
 * emulators' CPU and memory are not the measured process's):
 *
 *   node --import tsx bench/bench-emulators.ts [--shopify-time-scale 0.001]
 *
 * Each emulator gets its own HTTP server on a free port with its control API (`/_control/...`),
 * plus a few benchmark routes on the WooCommerce server:
 *
 * - `GET /_bench/woo-writes`: every stock quantity the WooCommerce REST API was told to set
 *   through a batch update (`POST .../products/batch`, `.../variations/batch`), as
 *   `[atMs, id, quantity]`, stamped when the answer had been sent (the moment the writer's
 *   request returned, give or take the loopback hop); `DELETE` clears it.
 * - `GET /_bench/stats`: this process's memory, CPU time and request counts.
 *
 * Prints one JSON line `{shopify, woocommerce, pid}` (base URLs) once both listen.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { parseArgs } from "node:util";
import { shopify, woocommerce } from "@prokip-sync/sandbox";

const { values } = parseArgs({
  options: {
    "shopify-time-scale": { type: "string", default: "0.001" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
const host = values.host;
const timeScale = Number(values["shopify-time-scale"]);

const counts = { shopifyRequests: 0, wooRequests: 0 };
let peakRss = process.memoryUsage.rss();
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100).unref();

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return `http://${host}:${port}`;
}

// ---- Shopify -----------------------------------------------------------------------------------
const shopifyEmulator = shopify.createShopifyEmulator({ webhooks: { timeScale } });
const shopifyApp = Fastify({ logger: false, bodyLimit: 50 * 1024 * 1024 });
shopifyApp.addHook("onRequest", async () => {
  counts.shopifyRequests += 1;
});
await shopifyApp.register(shopifyEmulator.routes);
const shopifyUrl = await listen(shopifyApp);

// ---- WooCommerce -------------------------------------------------------------------------------
/** [answer sent at (ms since epoch), product or variation id, stock_quantity] */
let wooWrites: [number, number, number][] = [];
const wooEmulator = woocommerce.createWooCommerceEmulator({});
const wooApp = Fastify({ logger: false, bodyLimit: 50 * 1024 * 1024 });
wooApp.addHook("onRequest", async () => {
  counts.wooRequests += 1;
});
wooApp.addHook("onResponse", async (request, reply) => {
  if (request.method !== "POST" || reply.statusCode !== 200 || !/\/batch(?:\?|$)/u.test(request.url)) return;
  // The emulator's own body parser hands its routes {kind: "json", value}.
  const parsed = request.body as
    { kind?: string; value?: { update?: { id?: unknown; stock_quantity?: unknown }[] } } | undefined;
  const updates = parsed?.kind === "json" ? parsed.value?.update : undefined;
  if (!Array.isArray(updates)) return;
  const at = Date.now();
  for (const item of updates) {
    const id = Number(item.id);
    const quantity = item.stock_quantity;
    if (Number.isInteger(id) && typeof quantity === "number") wooWrites.push([at, id, quantity]);
  }
});
wooApp.get("/_bench/woo-writes", async () => ({ writes: wooWrites }));
wooApp.delete("/_bench/woo-writes", async () => {
  wooWrites = [];
  return { ok: true };
});
wooApp.get("/_bench/stats", async () => ({
  rssMb: Math.round((process.memoryUsage.rss() / 1024 / 1024) * 10) / 10,
  peakRssMb: Math.round((Math.max(peakRss, process.memoryUsage.rss()) / 1024 / 1024) * 10) / 10,
  cpuSeconds: Math.round(((process.cpuUsage().user + process.cpuUsage().system) / 1e6) * 10) / 10,
  ...counts,
}));
await wooApp.register(wooEmulator.routes);
const wooUrl = await listen(wooApp);
wooEmulator.setPublicUrl(wooUrl);

console.log(JSON.stringify({ shopify: shopifyUrl, woocommerce: wooUrl, pid: process.pid }));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void (async () => {
      await Promise.allSettled([shopifyEmulator.close(), wooEmulator.close()]);
      await Promise.allSettled([shopifyApp.close(), wooApp.close()]);
      process.exit(0);
    })();
  });
}

/**
 * Sandbox mode: the emulators mounted under /sandbox/*, a page that says plainly that this is
 * a sandbox and shows the demo credentials, and the same credentials as JSON for scripts.
 */
import type { FastifyInstance } from "fastify";
import type { Sandbox, SandboxCredentials } from "@prokip-sync/sandbox";

export async function registerSandbox(app: FastifyInstance, sandbox: Sandbox, credentials: SandboxCredentials): Promise<void> {
  await sandbox.routes(app);
  app.get("/sandbox/api/credentials", async () => credentials);
  app.get("/sandbox", async (_request, reply) => reply.type("text/html; charset=utf-8").send(sandboxPage(credentials)));
}

function sandboxPage(credentials: SandboxCredentials): string {
  const rows = (entries: [string, string | number][]) =>
    entries.map(([label, value]) => `<tr><th scope="row">${escapeHtml(label)}</th><td><code>${escapeHtml(String(value))}</code></td></tr>`).join("");
  const { shopify, woocommerce, prokip } = credentials;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Prokip Sync sandbox</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #f6f6f7; }
  header { background: #ffd79d; padding: 12px 24px; font-weight: 600; }
  main { max-width: 860px; margin: 24px auto; padding: 0 24px; }
  section { background: #fff; border-radius: 10px; padding: 16px 20px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  h1 { font-size: 22px; } h2 { font-size: 17px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; } th { text-align: left; font-weight: 500; color: #555; width: 34%; padding: 4px 8px 4px 0; vertical-align: top; }
  td { padding: 4px 0; word-break: break-all; } code { font-size: 13px; }
</style>
</head>
<body>
<header>Sandbox: everything on this page is emulated. No real store or Prokip account is involved.</header>
<main>
<h1>Prokip Sync sandbox</h1>
<p>Three emulated systems run inside this server, seeded with a demo catalogue. Use these credentials to connect to them; scripts can read the same from <a href="/sandbox/api/credentials"><code>/sandbox/api/credentials</code></a>.</p>
<section><h2>Shopify (emulated shop)</h2><table>${rows([
    ["Shop", shopify.shop],
    ["Admin API (GraphQL)", shopify.adminApiUrl],
    ["Access token", shopify.accessToken],
    ["App API key", shopify.apiKey],
    ["App API secret", shopify.apiSecret],
  ])}</table></section>
<section><h2>WooCommerce (emulated site)</h2><table>${rows([
    ["Site URL", woocommerce.siteUrl],
    ["Consumer key", woocommerce.consumerKey],
    ["Consumer secret", woocommerce.consumerSecret],
  ])}</table></section>
<section><h2>Prokip (emulated business)</h2><table>${rows([
    ["API base URL", prokip.baseUrl],
    ["Business", prokip.businessName],
    ["Locations", prokip.locations.map((location) => `${location.name} (${location.id})`).join(", ")],
    ["OAuth client id", prokip.clientId],
    ["OAuth client secret", prokip.clientSecret],
    ["Username", prokip.username],
    ["Password", prokip.password],
  ])}</table></section>
</main>
</body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/gu, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

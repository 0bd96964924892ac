/**
 * The /sandbox page: a live console for the emulated Prokip, Shopify and WooCommerce. A person
 * places orders, refunds and cancellations on either store, changes Prokip stock, and watches
 * the other channels follow in a stock table that refreshes every 2 s from /sandbox/api/state.
 *
 * One self-contained document (console.html with console.css and console.js inlined): no external
 * URL, so it works on a machine without internet. The demo credentials are rendered here on the
 * server (escaped); everything else comes from the JSON API in api.ts.
 */
import type { SandboxCredentials } from "../sandbox.ts";
import { Html, html, readAsset, render } from "./html.ts";

const PAGE = readAsset(import.meta.url, "console.html");
const SHOPIFY_APP_CARD = readAsset(import.meta.url, "console-shopify-app.html");
const STYLE = new Html(readAsset(import.meta.url, "console.css"));
const SCRIPT = new Html(readAsset(import.meta.url, "console.js"));

export function sandboxPage(
  credentials: SandboxCredentials,
  options: { shopifyAdminUrl?: string | null } = {},
): string {
  return render(PAGE, {
    style: STYLE,
    script: SCRIPT,
    // "Open the Shopify app": the merchant screens inside an emulated Shopify admin.
    shopifyApp: options.shopifyAdminUrl
      ? new Html(render(SHOPIFY_APP_CARD, { adminUrl: options.shopifyAdminUrl }))
      : "",
    credentials: credentialsTables(credentials),
  });
}

function credentialsTables({ shopify, woocommerce, prokip }: SandboxCredentials): Html {
  const table = (title: string, entries: [string, string | number][]) =>
    html`<h3>${title}</h3>
      <table class="creds">
        ${entries.map(
          ([label, value]) =>
            html`<tr>
              <th scope="row">${label}</th>
              <td><code>${value}</code></td>
            </tr>`,
        )}
      </table>`;
  return new Html(
    [
      table("Shopify (emulated shop)", [
        ["Shop", shopify.shop],
        ["Admin API (GraphQL)", shopify.adminApiUrl],
        ["Access token", shopify.accessToken],
        ["App API key", shopify.apiKey],
        ["App API secret", shopify.apiSecret],
      ]),
      table("WooCommerce (emulated site)", [
        ["Site URL", woocommerce.siteUrl],
        ["Consumer key", woocommerce.consumerKey],
        ["Consumer secret", woocommerce.consumerSecret],
      ]),
      table("Prokip (emulated business)", [
        ["API base URL", prokip.baseUrl],
        ["Business", prokip.businessName],
        ["Locations", prokip.locations.map((location) => `${location.name} (${location.id})`).join(", ")],
        ["OAuth client id", prokip.clientId],
        ["OAuth client secret", prokip.clientSecret],
        ["Username", prokip.username],
        ["Password", prokip.password],
      ]),
    ]
      .map((t) => t.text)
      .join("\n"),
  );
}

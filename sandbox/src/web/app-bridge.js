/**
 * The sandbox's stand-in for Shopify's App Bridge (https://cdn.shopify.com/shopifycloud/app-bridge.js),
 * served at /sandbox/shopify-admin/app-bridge.js. The Shopify app loads it instead of the real
 * script when APP_BRIDGE_URL points here (the library's bounce page and the React AppProvider's
 * `__APP_BRIDGE_URL`), so the app runs inside the sandbox's emulated admin
 * (shopify-admin.ts) with no Shopify account and no internet.
 *
 * What it imitates, and where the real behaviour is described:
 *
 * - `shopify.idToken()`: a fresh session (ID) token, asked of the parent admin frame over
 *   postMessage (the admin page has the sandbox mint one, signed with the app secret, as Shopify
 *   admin does). https://shopify.dev/docs/api/app-home/apis/authentication-and-data/id-token-api
 * - `fetch` interception: requests to the app's own origin get `Authorization: Bearer <token>`
 *   (Remix's loader and action fetches rely on it); a `401` carrying
 *   `X-Shopify-Retry-Invalid-Session-Request: 1` (what @shopify/shopify-app-remix answers to a
 *   stale token) is sent once more with a new token.
 *   https://shopify.dev/docs/api/app-home/apis/authentication-and-data/resource-fetching-api
 * - The library's bounce page (`/auth/session-token?shopify-reload=<url>`): App Bridge loads
 *   there, gets a token and goes on to the reload URL with `id_token` added.
 * - `shopify.config` (apiKey from the script tag's `data-api-key` or `<meta name="shopify-api-key">`;
 *   shop, host and locale from the URL the admin opened).
 *   https://shopify.dev/docs/api/app-home/apis/authentication-and-data/config-api
 * - `shopify.toast.show(message, {duration, isError, action, onAction, onDismiss})` / `hide(id)`,
 *   shown by the admin frame. https://shopify.dev/docs/api/app-bridge-library/apis/toast
 * - `shopify.loading(on)`: the admin's loading bar.
 *   https://shopify.dev/docs/api/app-home/latest/apis/user-interface-and-interactions/loading-api
 * - `<ui-nav-menu>`: not rendered in the app; its links (the first, `rel="home"`, is the app's
 *   name, not an entry) are reported to the admin, whose sidebar shows them; a click there
 *   dispatches `shopify:navigate` on the link, which the Remix AppProvider turns into a client
 *   navigation. https://shopify.dev/docs/api/app-bridge-library/web-components/ui-nav-menu
 * - `<ui-title-bar>`: its title and buttons are shown by the admin; a click there clicks the
 *   app's button. Inside a `<ui-modal>` it is the modal's heading and buttons instead.
 * - `<ui-save-bar>` (`show()`, `hide()`, `toggle()`, `showing`, `show`/`hide` events,
 *   `shopify.saveBar`): shown by the admin with the app's Save (variant primary) and Discard
 *   buttons. https://shopify.dev/docs/api/app-bridge-library/apis/ui-save-bar
 * - `<ui-modal>` (`show()`, `hide()`, `toggle()`, `content`, `shopify.modal`): drawn over the app
 *   inside its own frame (Shopify draws it over the whole admin).
 *
 * Not imitated: the resource picker, `shopify:admin/` direct API fetches, scanner, POS and
 * intents APIs, `<form data-save-bar>`, modals loading a `src`, and leaving the admin (App Bridge
 * redirects a top-level app into Shopify admin; here a top-level app is sent to the sandbox's
 * admin page for its shop).
 *
 * Messages between the frames carry `source: "prokip-sandbox-app-bridge"` (app -> admin) or
 * `"prokip-sandbox-admin"` (admin -> app) and are only accepted from the same origin and the
 * expected window. Plain ES2017, served as it is
 * by shopify-admin.ts: no build step.
 */

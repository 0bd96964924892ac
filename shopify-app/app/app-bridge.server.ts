/**
 * Where the app loads App Bridge from: APP_BRIDGE_URL when set (the backend host sets it in
 * sandbox mode to the sandbox's local stand-in, /sandbox/shopify-admin/app-bridge.js), otherwise
 * undefined, and the library loads Shopify's CDN script. For app.tsx's loader, which passes it to
 * `AppProvider` as `__APP_BRIDGE_URL`; the library's own bounce page reads the same variable.
 */
export function appBridgeUrl(): string | undefined {
  return process.env.APP_BRIDGE_URL || undefined;
}

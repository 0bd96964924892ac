import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [
    remix({
      ignoredRouteFiles: ["**/.*"],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: false,
        v3_routeConfig: false,
      },
    }),
  ],
  build: {
    assetsInlineLimit: 0,
    // Core is TypeScript source run through tsx, and the process hosting the app shares one core
    // (one database pool, one Prisma client) with it: the server build imports it at run time.
    // (`ssr.external` cannot do this: Vite only externalises JavaScript entry points.)
    ...(isSsrBuild ? { rollupOptions: { external: ["@prokip-sync/core"] } } : {}),
  },
}));

import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [
    remix({
      ignoredRouteFiles: ["**/.*"],
      // PROKIP_SYNC_APP_BUILD (an absolute path inside this folder, so the build still finds its
      // packages): a build of its own, e.g. the host test's under node_modules/.cache. A build
      // empties its whole directory first, so two builds never share one.
      ...(process.env.PROKIP_SYNC_APP_BUILD ? { buildDirectory: process.env.PROKIP_SYNC_APP_BUILD } : {}),
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

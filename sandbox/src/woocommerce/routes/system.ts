/**
 * `/wc/v3/system_status` (what connection tests call) and the discovery indexes `/` and `/wc/v3`.
 */
import { READABLE, type WpRoute } from "../http.ts";
import { renderSystemStatus } from "../serialize.ts";

export function systemRoutes(routeIndex: () => WpRoute[]): WpRoute[] {
  const describe = (prefix: string) =>
    Object.fromEntries(
      routeIndex()
        .filter((r) => r.pattern.source.startsWith(`^\\/${prefix.replace(/\//g, "\\/")}`))
        .map((r) => [
          r.pattern.source.replace(/^\^/, "").replace(/\$$/, "").replace(/\\\//g, "/"),
          { namespace: "wc/v3", methods: [...r.methods] },
        ]),
    );
  return [
    {
      methods: READABLE,
      pattern: /^\/wc\/v3\/system_status$/,
      // wc_rest_check_manager_permissions( 'system_status', 'read' ).
      permission: "list",
      handler: (req) => ({ body: renderSystemStatus(req.ctx, req.site, req.isSsl) }),
    },
    {
      methods: READABLE,
      pattern: /^\/wc\/v3$/,
      permission: "public",
      handler: () => ({ body: { namespace: "wc/v3", routes: describe("wc/v3") } }),
    },
    {
      methods: READABLE,
      pattern: /^\/?$/,
      permission: "public",
      handler: (req) => ({
        body: {
          name: req.site.name,
          description: "",
          url: req.ctx.siteUrl,
          home: req.ctx.siteUrl,
          gmt_offset: 0,
          timezone_string: "UTC",
          namespaces: ["wc/v3"],
          authentication: [],
          routes: describe("wc/v3"),
        },
      }),
    },
  ];
}

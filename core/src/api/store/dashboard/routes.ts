/** The dashboard and lifecycle: GET /dashboard, POST /pause, /resume, /sync-now, /retry-orders, /disconnect. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import {
  disconnectStore,
  pauseStore,
  resumeStore,
  retryOrders,
  storeDashboard,
  syncStoreNow,
} from "../../../merchant/index.ts";
import type { Dashboard, MerchantDeps, StoreRef } from "../../../merchant/types.ts";
import { siteOf } from "../auth.ts";
import type { StoreRouteOptions } from "../index.ts";
import { dashboardSchema, emptyBody, errorResponses } from "../shared-schema.ts";
import { disconnectedSchema } from "./schema.ts";

const ACTIONS: { path: string; summary: string; run: (deps: MerchantDeps, store: StoreRef) => Promise<Dashboard> }[] = [
  { path: "/pause", summary: "Pause sync (changes wait until resumed)", run: pauseStore },
  { path: "/resume", summary: "Resume sync and reconcile", run: resumeStore },
  { path: "/sync-now", summary: "Reconcile the store now", run: syncStoreNow },
  { path: "/retry-orders", summary: "Post the orders Prokip has not accepted again", run: retryOrders },
];

export const dashboardRoutes: FastifyPluginAsyncZod<StoreRouteOptions> = async (app, { merchant }) => {
  const tags = ["Dashboard"];
  app.get(
    "/dashboard",
    {
      schema: {
        tags,
        summary: "The store's status, counts and problems",
        response: { 200: dashboardSchema, ...errorResponses },
      },
    },
    async (request) => storeDashboard(merchant(), siteOf(request).store),
  );

  for (const action of ACTIONS) {
    app.post(
      action.path,
      {
        schema: {
          tags,
          summary: action.summary,
          body: emptyBody,
          response: { 200: dashboardSchema, ...errorResponses },
        },
      },
      async (request) => action.run(merchant(), siteOf(request).store),
    );
  }

  app.post(
    "/disconnect",
    {
      schema: {
        tags,
        summary: "Stop sync for good: webhooks removed, the store's credentials erased (history kept)",
        body: emptyBody,
        response: { 200: disconnectedSchema, ...errorResponses },
      },
    },
    async (request) => disconnectStore(merchant(), siteOf(request).store),
  );
};

/** Set up products: POST /setup/preview, POST /setup/runs, GET /setup/runs/:runId, GET /setup/runs/:runId/missing-in-prokip. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { missingInProkipFile, previewStoreSetup, startStoreSetup, storeSetupRun } from "../../../merchant/index.ts";
import { siteOf } from "../auth.ts";
import type { StoreRouteOptions } from "../index.ts";
import { errorResponses, syncRunSchema } from "../shared-schema.ts";
import { missingFileSchema, runParamsSchema, setupPreviewSchema, setupRequestBodySchema } from "./schema.ts";

export const setupRoutes: FastifyPluginAsyncZod<StoreRouteOptions> = async (app, { merchant }) => {
  const tags = ["Set up products"];
  app.post(
    "/setup/preview",
    {
      schema: {
        tags,
        summary: "Dry run: what setup would do with each SKU (nothing written to the store)",
        body: setupRequestBodySchema,
        response: { 200: setupPreviewSchema, ...errorResponses },
      },
    },
    async (request) => previewStoreSetup(merchant(), siteOf(request).store, request.body),
  );

  app.post(
    "/setup/runs",
    {
      schema: {
        tags,
        summary: "Start setting up the store's products (the run a worker carries out; one at a time)",
        body: setupRequestBodySchema,
        response: { 200: syncRunSchema, ...errorResponses },
      },
    },
    async (request) => startStoreSetup(merchant(), siteOf(request).store, request.body),
  );

  app.get(
    "/setup/runs/:runId",
    {
      schema: {
        tags,
        summary: "A setup run of this store, for its progress and summary",
        params: runParamsSchema,
        response: { 200: syncRunSchema, ...errorResponses },
      },
    },
    async (request) => storeSetupRun(merchant(), siteOf(request).store, request.params.runId),
  );

  app.get(
    "/setup/runs/:runId/missing-in-prokip",
    {
      schema: {
        tags,
        summary: "A pull's file of the store's products Prokip lacks (UltimatePOS product import CSV)",
        params: runParamsSchema,
        response: { 200: missingFileSchema, ...errorResponses },
      },
    },
    async (request) => missingInProkipFile(merchant(), siteOf(request).store, request.params.runId),
  );
};

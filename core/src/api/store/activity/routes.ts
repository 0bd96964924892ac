/** Activity: GET /activity. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { listActivity } from "../../../merchant/index.ts";
import { siteOf } from "../auth.ts";
import type { StoreRouteOptions } from "../index.ts";
import { errorResponses } from "../shared-schema.ts";
import { activityPageSchema, activityQuerySchema } from "./schema.ts";

export const activityRoutes: FastifyPluginAsyncZod<StoreRouteOptions> = async (app, { merchant }) => {
  app.get(
    "/activity",
    {
      schema: {
        tags: ["Activity"],
        summary: "The store's activity, newest first",
        querystring: activityQuerySchema,
        response: { 200: activityPageSchema, ...errorResponses },
      },
    },
    async (request) => listActivity(merchant(), siteOf(request).store, request.query),
  );
};

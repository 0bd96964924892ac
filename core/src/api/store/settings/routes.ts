/** Settings: GET /settings, PATCH /settings. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { storeSettings, updateStoreSettings } from "../../../merchant/index.ts";
import { siteOf } from "../auth.ts";
import type { StoreRouteOptions } from "../index.ts";
import { errorResponses } from "../shared-schema.ts";
import { settingsBodySchema, settingsSchema } from "./schema.ts";

export const settingsRoutes: FastifyPluginAsyncZod<StoreRouteOptions> = async (app, { merchant }) => {
  const tags = ["Settings"];
  app.get(
    "/settings",
    { schema: { tags, summary: "The store's settings", response: { 200: settingsSchema, ...errorResponses } } },
    async (request) => storeSettings(merchant(), siteOf(request).store),
  );
  app.patch(
    "/settings",
    {
      schema: {
        tags,
        summary: "Change some of the store's settings (every invalid field listed; nothing changed then)",
        body: settingsBodySchema,
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (request) => updateStoreSettings(merchant(), siteOf(request).store, request.body),
  );
};

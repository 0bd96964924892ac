/** Connect Prokip: GET /stage, POST /prokip/sign-in, POST /prokip/location. */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { attachSiteConnection } from "../../../connections/index.ts";
import { chooseLocation, signInToProkip, storeStage } from "../../../merchant/index.ts";
import { siteOf } from "../auth.ts";
import type { StoreRouteOptions } from "../index.ts";
import { errorResponses } from "../shared-schema.ts";
import { chooseLocationBodySchema, connectedSchema, signedInSchema, signInBodySchema, stageSchema } from "./schema.ts";

export const connectRoutes: FastifyPluginAsyncZod<StoreRouteOptions> = async (app, { merchant }) => {
  const tags = ["Connect Prokip"];
  app.get(
    "/stage",
    {
      schema: {
        tags,
        summary: "Which screen the site's store opens on",
        response: { 200: stageSchema, ...errorResponses },
      },
    },
    async (request) => storeStage(merchant(), siteOf(request).store),
  );

  app.post(
    "/prokip/sign-in",
    {
      schema: {
        tags,
        summary: "Sign the store in to Prokip (or to the sandbox's sample data)",
        body: signInBodySchema,
        response: { 200: signedInSchema, ...errorResponses },
      },
    },
    async (request) => signInToProkip(merchant(), siteOf(request).store, request.body),
  );

  app.post(
    "/prokip/location",
    {
      schema: {
        tags,
        summary: "Choose the Prokip location the store sells from, with the site's WooCommerce REST key",
        body: chooseLocationBodySchema,
        response: { 200: connectedSchema, ...errorResponses },
      },
    },
    async (request) => {
      const deps = merchant();
      const site = siteOf(request);
      const { prokipLocationId, consumerKey, consumerSecret } = request.body;
      const connected = await chooseLocation(deps, site.store, {
        prokipLocationId,
        credentials: { platform: "woocommerce", consumerKey, consumerSecret },
      });
      await attachSiteConnection(deps.pool, site.siteId, connected.connectionId);
      return connected;
    },
  );
};

/**
 * POST /pairing: unauthenticated (a site has no secret before it pairs), so it sits outside the
 * signed store API's scope. The site proves it asked through its own plugin route (connections/pairing.ts).
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { pairSite, type PairingDependencies } from "../../../connections/index.ts";
import { notReady } from "../auth.ts";
import { errorResponses, errorSchema } from "../shared-schema.ts";
import { pairedSchema, pairingBodySchema } from "./schema.ts";

export interface PairingRouteOptions {
  /** The pairing dependencies once the database is up; null before (503). */
  pairing: () => PairingDependencies | null;
  bodyLimit: number;
}

export const pairingRoutes: FastifyPluginAsyncZod<PairingRouteOptions> = async (app, options) => {
  app.post(
    "/pairing",
    {
      bodyLimit: options.bodyLimit,
      schema: {
        tags: ["Pairing"],
        summary: "A WordPress site asks to pair; the backend calls its plugin route back to check it did",
        security: [],
        body: pairingBodySchema,
        response: { 201: pairedSchema, 403: errorSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const deps = options.pairing();
      if (!deps) throw notReady();
      const paired = await pairSite(deps, request.body);
      request.log.info({ siteId: paired.siteId }, "site paired");
      return reply.code(201).send(paired);
    },
  );
};

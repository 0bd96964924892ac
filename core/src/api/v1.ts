/**
 * `/api/v1`: the versioned HTTP API. Request and response schemas are zod, defined once beside
 * their routes; they validate the traffic (fastify-type-provider-zod) and make the OpenAPI 3.1
 * document served at `GET /api/v1/openapi.json` (@fastify/swagger). Today it holds the store
 * API the WooCommerce plugin calls (store/); the staff API is to join the same document.
 *
 * Errors keep the one shape `{error:{code, message, details}}` (errors.ts): a request that does
 * not fit its schema is 400 `invalid_input` with one `{path, message}` per field.
 */
import fastifySwagger from "@fastify/swagger";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { storeApi, type StoreApiDependencies } from "./store/index.ts";

export const OPENAPI_PATH = "/api/v1/openapi.json";

export type ApiV1Dependencies = StoreApiDependencies & { version: string };

export async function registerApiV1(app: FastifyInstance, deps: ApiV1Dependencies): Promise<void> {
  await app.register(
    async (api) => {
      api.setValidatorCompiler(validatorCompiler);
      api.setSerializerCompiler(serializerCompiler);
      api.setErrorHandler(apiErrorHandler);
      await api.register(fastifySwagger, {
        openapi: {
          openapi: "3.1.0",
          info: {
            title: "Prokip Sync API",
            version: deps.version,
            description:
              "The store API (`/api/v1/store/*`) the Prokip Sync WooCommerce plugin calls, signed with its site's secret: see docs/woocommerce.md.",
          },
          components: {
            securitySchemes: {
              siteSignature: {
                type: "apiKey",
                in: "header",
                name: "X-Prokip-Signature",
                description:
                  "HMAC-SHA256 of the canonical request (with X-Prokip-Site, X-Prokip-Timestamp, X-Prokip-Nonce); see docs/woocommerce.md",
              },
            },
          },
          security: [{ siteSignature: [] }],
        },
        transform: jsonSchemaTransform,
        transformObject: jsonSchemaTransformObject,
      });
      api.get(OPENAPI_PATH.slice("/api/v1".length), { schema: { hide: true } }, async (_request, reply) =>
        reply.header("cache-control", "no-store").send(api.swagger()),
      );
      await api.withTypeProvider<ZodTypeProvider>().register(storeApi, { ...deps, prefix: "/store" });
    },
    { prefix: "/api/v1" },
  );
}

/** Turns what only the API's own layers raise into the one error shape; the rest goes on to errors.ts. */
function apiErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = error.validationContext ?? "body";
    return reply.code(400).send({
      error: {
        code: "invalid_input",
        message: `The request's ${where} is not valid`,
        details: error.validation.map((issue) => ({
          path: [where, ...issue.instancePath.split("/").filter(Boolean)].join("."),
          message: issue.message,
        })),
      },
    });
  }
  if (isResponseSerializationError(error as never)) {
    request.log.error({ err: error }, "response does not fit its schema");
    return reply.code(500).send({ error: { code: "internal", message: "Internal error" } });
  }
  const code = (error as { code?: string }).code;
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return reply
      .code(415)
      .send({ error: { code: "unsupported_media_type", message: "Send the body as application/json" } });
  if (code === "FST_ERR_CTP_EMPTY_JSON_BODY" || code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH")
    return reply.code(400).send({ error: { code: "invalid_input", message: error.message } });
  if (error instanceof SyntaxError || code === "FST_ERR_CTP_INVALID_JSON_BODY")
    return reply.code(400).send({ error: { code: "invalid_input", message: "The body is not valid JSON" } });
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE" || code === "body_too_large")
    return reply.code(413).send({ error: { code: "body_too_large", message: error.message } });
  if (error.statusCode === 503)
    return reply.code(503).send({ error: { code: code ?? "not_ready", message: error.message } });
  throw error;
}

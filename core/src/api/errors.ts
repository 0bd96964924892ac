/**
 * One error shape for every API answer: `{error:{code, message, details}}`.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { httpStatusFor, isSyncError } from "../domain/index.ts";

export function installErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .send({ error: { code: "not_found", message: `No route for ${request.method} ${request.url.split("?")[0]}` } });
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isSyncError(error)) {
      const status = httpStatusFor(error.code);
      if (status >= 500) request.log.error({ err: error }, "request failed");
      return reply.code(status).send({
        error: {
          code: error.code,
          message: status >= 500 ? "Internal error" : error.message,
          details: error.details,
        },
      });
    }
    if (error.validation) {
      return reply
        .code(400)
        .send({ error: { code: "invalid_input", message: error.message, details: error.validation } });
    }
    if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
      return reply
        .code(error.statusCode)
        .send({ error: { code: error.code ?? "bad_request", message: error.message } });
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send({ error: { code: "internal", message: "Internal error" } });
  });
}

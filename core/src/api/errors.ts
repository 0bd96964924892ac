/**
 * One error shape for every API answer: `{error:{code, message, details}}`.
 */
import type { FastifyError, FastifyInstance } from "fastify";
import { httpStatusFor, isSyncError } from "../domain/index.ts";
import { isDatabaseUnavailable } from "../store/connection-loss.ts";

/** How long a caller refused for a database outage is asked to wait (a platform retries on its own schedule). */
const RETRY_AFTER_SECONDS = 5;

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
    if (isDatabaseUnavailable(error)) {
      // Stopped, restarting or unreachable: nothing was stored, so the caller must come back (a
      // webhook answered 5xx is delivered again); a 500 would say the request itself was at fault.
      request.log.warn({ err: error }, "request refused: the database is unavailable");
      return reply
        .code(503)
        .header("retry-after", String(RETRY_AFTER_SECONDS))
        .send({ error: { code: "database_unavailable", message: "The database is unavailable; try again shortly" } });
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send({ error: { code: "internal", message: "Internal error" } });
  });
}

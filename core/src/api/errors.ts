/**
 * One error shape for every API answer: `{error:{code, message, details}}`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { httpStatusFor, isSyncError } from "../domain/index.ts";
import { isDatabaseUnavailable } from "../store/connection-loss.ts";

/** How long a caller refused for a database outage is asked to wait (a platform retries on its own schedule). */
const RETRY_AFTER_SECONDS = 5;

/**
 * Errors Fastify raises itself before any handler of ours runs, given our codes: a client reads
 * `code`, not Fastify's `FST_ERR_*` names, which change between majors.
 */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: "bad_url", message: "The request URL is not valid" },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: "unsupported_media_type",
    message: "This content type is not accepted",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: "body_too_large", message: "The request body is too large" },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: "invalid_json", message: "The body is not valid JSON" },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: "invalid_json",
    message: "A JSON content type was sent with an empty body",
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: "bad_request",
    message: "The content length does not match the body",
  },
};

/**
 * For Fastify's `frameworkErrors` option: a malformed URL (`GET /%zz`) is answered by Fastify
 * before routing, bypassing `setErrorHandler`, so it needs its own hook to be in our shape.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = FRAMEWORK_ERRORS[error.code];
  const status = known?.status ?? (error.statusCode && error.statusCode < 500 ? error.statusCode : 400);
  void reply
    .code(status)
    .send({ error: { code: known?.code ?? "bad_request", message: known?.message ?? "The request is not valid" } });
  request.log.info({ code: error.code }, "request refused before routing");
}

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
    const known = FRAMEWORK_ERRORS[error.code];
    if (known) return reply.code(known.status).send({ error: { code: known.code, message: known.message } });
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

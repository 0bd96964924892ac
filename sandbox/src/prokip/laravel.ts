/**
 * How Laravel's exception handler answers the requests that never reach a Connector
 * controller: unauthenticated, too many attempts, unknown route, wrong method, server error.
 *
 * Laravel decides between JSON and HTML/redirect with `$request->expectsJson()`: an XHR
 * (`X-Requested-With: XMLHttpRequest`) or an `Accept` header whose first type is JSON.
 * That is why the reference tells clients to always send `Accept: application/json`: without
 * it an auth failure is a 302 redirect to the login page, not a 401.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

/** Illuminate\Http\Concerns\InteractsWithContentTypes::expectsJson, simplified. */
export function expectsJson(request: FastifyRequest): boolean {
  if (request.headers["x-requested-with"] === "XMLHttpRequest") return true;
  const accept = request.headers.accept ?? "";
  const first = accept.split(",")[0]?.trim().toLowerCase() ?? "";
  return first.includes("/json") || first.includes("+json");
}

export function origin(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? "localhost"}`;
}

/** The request's absolute URL without query string: Laravel's paginator `path`. */
export function pathUrl(request: FastifyRequest): string {
  return origin(request) + (request.url.split("?")[0] ?? "");
}

/** Illuminate\Auth\AuthenticationException as rendered by App\Exceptions\Handler. */
export function unauthenticated(request: FastifyRequest, reply: FastifyReply, loginPath: string): FastifyReply {
  if (expectsJson(request)) return reply.code(401).send({ message: "Unauthenticated." });
  return reply
    .code(302)
    .header("location", origin(request) + loginPath)
    .send();
}

/** ThrottleRequestsException; its headers are set by the caller. */
export function tooManyAttempts(reply: FastifyReply, headers: Record<string, string>): FastifyReply {
  return reply.code(429).headers(headers).send({ message: "Too Many Attempts." });
}

/** NotFoundHttpException from the router (Laravel 9+ names the path in the message). */
export function routeNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = (request.url.split("?")[0] ?? "").replace(/^\/+/, "");
  if (!expectsJson(request))
    return reply.code(404).type("text/html").send("<!DOCTYPE html><title>Not Found</title><h1>404 | Not Found</h1>");
  return reply.code(404).send({ message: `The route ${path} could not be found.` });
}

/** MethodNotAllowedHttpException: the route exists, the method does not. */
export function methodNotAllowed(request: FastifyRequest, reply: FastifyReply, allowed: string[]): FastifyReply {
  const path = (request.url.split("?")[0] ?? "").replace(/^\/+/, "");
  // Laravel lists HEAD next to every GET route.
  const supported = allowed.flatMap((m) => (m === "GET" ? ["GET", "HEAD"] : [m])).join(", ");
  return reply
    .code(405)
    .header("allow", supported)
    .send({
      message: `The ${request.method} method is not supported for route ${path}. Supported methods: ${supported}.`,
    });
}

/** An uncaught exception with APP_DEBUG off. */
export function serverError(reply: FastifyReply, status = 500): FastifyReply {
  return reply.code(status).send({ message: "Server Error" });
}

/**
 * The sandbox's routes (/sandbox and /sandbox/*: the console, its JSON API, the emulated admin,
 * the emulators) have no authentication, so two checks keep browsers on other sites away:
 *
 * - The `Host` header must name this machine (localhost, 127.0.0.1, [::1]) or PUBLIC_URL's host;
 *   anything else is answered 421 `host_not_allowed`. A page on another site whose name was made
 *   to resolve to 127.0.0.1 (DNS rebinding) sends its own name, so it cannot read the demo
 *   secrets or mint session tokens.
 * - A request that changes something (any method but GET, HEAD, OPTIONS) from a browser must come
 *   from the sandbox's own pages: `Sec-Fetch-Site` same-origin (or none), else an `Origin` that is
 *   this server's; otherwise 403 `cross_site_request`. A cross-site form post or no-cors fetch
 *   always carries one of them (browsers send Sec-Fetch-Site only to potentially trustworthy
 *   URLs, https or loopback, and Origin on every cross-origin POST); scripts and the product's
 *   own adapters (curl, fetch in Node) carry neither and pass. (Fetch Metadata:
 *   https://developer.mozilla.org/docs/Web/HTTP/Headers/Sec-Fetch-Site ; Origin on POST:
 *   https://fetch.spec.whatwg.org/#origin-header .)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function guardSandboxRoutes(app: FastifyInstance, options: { publicUrl: string }): void {
  const publicOrigin = new URL(options.publicUrl);
  const allowedHosts = new Set([...LOOPBACK_NAMES, publicOrigin.hostname]);

  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0]!;
    if (path !== "/sandbox" && !path.startsWith("/sandbox/")) return;
    const hostname = hostnameOf(request.headers.host);
    if (!hostname || !allowedHosts.has(hostname))
      return refuse(
        reply,
        421,
        "host_not_allowed",
        `The sandbox answers only at localhost, 127.0.0.1 or PUBLIC_URL's host (${publicOrigin.hostname}); set PUBLIC_URL to reach it under another name`,
      );
    if (!SAFE_METHODS.has(request.method) && !fromOwnPages(request, publicOrigin.origin))
      return refuse(
        reply,
        403,
        "cross_site_request",
        "The sandbox accepts changes only from its own pages or from scripts, not from another site",
      );
  });
}

function hostnameOf(host: string | undefined): string | null {
  if (!host) return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

function fromOwnPages(request: FastifyRequest, publicOrigin: string): boolean {
  const site = request.headers["sec-fetch-site"];
  if (typeof site === "string") return site === "same-origin" || site === "none";
  const origin = request.headers.origin;
  if (origin === undefined) return true; // not a browser's cross-origin request
  if (origin === publicOrigin) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and anything unparsable
  }
}

function refuse(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).header("cache-control", "no-store").send({ error: { code, message } });
}

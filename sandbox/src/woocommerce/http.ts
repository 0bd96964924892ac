/**
 * A small WordPress REST server: turns a Fastify request under `/{site}/wp-json/...` into a
 * dispatched route, in WordPress's order of checks:
 *
 * 1. seeded fault injection (latency, 5xx, 429 bursts) before anything else;
 * 2. authentication (`rest_authentication_errors`), then the key's read/write scope
 *    (`rest_pre_dispatch`) - both before route matching, so even an unknown route answers 401
 *    to a bad signature;
 * 3. route matching (`rest_no_route` 404), `X-HTTP-Method-Override` / `_method` included;
 * 4. the route's permission callback (anonymous -> 401 `woocommerce_rest_cannot_*`);
 * 5. the handler, whose result is JSON-encoded like `wp_json_encode` and filtered by `_fields`.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Faults } from "../shared/faults.ts";
import { authenticate, checkKeyPermissions } from "./auth.ts";
import type { RenderContext } from "./serialize.ts";
import type { Store } from "./state.ts";
import type { ApiKeyRecord, SiteRecord } from "./types.ts";
import { type PhpArray, WpError, phpJsonEncode, phpParseQuery, rawurlencode, sleep } from "./util.ts";

/** What the scope's content-type parsers produce (see index.ts). */
export type ParsedBody =
  | { kind: "json"; value: unknown }
  | { kind: "invalid-json"; message: string }
  | { kind: "form"; raw: string }
  | { kind: "raw"; raw: string };

export type Permission = "public" | "list" | "read" | "create" | "edit" | "delete" | "batch";

export interface WpRequest {
  site: SiteRecord;
  method: string;
  /** Route inside the REST namespace space, e.g. `/wc/v3/products/12`. */
  route: string;
  /** URL captures of the matched route. */
  url: Record<string, string>;
  /** Query string params (`$_GET`). */
  query: Record<string, unknown>;
  /** JSON or form body params. */
  body: Record<string, unknown>;
  /** query < body < url captures, as `WP_REST_Request::get_param` resolves them. */
  params: Record<string, unknown>;
  key: ApiKeyRecord | null;
  isSsl: boolean;
  ctx: RenderContext;
}

export interface WpResponse {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface WpRoute {
  methods: readonly string[];
  /** Regex over the route, with named groups for URL params. */
  pattern: RegExp;
  permission: Permission | ((req: WpRequest) => Permission);
  handler: (req: WpRequest) => WpResponse | Promise<WpResponse>;
}

export const READABLE = ["GET"] as const;
export const CREATABLE = ["POST"] as const;
export const EDITABLE = ["POST", "PUT", "PATCH"] as const;
export const DELETABLE = ["DELETE"] as const;

const permissionErrors: Record<Exclude<Permission, "public">, [string, string]> = {
  list: ["woocommerce_rest_cannot_view", "Sorry, you cannot list resources."],
  read: ["woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."],
  create: ["woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."],
  edit: ["woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."],
  delete: ["woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."],
  batch: ["woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."],
};

export interface DispatcherDeps {
  store: Store;
  faults: Faults;
  routes: WpRoute[];
  /** Whether every request counts as HTTPS (e.g. behind a TLS-terminating proxy). */
  https: boolean;
  /** A site's home URL (configured public URL, or derived from the latest request). */
  siteUrl: (site: SiteRecord) => string;
  versions: { wc: string; wp: string };
}

function phpToPlain(value: PhpArray): Record<string, unknown> {
  return value as Record<string, unknown>;
}

/** Body params: a JSON object, or `$_POST` for form posts; anything else carries no params. */
function bodyParams(body: ParsedBody | undefined): { params: Record<string, unknown>; post: PhpArray } {
  if (!body) return { params: {}, post: {} };
  if (body.kind === "json") {
    const v = body.value;
    return {
      params: v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {},
      post: {},
    };
  }
  if (body.kind === "form") {
    const post = phpParseQuery(body.raw);
    return { params: phpToPlain(post), post };
  }
  return { params: {}, post: {} };
}

/** `rest_filter_response_fields`: `_fields=id,name,meta_data.key`. */
function filterFields(data: unknown, fields: string[]): unknown {
  if (Array.isArray(data)) return data.map((item) => filterFields(item, fields));
  if (data === null || typeof data !== "object") return data;
  const source = data as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const [head = "", ...rest] = field.split(".");
    if (!(head in source)) continue;
    if (rest.length === 0) out[head] = source[head];
    else {
      const nested = filterFields(source[head], [rest.join(".")]);
      const prev = out[head];
      out[head] =
        prev && typeof prev === "object" && nested && typeof nested === "object" ? { ...prev, ...nested } : nested;
    }
  }
  return out;
}

export function send(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(status)
    .headers({ "content-type": "application/json; charset=UTF-8", ...headers })
    .send(phpJsonEncode(body));
}

function sendError(reply: FastifyReply, error: WpError, headers: Record<string, string> = {}): FastifyReply {
  return send(reply, error.status, error.toJSON(), headers);
}

/**
 * `Allow` as `rest_send_allow_header` sets it: every method the matched route answers, in the
 * order its handlers were registered (e.g. `GET, POST` on a collection).
 */
function allowHeader(routes: WpRoute[], path: string): string {
  const methods: string[] = [];
  for (const route of routes) {
    if (!route.pattern.test(path)) continue;
    for (const m of route.methods) if (!methods.includes(m)) methods.push(m);
  }
  return methods.join(", ");
}

/** Answers a request the fault plan chose to break, the way the layer in front of WordPress would. */
async function applyFault(faults: Faults, reply: FastifyReply): Promise<boolean> {
  const fault = faults.nextRequest();
  if (fault.delayMs > 0) await sleep(fault.delayMs);
  if (fault.kind === "throttle") {
    // WooCommerce core has no REST rate limit; hosts and WAFs in front of it answer 429.
    send(
      reply,
      429,
      { code: "rest_too_many_requests", message: "Too many requests. Please slow down.", data: { status: 429 } },
      { "retry-after": "1" },
    );
    return true;
  }
  if (fault.kind === "error") {
    if (fault.status === 500) {
      send(reply, 500, {
        code: "internal_server_error",
        message:
          '<p>There has been a critical error on this website.</p><p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p>',
        data: { status: 500 },
        additional_errors: [],
      });
    } else {
      const title = fault.status === 502 ? "502 Bad Gateway" : "503 Service Temporarily Unavailable";
      reply
        .code(fault.status)
        .header("content-type", "text/html")
        .send(
          `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`,
        );
    }
    return true;
  }
  return false;
}

export function isSslRequest(request: FastifyRequest, forced: boolean): boolean {
  return (
    forced ||
    String(request.headers["x-forwarded-proto"] ?? "")
      .split(",")[0]
      ?.trim() === "https"
  );
}

export function requestHost(request: FastifyRequest): string {
  const forwarded = request.headers["x-forwarded-host"];
  return (typeof forwarded === "string" && forwarded.split(",")[0]?.trim()) || request.headers.host || "localhost";
}

/** Dispatches one REST request for `site` to `route` (the part after `/wp-json`). */
export async function dispatch(
  deps: DispatcherDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  site: SiteRecord | undefined,
  route: string,
): Promise<FastifyReply> {
  if (await applyFault(deps.faults, reply)) return reply;
  if (!site)
    return sendError(
      reply,
      new WpError("rest_no_route", "No route was found matching the URL and request method.", 404),
    );

  // WP_REST_Server::serve_request links the API root on every answer (a paged answer's own
  // prev/next `Link` replaces it, as `header()` does).
  const rootLink = { link: `<${deps.siteUrl(site)}/wp-json/>; rel="https://api.w.org/"` };
  const rawUrl = request.raw.url ?? request.url;
  const q = rawUrl.indexOf("?");
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const queryPhp = phpParseQuery(q === -1 ? "" : rawUrl.slice(q + 1));
  const parsedBody = request.body as ParsedBody | undefined;
  if (parsedBody?.kind === "invalid-json") {
    return sendError(
      reply,
      new WpError("rest_invalid_json", "Invalid JSON body passed.", 400, {
        json_error_code: 4,
        json_error_message: parsedBody.message,
      }),
      rootLink,
    );
  }
  const { params: body, post } = bodyParams(parsedBody);
  const isSsl = isSslRequest(request, deps.https);

  // WP_REST_Server::serve_request honours the method override header and `_method`.
  const override =
    request.headers["x-http-method-override"] ?? (typeof queryPhp._method === "string" ? queryPhp._method : undefined);
  const method = typeof override === "string" && override !== "" ? override.toUpperCase() : request.method;

  const auth = authenticate(site, {
    method: request.method,
    baseUri: `${isSsl ? "https" : "http"}://${requestHost(request)}${rawPath}`,
    query: queryPhp,
    post,
    authorization: request.headers.authorization,
    isSsl,
    nowSeconds: Math.floor(deps.store.nowMs() / 1000),
  });
  if (auth.error) return sendError(reply, auth.error, rootLink);
  if (auth.key) {
    const scopeError = checkKeyPermissions(auth.key, method);
    if (scopeError) return sendError(reply, scopeError, rootLink);
    auth.key.lastAccess = deps.store.now();
  }

  const path = route.replace(/\/+$/, "") || "/";
  let matched: { route: WpRoute; url: Record<string, string> } | null = null;
  for (const candidate of deps.routes) {
    const m = candidate.pattern.exec(path);
    if (m && candidate.methods.includes(method === "HEAD" ? "GET" : method)) {
      matched = { route: candidate, url: { ...(m.groups ?? {}) } };
      break;
    }
  }
  if (!matched)
    return sendError(
      reply,
      new WpError("rest_no_route", "No route was found matching the URL and request method.", 404),
      rootLink,
    );
  const answerHeaders = { ...rootLink, allow: allowHeader(deps.routes, path) };

  const query = phpToPlain(queryPhp);
  const req: WpRequest = {
    site,
    method,
    route: path,
    url: matched.url,
    query,
    body,
    params: { ...query, ...body, ...matched.url },
    key: auth.key,
    isSsl,
    ctx: { siteUrl: deps.siteUrl(site), wcVersion: deps.versions.wc, wpVersion: deps.versions.wp },
  };
  const permission =
    typeof matched.route.permission === "function" ? matched.route.permission(req) : matched.route.permission;
  if (permission !== "public" && !auth.key) {
    const [code, message] = permissionErrors[permission];
    // rest_authorization_required_code(): 401 for anonymous requests.
    return sendError(reply, new WpError(code, message, 401), answerHeaders);
  }
  try {
    const result = await matched.route.handler(req);
    const fields =
      typeof req.query._fields === "string"
        ? req.query._fields
            .split(",")
            .map((f) => f.trim())
            .filter(Boolean)
        : null;
    const payload = fields ? filterFields(result.body, fields) : result.body;
    return send(reply, result.status ?? 200, payload, { ...answerHeaders, ...result.headers });
  } catch (error) {
    if (error instanceof WpError) return sendError(reply, error, answerHeaders);
    throw error;
  }
}

/** `X-WP-Total`, `X-WP-TotalPages` and `Link` headers plus the requested page of `items` (validated `args`). */
export function paginate<T>(
  req: WpRequest,
  items: T[],
  args: Record<string, unknown>,
): { page: T[]; headers: Record<string, string> } {
  const perPage = typeof args.per_page === "number" ? args.per_page : 10;
  const page = typeof args.page === "number" ? args.page : 1;
  const offset = typeof args.offset === "number" ? args.offset : (page - 1) * perPage;
  const total = items.length;
  const totalPages = Math.ceil(total / perPage);
  const headers: Record<string, string> = { "x-wp-total": String(total), "x-wp-totalpages": String(totalPages) };
  const base = `${req.ctx.siteUrl}/wp-json${req.route}`;
  const link = (n: number) => {
    const query = Object.entries({ ...req.query, page: String(n) })
      .filter(([, v]) => typeof v === "string")
      .map(([k, v]) => `${rawurlencode(k)}=${rawurlencode(String(v))}`)
      .join("&");
    return `${base}?${query}`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${link(Math.min(page - 1, Math.max(totalPages, 1)))}>; rel="prev"`);
  if (totalPages > page) links.push(`<${link(page + 1)}>; rel="next"`);
  if (links.length > 0) headers.link = links.join(", ");
  return { page: items.slice(offset, offset + perPage), headers };
}

/** `WC_REST_Controller::check_batch_limit`: at most 100 objects per batch request. */
export function checkBatchLimit(body: Record<string, unknown>): void {
  const count = (k: string) => (Array.isArray(body[k]) ? (body[k] as unknown[]).length : 0);
  const total = count("create") + count("update") + count("delete");
  if (total > 100) {
    throw new WpError(
      "woocommerce_rest_request_entity_too_large",
      "Unable to accept more than 100 items for this request.",
      413,
    );
  }
}

/** Runs `WC_REST_Controller::batch_items`: per-item results, errors reported inline. */
export async function runBatch(
  req: WpRequest,
  ops: {
    create: (item: Record<string, unknown>) => Promise<unknown> | unknown;
    update: (item: Record<string, unknown>) => Promise<unknown> | unknown;
    delete: (id: number) => Promise<unknown> | unknown;
  },
): Promise<WpResponse> {
  checkBatchLimit(req.body);
  const out: Record<string, unknown[]> = {};
  const asError = (id: unknown, e: unknown) => {
    if (!(e instanceof WpError)) throw e;
    return { id, error: { code: e.code, message: e.message, data: { status: e.status, ...e.extra } } };
  };
  const items = (k: string) => (Array.isArray(req.body[k]) ? (req.body[k] as unknown[]) : []);
  for (const item of items("create")) {
    const obj = (item ?? {}) as Record<string, unknown>;
    try {
      (out.create ??= []).push(await ops.create(obj));
    } catch (e) {
      (out.create ??= []).push(asError(0, e));
    }
  }
  for (const item of items("update")) {
    const obj = (item ?? {}) as Record<string, unknown>;
    try {
      (out.update ??= []).push(await ops.update(obj));
    } catch (e) {
      (out.update ??= []).push(asError(obj.id ?? 0, e));
    }
  }
  for (const raw of items("delete")) {
    const id = Math.trunc(Number(raw));
    if (!id) continue;
    try {
      (out.delete ??= []).push(await ops.delete(id));
    } catch (e) {
      (out.delete ??= []).push(asError(id, e));
    }
  }
  // PHP's empty array() encodes as [] rather than {}.
  return { body: Object.keys(out).length > 0 ? out : [] };
}

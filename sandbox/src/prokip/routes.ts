/**
 * The Connector API routes (`/connector/api/...`), each reading the query the way the matching
 * Connector controller does. Everything here sits behind `auth:api` (Passport bearer token)
 * and `throttle:api` (60 per minute per user), installed as an onRequest hook on this scope.
 *
 * Route guards for wrong methods (405) live here too, outside the auth scope: Laravel's router
 * rejects them before any middleware runs, so they never answer 401.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { connectorFailure, errorBody, ServerError, wrappedError } from "./errors.ts";
import {
  contactJson,
  locationJson,
  productJson,
  type RenderContext,
  sellResourceJson,
  sellWithLinesJson,
  stockReportRowJson,
  transactionJson,
  updatedSellJson,
  variationRowJson,
} from "./format.ts";
import { methodNotAllowed, origin, pathUrl, serverError, tooManyAttempts, unauthenticated } from "./laravel.ts";
import type { TokenOwner, TokenStore } from "./oauth.ts";
import { listResponse, paginate, readPage, readPerPage } from "./pagination.ts";
import { type Actor, createSell, deleteSell, phpList, updateSell, upsertSellReturn } from "./sells.ts";
import { type ProkipState, toId } from "./state.ts";
import type { RateLimiter } from "./throttle.ts";
import type { Product } from "./types.ts";

export interface ConnectorDeps {
  state: ProkipState;
  tokens: TokenStore;
  limiter: RateLimiter;
  /** Where Laravel redirects unauthenticated non-JSON requests (`route('login')`). */
  loginPath: string;
}

const owners = new WeakMap<FastifyRequest, TokenOwner>();

function actorOf(request: FastifyRequest): Actor {
  const owner = owners.get(request);
  if (!owner) throw new Error("connector route reached without authentication");
  return { businessId: owner.businessId, userId: owner.userId };
}

/** Query parameters as PHP sees them: for a repeated key, the last value wins. */
function queryOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === "string") out[key] = last;
  }
  return out;
}

/** MySQL LIKE '%term%' with the default case-insensitive collation. */
const like = (haystack: string, term: string): boolean => haystack.toLowerCase().includes(term.toLowerCase());

const csvIds = (value: string): number[] =>
  value.split(",").flatMap((part) => (toId(part) === undefined ? [] : [toId(part) as number]));

const ctxOf = (request: FastifyRequest): RenderContext => ({ origin: origin(request) });

/** Methods each emulated path supports; any other method answers 405. */
const routeMethods: Record<string, string[]> = {
  "/connector/api/business-location": ["GET"],
  "/connector/api/business-location/:id": ["GET"],
  "/connector/api/product": ["GET"],
  "/connector/api/product/:id": ["GET"],
  "/connector/api/variation": ["GET"],
  "/connector/api/variation/:id": ["GET"],
  "/connector/api/product-stock-report": ["GET"],
  "/connector/api/contactapi": ["GET"],
  "/connector/api/sell": ["GET", "POST"],
  "/connector/api/sell/:id": ["GET", "PUT", "PATCH", "DELETE"],
  "/connector/api/sell-return": ["POST"],
};

/** 405 for writes on read-only routes, e.g. `PUT /connector/api/product/{id}`. */
export function registerMethodGuards(app: FastifyInstance): void {
  const all = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
  for (const [url, allowed] of Object.entries(routeMethods)) {
    const others = all.filter((m) => !allowed.includes(m));
    if (others.length === 0) continue;
    app.route({
      method: [...others],
      url,
      handler: async (request, reply) => methodNotAllowed(request, reply, allowed),
    });
  }
}

export function registerConnectorRoutes(app: FastifyInstance, deps: ConnectorDeps): void {
  const { state, tokens, limiter, loginPath } = deps;

  // auth:api, then throttle:api keyed by the authenticated user (Laravel's middleware
  // priority runs Authenticate before ThrottleRequests).
  app.addHook("onRequest", async (request, reply) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
    const owner = match?.[1] ? tokens.authenticate(match[1]) : undefined;
    if (!owner) return unauthenticated(request, reply, loginPath);
    const decision = limiter.hit(`user:${owner.userId}`);
    reply.headers(decision.headers);
    if (!decision.allowed) return tooManyAttempts(reply, decision.headers);
    owners.set(request, owner);
    return undefined;
  });

  // ---- Business locations (not paginated) ----

  app.get("/connector/api/business-location", async (request) => {
    return { data: state.businessLocations(actorOf(request).businessId).map(locationJson) };
  });

  app.get<{ Params: { id: string } }>("/connector/api/business-location/:id", async (request) => {
    const ids = csvIds(request.params.id);
    return {
      data: state
        .businessLocations(actorOf(request).businessId)
        .filter((l) => ids.includes(l.id))
        .map(locationJson),
    };
  });

  // ---- Products (ProductController::index / show) ----

  function filterProducts(request: FastifyRequest, q: Record<string, string>): Product[] {
    const { businessId } = actorOf(request);
    const locationId = q.location_id ? toId(q.location_id) : undefined;
    let products = state.businessProducts(businessId);
    // The emulator keeps no categories or brands: filtering by one matches nothing.
    if (q.category_id || q.brand_id || q.sub_category_id) products = [];
    if (q.location_id)
      products = products.filter((p) => locationId !== undefined && p.locationIds.includes(locationId));
    if (q.name || q.sku) {
      // where(name LIKE) OR sku LIKE OR has a variation whose sub_sku LIKE.
      products = products.filter(
        (p) =>
          (q.name !== undefined && q.name !== "" && like(p.name, q.name)) ||
          (q.sku !== undefined &&
            q.sku !== "" &&
            (like(p.sku, q.sku) || p.variations.some((v) => like(v.subSku, q.sku as string)))),
      );
    }
    if (q.order_by === "product_name" || q.order_by === "newest") {
      const direction = q.order_direction === "desc" ? -1 : 1;
      products = [...products].sort(
        (a, b) => direction * (q.order_by === "newest" ? a.id - b.id : a.name.localeCompare(b.name)),
      );
    }
    return products;
  }

  app.get("/connector/api/product", async (request) => {
    const q = queryOf(request);
    const locationId = q.location_id ? toId(q.location_id) : undefined;
    const rows = filterProducts(request, q).map((p) => productJson(state, p, ctxOf(request), locationId));
    return listResponse(rows, {
      page: readPage(q.page),
      perPage: readPerPage(q.per_page),
      path: pathUrl(request),
      appends: q,
    });
  });

  app.get<{ Params: { id: string } }>("/connector/api/product/:id", async (request) => {
    const ids = csvIds(request.params.id);
    const products = state.businessProducts(actorOf(request).businessId).filter((p) => ids.includes(p.id));
    return { data: products.map((p) => productJson(state, p, ctxOf(request))) };
  });

  // ---- Variations (ProductController::listVariations) ----

  const listVariations = async (request: FastifyRequest, variationIds?: number[]) => {
    const q = queryOf(request);
    const { businessId } = actorOf(request);
    const locationId = q.location_id ? toId(q.location_id) : undefined;
    const productIds = q.product_id ? csvIds(q.product_id) : undefined;
    const rows = state.businessProducts(businessId).flatMap((p) => {
      if (q.category_id || q.brand_id || q.sub_category_id) return [];
      if (q.location_id && (locationId === undefined || !p.locationIds.includes(locationId))) return [];
      if (productIds && !productIds.includes(p.id)) return [];
      if (q.not_for_selling !== undefined && p.notForSelling !== (q.not_for_selling === "1")) return [];
      return p.variations
        .filter((v) => {
          if (variationIds && !variationIds.includes(v.id)) return false;
          if (!q.name && !q.sku) return true;
          // The Connector's quirk: `orWhere('p.sku', LIKE)->where('variations.sub_sku', LIKE)`
          // requires BOTH the product sku and the sub_sku to contain the term, so searching a
          // variable product's sub_sku ("shoe-run-S") misses: the product sku is "shoe-run".
          const byName = Boolean(q.name) && like(p.name, q.name as string);
          const bySku = Boolean(q.sku) && like(p.sku, q.sku as string) && like(v.subSku, q.sku as string);
          return byName || bySku;
        })
        .map((v) => variationRowJson(state, p, v, ctxOf(request), locationId));
    });
    return listResponse(rows, {
      page: readPage(q.page),
      perPage: readPerPage(q.per_page),
      path: pathUrl(request),
      appends: q,
    });
  };

  app.get("/connector/api/variation", async (request) => listVariations(request));
  app.get<{ Params: { id: string } }>("/connector/api/variation/:id", async (request) =>
    listVariations(request, csvIds(request.params.id)),
  );

  // ---- Stock report (CommonResourceController::getProductStock) ----

  app.get("/connector/api/product-stock-report", async (request) => {
    const q = queryOf(request);
    const { businessId } = actorOf(request);
    const locationId = q.location_id ? toId(q.location_id) : undefined;
    const productId = q.product_id ? toId(q.product_id) : undefined;
    const rows = state.businessProducts(businessId).flatMap((p) => {
      if (q.category_id || q.brand_id) return [];
      if (q.product_id && p.id !== productId) return [];
      if (q.type && p.type !== q.type) return [];
      if (q.location_id && (locationId === undefined || !p.locationIds.includes(locationId))) return [];
      return p.variations.flatMap((v) => {
        const stockRows = [...state.stock.values()]
          .filter((row) => row.variationId === v.id)
          .sort((a, b) => a.locationId - b.locationId);
        if (q.location_id) {
          // Filtering on vld.location_id drops variations without a row there: absent, not 0.
          return stockRows
            .filter((row) => row.locationId === locationId)
            .map((row) => stockReportRowJson(state, p, v, row));
        }
        // LEFT JOIN: a variation with no row anywhere still shows once, location and stock null.
        return stockRows.length > 0
          ? stockRows.map((row) => stockReportRowJson(state, p, v, row))
          : [stockReportRowJson(state, p, v, undefined)];
      });
    });
    // `->paginate()` with no argument: the model's default of 15 per page, whatever per_page
    // says, and no `appends`, so links carry only `page`.
    return paginate(rows, {
      page: readPage(q.page),
      perPage: { all: false, size: 15, shown: 15 },
      path: pathUrl(request),
    });
  });

  // ---- Contacts (ContactController::index) ----

  app.get("/connector/api/contactapi", async (request) => {
    const q = queryOf(request);
    const { businessId } = actorOf(request);
    let contacts = [...state.contacts.values()].filter((c) => c.businessId === businessId);
    if (q.type === "customer") contacts = contacts.filter((c) => c.type !== "supplier");
    if (q.type === "supplier") contacts = contacts.filter((c) => c.type !== "customer");
    if (q.name || q.mobile_num || q.contact_id) {
      contacts = contacts.filter(
        (c) =>
          (Boolean(q.name) && like(c.name, q.name as string)) ||
          (Boolean(q.mobile_num) && like(c.mobile, q.mobile_num as string)) ||
          (Boolean(q.contact_id) && like(c.code, q.contact_id as string)),
      );
    }
    return listResponse(contacts.map(contactJson), {
      page: readPage(q.page),
      perPage: readPerPage(q.per_page),
      path: pathUrl(request),
      appends: q,
    });
  });

  // ---- Sells ----

  app.get("/connector/api/sell", async (request) => {
    const q = queryOf(request);
    const { businessId } = actorOf(request);
    const paymentStatuses = q.payment_status ? q.payment_status.split(",") : undefined;
    let sells = [...state.transactions.values()].filter((t) => t.businessId === businessId && t.type === "sell");
    sells = sells.filter(
      (t) =>
        (!q.location_id || t.locationId === toId(q.location_id)) &&
        (!q.contact_id || t.contactId === toId(q.contact_id)) &&
        (!q.status || t.status === q.status) &&
        (!paymentStatuses || paymentStatuses.includes(t.paymentStatus)) &&
        // `source=woocommerce` is special-cased to sells with a woocommerce_order_id: none here.
        (!q.source || (q.source !== "woocommerce" && t.source === q.source)) &&
        // whereDate(transaction_date, '>=', start_date): compare the date part only.
        (!q.start_date || t.transactionDate.slice(0, 10) >= q.start_date) &&
        (!q.end_date || t.transactionDate.slice(0, 10) <= q.end_date),
    );
    if (q.order_by_date) {
      const direction = q.order_by_date === "asc" ? 1 : -1;
      sells = [...sells].sort((a, b) => direction * a.transactionDate.localeCompare(b.transactionDate));
    }
    const rows = sells.map((t) => sellResourceJson(state, t, ctxOf(request)));
    return listResponse(rows, {
      page: readPage(q.page),
      perPage: readPerPage(q.per_page),
      path: pathUrl(request),
      appends: q,
    });
  });

  app.get<{ Params: { id: string } }>("/connector/api/sell/:id", async (request) => {
    const ids = csvIds(request.params.id);
    const { businessId } = actorOf(request);
    const sells = ids.flatMap((id) => {
      const t = state.transactions.get(id);
      return t && t.businessId === businessId && t.type === "sell" ? [t] : [];
    });
    return { data: sells.map((t) => sellResourceJson(state, t, ctxOf(request))) };
  });

  app.post("/connector/api/sell", async (request) => {
    const actor = actorOf(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const sells = phpList(body.sells);
    // SellController::store: `if (empty($sells) || !is_array($sells)) throw new \Exception("Invalid form data")`,
    // caught by the outer catch and appended to the (still HTTP 200) output array.
    if (!sells || sells.length === 0) return [wrappedError("Invalid form data")];
    return sells.map((raw) => {
      try {
        return sellWithLinesJson(createSell(state, actor, raw), ctxOf(request));
      } catch (error) {
        const failure = connectorFailure(error);
        if (!failure) throw error;
        return wrappedError(failure.message);
      }
    });
  });

  const update = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    try {
      return updatedSellJson(updateSell(state, actorOf(request), request.params.id, request.body), ctxOf(request));
    } catch (error) {
      const failure = connectorFailure(error);
      if (!failure) throw error;
      return reply.code(failure.status).send(errorBody(failure.message));
    }
  };
  app.put<{ Params: { id: string } }>("/connector/api/sell/:id", update);
  app.patch<{ Params: { id: string } }>("/connector/api/sell/:id", update);

  app.delete<{ Params: { id: string } }>("/connector/api/sell/:id", async (request) =>
    deleteSell(state, actorOf(request), request.params.id),
  );

  app.post("/connector/api/sell-return", async (request, reply) => {
    try {
      // The answer is the sell_return transaction itself, without relations.
      return transactionJson(upsertSellReturn(state, actorOf(request), request.body));
    } catch (error) {
      if (error instanceof ServerError) return serverError(reply);
      const failure = connectorFailure(error);
      if (!failure) throw error;
      return reply.code(failure.status).send(errorBody(failure.message));
    }
  });
}

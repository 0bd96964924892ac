/**
 * The control API over HTTP: every `WooCommerceControl` operation under `/_control/...` on the
 * emulator's Fastify scope. JSON in, JSON out; errors are `{error:{code,message}}`.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { FaultPlanInput } from "../shared/faults.ts";
import { ControlError, type WooCommerceControl } from "./control.ts";
import type { ParsedBody } from "./http.ts";

function sendControlError(reply: FastifyReply, e: unknown): FastifyReply {
  if (e instanceof ControlError) return reply.code(e.status).send({ error: { code: e.code, message: e.message } });
  throw e;
}

/** Registers `/_control/...` on the emulator's Fastify scope. */
export function registerControlRoutes(app: FastifyInstance, control: WooCommerceControl): void {
  const body = (raw: unknown): unknown => {
    const parsed = raw as ParsedBody | undefined;
    if (!parsed) return {};
    if (parsed.kind === "json") return parsed.value ?? {};
    if (parsed.kind === "invalid-json") throw new ControlError("invalid_json", parsed.message);
    throw new ControlError("invalid_input", "Send a JSON body (Content-Type: application/json).");
  };
  const id = (raw: string | undefined): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new ControlError("invalid_input", `"${raw}" is not an id.`);
    return n;
  };
  type Params = Record<string, string | undefined>;
  const route = (
    method: "GET" | "POST" | "PUT" | "DELETE",
    url: string,
    fn: (params: Params, input: unknown, query: Params) => unknown,
    status = 200,
  ) => {
    app.route({
      method,
      url: `/_control${url}`,
      handler: async (request, reply) => {
        try {
          const result = await fn(
            request.params as Params,
            method === "GET" || method === "DELETE" ? {} : body(request.body),
            request.query as Params,
          );
          return reply.code(status).send(result ?? { ok: true });
        } catch (e) {
          return sendControlError(reply, e);
        }
      },
    });
  };
  const s = (p: Params) => p.site ?? "";

  route("POST", "/reset", () => control.reset());
  route("GET", "/sites", () => control.listSites());
  route("POST", "/sites", (_p, input) => control.createSite(input as never), 201);
  route("POST", "/sites/:site/keys", (p, input) => control.createApiKey(s(p), input as never), 201);
  route("POST", "/sites/:site/products", (p, input) => control.createProduct(s(p), input as never), 201);
  route("GET", "/sites/:site/products/:sku", (p) => control.getProduct(s(p), p.sku ?? ""));
  route(
    "POST",
    "/sites/:site/products/:id/variations",
    (p, input) => control.createVariation(s(p), id(p.id), input as never),
    201,
  );
  route("POST", "/sites/:site/products/:id/trash", (p) => control.trashProduct(s(p), id(p.id)));
  route("POST", "/sites/:site/products/:id/restore", (p) => control.restoreProduct(s(p), id(p.id)));
  route("POST", "/sites/:site/stock", (p, input) => control.setStock(s(p), input as never));
  route("POST", "/sites/:site/orders", (p, input) => control.placeOrder(s(p), input as never), 201);
  route("POST", "/sites/:site/orders/:id/pay", (p) => control.payOrder(s(p), id(p.id)));
  route("POST", "/sites/:site/orders/:id/cancel", (p) => control.cancelOrder(s(p), id(p.id)));
  route("POST", "/sites/:site/orders/:id/complete", (p) => control.completeOrder(s(p), id(p.id)));
  route("POST", "/sites/:site/orders/:id/trash", (p) => control.trashOrder(s(p), id(p.id)));
  route("POST", "/sites/:site/orders/:id/restore", (p) => control.restoreOrder(s(p), id(p.id)));
  route(
    "POST",
    "/sites/:site/orders/:id/refunds",
    (p, input) => control.refundOrder(s(p), id(p.id), input as never),
    201,
  );
  route("GET", "/sites/:site/webhooks", (p) => control.listWebhooks(s(p)));
  route("POST", "/sites/:site/webhooks", (p, input) => control.createWebhook(s(p), input as never), 201);
  route("PUT", "/sites/:site/webhooks/:id", (p, input) => control.setWebhookStatus(s(p), id(p.id), input as never));
  route("GET", "/deliveries", (_p, _i, q) =>
    control.deliveries({ site: q.site, webhookId: q.webhookId ? id(q.webhookId) : undefined }),
  );
  route("DELETE", "/deliveries", () => control.clearDeliveries());
  route("GET", "/faults", () => control.getFaultPlan());
  route("PUT", "/faults", (_p, input) => control.setFaultPlan(input as FaultPlanInput));
  route("POST", "/webhooks/flush", () => control.flushWebhooks());
  route("POST", "/seed-demo", () => control.seedDemo(), 201);
}

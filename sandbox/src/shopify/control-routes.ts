/**
 * The control API over HTTP, under `/_control/`. Every route is a thin wrapper around the
 * in-process `ShopifyControl` method of the same name; validation errors become
 * `400 {"error":{"code":"invalid_input","message":...}}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ShopifyControl } from "./control.ts";
import { ControlError } from "./errors.ts";
import type { Faults } from "../shared/faults.ts";

type Handler = (request: FastifyRequest) => unknown;

function body(request: FastifyRequest): unknown {
  return request.body ?? {};
}

/** Query strings carry strings only; turn numeric ids back into what the schemas expect. */
function query(request: FastifyRequest): Record<string, string> {
  return { ...(request.query as Record<string, string>) };
}

export function registerControlRoutes(app: FastifyInstance, control: ShopifyControl, faults: Faults): void {
  const wrap =
    (handler: Handler, status = 200) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const result = await handler(request);
        return reply.code(result === undefined ? 204 : status).send(result ?? undefined);
      } catch (error) {
        if (error instanceof ControlError)
          return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
        throw error;
      }
    };

  app.post(
    "/_control/reset",
    wrap(() => control.reset()),
  );
  app.post(
    "/_control/seed-demo",
    wrap((r) => control.seedDemo(body(r) as never), 201),
  );
  app.post(
    "/_control/shops",
    wrap((r) => control.createShop(body(r) as never), 201),
  );
  app.post(
    "/_control/apps",
    wrap((r) => control.registerApp(body(r) as never), 201),
  );
  app.post(
    "/_control/apps/install",
    wrap((r) => control.installApp(body(r) as never), 201),
  );
  app.post(
    "/_control/apps/uninstall",
    wrap((r) => control.uninstallApp(body(r) as never)),
  );
  app.post(
    "/_control/session-token",
    wrap((r) => ({ sessionToken: control.mintSessionToken(body(r) as never) }), 201),
  );
  app.post(
    "/_control/products",
    wrap((r) => control.createProduct(body(r) as never), 201),
  );
  app.post(
    "/_control/products/delete",
    wrap((r) => control.deleteProduct(body(r) as never)),
  );
  app.post(
    "/_control/stock",
    wrap((r) => control.setStock(body(r) as never)),
  );
  app.get(
    "/_control/stock",
    wrap((r) => control.getStock(query(r) as never)),
  );
  app.post(
    "/_control/orders",
    wrap((r) => control.placeOrder(body(r) as never), 201),
  );
  app.post(
    "/_control/orders/paid",
    wrap((r) => control.markPaid(body(r) as never)),
  );
  app.post(
    "/_control/orders/cancel",
    wrap((r) => control.cancelOrder(body(r) as never)),
  );
  app.post(
    "/_control/orders/refund",
    wrap((r) => control.refundOrder(body(r) as never), 201),
  );
  app.post(
    "/_control/orders/edit",
    wrap((r) => control.editOrder(body(r) as never)),
  );
  app.get(
    "/_control/deliveries",
    wrap((r) => control.listDeliveries(query(r))),
  );
  app.delete(
    "/_control/deliveries",
    wrap(() => control.clearDeliveries()),
  );
  app.post(
    "/_control/deliveries/wait",
    wrap(async () => (await control.waitForDeliveries(), { idle: true })),
  );
  app.get(
    "/_control/faults",
    wrap(() => faults.current()),
  );
  app.put(
    "/_control/faults",
    wrap((r) => control.setFaultPlan(body(r) as never)),
  );
}

/**
 * The sandbox console's JSON API (/sandbox/api/*): the demo credentials, the stock of every demo
 * SKU in each system, and a shopper's or merchant's actions on the emulated stores and Prokip.
 * What the backend knows of the demo business (its stock figures, the Prokip variation of a SKU,
 * "sync now") comes from the backend through `DemoBusinessView`; the emulators' figures are read
 * here, in process.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Sandbox, SandboxCredentials } from "../sandbox.ts";

/** The backend's side of the demo business, once it is connected (null until then: 503 starting). */
export interface DemoBusinessView {
  /** The Prokip location the demo business sells from. */
  prokipLocationId: number;
  /** Every demo SKU with the backend's figures: what is available and what each store should show. */
  stock(): Promise<
    { sku: string; product: string; prokipVariationId: number | null; available: number; target: number }[]
  >;
  /** The Prokip variation of a demo SKU, or null when the demo business has no such product. */
  prokipVariationId(sku: string): Promise<number | null>;
  /** Reconciles every demo connection now (Prokip stock, store orders, store quantities). */
  syncNow(): Promise<unknown>;
}

const storeName = z.enum(["shopify", "woocommerce"]);
const lines = z
  .array(z.object({ sku: z.string().min(1), quantity: z.number().int().min(1).max(1000) }).strict())
  .min(1)
  .max(50);
const orderRequest = z.object({ store: storeName, lines }).strict();
const refundRequest = z
  .object({ store: storeName, orderId: z.union([z.string().min(1), z.number().int()]), lines, restock: z.boolean() })
  .strict();
const cancellationRequest = z
  .object({ store: storeName, orderId: z.union([z.string().min(1), z.number().int()]) })
  .strict();
const prokipStockRequest = z
  .object({ sku: z.string().min(1), quantity: z.number().int().min(-100_000).max(1_000_000) })
  .strict();

/** Mounts the console's API; `demo` is null until the backend has connected the demo business. */
export function registerConsoleApi(
  app: FastifyInstance,
  sandbox: Sandbox,
  credentials: SandboxCredentials,
  demo: () => DemoBusinessView | null,
): void {
  const shop = credentials.shopify.shop;
  const site = "demo";

  app.get("/sandbox/api/credentials", async () => credentials);

  app.get("/sandbox/api/state", async (_request, reply) => {
    const ready = demo();
    if (!ready) return notReady(reply);
    const rows = await ready.stock();
    return {
      skus: rows.map((row) => ({
        sku: row.sku,
        product: row.product,
        prokip:
          row.prokipVariationId === null
            ? null
            : (sandbox.prokip.control.getStock({
                variationId: row.prokipVariationId,
                locationId: ready.prokipLocationId,
              }).quantity ?? 0),
        shopify: quietly(() => sandbox.shopify.control.getStock({ shop, sku: row.sku }).available ?? null),
        woocommerce: quietly(
          () =>
            (sandbox.woocommerce.control.getProduct(site, row.sku) as { stock_quantity?: number | null })
              .stock_quantity ?? null,
        ),
        available: row.available,
        target: row.target,
      })),
    };
  });

  app.post("/sandbox/api/orders", async (request, reply) => {
    const input = parse(orderRequest, request.body, reply);
    if (!input) return reply;
    return storeAction(reply, () => {
      const order =
        input.store === "shopify"
          ? sandbox.shopify.control.placeOrder({ shop, lines: input.lines })
          : (sandbox.woocommerce.control.placeOrder(site, { lines: input.lines, paid: true }) as { id: number });
      return reply.code(201).send({ store: input.store, orderId: String(order.id) });
    });
  });

  app.post("/sandbox/api/refunds", async (request, reply) => {
    const input = parse(refundRequest, request.body, reply);
    if (!input) return reply;
    return storeAction(reply, () => {
      if (input.store === "shopify")
        sandbox.shopify.control.refundOrder({ shop, order: input.orderId, restock: input.restock, lines: input.lines });
      else
        sandbox.woocommerce.control.refundOrder(site, Number(input.orderId), {
          lines: input.lines,
          restock: input.restock,
        });
      return reply.code(201).send({ store: input.store, orderId: String(input.orderId) });
    });
  });

  app.post("/sandbox/api/cancellations", async (request, reply) => {
    const input = parse(cancellationRequest, request.body, reply);
    if (!input) return reply;
    return storeAction(reply, () => {
      if (input.store === "shopify") sandbox.shopify.control.cancelOrder({ shop, order: input.orderId, restock: true });
      else sandbox.woocommerce.control.cancelOrder(site, Number(input.orderId));
      return reply.code(201).send({ store: input.store, orderId: String(input.orderId) });
    });
  });

  app.post("/sandbox/api/prokip-stock", async (request, reply) => {
    const input = parse(prokipStockRequest, request.body, reply);
    if (!input) return reply;
    const ready = demo();
    if (!ready) return notReady(reply);
    const variationId = await ready.prokipVariationId(input.sku);
    if (!variationId)
      return reply
        .code(404)
        .send({ error: { code: "unknown_sku", message: `No Prokip product with SKU ${input.sku}` } });
    sandbox.prokip.control.setStock({
      variationId,
      locationId: ready.prokipLocationId,
      quantity: String(input.quantity),
    });
    return reply.code(200).send({ sku: input.sku, prokip: input.quantity });
  });

  app.post("/sandbox/api/sync-now", async (_request, reply) => {
    const ready = demo();
    if (!ready) return notReady(reply);
    return reply.code(200).send({ status: "done", result: await ready.syncNow() });
  });
}

function parse<T>(schema: z.ZodType<T>, body: unknown, reply: FastifyReply): T | null {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  void reply.code(400).send({
    error: {
      code: "invalid_input",
      message: "The request is not valid",
      details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    },
  });
  return null;
}

/**
 * Runs a shopper's or merchant's action on an emulated platform. The platform's refusal (not
 * enough stock, an unknown order, refunding more than was bought) is the person's to fix: it is
 * answered with its own status (4xx), code and message, not as an internal error.
 */
function storeAction(reply: FastifyReply, action: () => FastifyReply): FastifyReply {
  try {
    return action();
  } catch (error) {
    const refusal = error as { status?: unknown; code?: unknown; message?: unknown; data?: { status?: unknown } };
    const status =
      typeof refusal.status === "number"
        ? refusal.status
        : typeof refusal.data?.status === "number"
          ? refusal.data.status
          : null;
    if (status === null || status < 400 || status >= 500) throw error;
    return reply.code(status).send({
      error: { code: typeof refusal.code === "string" ? refusal.code : "rejected", message: String(refusal.message) },
    });
  }
}

function notReady(reply: FastifyReply) {
  return reply.code(503).send({ error: { code: "starting", message: "The sandbox is still starting" } });
}

function quietly<T>(read: () => T): T | null {
  try {
    return read();
  } catch {
    return null; // the product is not in that store
  }
}

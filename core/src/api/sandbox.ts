/**
 * Sandbox mode: the emulators mounted under /sandbox/*, a page that says plainly that this is
 * a sandbox and shows the demo credentials, and the same credentials as JSON for scripts. When a
 * host serves the Shopify app in this process, also the emulated Shopify admin that opens it
 * (sandbox-shopify-admin.ts), linked from the console as "Open the Shopify app".
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { Sandbox, SandboxCredentials } from "@prokip-sync/sandbox";
import { storeTarget } from "../domain/index.ts";
import { guardSandboxRoutes } from "./sandbox-guard.ts";
import { sandboxPage } from "./sandbox-page.ts";
import { registerShopifyAdmin, SHOPIFY_ADMIN_PATH, type ShopifyAdminOptions } from "./sandbox-shopify-admin.ts";
import type pg from "pg";

/** What the sandbox API needs once the database and the demo business are ready. */
export interface SandboxRuntime {
  pool: pg.Pool;
  businessId: string;
  locationId: string;
  prokipLocationId: number;
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

export async function registerSandbox(
  app: FastifyInstance,
  sandbox: Sandbox,
  credentials: SandboxCredentials,
  runtime: () => SandboxRuntime | null,
  options: { publicUrl: string; shopifyAdmin?: ShopifyAdminOptions },
): Promise<void> {
  // Before the routes: the checks are a root hook that every /sandbox route passes.
  guardSandboxRoutes(app, { publicUrl: options.publicUrl });
  await sandbox.routes(app);
  const shop = credentials.shopify.shop;
  const site = "demo";

  if (options.shopifyAdmin) registerShopifyAdmin(app, sandbox, credentials, options.shopifyAdmin);
  const page = sandboxPage(credentials, { shopifyAdminUrl: options.shopifyAdmin ? SHOPIFY_ADMIN_PATH : null });
  app.get("/sandbox/api/credentials", async () => credentials);
  app.get("/sandbox", async (_request, reply) => reply.type("text/html; charset=utf-8").send(page));

  app.get("/sandbox/api/state", async (_request, reply) => {
    const ready = runtime();
    if (!ready) return notReady(reply);
    const { rows } = await ready.pool.query<{
      sku: string;
      product: string;
      prokipVariationId: number | null;
      available: number | null;
      buffer: number | null;
    }>(
      `SELECT v."sku", v."productTitle" || CASE WHEN v."title" <> v."productTitle" THEN ' - ' || v."title" ELSE '' END AS "product",
              v."prokipVariationId", s."available", (SELECT max(c."buffer") FROM "Connection" c WHERE c."businessId" = v."businessId") AS "buffer"
       FROM "Variant" v
       LEFT JOIN "StockLevel" s ON s."businessId" = v."businessId" AND s."variantId" = v."id" AND s."locationId" = $2
       WHERE v."businessId" = $1 ORDER BY v."sku"`,
      [ready.businessId, ready.locationId],
    );
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
        available: row.available ?? 0,
        target: storeTarget(row.available ?? 0, row.buffer ?? 0),
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
    const ready = runtime();
    if (!ready) return notReady(reply);
    const { rows } = await ready.pool.query<{ prokipVariationId: number | null }>(
      `SELECT "prokipVariationId" FROM "Variant" WHERE "businessId" = $1 AND "normalizedSku" = lower(trim($2))`,
      [ready.businessId, input.sku],
    );
    const variationId = rows[0]?.prokipVariationId;
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
    const ready = runtime();
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

/**
 * The control API: what a test (or the product's demo mode) does to the emulated Prokip that
 * the Connector API itself cannot do, such as creating businesses and products, or changing
 * stock the way a merchant would in the Prokip back office.
 *
 * Every operation exists twice: as a method of `ProkipControl` (in-process) and as a JSON
 * route under `/_control/...` (over HTTP). Both validate with the same zod schemas; bad input
 * is a 400 `{"error":{"code":"invalid_input","message":...}}` over HTTP and a thrown
 * `ControlError` in-process.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { FaultPlan, FaultPlanInput, Faults } from "../shared/faults.ts";
import { seedDemoBusiness, type DemoSeed } from "./demo.ts";
import { dec } from "./format.ts";
import type { ProkipState } from "./state.ts";
import type { RateLimiter } from "./throttle.ts";
import type { TokenStore } from "./oauth.ts";
import type { Business, Product, Transaction } from "./types.ts";

// ---- Input schemas ----

/** A decimal as a number or a numeric string ("1500.0000"). */
const decimal = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, "must be a decimal number")])
  .transform(Number);
const id = z.coerce.number().int().positive();

export const createBusinessSchema = z
  .object({
    name: z.string().min(1),
    /** Passport client id; generated when absent. */
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    /** The POS setting; when false, sells beyond stock fail with the "Mismatch" error. */
    allowOverselling: z.boolean().default(true),
    users: z
      .array(
        z
          .object({ username: z.string().min(1), password: z.string().min(1), firstName: z.string().min(1).optional() })
          .strict(),
      )
      .min(1),
  })
  .strict();

export const updateBusinessSchema = z.object({ businessId: id, allowOverselling: z.boolean() }).strict();

export const createLocationSchema = z
  .object({
    businessId: id,
    name: z.string().min(1),
    city: z.string().default(""),
    state: z.string().default(""),
    country: z.string().default(""),
    zipCode: z.string().default(""),
    isActive: z.boolean().default(true),
  })
  .strict();

export const createContactSchema = z
  .object({
    businessId: id,
    name: z.string().min(1),
    type: z.enum(["customer", "supplier", "both"]).default("customer"),
    mobile: z.string().default(""),
    email: z.string().optional(),
  })
  .strict();

const variationInput = z
  .object({
    /** Option value, e.g. "Small". */
    name: z.string().min(1),
    /** Defaults to `${sku}-${n}` as UltimatePOS generates it. */
    subSku: z.string().min(1).optional(),
    price: decimal,
    purchasePrice: decimal.optional(),
  })
  .strict();

export const createProductSchema = z
  .object({
    businessId: id,
    name: z.string().min(1),
    sku: z.string().min(1),
    type: z.enum(["single", "variable"]).default("single"),
    enableStock: z.boolean().default(true),
    notForSelling: z.boolean().default(false),
    isInactive: z.boolean().default(false),
    description: z.string().optional(),
    /** product_locations; defaults to every location of the business. */
    locationIds: z.array(id).optional(),
    /** Single products: the sell price (inc. tax; no taxes are emulated). */
    price: decimal.optional(),
    purchasePrice: decimal.optional(),
    /** Variable products: the option name ("Size") and its values. */
    variationName: z.string().min(1).optional(),
    variations: z.array(variationInput).min(1).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.type === "single" && p.price === undefined)
      ctx.addIssue({ code: "custom", path: ["price"], message: "a single product needs a price" });
    if (p.type === "variable" && !p.variations)
      ctx.addIssue({ code: "custom", path: ["variations"], message: "a variable product needs variations" });
    if (p.type === "single" && p.variations)
      ctx.addIssue({ code: "custom", path: ["variations"], message: "a single product has no variations" });
  });

export const setStockSchema = z.object({ variationId: id, locationId: id, quantity: decimal }).strict();
export const getStockSchema = z.object({ variationId: id, locationId: id }).strict();
export const listSellsSchema = z.object({ businessId: id.optional() }).strict();

export type CreateBusinessInput = z.input<typeof createBusinessSchema>;
export type UpdateBusinessInput = z.input<typeof updateBusinessSchema>;
export type CreateLocationInput = z.input<typeof createLocationSchema>;
export type CreateContactInput = z.input<typeof createContactSchema>;
export type CreateProductInput = z.input<typeof createProductSchema>;
export type SetStockInput = z.input<typeof setStockSchema>;
export type GetStockInput = z.input<typeof getStockSchema>;
export type ListSellsInput = z.input<typeof listSellsSchema>;

// ---- Results ----

export interface BusinessCreated {
  id: number;
  name: string;
  allowOverselling: boolean;
  clientId: string;
  clientSecret: string;
  users: { id: number; username: string; password: string }[];
  /** The default walk-in customer, usable as a sell's contact_id. */
  walkInCustomerId: number;
}

export interface LocationCreated {
  id: number;
  businessId: number;
  /** "BL0001" */
  locationCode: string;
  name: string;
}

export interface ContactCreated {
  id: number;
  businessId: number;
  name: string;
  type: string;
}

export interface ProductCreated {
  id: number;
  businessId: number;
  name: string;
  sku: string;
  type: "single" | "variable";
  enableStock: boolean;
  locationIds: number[];
  /** For a single product, one "DUMMY" variation whose id is the variation_id to sell. */
  variations: { id: number; name: string; subSku: string; price: string }[];
}

export interface StockLevel {
  variationId: number;
  locationId: number;
  /** null: no stock row at that location (the stock report leaves the variation out). */
  quantity: number | null;
}

export interface SellSummary {
  id: number;
  businessId: number;
  type: "sell" | "sell_return";
  status: string;
  invoiceNo: string;
  locationId: number;
  contactId: number;
  transactionDate: string;
  finalTotal: string;
  paymentStatus: string;
  returnParentId: number | null;
  lines: { id: number; productId: number; variationId: number; quantity: number; quantityReturned: number }[];
}

export interface ProkipControl {
  /** Forget everything: businesses, products, stock, sells, tokens, throttle counters. */
  reset(): void;
  createBusiness(input: CreateBusinessInput): BusinessCreated;
  updateBusiness(input: UpdateBusinessInput): BusinessCreated;
  createLocation(input: CreateLocationInput): LocationCreated;
  createContact(input: CreateContactInput): ContactCreated;
  createProduct(input: CreateProductInput): ProductCreated;
  /** The merchant changing stock in Prokip (creates the stock row if there is none). */
  setStock(input: SetStockInput): StockLevel;
  getStock(input: GetStockInput): StockLevel;
  /** Sells and sell returns, oldest first. */
  listSells(input?: ListSellsInput): SellSummary[];
  setFaultPlan(plan: FaultPlanInput): FaultPlan;
  getFaultPlan(): FaultPlan;
  /** The deterministic demo business (idempotent: a second call returns the same business). */
  seedDemo(): DemoSeed;
}

export class ControlError extends Error {
  constructor(
    readonly status: 400 | 404 | 409,
    readonly code: "invalid_input" | "not_found" | "conflict",
    message: string,
  ) {
    super(message);
  }
}

/** zod parse that throws a ControlError with a readable message. */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const message = result.error.issues
      .map((i) => (i.path.length > 0 ? `${i.path.join(".")}: ${i.message}` : i.message))
      .join("; ");
    throw new ControlError(400, "invalid_input", message);
  }
  return result.data;
}

// ---- The implementation ----

export interface ControlDeps {
  state: ProkipState;
  tokens: TokenStore;
  limiter: RateLimiter;
  faults: Faults;
}

export function createControl(deps: ControlDeps): ProkipControl {
  const { state, tokens, limiter, faults } = deps;

  const business = (businessId: number): Business => {
    const found = state.businesses.get(businessId);
    if (!found) throw new ControlError(404, "not_found", `business ${businessId} not found`);
    return found;
  };

  const describeBusiness = (b: Business): BusinessCreated => {
    const client = [...state.clients.values()].find((c) => c.businessId === b.id);
    const walkIn = [...state.contacts.values()].find((c) => c.businessId === b.id && c.isDefault);
    return {
      id: b.id,
      name: b.name,
      allowOverselling: b.allowOverselling,
      clientId: client?.clientId ?? "",
      clientSecret: client?.secret ?? "",
      users: [...state.users.values()]
        .filter((u) => u.businessId === b.id)
        .map((u) => ({ id: u.id, username: u.username, password: u.password })),
      walkInCustomerId: walkIn?.id ?? 0,
    };
  };

  const describeProduct = (p: Product): ProductCreated => ({
    id: p.id,
    businessId: p.businessId,
    name: p.name,
    sku: p.sku,
    type: p.type,
    enableStock: p.enableStock,
    locationIds: [...p.locationIds],
    variations: p.variations.map((v) => ({ id: v.id, name: v.name, subSku: v.subSku, price: dec(v.sellPriceIncTax) })),
  });

  const summarise = (t: Transaction): SellSummary => ({
    id: t.id,
    businessId: t.businessId,
    type: t.type,
    status: t.status,
    invoiceNo: t.invoiceNo,
    locationId: t.locationId,
    contactId: t.contactId,
    transactionDate: t.transactionDate,
    finalTotal: dec(t.finalTotal),
    paymentStatus: t.paymentStatus,
    returnParentId: t.returnParentId,
    lines: t.sellLines.map((l) => ({
      id: l.id,
      productId: l.productId,
      variationId: l.variationId,
      quantity: l.quantity,
      quantityReturned: l.quantityReturned,
    })),
  });

  const addContact = (
    b: Business,
    name: string,
    type: "customer" | "supplier" | "both",
    mobile: string,
    isDefault: boolean,
    email?: string,
  ) => {
    b.counters.contact += 1;
    const contact = {
      id: state.nextId("contact"),
      businessId: b.id,
      type,
      name,
      mobile,
      email: email ?? null,
      code: `CO${String(b.counters.contact).padStart(4, "0")}`,
      isDefault,
      createdAt: state.now(),
    };
    state.contacts.set(contact.id, contact);
    return contact;
  };

  const control: ProkipControl = {
    reset() {
      state.reset();
      tokens.reset();
      limiter.reset();
    },

    createBusiness(input) {
      const data = parse(createBusinessSchema, input);
      for (const u of data.users) {
        // UltimatePOS usernames are unique installation-wide (Passport logs in by username).
        if ([...state.users.values()].some((existing) => existing.username === u.username))
          throw new ControlError(409, "conflict", `username "${u.username}" is taken`);
      }
      if (data.clientId !== undefined && state.clients.has(data.clientId))
        throw new ControlError(409, "conflict", `client id "${data.clientId}" is taken`);

      const now = state.now();
      const b: Business = {
        id: state.nextId("business"),
        name: data.name,
        allowOverselling: data.allowOverselling,
        createdAt: now,
        counters: { invoice: 0, sellReturn: 0, payment: 0, location: 0, contact: 0 },
      };
      state.businesses.set(b.id, b);
      // Passport client ids are auto-increment integers and secrets 40 random characters;
      // derived from the business id here so they stay deterministic.
      const clientId = data.clientId ?? String(b.id - 100_000);
      const secret = data.clientSecret ?? `sandbox${String(b.id)}`.padEnd(40, "x");
      state.clients.set(clientId, { clientId, secret, businessId: b.id, name: `${data.name} Connector` });
      for (const u of data.users) {
        const userId = state.nextId("user");
        state.users.set(userId, {
          id: userId,
          businessId: b.id,
          username: u.username,
          password: u.password,
          firstName: u.firstName ?? u.username,
          createdAt: now,
        });
      }
      // Every UltimatePOS business starts with a default walk-in customer.
      addContact(b, "Walk-In Customer", "customer", "", true);
      return describeBusiness(b);
    },

    updateBusiness(input) {
      const data = parse(updateBusinessSchema, input);
      const b = business(data.businessId);
      b.allowOverselling = data.allowOverselling;
      return describeBusiness(b);
    },

    createLocation(input) {
      const data = parse(createLocationSchema, input);
      const b = business(data.businessId);
      b.counters.location += 1;
      const location = {
        id: state.nextId("location"),
        businessId: b.id,
        code: `BL${String(b.counters.location).padStart(4, "0")}`,
        name: data.name,
        city: data.city,
        state: data.state,
        country: data.country,
        zipCode: data.zipCode,
        isActive: data.isActive,
        createdAt: state.now(),
      };
      state.locations.set(location.id, location);
      return { id: location.id, businessId: b.id, locationCode: location.code, name: location.name };
    },

    createContact(input) {
      const data = parse(createContactSchema, input);
      const contact = addContact(business(data.businessId), data.name, data.type, data.mobile, false, data.email);
      return { id: contact.id, businessId: contact.businessId, name: contact.name, type: contact.type };
    },

    createProduct(input) {
      const data = parse(createProductSchema, input);
      const b = business(data.businessId);
      const locationIds = data.locationIds ?? state.businessLocations(b.id).map((l) => l.id);
      for (const locationId of locationIds) {
        if (state.locations.get(locationId)?.businessId !== b.id)
          throw new ControlError(404, "not_found", `location ${locationId} not found in business ${b.id}`);
      }
      const variationInputs =
        data.type === "single"
          ? [{ name: "DUMMY", subSku: data.sku, price: data.price ?? 0, purchasePrice: data.purchasePrice }]
          : (data.variations ?? []).map((v, i) => ({ ...v, subSku: v.subSku ?? `${data.sku}-${i + 1}` }));
      // UltimatePOS keeps SKUs (product sku and variation sub_sku) unique within a business.
      const taken = new Set(state.businessProducts(b.id).flatMap((p) => [p.sku, ...p.variations.map((v) => v.subSku)]));
      for (const sku of new Set([data.sku, ...variationInputs.map((v) => v.subSku)])) {
        if (taken.has(sku)) throw new ControlError(409, "conflict", `sku "${sku}" already exists in business ${b.id}`);
      }

      const now = state.now();
      const productId = state.nextId("product");
      const productVariationId = state.nextId("productVariation");
      const product: Product = {
        id: productId,
        businessId: b.id,
        name: data.name,
        sku: data.sku,
        type: data.type,
        enableStock: data.enableStock,
        notForSelling: data.notForSelling,
        isInactive: data.isInactive,
        description: data.description ?? null,
        productVariationId,
        productVariationName: data.type === "single" ? "DUMMY" : (data.variationName ?? "Variation"),
        locationIds,
        variations: variationInputs.map((v) => ({
          id: state.nextId("variation"),
          productId,
          productVariationId,
          name: v.name,
          subSku: v.subSku,
          defaultPurchasePrice: v.purchasePrice ?? 0,
          defaultSellPrice: v.price,
          sellPriceIncTax: v.price,
          createdAt: now,
        })),
        createdAt: now,
      };
      state.products.set(product.id, product);
      for (const v of product.variations) state.variations.set(v.id, v);
      return describeProduct(product);
    },

    setStock(input) {
      const data = parse(setStockSchema, input);
      const variation = state.variations.get(data.variationId);
      const product = state.productOfVariation(data.variationId);
      if (!variation || !product) throw new ControlError(404, "not_found", `variation ${data.variationId} not found`);
      if (state.locations.get(data.locationId)?.businessId !== product.businessId) {
        throw new ControlError(
          404,
          "not_found",
          `location ${data.locationId} not found in business ${product.businessId}`,
        );
      }
      if (!product.enableStock)
        throw new ControlError(
          400,
          "invalid_input",
          `product ${product.id} does not manage stock (enable_stock is off)`,
        );
      const row = state.setStock(variation, data.locationId, data.quantity);
      return { variationId: variation.id, locationId: data.locationId, quantity: row.qty };
    },

    getStock(input) {
      const data = parse(getStockSchema, input);
      if (!state.variations.has(data.variationId))
        throw new ControlError(404, "not_found", `variation ${data.variationId} not found`);
      return {
        variationId: data.variationId,
        locationId: data.locationId,
        quantity: state.stockRow(data.variationId, data.locationId)?.qty ?? null,
      };
    },

    listSells(input = {}) {
      const data = parse(listSellsSchema, input);
      return [...state.transactions.values()]
        .filter((t) => data.businessId === undefined || t.businessId === data.businessId)
        .map(summarise);
    },

    setFaultPlan(plan) {
      try {
        // configure() parses before it changes anything, so a bad plan leaves the old one.
        return faults.configure(plan);
      } catch (error) {
        if (error instanceof z.ZodError)
          throw new ControlError(
            400,
            "invalid_input",
            error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
          );
        throw error;
      }
    },

    getFaultPlan() {
      return faults.current();
    },

    seedDemo() {
      return seedDemoBusiness(state, control);
    },
  };
  return control;
}

// ---- Over HTTP ----

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof ControlError)
    return reply.code(error.status).send({ error: { code: error.code, message: error.message } });
  throw error;
}

/** `/_control/*` routes: JSON in, JSON out, never throttled or faulted. */
export function registerControlRoutes(app: FastifyInstance, control: ProkipControl): void {
  // Malformed JSON and the like come back in the control API's error shape too.
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    return reply
      .code(status)
      .send({ error: { code: status < 500 ? "invalid_input" : "internal", message: error.message } });
  });

  const handle =
    (run: (body: unknown, params: Record<string, string>, query: unknown) => unknown, status = 200) =>
    async (request: { body: unknown; params: unknown; query: unknown }, reply: FastifyReply) => {
      try {
        const result = run(request.body ?? {}, (request.params ?? {}) as Record<string, string>, request.query ?? {});
        return reply.code(status).send(result);
      } catch (error) {
        return sendError(reply, error);
      }
    };

  app.post(
    "/_control/reset",
    handle(() => {
      control.reset();
      return { ok: true };
    }),
  );
  app.post(
    "/_control/businesses",
    handle((body) => control.createBusiness(body as CreateBusinessInput), 201),
  );
  app.patch(
    "/_control/businesses/:businessId",
    handle((body, params) =>
      control.updateBusiness({ ...(body as object), businessId: params.businessId } as unknown as UpdateBusinessInput),
    ),
  );
  app.post(
    "/_control/locations",
    handle((body) => control.createLocation(body as CreateLocationInput), 201),
  );
  app.post(
    "/_control/contacts",
    handle((body) => control.createContact(body as CreateContactInput), 201),
  );
  app.post(
    "/_control/products",
    handle((body) => control.createProduct(body as CreateProductInput), 201),
  );
  app.put(
    "/_control/stock",
    handle((body) => control.setStock(body as SetStockInput)),
  );
  app.get(
    "/_control/stock",
    handle((_body, _params, query) => control.getStock(query as GetStockInput)),
  );
  app.get(
    "/_control/sells",
    handle((_body, _params, query) => control.listSells(query as ListSellsInput)),
  );
  app.get(
    "/_control/faults",
    handle(() => control.getFaultPlan()),
  );
  app.put(
    "/_control/faults",
    handle((body) => control.setFaultPlan(body as FaultPlanInput)),
  );
  app.post(
    "/_control/seed-demo",
    handle(() => control.seedDemo()),
  );
}

/**
 * Prokip as a PosSystem, through the UltimatePOS Connector API.
 *
 * The Connector can read stock and record sells, sell returns and deletions; it cannot create
 * products, set stock or send webhooks (see shared/reference/prokip-connector.md), so stock is
 * polled and store sales are written as sells.
 */
import type { Logger } from "../../log/index.ts";
import {
  ChannelError,
  type PosCapabilities,
  type PosLocation,
  type PosResult,
  type PosSell,
  type PosStockReading,
  type PosSystem,
  type PosVariation,
  type SellDraft,
} from "../types.ts";
import { DEFAULT_TIMEOUT_MS, TokenKeeper, type TokenStore } from "./auth.ts";
import { ProkipClient } from "./client.ts";
import { defaultRetry, type FetchLike, type RetrySettings } from "./http.ts";
import { defaultPacing, type PacingSettings, pacerFor } from "./pacing.ts";
import {
  contactRowSchema,
  createSellAnswerSchema,
  deleteSellAnswerSchema,
  listSchema,
  type LocationRow,
  locationRowSchema,
  type SellRow,
  sellReturnAnswerSchema,
  sellSchema,
  type VariationRow,
  variationRowSchema,
} from "./schemas.ts";
import { prokipDate, prokipDateTime, wholeUnits } from "./values.ts";

export interface ProkipPosOptions {
  /** e.g. https://api.prokip.africa (a path prefix is kept). */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  tokens: TokenStore;
  log: Logger;
  fetch?: FetchLike;
  /** Pacing for this account; defaults to 60 requests per minute. Tests pass a faster one. */
  limiter?: Partial<PacingSettings>;
  retry?: Partial<RetrySettings>;
  /** Per request, including reading the answer. */
  timeoutMs?: number;
}

/** Which Prokip business an account belongs to, and its locations. */
export interface ProkipBusiness {
  /** Prokip's id of the business (stable: a business signing in again is recognised by it). */
  businessId: number;
  locations: PosLocation[];
}

/** Prokip as a PosSystem, plus what only Prokip's sign-in needs. */
export interface ProkipPos extends PosSystem {
  /** The business the signed-in account belongs to, read from its locations (one request). */
  describeBusiness(): Promise<ProkipBusiness>;
}

const capabilities: PosCapabilities = { createProducts: false, setStock: false, webhooks: false };

const VARIATION_TYPES = new Set<PosVariation["type"]>(["single", "variable", "combo"]);

export function createProkipPos(options: ProkipPosOptions): ProkipPos {
  const log = options.log.child({ channel: "prokip" });
  const retry = { ...defaultRetry, ...options.retry };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchFn = options.fetch ?? fetch;
  const keeper = new TokenKeeper(options.tokens, {
    baseUrl: options.baseUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    fetch: fetchFn,
    log,
    retry,
    timeoutMs,
  });
  const client = new ProkipClient({
    baseUrl: options.baseUrl,
    keeper,
    pace: pacerFor(options, { ...defaultPacing, ...options.limiter }),
    log,
    fetch: fetchFn,
    retry,
    timeoutMs,
  });

  let walkInCustomer: Promise<number> | null = null;

  async function findWalkInCustomer(): Promise<number> {
    const { data } = await client.getAll("/connector/api/contactapi", { type: "customer" }, contactRowSchema);
    const contact = data.find((c) => c.is_default) ?? data.find((c) => c.name?.toLowerCase() === "walk-in customer");
    if (!contact) throw new ChannelError("not_found", "Prokip has no default walk-in customer to record sells against");
    return contact.id;
  }

  /** The lines of a sell whose answer came without them. */
  async function linesOf(sellId: number): Promise<PosSell["lines"]> {
    const { data } = await client.get(`/connector/api/sell/${sellId}`, {}, listSchema(sellSchema));
    return toSell(data.data[0] ?? { id: sellId, invoice_no: "", sell_lines: [] }).lines;
  }

  async function locationRows() {
    // Not paginated: always `{data:[...]}`.
    const { data } = await client.get("/connector/api/business-location", {}, listSchema(locationRowSchema));
    return data.data;
  }
  const toLocation = (l: LocationRow): PosLocation => ({
    id: l.id,
    code: l.location_id ?? "",
    name: l.name,
    active: l.is_active ?? true,
  });

  return {
    capabilities,

    async listLocations(): Promise<PosLocation[]> {
      return (await locationRows()).map(toLocation);
    },

    async describeBusiness(): Promise<ProkipBusiness> {
      // The Connector has no business endpoint; every location row carries its business_id, and
      // UltimatePOS gives every business at least one location.
      const rows = await locationRows();
      const businessId = rows.find((l) => l.business_id != null)?.business_id;
      if (businessId == null)
        throw new ChannelError("unavailable", "Prokip did not say which business this account belongs to");
      return { businessId, locations: rows.map(toLocation) };
    },

    async listVariations(options = {}): Promise<PosVariation[]> {
      // The variation list is flat and carries every location's stock rows: one call for all.
      const { data } = await client.getAll("/connector/api/variation", {}, variationRowSchema);
      const variations = data.flatMap((row) => {
        const variation = toVariation(row, options.details ?? false);
        return variation ? [variation] : [];
      });
      if (variations.length < data.length)
        log.debug({ skipped: data.length - variations.length }, "prokip variations of other product types skipped");
      return variations;
    },

    async readStock(locationId: number): Promise<PosStockReading> {
      // The timing is that of the request that answered (not of queueing or failed attempts):
      // the ledger decides from it which postings the reading already reflects.
      const { data, sentAt, receivedAt } = await client.getAll(
        "/connector/api/variation",
        { location_id: String(locationId) },
        variationRowSchema,
      );
      const quantities = new Map<number, number>();
      for (const row of data) {
        const units = unitsAt(row, locationId);
        // No stock row at the location means 0: leave it out, as the interface allows.
        if (units !== null) quantities.set(row.variation_id, units);
      }
      return { locationId, startedAt: sentAt, finishedAt: receivedAt, quantities };
    },

    defaultContactId(): Promise<number> {
      if (!walkInCustomer) {
        const finding = findWalkInCustomer();
        walkInCustomer = finding;
        // A failed lookup is not remembered: the next sell asks again.
        finding.catch(() => {
          if (walkInCustomer === finding) walkInCustomer = null;
        });
      }
      return walkInCustomer;
    },

    async createSell(draft: SellDraft): Promise<PosResult<PosSell>> {
      if (draft.lines.length === 0) return { ok: false, code: "rejected", message: "A sell needs at least one line" };
      const sell = {
        location_id: draft.locationId,
        contact_id: draft.contactId,
        transaction_date: prokipDateTime(draft.transactionDate),
        invoice_no: draft.invoiceNo,
        // Stock only moves for final sells. No `source`: "woocommerce" is special-cased by the Connector.
        status: "final",
        ...(draft.note === null ? {} : { sale_note: draft.note }),
        products: draft.lines.map((line) => ({
          product_id: line.productId,
          variation_id: line.variationId,
          quantity: line.quantity,
          ...(line.unitPrice === null ? {} : { unit_price: line.unitPrice }),
        })),
      };
      // Not repeatable: Prokip records a duplicate for every copy that arrives.
      const result = await asResult(
        client.request(
          { method: "POST", path: "/connector/api/sell", body: { sells: [sell] }, repeatable: false },
          createSellAnswerSchema,
        ),
      );
      if (!result.ok) return result;
      const element = result.value[0];
      if (result.value.length !== 1 || !element) {
        throw new ChannelError(
          "unavailable",
          `Prokip answered the sell with ${result.value.length} results instead of one; look it up by invoice number`,
        );
      }
      if ("original" in element) return { ok: false, code: "rejected", message: element.original.error.message };
      const posted = toSell(element);
      return {
        ok: true,
        value: element.sell_lines === null ? { ...posted, lines: await linesOf(posted.sellId) } : posted,
      };
    },

    async returnSell(input): Promise<PosResult<{ returnId: number }>> {
      // The Connector crashes (500) on a return without lines; a cumulative 0 is how to undo one.
      if (input.lines.length === 0) return { ok: false, code: "rejected", message: "A return needs at least one line" };
      const body = {
        transaction_id: input.sellId,
        transaction_date: prokipDateTime(input.transactionDate),
        products: input.lines.map((line) => ({
          sell_line_id: line.sellLineId,
          quantity: line.quantity,
          unit_price_inc_tax: line.unitPrice,
        })),
      };
      // Quantities are cumulative totals, so sending the same return twice changes nothing.
      const result = await asResult(
        client.request(
          { method: "POST", path: "/connector/api/sell-return", body, repeatable: true },
          sellReturnAnswerSchema,
        ),
      );
      return result.ok ? { ok: true, value: { returnId: result.value.id } } : result;
    },

    async deleteSell(sellId: number): Promise<PosResult<null>> {
      // Repeatable: deleting a deleted sell answers success again.
      const result = await asResult(
        client.request(
          { method: "DELETE", path: `/connector/api/sell/${sellId}`, repeatable: true },
          deleteSellAnswerSchema,
        ),
      );
      if (!result.ok) return result;
      if (!result.value.success)
        return { ok: false, code: "rejected", message: result.value.msg ?? "Prokip refused to delete the sell" };
      return { ok: true, value: null };
    },

    async findSells(input): Promise<PosSell[]> {
      // Prokip filters by the date part of transaction_date: whole days, a superset of [from, to].
      const query = {
        location_id: String(input.locationId),
        start_date: prokipDate(input.from),
        end_date: prokipDate(input.to),
      };
      const { data } = await client.getAll("/connector/api/sell", query, sellSchema);
      return data.map(toSell);
    },
  };
}

/** Prokip's refusal of a write (4xx) as a PosResult; anything else keeps throwing. */
async function asResult<T>(request: Promise<{ data: T }>): Promise<PosResult<T>> {
  try {
    return { ok: true, value: (await request).data };
  } catch (error) {
    if (error instanceof ChannelError && (error.code === "rejected" || error.code === "not_found")) {
      return { ok: false, code: error.code, message: error.message };
    }
    throw error;
  }
}

function toSell(row: SellRow): PosSell {
  return {
    sellId: row.id,
    invoiceNo: row.invoice_no,
    lines: (row.sell_lines ?? []).map((line) => ({
      sellLineId: line.id,
      variationId: line.variation_id,
      quantity: line.quantity,
    })),
  };
}

function toVariation(row: VariationRow, details: boolean): PosVariation | null {
  const type = row.type as PosVariation["type"];
  // Modifiers and any future product type are not stock the stores sell.
  if (!VARIATION_TYPES.has(type)) return null;
  const stockByLocation = new Map<number, number>();
  for (const stock of row.variation_location_details) {
    stockByLocation.set(
      stock.location_id,
      (stockByLocation.get(stock.location_id) ?? 0) + wholeUnits(stock.qty_available),
    );
  }
  // A single product's only variation is "DUMMY" (blanked to "" by the Connector's resource).
  const dummy = type === "single" || !row.variation_name || row.variation_name === "DUMMY";
  const sku = row.sub_sku || (type === "single" ? row.sku : null) || null;
  const variation: PosVariation = {
    productId: row.product_id,
    variationId: row.variation_id,
    productName: row.product_name,
    variationName: dummy ? row.product_name : (row.variation_name ?? row.product_name),
    sku,
    type,
    price: row.sell_price_inc_tax ?? null,
    managesStock: row.enable_stock,
    stockByLocation,
  };
  if (!details) return variation;
  return {
    ...variation,
    optionName: dummy ? null : row.product_variation_name?.trim() || null,
    // product_image_url is never empty: without an uploaded image it is the placeholder picture.
    imageUrl: row.product_image ? (row.product_image_url ?? null) : null,
    description: row.product_description?.trim() || null,
  };
}

/** Whole units of a variation at one location, or null when it has no stock row there. */
function unitsAt(row: VariationRow, locationId: number): number | null {
  const rows = row.variation_location_details.filter((stock) => stock.location_id === locationId);
  return rows.length === 0 ? null : rows.reduce((sum, stock) => sum + wholeUnits(stock.qty_available), 0);
}

/**
 * The emulator's whole database: plain Maps keyed by id, plus the lookups the API needs.
 *
 * Ids come from one counter per table, each starting at its own 6-7 digit base. That keeps ids
 * deterministic (same calls after `reset()` give the same ids), realistic in size, and makes a
 * client that mixes up a product id with a variation id fail loudly instead of hitting another
 * record by coincidence.
 */
import { ModelNotFound, Models } from "./errors.ts";
import type {
  Business,
  Clock,
  Contact,
  Location,
  OAuthClient,
  Product,
  StockRow,
  Transaction,
  User,
  Variation,
} from "./types.ts";

const idBases = {
  business: 100_001,
  user: 150_001,
  location: 210_001,
  contact: 320_001,
  product: 430_001,
  productVariation: 470_001,
  variation: 550_001,
  stockRow: 660_001,
  transaction: 1_000_001,
  sellLine: 1_200_001,
  payment: 1_400_001,
} as const;

export type IdKind = keyof typeof idBases;

/** Parses an id the way PHP would compare it: "123" and 123 are the same, anything else misses. */
export function toId(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

export class ProkipState {
  readonly businesses = new Map<number, Business>();
  /** Passport clients by client_id. */
  readonly clients = new Map<string, OAuthClient>();
  readonly users = new Map<number, User>();
  readonly locations = new Map<number, Location>();
  readonly contacts = new Map<number, Contact>();
  readonly products = new Map<number, Product>();
  /** Index of every variation, to find its product without scanning. */
  readonly variations = new Map<number, Variation>();
  /** variation_location_details, keyed `${variationId}:${locationId}`. */
  readonly stock = new Map<string, StockRow>();
  readonly transactions = new Map<number, Transaction>();
  private next: Record<IdKind, number> = { ...idBases };

  constructor(readonly clock: Clock) {}

  reset(): void {
    for (const map of [
      this.businesses,
      this.clients,
      this.users,
      this.locations,
      this.contacts,
      this.products,
      this.variations,
      this.stock,
      this.transactions,
    ]) {
      map.clear();
    }
    this.next = { ...idBases };
  }

  nextId(kind: IdKind): number {
    const id = this.next[kind];
    this.next[kind] = id + 1;
    return id;
  }

  now(): number {
    return this.clock();
  }

  // ---- Lookups that behave like `Model::where('business_id', ...)->findOrFail($id)` ----

  findLocation(businessId: number, rawId: unknown): Location {
    const location = this.locations.get(toId(rawId) ?? -1);
    if (!location || location.businessId !== businessId) throw new ModelNotFound(Models.location, rawId);
    return location;
  }

  /** Sells need a contact of type customer or both (`whereIn('type', ['customer', 'both'])`). */
  findCustomer(businessId: number, rawId: unknown): Contact {
    const contact = this.contacts.get(toId(rawId) ?? -1);
    if (!contact || contact.businessId !== businessId || contact.type === "supplier")
      throw new ModelNotFound(Models.contact, rawId);
    return contact;
  }

  findProduct(businessId: number, rawId: unknown): Product {
    const product = this.products.get(toId(rawId) ?? -1);
    if (!product || product.businessId !== businessId) throw new ModelNotFound(Models.product, rawId);
    return product;
  }

  findSell(businessId: number, rawId: unknown): Transaction {
    const sell = this.transactions.get(toId(rawId) ?? -1);
    if (!sell || sell.businessId !== businessId || sell.type !== "sell")
      throw new ModelNotFound(Models.transaction, rawId);
    return sell;
  }

  productOfVariation(variationId: number): Product | undefined {
    const variation = this.variations.get(variationId);
    return variation ? this.products.get(variation.productId) : undefined;
  }

  businessLocations(businessId: number): Location[] {
    return [...this.locations.values()].filter((l) => l.businessId === businessId);
  }

  businessProducts(businessId: number): Product[] {
    return [...this.products.values()].filter((p) => p.businessId === businessId);
  }

  returnOf(sellId: number): Transaction | undefined {
    return [...this.transactions.values()].find((t) => t.type === "sell_return" && t.returnParentId === sellId);
  }

  // ---- Stock (variation_location_details) ----

  stockRow(variationId: number, locationId: number): StockRow | undefined {
    return this.stock.get(`${variationId}:${locationId}`);
  }

  /** qty_available, with a missing row counting as 0 (as the Connector's sums do). */
  available(variationId: number, locationId: number): number {
    return this.stockRow(variationId, locationId)?.qty ?? 0;
  }

  /** Sets qty_available, creating the row if needed (what a purchase or stock adjustment does). */
  setStock(variation: Variation, locationId: number, qty: number): StockRow {
    const row = this.ensureStockRow(variation, locationId);
    row.qty = qty;
    row.updatedAt = this.now();
    return row;
  }

  /**
   * Adds `delta` (negative for a sale) to qty_available, creating a zero row first like
   * ProductUtil::decreaseProductQuantity / updateProductQuantity do. Stock may go negative.
   */
  adjustStock(variation: Variation, locationId: number, delta: number): void {
    if (delta === 0) return;
    const row = this.ensureStockRow(variation, locationId);
    row.qty = round4(row.qty + delta);
    row.updatedAt = this.now();
  }

  private ensureStockRow(variation: Variation, locationId: number): StockRow {
    const key = `${variation.id}:${locationId}`;
    let row = this.stock.get(key);
    if (!row) {
      const now = this.now();
      row = {
        id: this.nextId("stockRow"),
        productId: variation.productId,
        productVariationId: variation.productVariationId,
        variationId: variation.id,
        locationId,
        qty: 0,
        createdAt: now,
        updatedAt: now,
      };
      this.stock.set(key, row);
    }
    return row;
  }
}

/** DECIMAL(22,4) arithmetic: keep 4 places so 0.1 + 0.2 does not drift into 0.30000000000000004. */
export function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

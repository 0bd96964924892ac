/**
 * The chaos suite's workload and its independent bookkeeping: random orders (1-3 lines),
 * refunds with and without restock, cancellations on the emulated Shopify shop and WooCommerce
 * site, and stock adjustments in Prokip, drawn from a seeded PRNG. The model computes what
 * Prokip must end with from the operations alone (initial stock - units the stores kept sold +
 * adjustments), without reading anything the product wrote.
 *
 * Everything goes through the emulators' control routes (`/_control/...`), which are never
 * faulted: they act as the shoppers, the merchant in the store admin and the merchant in Prokip.
 */
import { seededRandom } from "@prokip-sync/sandbox";

export type Store = "shopify" | "woocommerce";

export interface SkuInfo {
  sku: string;
  variationId: number;
  /** Prokip's figure at the start. */
  initial: number;
}

export interface OrderLine {
  sku: string;
  quantity: number;
  refunded: number;
  restocked: number;
}

export interface PlacedOrder {
  store: Store;
  /** Shopify order id (numeric string) / WooCommerce order id. */
  id: string;
  /** Shopify "#1001" / WooCommerce order number. */
  name: string;
  lines: OrderLine[];
  cancelled: boolean;
  refunds: number;
}

export type OperationKind = "order" | "refund" | "refund_restock" | "cancellation" | "prokip_stock";

export interface Performed {
  kind: OperationKind;
  store: Store | "prokip";
  detail: string;
}

export interface ControlEndpoints {
  /** Direct to the web process (control routes do not need the proxy). */
  web: string;
  shop: string;
  site: string;
  prokipLocationId: number;
  /** Runs a Prokip stock change with no posting in flight (ChaosProxy.exclusiveProkip). */
  exclusiveProkip<T>(change: () => Promise<T>): Promise<T>;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function control<T>(method: "GET" | "POST" | "PUT", url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok)
    throw new ControlError(response.status, `${method} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Keep at least this much in the model's stock before an order takes units: no oversells. */
const MARGIN = 2;

export class Workload {
  readonly random: () => number;
  readonly orders: PlacedOrder[] = [];
  readonly performed: Performed[] = [];
  /** Operations a store refused (it showed less stock than the model): drawn again. */
  refused = 0;
  /** Prokip's expected figure per SKU. */
  readonly expected = new Map<string, number>();
  readonly adjustments = new Map<string, number>();
  /** Share of orders that go to WooCommerce (the test raises it while WooCommerce deliveries fail). */
  wooShare = 0.5;

  constructor(
    seed: number,
    readonly skus: SkuInfo[],
    private readonly endpoints: ControlEndpoints,
  ) {
    this.random = seededRandom(seed);
    for (const sku of skus) this.expected.set(sku.sku, sku.initial);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  /** Performs one random operation; draws again (bounded) when a store refuses one. */
  async next(): Promise<Performed> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const roll = this.random();
      try {
        const done =
          roll < 0.52
            ? await this.order()
            : roll < 0.74
              ? await this.refund()
              : roll < 0.88
                ? await this.cancel()
                : await this.prokipStock();
        if (done) {
          this.performed.push(done);
          return done;
        }
      } catch (error) {
        // A store refusing (409 not enough stock, 4xx) is the shopper's problem, not a fault: draw again.
        if (error instanceof ControlError && error.status >= 400 && error.status < 500) {
          this.refused += 1;
          continue;
        }
        throw error;
      }
    }
    throw new Error("no operation could be performed in 20 draws");
  }

  private async order(): Promise<Performed | null> {
    const store: Store = this.random() < this.wooShare ? "woocommerce" : "shopify";
    const count = this.int(1, 3);
    const lines: OrderLine[] = [];
    for (let i = 0; i < count; i += 1) {
      const quantity = this.int(1, 3);
      const candidates = this.skus.filter(
        (s) => (this.expected.get(s.sku) ?? 0) >= quantity + MARGIN && !lines.some((l) => l.sku === s.sku),
      );
      if (candidates.length === 0) break;
      lines.push({ sku: this.pick(candidates).sku, quantity, refunded: 0, restocked: 0 });
    }
    if (lines.length === 0) return null;
    const body = lines.map(({ sku, quantity }) => ({ sku, quantity }));
    let placed: PlacedOrder;
    if (store === "shopify") {
      const order = await control<{ id: string; name: string }>(
        "POST",
        `${this.endpoints.web}/sandbox/shopify/_control/orders`,
        { shop: this.endpoints.shop, lines: body },
      );
      placed = { store, id: String(order.id), name: order.name, lines, cancelled: false, refunds: 0 };
    } else {
      const order = await control<{ id: number; number: string }>(
        "POST",
        `${this.endpoints.web}/sandbox/woocommerce/_control/sites/${this.endpoints.site}/orders`,
        { lines: body, paid: true },
      );
      placed = { store, id: String(order.id), name: String(order.number), lines, cancelled: false, refunds: 0 };
    }
    this.orders.push(placed);
    for (const line of lines) this.expected.set(line.sku, (this.expected.get(line.sku) ?? 0) - line.quantity);
    return { kind: "order", store, detail: `${placed.name}: ${lines.map((l) => `${l.quantity}x${l.sku}`).join(", ")}` };
  }

  private async refund(): Promise<Performed | null> {
    const open = this.orders.filter((o) => !o.cancelled && o.lines.some((l) => l.refunded < l.quantity));
    if (open.length === 0) return null;
    const order = this.pick(open);
    const line = this.pick(order.lines.filter((l) => l.refunded < l.quantity));
    const quantity = this.int(1, line.quantity - line.refunded);
    const restock = this.random() < 0.5;
    const lines = [{ sku: line.sku, quantity }];
    if (order.store === "shopify") {
      await control("POST", `${this.endpoints.web}/sandbox/shopify/_control/orders/refund`, {
        shop: this.endpoints.shop,
        order: order.id,
        restock,
        lines,
      });
    } else {
      await control(
        "POST",
        `${this.endpoints.web}/sandbox/woocommerce/_control/sites/${this.endpoints.site}/orders/${order.id}/refunds`,
        { lines, restock },
      );
    }
    line.refunded += quantity;
    order.refunds += 1;
    if (restock) {
      line.restocked += quantity;
      this.expected.set(line.sku, (this.expected.get(line.sku) ?? 0) + quantity);
    }
    return {
      kind: restock ? "refund_restock" : "refund",
      store: order.store,
      detail: `${order.name}: ${quantity}x${line.sku}${restock ? " restocked" : ""}`,
    };
  }

  private async cancel(): Promise<Performed | null> {
    const open = this.orders.filter((o) => !o.cancelled && o.refunds === 0);
    if (open.length === 0) return null;
    const order = this.pick(open);
    if (order.store === "shopify") {
      // Whether the store puts the units back or not, a cancelled order gives all its stock back.
      await control("POST", `${this.endpoints.web}/sandbox/shopify/_control/orders/cancel`, {
        shop: this.endpoints.shop,
        order: order.id,
        restock: this.random() < 0.7,
      });
    } else {
      await control(
        "POST",
        `${this.endpoints.web}/sandbox/woocommerce/_control/sites/${this.endpoints.site}/orders/${order.id}/cancel`,
        {},
      );
    }
    order.cancelled = true;
    for (const line of order.lines)
      this.expected.set(line.sku, (this.expected.get(line.sku) ?? 0) + line.quantity - line.restocked);
    return { kind: "cancellation", store: order.store, detail: order.name };
  }

  /** A stock adjustment in Prokip: read and set, with no sell in flight meanwhile. */
  private async prokipStock(): Promise<Performed | null> {
    const sku = this.pick(this.skus);
    const model = this.expected.get(sku.sku) ?? 0;
    const delta = this.random() < 0.3 ? -this.int(1, 3) : this.int(1, 10);
    if (model + delta < MARGIN) return null;
    const base = `${this.endpoints.web}/sandbox/prokip/_control/stock`;
    const { before, after } = await this.endpoints.exclusiveProkip(async () => {
      const read = await control<{ quantity: number | string | null }>(
        "GET",
        `${base}?variationId=${sku.variationId}&locationId=${this.endpoints.prokipLocationId}`,
      );
      const before = Number(read.quantity ?? 0);
      await control("PUT", base, {
        variationId: sku.variationId,
        locationId: this.endpoints.prokipLocationId,
        quantity: before + delta,
      });
      return { before, after: before + delta };
    });
    this.expected.set(sku.sku, model + delta);
    this.adjustments.set(sku.sku, (this.adjustments.get(sku.sku) ?? 0) + delta);
    return {
      kind: "prokip_stock",
      store: "prokip",
      detail: `${sku.sku} ${before} -> ${after} (${delta > 0 ? "+" : ""}${delta})`,
    };
  }

  /** Units each SKU's non-cancelled orders still hold (sold minus restocked). */
  netSold(): Map<string, number> {
    const net = new Map<string, number>();
    for (const order of this.orders) {
      if (order.cancelled) continue;
      for (const line of order.lines) net.set(line.sku, (net.get(line.sku) ?? 0) + line.quantity - line.restocked);
    }
    return net;
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const op of this.performed) out[`${op.kind}@${op.store}`] = (out[`${op.kind}@${op.store}`] ?? 0) + 1;
    return out;
  }
}

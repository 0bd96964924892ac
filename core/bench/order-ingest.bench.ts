/**
 * 10,000 normalised order events (30% duplicates, 10% refunds/cancellations) applied by 8
 * concurrent workers through the real order logic to an embedded PostgreSQL (durable settings),
 * against a bare baseline on the same server: one INSERT per transaction, same concurrency.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { normalizeSku, type NormalizedOrder } from "../src/domain/index.ts";
import { applyMovements } from "../src/ledger/index.ts";
import { applyMigrations, connectDatabase, ensureDatabase, startEmbeddedPostgres, withTransaction, type Database } from "../src/store/index.ts";
import { applyOrderState } from "../src/sync/index.ts";
import { report, round, timedPool } from "./report.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const WORKERS = 8;
const VARIANTS = 300;

export async function orderIngestBenchmark(): Promise<void> {
  const server = await startEmbeddedPostgres({ dataDir: mkdtempSync(path.join(tmpdir(), "prokip-bench-")), persistent: false });
  try {
    await ensureDatabase(server.adminUrl, "bench");
    const url = server.urlFor("bench");
    await applyMigrations(url);
    const db = connectDatabase(url, { poolSize: WORKERS + 2 });
    try {
      const { connectionId, skus } = await seed(db);
      const events = buildEvents(connectionId, skus, EVENTS, 42);
      const ours = await timedPool(events.list, WORKERS, (event) => applyOrderState(db.pool, event));

      await db.pool.query('CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, "key" text NOT NULL, payload jsonb NOT NULL)');
      const baseline = await timedPool(events.list, WORKERS, (event) =>
        db.pool.query('INSERT INTO bench_baseline ("key", payload) VALUES ($1, $2)', [event.externalId, JSON.stringify(event.lines)]),
      );

      const movements = await db.prisma.stockMovement.count({ where: { reason: { not: "import" } } });
      const ratio = round(ours.perSecond / baseline.perSecond, 2);
      report(
        "order-ingest",
        `Order ingest: ${EVENTS} events (${events.duplicates} duplicates, ${events.laterStates} refunds/cancellations), ${WORKERS} workers, embedded PostgreSQL`,
        {
          "order logic": { "events/s": ours.perSecond, "p50 ms": ours.p50Ms, "p99 ms": ours.p99Ms, "peak RSS MB": ours.peakRssMb, seconds: ours.seconds },
          "bare INSERT baseline": { "events/s": baseline.perSecond, "p50 ms": baseline.p50Ms, "p99 ms": baseline.p99Ms, "peak RSS MB": baseline.peakRssMb, seconds: baseline.seconds },
        },
        { ratioToBaseline: ratio, movementsWritten: movements, targets: { eventsPerSecond: 500, ratioToBaseline: 0.33 } },
      );
    } finally {
      await db.close();
    }
  } finally {
    await server.stop();
  }
}

async function seed({ prisma, pool }: Database) {
  const business = await prisma.business.create({ data: { name: "Bench", authorityMode: "prokip" } });
  const location = await prisma.location.create({ data: { businessId: business.id, name: "Main", prokipLocationId: 1 } });
  const connection = await prisma.connection.create({ data: { businessId: business.id, platform: "shopify", storeDomain: "bench.myshopify.com", locationId: location.id } });
  const woo = await prisma.connection.create({ data: { businessId: business.id, platform: "woocommerce", storeDomain: "https://bench.example", locationId: location.id } });
  const skus = Array.from({ length: VARIANTS }, (_, i) => `SKU-${String(i).padStart(4, "0")}`);
  const variants = await prisma.variant.createManyAndReturn({
    data: skus.map((sku) => ({ businessId: business.id, sku, normalizedSku: normalizeSku(sku)!, title: sku, productTitle: sku })),
  });
  await prisma.listing.createMany({
    data: variants.flatMap((variant, i) =>
      [connection.id, woo.id].map((connectionId) => ({
        businessId: business.id,
        connectionId,
        variantId: variant.id,
        externalProductId: `p${i}`,
        externalVariantId: `v${i}`,
        title: variant.sku,
        matchStatus: "matched" as const,
      })),
    ),
  });
  await withTransaction(pool, (sql) =>
    applyMovements(
      sql,
      variants.map((variant) => ({ businessId: business.id, locationId: location.id, variantId: variant.id, delta: 10_000, reason: "import" as const, idempotencyKey: `import:${variant.id}`, postingState: "not_required" as const })),
    ),
  );
  return { connectionId: connection.id, skus };
}

/** A seeded, shuffled stream: new orders, later states of them (refund, cancel), and duplicate copies. */
function buildEvents(connectionId: string, skus: string[], total: number, seed: number) {
  let state = seed;
  const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const duplicates = Math.round(total * 0.3);
  const laterStates = Math.round(total * 0.1);
  const created: NormalizedOrder[] = [];
  const list: NormalizedOrder[] = [];
  for (let i = 0; i < total - duplicates - laterStates; i++) {
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, l) => ({ lineId: `${i}-${l}`, sku: pick(skus), quantity: 1 + Math.floor(random() * 3), refundedQuantity: 0, restockedQuantity: 0 }));
    const order: NormalizedOrder = { connectionId, externalId: `B${i}`, number: `#${i}`, updatedAt: new Date(Date.UTC(2026, 10, 1, 0, 0, i)), paid: true, cancelled: false, lines };
    created.push(order);
    list.push(order);
  }
  for (let i = 0; i < laterStates; i++) {
    const base = pick(created);
    const later = new Date(base.updatedAt.getTime() + 3_600_000);
    list.push(
      i % 2 === 0
        ? { ...base, updatedAt: later, cancelled: true }
        : { ...base, updatedAt: later, lines: base.lines.map((line) => ({ ...line, refundedQuantity: 1, restockedQuantity: 1 })) },
    );
  }
  for (let i = 0; i < duplicates; i++) list.push(pick(list));
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return { list, duplicates, laterStates };
}

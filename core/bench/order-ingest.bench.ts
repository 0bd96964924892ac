/**
 * 10,000 normalised order events (30% duplicates, 10% refunds/cancellations) applied by 8
 * concurrent workers through the real order logic to an embedded PostgreSQL (durable settings),
 * against a bare baseline on the same server: one INSERT per transaction, same concurrency.
 * The order logic runs twice: in batches, as the inbox worker applies waiting deliveries, and
 * one event per transaction (what a lone delivery costs); both must leave the same ledger.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { normalizeSku, type NormalizedOrder } from "../src/domain/index.ts";
import { applyMovements } from "../src/ledger/index.ts";
import {
  applyMigrations,
  connectDatabase,
  ensureDatabase,
  startEmbeddedPostgres,
  withTransaction,
  type Database,
} from "../src/store/index.ts";
import { INBOX_BATCH_SIZE } from "../src/jobs/index.ts";
import { applyOrderState, applyOrderStates } from "../src/sync/index.ts";
import { report, round, timedBatches, timedPool } from "./report.ts";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);
const WORKERS = 8;
const VARIANTS = 300;

export async function orderIngestBenchmark(): Promise<void> {
  const server = await startEmbeddedPostgres({
    dataDir: mkdtempSync(path.join(tmpdir(), "prokip-bench-")),
    persistent: false,
  });
  try {
    await ensureDatabase(server.adminUrl, "bench");
    const url = server.urlFor("bench");
    await applyMigrations(url);
    const db = connectDatabase(url, { poolSize: WORKERS + 2 });
    try {
      // Two businesses with the same catalogue: one takes the events one per transaction, the
      // other in batches as the inbox worker takes waiting deliveries (up to INBOX_BATCH_SIZE).
      const single = await seed(db, "Bench single");
      const batched = await seed(db, "Bench batched");
      const singleEvents = buildEvents(single.connectionId, single.skus, EVENTS, 42);
      const batchedEvents = buildEvents(batched.connectionId, batched.skus, EVENTS, 42);
      const oneByOne = await timedPool(singleEvents.list, WORKERS, (event) => applyOrderState(db.pool, event));
      const inBatches = await timedBatches(batchedEvents.list, WORKERS, INBOX_BATCH_SIZE, async (batch) => {
        const outcomes = await applyOrderStates(db.pool, batch);
        const refused = outcomes.find((outcome) => !outcome.ok);
        if (refused && !refused.ok) throw refused.error;
      });

      await db.pool.query(
        'CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, "key" text NOT NULL, payload jsonb NOT NULL)',
      );
      const baseline = await timedPool(singleEvents.list, WORKERS, (event) =>
        db.pool.query('INSERT INTO bench_baseline ("key", payload) VALUES ($1, $2)', [
          event.externalId,
          JSON.stringify(event.lines),
        ]),
      );

      // Both runs must leave the same ledger: the batch path is only faster, never different.
      const ledger = async (businessId: string) =>
        (
          await db.pool.query<{ sku: string; available: number }>(
            `SELECT v."sku", s."available" FROM "StockLevel" s JOIN "Variant" v ON v."id" = s."variantId" WHERE s."businessId" = $1 ORDER BY 1`,
            [businessId],
          )
        ).rows
          .map((row) => `${row.sku}=${row.available}`)
          .join(",");
      const sameLedger = (await ledger(single.businessId)) === (await ledger(batched.businessId));
      const movements = await db.prisma.stockMovement.count({
        where: { businessId: single.businessId, reason: { not: "import" } },
      });
      const row = (m: typeof baseline) => ({
        "events/s": m.perSecond,
        "p50 ms": m.p50Ms,
        "p99 ms": m.p99Ms,
        "peak RSS MB": m.peakRssMb,
        seconds: m.seconds,
      });
      report(
        "order-ingest",
        `Order ingest: ${EVENTS} events (${singleEvents.duplicates} duplicates, ${singleEvents.laterStates} refunds/cancellations), ${WORKERS} workers, embedded PostgreSQL`,
        {
          [`order logic, batches of <= ${INBOX_BATCH_SIZE} (inbox worker)`]: row(inBatches),
          "order logic, one event per transaction": row(oneByOne),
          "bare INSERT baseline": row(baseline),
        },
        {
          ratioToBaseline: round(inBatches.perSecond / baseline.perSecond, 2),
          ratioToBaselineOneByOne: round(oneByOne.perSecond / baseline.perSecond, 2),
          sameLedgerBothWays: sameLedger,
          movementsWritten: movements,
          targets: { eventsPerSecond: 500, ratioToBaseline: 0.33 },
        },
      );
    } finally {
      await db.close();
    }
  } finally {
    await server.stop();
  }
}

async function seed({ prisma, pool }: Database, name: string) {
  const business = await prisma.business.create({ data: { name, authorityMode: "prokip" } });
  const location = await prisma.location.create({
    data: { businessId: business.id, name: "Main", prokipLocationId: 1 },
  });
  const connection = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: "shopify",
      storeDomain: `${business.id}.myshopify.com`,
      locationId: location.id,
    },
  });
  const woo = await prisma.connection.create({
    data: {
      businessId: business.id,
      platform: "woocommerce",
      storeDomain: `https://${business.id}.example`,
      locationId: location.id,
    },
  });
  const skus = Array.from({ length: VARIANTS }, (_, i) => `SKU-${String(i).padStart(4, "0")}`);
  const variants = await prisma.variant.createManyAndReturn({
    data: skus.map((sku) => ({
      businessId: business.id,
      sku,
      normalizedSku: normalizeSku(sku)!,
      title: sku,
      productTitle: sku,
    })),
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
      variants.map((variant) => ({
        businessId: business.id,
        locationId: location.id,
        variantId: variant.id,
        delta: 10_000,
        reason: "import" as const,
        idempotencyKey: `import:${variant.id}`,
        postingState: "not_required" as const,
      })),
    ),
  );
  return { businessId: business.id, connectionId: connection.id, skus };
}

/** A seeded, shuffled stream: new orders, later states of them (refund, cancel), and duplicate copies. */
function buildEvents(connectionId: string, skus: string[], total: number, seed: number) {
  let state = seed;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const duplicates = Math.round(total * 0.3);
  const laterStates = Math.round(total * 0.1);
  const created: NormalizedOrder[] = [];
  const list: NormalizedOrder[] = [];
  for (let i = 0; i < total - duplicates - laterStates; i++) {
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, l) => ({
      lineId: `${i}-${l}`,
      sku: pick(skus),
      quantity: 1 + Math.floor(random() * 3),
      refundedQuantity: 0,
      restockedQuantity: 0,
    }));
    const order: NormalizedOrder = {
      connectionId,
      externalId: `B${i}`,
      number: `#${i}`,
      updatedAt: new Date(Date.UTC(2026, 10, 1, 0, 0, i)),
      paid: true,
      cancelled: false,
      lines,
    };
    created.push(order);
    list.push(order);
  }
  // Each later state belongs to a different order: two contradictory states stamped at the same
  // moment (a refund and a cancellation) would leave whichever arrived last, so the two runs could
  // not be compared. A real store never stamps two different states of an order identically.
  const bases = [...created];
  for (let i = 0; i < laterStates; i++) {
    const base = bases.splice(Math.floor(random() * bases.length), 1)[0]!;
    const later = new Date(base.updatedAt.getTime() + 3_600_000);
    list.push(
      i % 2 === 0
        ? { ...base, updatedAt: later, cancelled: true }
        : {
            ...base,
            updatedAt: later,
            lines: base.lines.map((line) => ({ ...line, refundedQuantity: 1, restockedQuantity: 1 })),
          },
    );
  }
  for (let i = 0; i < duplicates; i++) list.push(pick(list));
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return { list, duplicates, laterStates };
}

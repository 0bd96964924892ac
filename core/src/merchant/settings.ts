/**
 * The Settings screen: the store's safety buffer (Connection.buffer) and its settings JSON,
 * always through domain/settings.ts so the limits and defaults live in one place.
 *
 * What each setting drives: the buffer, every figure the drain sends (storeTarget); the
 * reconciliation interval, the minute tick in jobs/workers.ts that asks for a reconciliation of
 * each connection whose interval has passed since its last sync; deductOn, which order states
 * take stock (sync/orders.ts, for states applied from then on); the store-edit policy, what the
 * store-edit check does with a hand edit in central mode (sync/store-edits.ts); the low-stock
 * threshold is stored and shown, and nothing raises low-stock alerts from it yet.
 */
import { z } from "zod";
import {
  connectionSettingsSchema,
  readConnectionSettings,
  SyncError,
  type ConnectionSettings,
} from "../domain/index.ts";
import { withTransaction, type Sql } from "../store/index.ts";
import { connectedStore, issuesOf, type MerchantConnection } from "./connection.ts";
import type { MerchantDeps, StoreRef, StoreSettings } from "./types.ts";

export const MAX_BUFFER = 100_000;

const fields = connectionSettingsSchema.shape;
const settingsInputSchema = z
  .object({
    buffer: z.number().int().min(0).max(MAX_BUFFER).optional(),
    reconcileIntervalMinutes: fields.reconcileIntervalMinutes.unwrap().optional(),
    deductOn: fields.deductOn.unwrap().optional(),
    lowStockThreshold: fields.lowStockThreshold.unwrap().optional(),
    storeEditPolicy: fields.storeEditPolicy.unwrap().optional(),
  })
  .strict();

type SettingsField = keyof z.infer<typeof settingsInputSchema>;

/** What the merchant is told for a value a field does not take (zod's own words are for developers). */
const FIELD_MESSAGES: Record<SettingsField, string> = {
  buffer: `Enter a whole number from 0 to ${MAX_BUFFER.toLocaleString("en")}`,
  reconcileIntervalMinutes: "Enter a whole number of minutes from 1 to 1,440 (a day)",
  deductOn: 'Choose "created" (when an order is placed) or "paid"',
  lowStockThreshold: "Enter a whole number of 0 or more, or leave it empty for no alerts",
  storeEditPolicy: 'Choose "correct" (set the store back) or "accept" (take the edit as the new stock)',
};

export async function storeSettings(deps: MerchantDeps, store: StoreRef): Promise<StoreSettings> {
  const connection = await connectedStore(deps, store);
  return settingsOf(connection.buffer, readConnectionSettings(connection.settings), connection.authorityMode);
}

/**
 * Changes some of the store's settings (the fields given). Every field that is not valid is
 * listed in the error's details (`[{path, message}]`) and nothing is changed. The store-edit
 * policy can only be changed when the business keeps its stock centrally. A new buffer marks the
 * store's linked listings dirty so the store is told its new figures; the change is written to
 * the activity.
 */
export async function updateStoreSettings(deps: MerchantDeps, store: StoreRef, input: unknown): Promise<StoreSettings> {
  const connection = await connectedStore(deps, store);
  const parsed = settingsInputSchema.safeParse(input ?? {});
  const details = parsed.success
    ? []
    : issuesOf(parsed.error).map((issue) => ({
        path: issue.path,
        message: FIELD_MESSAGES[issue.path as SettingsField] ?? issue.message,
      }));
  const current = readConnectionSettings(connection.settings);
  const policy = isRecord(input) ? input.storeEditPolicy : undefined;
  if (
    policy !== undefined &&
    policy !== current.storeEditPolicy &&
    connection.authorityMode !== "central" &&
    !details.some((d) => d.path === "storeEditPolicy")
  ) {
    details.push({
      path: "storeEditPolicy",
      message:
        "The store-edit policy applies only when Prokip Sync keeps the stock (central mode); Prokip's stock always wins here",
    });
  }
  if (!parsed.success || details.length > 0) {
    throw new SyncError(
      "invalid_input",
      `Settings not saved: ${details.map((d) => d.path || "settings").join(", ")} ${details.length === 1 ? "is" : "are"} not valid`,
      details,
    );
  }

  const { buffer, ...given } = parsed.data;
  const saved = await withTransaction(deps.pool, async (sql) => {
    // The row is held to the end: a drain recording what it sent reads the buffer under a share
    // lock on it (sync/drain.ts), so it either finished before or sees the new buffer.
    const { rows } = await sql.query<{ buffer: number; settings: unknown }>(
      `SELECT "buffer", "settings" FROM "Connection" WHERE "id" = $1 FOR UPDATE`,
      [connection.id],
    );
    const before = { buffer: rows[0]!.buffer, ...readConnectionSettings(rows[0]!.settings) };
    const after = {
      buffer: buffer ?? before.buffer,
      ...connectionSettingsSchema.parse({ ...readConnectionSettings(rows[0]!.settings), ...given }),
    };
    const changes = changesBetween(before, after);
    if (changes.length === 0) return after;
    const { buffer: newBuffer, ...settings } = after;
    await sql.query(
      `UPDATE "Connection" SET "buffer" = $2, "settings" = $3::jsonb, "updatedAt" = now() WHERE "id" = $1`,
      [connection.id, newBuffer, JSON.stringify(settings)],
    );
    if (newBuffer !== before.buffer) await markLinkedListingsDirty(sql, connection);
    await sql.query(
      `INSERT INTO "ActivityEvent" ("businessId", "connectionId", "type", "severity", "message", "data") VALUES ($1, $2, 'settings_changed', 'info', $3, $4::jsonb)`,
      [
        connection.businessId,
        connection.id,
        `Settings changed: ${changes.map(describe).join("; ")}`,
        JSON.stringify({ changes: Object.fromEntries(changes.map(({ field, from, to }) => [field, { from, to }])) }),
      ],
    );
    return after;
  });
  if (saved.buffer !== connection.buffer && connection.status === "active") {
    try {
      await deps.jobs.drain(connection.id);
    } catch (error) {
      // Saved, and the listings stay dirty: the next drain (or a starting worker) sends them.
      deps.log.warn({ err: error, connectionId: connection.id }, "could not ask for a drain");
    }
  }
  const { buffer: savedBuffer, ...savedSettings } = saved;
  return settingsOf(savedBuffer, savedSettings, connection.authorityMode);
}

/**
 * The store must be told every linked listing's new figure: one statement marks them dirty
 * (those already dirty are sent with the new buffer anyway). Their stock levels are share-locked
 * first, in the ledger's (location, variant) order, so this and a ledger write marking some of
 * the same listings never wait on each other in a cycle.
 */
async function markLinkedListingsDirty(sql: Sql, connection: MerchantConnection): Promise<void> {
  await sql.query(
    `SELECT 1 FROM "StockLevel" s
     WHERE s."businessId" = $1 AND s."locationId" = $3 AND s."variantId" IN (
       SELECT l."variantId" FROM "Listing" l
       WHERE l."businessId" = $1 AND l."connectionId" = $2 AND l."matchStatus" = 'matched' AND l."variantId" IS NOT NULL AND NOT l."dirty")
     ORDER BY s."locationId", s."variantId"
     FOR SHARE`,
    [connection.businessId, connection.id, connection.locationId],
  );
  await sql.query(
    `UPDATE "Listing" SET "dirty" = true, "dirtySince" = now(), "updatedAt" = now()
     WHERE "businessId" = $1 AND "connectionId" = $2 AND "matchStatus" = 'matched' AND "variantId" IS NOT NULL AND NOT "dirty"`,
    [connection.businessId, connection.id],
  );
}

type Values = ConnectionSettings & { buffer: number };
type Change = { field: keyof Values; from: Values[keyof Values]; to: Values[keyof Values] };

function changesBetween(before: Values, after: Values): Change[] {
  const order: (keyof Values)[] = [
    "buffer",
    "reconcileIntervalMinutes",
    "deductOn",
    "lowStockThreshold",
    "storeEditPolicy",
  ];
  return order
    .filter((field) => before[field] !== after[field])
    .map((field) => ({ field, from: before[field], to: after[field] }));
}

const LABELS: { [F in keyof Values]: [label: string, show: (value: Values[F]) => string] } = {
  buffer: ["safety buffer", (value) => String(value)],
  reconcileIntervalMinutes: ["reconciliation interval", (value) => `${value} minutes`],
  deductOn: ["deduct stock", (value) => (value === "paid" ? "when an order is paid" : "when an order is placed")],
  lowStockThreshold: ["low-stock threshold", (value) => (value === null ? "off" : String(value))],
  storeEditPolicy: ["edits made in the store", (value) => (value === "accept" ? "taken as the new stock" : "set back")],
};

/** "safety buffer 2 (was 0)": one change in the merchant's words. */
function describe(change: Change): string {
  const [label, show] = LABELS[change.field] as [string, (value: Values[keyof Values]) => string];
  return `${label} ${show(change.to)} (was ${show(change.from)})`;
}

function settingsOf(
  buffer: number,
  settings: ConnectionSettings,
  authorityMode: MerchantConnection["authorityMode"],
): StoreSettings {
  return {
    buffer,
    reconcileIntervalMinutes: settings.reconcileIntervalMinutes,
    deductOn: settings.deductOn,
    lowStockThreshold: settings.lowStockThreshold,
    storeEditPolicy: settings.storeEditPolicy,
    centralMode: authorityMode === "central",
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

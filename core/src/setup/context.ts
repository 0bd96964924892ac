/**
 * What a setup works from: the connection, its business's authority mode and the Prokip
 * location it sells from, and both catalogues as they are now.
 */
import type { Channel, PosSystem, PosVariation, StoreVariant } from "../channels/index.ts";
import { SyncError } from "../domain/index.ts";
import type { SetupConnection, SetupDeps } from "./types.ts";

export interface SetupContext {
  connection: SetupConnection;
  mode: "prokip" | "central";
  /** Null when the connection's location is not a Prokip location. */
  prokipLocationId: number | null;
  locationName: string;
}

export async function loadSetupContext(deps: Pick<SetupDeps, "prisma">, connectionId: string): Promise<SetupContext> {
  const row = await deps.prisma.connection.findUnique({
    where: { id: connectionId },
    include: {
      location: { select: { prokipLocationId: true, name: true } },
      business: { select: { authorityMode: true } },
    },
  });
  if (!row) throw new SyncError("unknown_connection", `No connection ${connectionId}`);
  if (row.status === "disconnected")
    throw new SyncError(
      "connection_not_active",
      "The store is disconnected; connect it again before setting up products",
    );
  const { location, business, ...connection } = row;
  return {
    connection: {
      id: connection.id,
      businessId: connection.businessId,
      platform: connection.platform,
      status: connection.status,
      storeDomain: connection.storeDomain,
      storeLocationId: connection.storeLocationId,
      credentials: connection.credentials,
      locationId: connection.locationId,
      buffer: connection.buffer,
    },
    mode: business.authorityMode,
    prokipLocationId: location.prokipLocationId,
    locationName: location.name,
  };
}

export interface Catalogues {
  channel: Channel;
  pos: PosSystem;
  prokip: PosVariation[];
  store: StoreVariant[];
}

/** Both catalogues, read at the same time. */
export async function readCatalogues(deps: SetupDeps, context: SetupContext): Promise<Catalogues> {
  const channel = deps.channelFor(context.connection);
  const pos = await deps.posFor(context.connection.businessId);
  const [prokip, store] = await Promise.all([pos.listVariations({ details: true }), readStoreCatalogue(channel)]);
  return { channel, pos, prokip, store };
}

export async function readStoreCatalogue(channel: Channel): Promise<StoreVariant[]> {
  const variants: StoreVariant[] = [];
  for await (const page of channel.listVariants()) variants.push(...page);
  return variants;
}

/** Central mode: what the ledger holds at the connection's location, by normalised SKU. */
export async function knownAvailability(
  deps: Pick<SetupDeps, "pool">,
  context: SetupContext,
): Promise<Map<string, number>> {
  if (context.mode !== "central") return new Map();
  const { rows } = await deps.pool.query<{ normalizedSku: string; available: number }>(
    `SELECT v."normalizedSku", s."available" FROM "StockLevel" s
     JOIN "Variant" v ON v."id" = s."variantId" AND v."businessId" = s."businessId"
     WHERE s."businessId" = $1 AND s."locationId" = $2`,
    [context.connection.businessId, context.connection.locationId],
  );
  return new Map(rows.map((row) => [row.normalizedSku, row.available]));
}

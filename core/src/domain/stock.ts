/**
 * Stock arithmetic: pure functions, no I/O. The ledger and the sync code call these so the
 * rules live in one readable place.
 */

/** What a store is told for a listing: never negative, never more than available - buffer. */
export function storeTarget(available: number, buffer: number): number {
  return Math.max(0, available - Math.max(0, buffer));
}

/**
 * Whether a store's quantity just fell to the merchant's low-stock level: it was above the level
 * and now is at or below it. Only a crossing alerts, so a product that stays low is reported once,
 * and a first write (nothing known before, e.g. product setup) reports nothing.
 */
export function fellToLowStock(before: number | null, after: number, threshold: number | null): boolean {
  return threshold !== null && before !== null && before > threshold && after <= threshold;
}

/** Central mode: the ledger is the truth, available is the sum of every movement. */
export function centralAvailable(movements: readonly { delta: number }[]): number {
  let total = 0;
  for (const movement of movements) total += movement.delta;
  return total;
}

/** A movement as the Prokip-mode rules see it. */
export interface PostableMovement {
  delta: number;
  postingState: "not_required" | "pending" | "posting" | "posted";
  postingStartedAt: Date | null;
  postedAt: Date | null;
}

/** A reading of Prokip's stock: the quantity, and when the request started and finished. */
export interface ProkipReading {
  quantity: number;
  startedAt: Date;
  finishedAt: Date;
}

/**
 * Is this movement already included in a Prokip reading that started at `readStartedAt`?
 * Only if Prokip had confirmed it before the read began: Prokip applies a sell before it
 * answers, so anything confirmed earlier is in every later read.
 */
export function isReflectedIn(movement: PostableMovement, readStartedAt: Date): boolean {
  return movement.postingState === "posted" && movement.postedAt !== null && movement.postedAt < readStartedAt;
}

/**
 * Prokip mode: available = the last Prokip reading + the movements not reflected in it.
 * Posting a sale and then reading Prokip counts the sale exactly once: before the read it is
 * an unreflected movement, after the read it is part of the reading.
 */
export function prokipAvailable(
  readingQuantity: number,
  readStartedAt: Date | null,
  movements: readonly PostableMovement[],
): number {
  let total = readingQuantity;
  for (const movement of movements) {
    if (readStartedAt === null || !isReflectedIn(movement, readStartedAt)) total += movement.delta;
  }
  return total;
}

/**
 * A reading is ambiguous for a variant when a posting touching it was in flight while the
 * read ran: Prokip may or may not have applied it when it counted. Such a reading is not
 * used (the previous one stays, and the variant is read again later), because either guess
 * could count the sale twice or not at all.
 */
export function isReadingAmbiguous(
  reading: Pick<ProkipReading, "startedAt" | "finishedAt">,
  movements: readonly PostableMovement[],
): boolean {
  return movements.some((movement) => {
    if (movement.postingState !== "posting" && movement.postingState !== "posted") return false;
    const started = movement.postingStartedAt;
    if (started === null || started > reading.finishedAt) return false; // posted after the read ended
    if (movement.postingState === "posted" && movement.postedAt !== null && movement.postedAt < reading.startedAt)
      return false; // confirmed before
    return true;
  });
}

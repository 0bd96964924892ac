/**
 * Time helpers. The emulator never reads the wall clock directly: everything goes through an
 * injected `Clock` so tests can move time (token expiry, bucket refill) without sleeping.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** GraphQL `DateTime`: UTC, second precision, `Z` suffix (what the Admin API returns). */
export function isoUtc(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * REST-style webhook payloads render times in the shop's time zone with an explicit offset,
 * e.g. `2026-01-05T10:15:00+03:00`.
 */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${local}${sign}${hh}:${mm}`;
}

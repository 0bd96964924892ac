/**
 * Values in Prokip's formats.
 *
 * Dates: the Connector stores `transaction_date` as given and filters sells by its date part,
 * without a time zone. This adapter writes and queries in UTC, so a sell it posted is found by
 * the same calendar day it was posted with, whatever the business's own time zone is.
 */

const pad = (n: number) => String(n).padStart(2, "0");

/** "Y-m-d H:i:s" in UTC. */
export function prokipDateTime(date: Date): string {
  return `${prokipDate(date)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** "Y-m-d" in UTC. */
export function prokipDate(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/**
 * A decimal string ("20.0000") as whole units, rounded down: a fraction of a unit cannot be
 * sold in a store. Read from the text so "2.9999" is 2 and "-0.5000" is -1.
 */
export function wholeUnits(decimal: string | null | undefined): number {
  if (decimal === null || decimal === undefined) return 0;
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (!match) return 0;
  const [, sign, whole = "0", fraction = ""] = match;
  const units = Number(whole);
  const hasFraction = /[1-9]/.test(fraction);
  if (sign === "-") return units === 0 && !hasFraction ? 0 : -(units + (hasFraction ? 1 : 0));
  return units;
}

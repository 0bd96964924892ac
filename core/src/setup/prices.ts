/**
 * Store prices from Prokip's selling price, adjusted by the merchant's percentage. Computed on
 * decimal digits (BigInt), not binary floats, so 0.125 rounds to 0.13 like a person expects.
 */

/** `price` (a decimal string, e.g. "1500.0000") +/- `percent`, rounded half up to 2 decimals; null if it is not a price. */
export function adjustedPrice(price: string | null | undefined, percent: number): string | null {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(price?.trim() ?? "");
  if (!match) return null;
  const [, whole = "0", fraction = ""] = match;
  const units = BigInt(whole + fraction);
  const scale = 10n ** BigInt(fraction.length);
  // The factor in ten-thousandths: +10% is 11000, -2.5% is 9750.
  const factor = 10_000n + BigInt(Math.round(percent * 100));
  if (factor <= 0n) return null;
  const numerator = units * factor * 100n;
  const denominator = scale * 10_000n;
  const cents = (numerator * 2n + denominator) / (denominator * 2n);
  return `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
}

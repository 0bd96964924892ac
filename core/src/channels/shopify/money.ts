/**
 * Exact decimal arithmetic for the one sum the adapter does with money: a line's unit price
 * after its discounts (webhook payloads give the list price and the discount allocations of the
 * whole line). Amounts are decimal strings; floats would turn 0.1 + 0.2 into 0.30000000000000004.
 */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/u;

function fractionDigits(amount: string): number {
  return DECIMAL.exec(amount)?.[3]?.length ?? 0;
}

function toScaled(amount: string, scale: number): bigint {
  const match = DECIMAL.exec(amount.trim());
  if (!match) throw new TypeError(`Not a decimal amount: ${amount}`);
  const [, sign, whole, fraction = ""] = match;
  const digits = BigInt(`${whole}${fraction.padEnd(scale, "0").slice(0, scale)}`);
  return sign === "-" ? -digits : digits;
}

function fromScaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? "-" : ""}${whole}${scale > 0 ? `.${fraction}` : ""}`;
}

/**
 * (price x quantity - sum(discounts)) / quantity, rounded half up to the precision of the inputs
 * (at least two decimals). `quantity` must be positive.
 */
export function unitPriceAfterDiscounts(price: string, discounts: readonly string[], quantity: number): string {
  if (discounts.length === 0 || quantity <= 0) return price;
  const scale = Math.max(2, fractionDigits(price), ...discounts.map(fractionDigits));
  const total = toScaled(price, scale) * BigInt(quantity) - discounts.reduce((sum, d) => sum + toScaled(d, scale), 0n);
  const q = BigInt(quantity);
  // Round half away from zero.
  const rounded = total >= 0n ? (total * 2n + q) / (2n * q) : -((-total * 2n + q) / (2n * q));
  return fromScaled(rounded, scale);
}

/**
 * Times and counts in the merchant's words: "2 minutes ago", "3 products". Dates arrive from
 * loaders as ISO strings.
 */
const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["second", 60],
  ["minute", 60],
  ["hour", 24],
  ["day", 7],
  ["week", 4.35],
  ["month", 12],
  ["year", Number.POSITIVE_INFINITY],
];

/**
 * "just now", "2 minutes ago", "yesterday". `now` is the server's, from the loader that sent
 * `at`: the server's render and the browser's hydration then say the same words (the browser's
 * own clock, read a moment later, can cross a boundary: "just now" against "1 minute ago" is a
 * hydration error), and each reload of the data moves it along.
 */
export function timeAgo(at: string | Date, now: number): string {
  let amount = (new Date(at).getTime() - now) / 1000;
  if (Math.abs(amount) < 30) return "just now";
  for (const [unit, size] of STEPS) {
    if (Math.abs(amount) < size) return relative.format(Math.round(amount), unit);
    amount /= size;
  }
  return relative.format(Math.round(amount), "year");
}

const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

export function formatDateTime(at: string | Date): string {
  return dateTime.format(new Date(at));
}

/** "1 product", "3 products". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? one : many}`;
}

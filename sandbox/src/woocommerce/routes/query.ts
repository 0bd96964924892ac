/**
 * Date filters shared by the collection routes (`WC_REST_CRUD_Controller::prepare_objects_query`).
 */
import { parseWpDate } from "../util.ts";

/** A date-time query bound in ms, whole seconds, read in the site timezone (UTC) when it has no offset. */
function parseBound(value: unknown): number | null {
  const ms = typeof value === "string" ? parseWpDate(value) : null;
  // MySQL DATETIME columns compare whole seconds.
  return ms === null ? null : Math.floor(ms / 1000) * 1000;
}

/**
 * `after`/`before` (creation date) and `modified_after`/`modified_before`: exclusive bounds, as
 * WP_Date_Query builds them. An item modified in the same second as `modified_after` is NOT
 * returned, which is why pollers must overlap their windows.
 */
export function filterByDates<T>(
  items: T[],
  a: Record<string, unknown>,
  created: (t: T) => number,
  modified: (t: T) => number,
): T[] {
  const after = parseBound(a.after);
  const before = parseBound(a.before);
  const modifiedAfter = parseBound(a.modified_after);
  const modifiedBefore = parseBound(a.modified_before);
  return items.filter(
    (t) =>
      (after === null || created(t) > after) &&
      (before === null || created(t) < before) &&
      (modifiedAfter === null || modified(t) > modifiedAfter) &&
      (modifiedBefore === null || modified(t) < modifiedBefore),
  );
}

/**
 * Opaque page cursors: the sort key of a page's edge row, base64url-encoded JSON tagged with
 * what it pages, so a screen cannot build one and a cursor of one list is refused by another.
 */
import { z } from "zod";
import { SyncError } from "../domain/index.ts";

export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key]), "utf8").toString("base64url");
}

/** The key inside a cursor of `kind`, checked by `key`; `invalid_input` for anything else. */
export function decodeCursor<T>(kind: string, cursor: string, key: z.ZodType<T>, field: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    raw = null;
  }
  const parsed = Array.isArray(raw) && raw[0] === kind ? key.safeParse(raw.slice(1)) : null;
  if (!parsed?.success)
    throw new SyncError("invalid_input", "This page link is not valid any more: start from the first page", [
      { path: field, message: "is not a cursor of this list" },
    ]);
  return parsed.data;
}

/**
 * What a screen gets back when an action failed: core's `{error:{code, message, details}}`,
 * details being `[{path, message}]` for invalid input (core's or the form's own).
 */
export interface Failure {
  error: { code: string; message: string; details?: unknown };
}

export function isFailure(data: unknown): data is Failure {
  return (
    typeof data === "object" && data !== null && "error" in data && typeof (data as Failure).error?.message === "string"
  );
}

/** The error for one field, from a failure's details. */
export function fieldError(data: unknown, path: string): string | undefined {
  if (!isFailure(data)) return undefined;
  const details = data.error.details;
  if (!Array.isArray(details)) return undefined;
  const found = details.find(
    (detail): detail is { path: string; message: string } =>
      typeof detail === "object" && detail !== null && (detail as { path?: unknown }).path === path,
  );
  return found?.message;
}

/**
 * Errors that cross a boundary carry a machine-readable code, so the API can answer
 * `{error:{code, message, details}}` and callers can branch without parsing messages.
 */
export type ErrorCode =
  | "invalid_input"
  | "invalid_order"
  | "unknown_connection"
  | "unknown_business"
  | "connection_not_active"
  | "decryption_failed"
  | "missing_encryption_key";

export class SyncError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "SyncError";
    this.code = code;
    this.details = details;
  }
}

export function isSyncError(error: unknown): error is SyncError {
  return error instanceof SyncError;
}

/**
 * Errors that cross a boundary carry a machine-readable code, so the API can answer
 * `{error:{code, message, details}}` and callers can branch without parsing messages.
 */
export type ErrorCode =
  | "invalid_input"
  | "invalid_order"
  /** A webhook body the inbox cannot store (not UTF-8 or JSON, or JSON PostgreSQL's jsonb refuses). */
  | "invalid_payload"
  | "unknown_connection"
  | "unknown_business"
  | "connection_not_active"
  | "decryption_failed"
  | "missing_encryption_key"
  /** Merchant screens: Prokip refused the username or password. */
  | "prokip_rejected_credentials"
  /** Merchant screens: Prokip did not answer (network, 5xx, timeout). */
  | "prokip_unreachable"
  /** "Try with sample data" outside the sandbox. */
  | "sample_data_unavailable"
  /** The store has no connection yet (or it was disconnected) for what was asked. */
  | "store_not_connected"
  /** A listing, run or order that is not this store's, or does not exist. */
  | "not_found"
  /** Store API (WooCommerce plugin): the request carries no site signature, or not all of its headers. */
  | "signature_missing"
  /** Store API: the signature does not verify (unknown or unpaired site, wrong secret, altered request). */
  | "signature_invalid"
  /** Pairing: the callback URL is not the site's own plugin route (or not allowed here). */
  | "pairing_callback_refused"
  /** Pairing: the site did not prove, through its own plugin route, that it asked. */
  | "pairing_unconfirmed"
  /** Store API: a correctly signed request whose timestamp is more than 5 minutes from the backend's clock. */
  | "timestamp_out_of_window"
  /** Store API: a correctly signed request whose nonce this site has used before (a replay). */
  | "nonce_replayed";

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

/** The HTTP status an error is answered with, wherever it is answered (backend API, app routes). */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: 400,
  invalid_order: 400,
  invalid_payload: 400,
  unknown_connection: 404,
  unknown_business: 404,
  connection_not_active: 409,
  decryption_failed: 500,
  missing_encryption_key: 500,
  prokip_rejected_credentials: 400,
  prokip_unreachable: 503,
  sample_data_unavailable: 404,
  store_not_connected: 409,
  not_found: 404,
  signature_missing: 401,
  signature_invalid: 401,
  pairing_callback_refused: 400,
  pairing_unconfirmed: 403,
  timestamp_out_of_window: 401,
  nonce_replayed: 401,
};

export function httpStatusFor(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

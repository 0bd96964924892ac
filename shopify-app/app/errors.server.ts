/**
 * How the merchant screens answer a failure: core's SyncError becomes
 * `{error:{code, message, details}}` with the status its code always has (`httpStatusFor`),
 * exactly as the backend API answers it. Anything else is a bug and is thrown on.
 */
import { httpStatusFor, isSyncError, type ErrorCode } from "@prokip-sync/core";

/** What a screen receives when something it asked for failed. */
export interface ScreenError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export interface Failed {
  error: ScreenError;
}

export function errorResponse(code: ErrorCode, message: string, details?: unknown): Response {
  const error: ScreenError = details === undefined ? { code, message } : { code, message, details };
  return Response.json({ error } satisfies Failed, { status: httpStatusFor(code) });
}

/** core's SyncError as a response; anything else is thrown again (Remix answers 500). */
export function syncErrorResponse(error: unknown): Response {
  if (isSyncError(error)) return errorResponse(error.code, error.message, error.details);
  throw error;
}

/** Actions: the work's answer, or its SyncError as a response the screen shows (a banner, field errors). */
export async function answer<T>(work: () => Promise<T>): Promise<T | Response> {
  try {
    return await work();
  } catch (error) {
    return syncErrorResponse(error);
  }
}

/** `authenticate.admin`'s redirect: keeps the embedded app's parameters (shop, host) on the way. */
type Redirect = (url: string) => Response;

/**
 * Loaders: the work's answer; a SyncError is thrown as its response, for the screen's error
 * boundary. A store that is not connected (any more) is sent to the app's home, which opens
 * wherever the store stands (Connect Prokip).
 */
export async function load<T>(redirect: Redirect, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isSyncError(error) && error.code === "store_not_connected") throw redirect("/app");
    throw syncErrorResponse(error);
  }
}

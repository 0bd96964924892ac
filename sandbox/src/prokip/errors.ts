/**
 * The two kinds of failure the Connector's controllers turn into `{"error":{"message":...}}`
 * (Modules/Connector/Http/Controllers/Api/ApiController.php):
 *
 * - `ModelNotFound`: Eloquent's `findOrFail` missed. `modelNotFoundExceptionResult` answers 404
 *   with Laravel's message "No query results for model [App\BusinessLocation] 999".
 * - `ConnectorError`: any other exception; `otherExceptions` answers 400 with its message.
 *
 * In `POST /sell` these responses are not sent but collected into the output array, which is
 * why each failed sell shows up as a serialised JsonResponse (see `wrappedError`).
 */

/** Laravel model class names as UltimatePOS declares them (namespace `App\`). */
export const Models = {
  location: "App\\BusinessLocation",
  contact: "App\\Contact",
  product: "App\\Product",
  variation: "App\\Variation",
  transaction: "App\\Transaction",
  sellLine: "App\\TransactionSellLine",
} as const;

export class ModelNotFound extends Error {
  readonly status = 404;
  constructor(model: string, id: unknown) {
    // Illuminate\Database\Eloquent\ModelNotFoundException::setModel: the ids are appended after
    // a space; with no id (findOrFail(null)) the sentence ends with a period instead.
    const hasId = id !== undefined && id !== null && id !== "";
    super(hasId ? `No query results for model [${model}] ${String(id)}` : `No query results for model [${model}].`);
  }
}

export class ConnectorError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * A failure the real Connector answers with Laravel's generic 500 `{"message":"Server Error"}`
 * (an uncaught PHP error), reproduced on purpose where the Connector is known to crash.
 */
export class ServerError extends Error {}

/** The body `respondWithError` builds. */
export function errorBody(message: string): { error: { message: string } } {
  return { error: { message } };
}

/**
 * What `json_encode` makes of a Laravel JsonResponse object placed inside an array: its public
 * properties. This is the failure element of `POST /connector/api/sell` (still HTTP 200).
 */
export function wrappedError(message: string): {
  headers: Record<string, never>;
  original: { error: { message: string } };
  exception: null;
} {
  return { headers: {}, original: errorBody(message), exception: null };
}

/** Message and status for either error kind; anything else is a bug and should surface as 500. */
export function connectorFailure(error: unknown): { status: number; message: string } | null {
  if (error instanceof ModelNotFound || error instanceof ConnectorError)
    return { status: error.status, message: error.message };
  return null;
}

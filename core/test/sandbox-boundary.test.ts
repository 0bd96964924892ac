/**
 * Core holds no UI and does not depend on the emulators at run time: its code loads, and the
 * backend serves, without the sandbox workspace ever being resolved, unless sandbox mode is on
 * (then the host's factory imports it). A resolve hook (support/no-sandbox.mjs) makes any
 * import of a sandbox module fail.
 */
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePort } from "../src/store/index.ts";
import { testDatabase } from "./support/database.ts";
import { eventually } from "./support/eventually.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const noSandbox = path.join(here, "support/no-sandbox.mjs");
const main = path.resolve(here, "../src/main.ts");
const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.kill("SIGKILL")));

describe("core without the sandbox", () => {
  it("loads every module core's index exports without resolving the sandbox", async () => {
    const index = path.resolve(here, "../src/index.ts");
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--import",
      "tsx",
      "--import",
      noSandbox,
      "--input-type=module",
      "-e",
      `const core = await import(${JSON.stringify(index)}); console.log(typeof core.startBackend);`,
    ]);
    assert.equal(stdout.trim(), "function");
  });

  it("serves the backend with sandbox mode off and never loads the sandbox", async () => {
    const database = await testDatabase({ poolSize: 1 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let logs = "";
    const child = spawn(process.execPath, ["--import", "tsx", "--import", noSandbox, main], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        NODE_ENV: "development",
        PROKIP_SYNC_SANDBOX: "off",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
    await eventually(
      "the backend is ready",
      async () => {
        if (child.exitCode !== null) assert.fail(`the backend exited with ${child.exitCode}:\n${logs.slice(-3000)}`);
        return (await fetch(`${url}/healthz`).catch(() => null))?.status === 200;
      },
      { timeoutMs: 60_000, context: () => logs.slice(-3000) },
    );
    assert.equal((await fetch(`${url}/sandbox`)).status, 404);
    assert.ok(!logs.includes("the sandbox was imported"), logs);
    child.kill("SIGTERM");
    await once(child, "exit");
  });
});

/**
 * The backend process serves the store API: `startBackend` registers `/api/v1` (the OpenAPI
 * document, the signed store routes) and hands the routes the merchant functions' dependencies
 * once it is ready. The backend runs as `npm run start:backend` does, on a test database.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { registerPluginSite } from "../src/connections/index.ts";
import { generateEncryptionKey, parseEncryptionKey, signSiteRequest } from "../src/security/index.ts";
import { freePort } from "../src/store/index.ts";
import { eventually } from "./support/eventually.ts";
import { testDatabase } from "./support/database.ts";

const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/main.ts");
const children: ChildProcess[] = [];
after(() => children.forEach((child) => child.kill("SIGKILL")));

it("answers signed store API calls with core's answer once ready, refuses unsigned ones, and serves the OpenAPI document", async () => {
  const database = await testDatabase();
  const key = generateEncryptionKey();
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      NODE_ENV: "development",
      PROKIP_SYNC_ENCRYPTION_KEY: key,
      PROKIP_SYNC_WORKERS: "off",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let logs = "";
  child.stdout!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (logs += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    "the backend to be ready",
    async () => (await fetch(`${url}/healthz`).catch(() => null))?.status === 200,
    { timeoutMs: 90_000, everyMs: 250, context: () => logs },
  );

  const site = await registerPluginSite(
    { prisma: database.prisma, encryptionKey: parseEncryptionKey(key) },
    { siteUrl: "https://shop.example/" },
  );
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString("base64url");
  const pathWithQuery = "/api/v1/store/stage";
  const signed = await fetch(`${url}${pathWithQuery}`, {
    headers: {
      "X-Prokip-Site": site.siteId,
      "X-Prokip-Timestamp": timestamp,
      "X-Prokip-Nonce": nonce,
      "X-Prokip-Signature": signSiteRequest(site.secret, {
        method: "GET",
        pathWithQuery,
        timestamp,
        nonce,
        siteId: site.siteId,
        body: "",
      }),
    },
  });
  assert.equal(signed.status, 200, logs);
  // Sandbox mode (the default outside production) offers the sample data.
  assert.deepEqual(await signed.json(), { stage: "connect_prokip", sampleDataAvailable: true });

  const unsigned = await fetch(`${url}${pathWithQuery}`);
  assert.equal(unsigned.status, 401);
  assert.equal(((await unsigned.json()) as { error: { code: string } }).error.code, "signature_missing");

  const document = await fetch(`${url}/api/v1/openapi.json`);
  assert.equal(document.status, 200);
  const body = (await document.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(body.openapi, /^3\.1\./);
  assert.ok("/api/v1/store/stage" in body.paths);
});

#!/usr/bin/env node
// Runs the Prisma CLI offline. Prisma 6.19 with the `prisma-client` generator, engineType
// "client" and the pg driver adapter needs no native engine; pointing the engine variables at
// an existing file stops the CLI from trying to download engines it will not use.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? process.execPath,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
};
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: "inherit", env });
if (result.status === 0 && process.argv[2] === "generate") writeLegacyEntry();
process.exit(result.status ?? 1);

/**
 * The project's client is generated into core/src/store/generated (the `prisma-client`
 * generator), so `@prisma/client`'s own entry (node_modules/.prisma/client, written by the
 * legacy generator or by @prisma/client's install script, which this project does not run)
 * would be missing. @shopify/shopify-app-session-storage-prisma requires `@prisma/client` only
 * for `Prisma.PrismaClientKnownRequestError` (it is handed core's client): this entry gives it
 * the runtime's error classes, and a PrismaClient that says where the real one is.
 */
function writeLegacyEntry() {
  const dir = path.join(path.dirname(require.resolve("@prisma/client/package.json")), "..", "..", ".prisma", "client");
  mkdirSync(dir, { recursive: true });
  const js = `"use strict";
// Written by scripts/prisma.mjs (see writeLegacyEntry there). The client is core's: core/src/store.
const runtime = require("@prisma/client/runtime/client");
class PrismaClient {
  constructor() {
    throw new Error("This project's Prisma client is generated into core/src/store/generated: import PrismaClient from core's store module");
  }
}
const Prisma = {
  PrismaClientKnownRequestError: runtime.PrismaClientKnownRequestError,
  PrismaClientUnknownRequestError: runtime.PrismaClientUnknownRequestError,
  PrismaClientValidationError: runtime.PrismaClientValidationError,
  PrismaClientInitializationError: runtime.PrismaClientInitializationError,
  PrismaClientRustPanicError: runtime.PrismaClientRustPanicError,
};
module.exports = { Prisma, PrismaClient, default: { Prisma } };
`;
  const dts = `// Written by scripts/prisma.mjs: see there.
export declare class PrismaClient {
  [model: string]: any;
}
export declare namespace Prisma {
  const PrismaClientKnownRequestError: typeof import("@prisma/client/runtime/client").PrismaClientKnownRequestError;
}
export type Session = { [column: string]: any };
`;
  for (const name of ["default", "index"]) {
    writeFileSync(path.join(dir, `${name}.js`), js);
    writeFileSync(path.join(dir, `${name}.d.ts`), dts);
  }
}

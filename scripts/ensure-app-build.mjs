/**
 * Builds the Shopify app (`npm run build -w shopify-app`) when its build is missing or older than
 * what it is built from, and says which; otherwise says it is up to date. `npm start` runs this
 * before the host (shopify-app/server.ts), which serves the build.
 *
 * "What it is built from": the app's sources (app/), its Vite config and package.json, and the
 * lockfile (a dependency update changes the bundle). Core is not bundled (the server build imports
 * it at run time), so core's changes need no rebuild.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const app = path.join(root, "shopify-app");
const builtFile = path.join(app, "build", "server", "index.js");
const sources = [
  path.join(app, "app"),
  path.join(app, "vite.config.ts"),
  path.join(app, "package.json"),
  path.join(root, "package-lock.json"),
];

/** The most recently modified file under `entry` (a file or a folder). */
function newest(entry) {
  if (!existsSync(entry)) return null;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return { file: entry, mtimeMs: stat.mtimeMs };
  let found = null;
  for (const name of readdirSync(entry)) {
    const candidate = newest(path.join(entry, name));
    if (candidate && (!found || candidate.mtimeMs > found.mtimeMs)) found = candidate;
  }
  return found;
}

function reasonToBuild() {
  if (!existsSync(builtFile) || !existsSync(path.join(app, "build", "client"))) return "shopify-app/build is missing";
  const builtAt = statSync(builtFile).mtimeMs;
  for (const source of sources) {
    const latest = newest(source);
    if (latest && latest.mtimeMs > builtAt) return `${path.relative(root, latest.file)} changed after the last build`;
  }
  return null;
}

const reason = reasonToBuild();
if (!reason) {
  console.log("Shopify app: shopify-app/build is up to date.");
} else {
  console.log(`Shopify app: building it (${reason}) with \`npm run build -w shopify-app\`...`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["run", "build", "-w", "shopify-app"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error("Shopify app: the build failed (see above); npm start needs it.");
    process.exit(result.status ?? 1);
  }
  console.log("Shopify app: built.");
}

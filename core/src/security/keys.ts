import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SyncError } from "../domain/index.ts";
import { generateEncryptionKey, parseEncryptionKey } from "./crypto.ts";

/**
 * The credentials key: from PROKIP_SYNC_ENCRYPTION_KEY when set. Outside production, a key is
 * generated once and kept in the local data directory (mode 0600) so the sandbox just works;
 * in production a missing key is an error, never a silent default.
 */
export function loadEncryptionKey(options: {
  configured?: string | undefined;
  dataDir: string;
  production: boolean;
}): Buffer {
  if (options.configured) return parseEncryptionKey(options.configured);
  if (options.production) {
    throw new SyncError("missing_encryption_key", "PROKIP_SYNC_ENCRYPTION_KEY must be set in production");
  }
  const file = path.join(options.dataDir, "encryption.key");
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true });
    writeFileSync(file, `${generateEncryptionKey()}\n`, { mode: 0o600, flag: "wx" });
  }
  return parseEncryptionKey(readFileSync(file, "utf8"));
}

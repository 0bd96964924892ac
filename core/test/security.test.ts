/** Credentials at rest: AES-256-GCM, tamper-evident, key from the environment. */
import assert from "node:assert/strict";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { SyncError } from "../src/domain/index.ts";
import {
  decryptSecret,
  encryptSecret,
  generateEncryptionKey,
  loadEncryptionKey,
  openJson,
  parseEncryptionKey,
  sealJson,
} from "../src/security/index.ts";

const key = parseEncryptionKey(generateEncryptionKey());

describe("credential encryption", () => {
  it("round-trips and never stores the plaintext", () => {
    const sealed = encryptSecret("shpat_secret-token", key);
    assert.ok(!sealed.includes("shpat_secret-token"));
    assert.match(sealed, /^v1\.[\w-]+\.[\w-]+\.[\w-]+$/u);
    assert.equal(decryptSecret(sealed, key), "shpat_secret-token");
  });

  it("uses a fresh IV for every value", () => assert.notEqual(encryptSecret("same", key), encryptSecret("same", key)));

  it("round-trips JSON credentials", () => {
    const credentials = { consumerKey: "ck_1", consumerSecret: "cs_2" };
    assert.deepEqual(openJson(sealJson(credentials, key), key), credentials);
  });

  it("refuses a tampered value or a wrong key with decryption_failed", () => {
    const sealed = encryptSecret("secret", key);
    const parts = sealed.split(".");
    const flipped = Buffer.from(parts[3]!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    const tampered = [...parts.slice(0, 3), flipped.toString("base64url")].join(".");
    const isDecryptionFailure = (error: unknown) =>
      error instanceof SyncError && error.code === "decryption_failed" && !error.message.includes("secret");
    assert.throws(() => decryptSecret(tampered, key), isDecryptionFailure);
    assert.throws(() => decryptSecret(sealed, parseEncryptionKey(generateEncryptionKey())), isDecryptionFailure);
    assert.throws(() => decryptSecret("plain text", key), isDecryptionFailure);
  });

  it("accepts 32-byte keys as base64 or hex and rejects others", () => {
    assert.equal(parseEncryptionKey("ab".repeat(32)).length, 32);
    assert.throws(
      () => parseEncryptionKey("too-short"),
      (error: unknown) => error instanceof SyncError && error.code === "missing_encryption_key",
    );
  });

  it("generates a local key file (0600) outside production and demands one in production", () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "prokip-key-"));
    const first = loadEncryptionKey({ dataDir, production: false });
    assert.deepEqual(loadEncryptionKey({ dataDir, production: false }), first);
    assert.equal(statSync(path.join(dataDir, "encryption.key")).mode & 0o777, 0o600);
    assert.throws(
      () => loadEncryptionKey({ dataDir, production: true }),
      (error: unknown) => error instanceof SyncError && error.code === "missing_encryption_key",
    );
  });
});

/**
 * Credentials at rest: AES-256-GCM with a random 96-bit IV per value. The stored form is
 * `v1.<iv>.<tag>.<ciphertext>` (base64url), so a key or format change can be detected.
 * GCM authenticates: a tampered value or a wrong key fails loudly instead of decrypting to junk.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { SyncError } from "../domain/index.ts";

const VERSION = "v1";
const IV_BYTES = 12;
const KEY_BYTES = 32;

/** Parses a 32-byte key given as base64, base64url or hex. */
export function parseEncryptionKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/iu.test(trimmed) ? Buffer.from(trimmed, "hex") : Buffer.from(trimmed, "base64");
  if (key.length !== KEY_BYTES) {
    throw new SyncError(
      "missing_encryption_key",
      `The encryption key must be ${KEY_BYTES} bytes (base64 or hex); got ${key.length}`,
    );
  }
  return key;
}

export function generateEncryptionKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

export function encryptSecret(plaintext: string, key: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(".");
}

export function decryptSecret(sealed: string, key: Buffer): string {
  const [version, iv, tag, ciphertext] = sealed.split(".");
  if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new SyncError("decryption_failed", "Not an encrypted value of a known format");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    // Never echo the value or the key: only say that it did not authenticate.
    throw new SyncError(
      "decryption_failed",
      "The value could not be decrypted with this key (wrong key or tampered value)",
    );
  }
}

/** Encrypts a JSON-serialisable credentials object. */
export function sealJson(value: unknown, key: Buffer): string {
  return encryptSecret(JSON.stringify(value), key);
}

export function openJson<T>(sealed: string, key: Buffer): T {
  return JSON.parse(decryptSecret(sealed, key)) as T;
}

export {
  encryptSecret,
  decryptSecret,
  sealJson,
  openJson,
  parseEncryptionKey,
  generateEncryptionKey,
} from "./crypto.ts";
export { loadEncryptionKey } from "./keys.ts";

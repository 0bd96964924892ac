export {
  encryptSecret,
  decryptSecret,
  sealJson,
  openJson,
  parseEncryptionKey,
  generateEncryptionKey,
} from "./crypto.ts";
export { loadEncryptionKey } from "./keys.ts";
export {
  SITE_SIGNATURE_HEADERS,
  SITE_SIGNATURE_VERSION,
  SITE_SIGNATURE_WINDOW_SECONDS,
  generateSiteSecret,
  sha256Hex,
  signSiteRequest,
  siteCanonicalString,
  siteSignatureMatches,
  type SignedRequestParts,
} from "./site-signature.ts";

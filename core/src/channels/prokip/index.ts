/**
 * The Prokip adapter: `signInToProkip` turns the merchant's username and password into tokens
 * (the password is never kept), `createProkipPos` is the PosSystem working from those tokens.
 */
export {
  signInToProkip,
  REJECTED_USER_CREDENTIALS,
  type ProkipClientCredentials,
  type ProkipTokens,
  type TokenStore,
} from "./auth.ts";
export { defaultRetry, type RetrySettings } from "./http.ts";
export { defaultPacing, type PacingSettings } from "./pacing.ts";
export { createProkipPos, type ProkipBusiness, type ProkipPos, type ProkipPosOptions } from "./pos.ts";
export { prokipTokensSchema } from "./schemas.ts";

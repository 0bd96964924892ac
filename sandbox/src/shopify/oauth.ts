/**
 * `POST /{shop}/admin/oauth/access_token`: token exchange for embedded apps (RFC 8693 as Shopify
 * documents it: https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/token-exchange)
 * plus the refresh_token grant for expiring offline tokens. Request and response shapes match what
 * `@shopify/shopify-api` 15 sends and parses (auth/oauth/token-exchange.mjs, refresh-token.mjs,
 * migrate-to-expiring-token.mjs, create-session.mjs):
 *
 *   request  {client_id, client_secret, grant_type, subject_token, subject_token_type,
 *             requested_token_type, expiring: "0"|"1"}  (JSON or form encoded)
 *   offline  {access_token, scope}  (+ expires_in, refresh_token, refresh_token_expires_in when expiring=1)
 *   online   {access_token, scope, expires_in, associated_user_scope, associated_user:{...}}
 *   bad session token -> 400 {"error":"invalid_subject_token","error_description":"..."}
 *
 * The subject token is App Bridge's session token: an HS256 JWT signed with the app secret whose
 * `aud` is the API key, `dest` is https://{shop} and `iss` is https://{shop}/admin.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Core } from "./events.ts";
import type { AccessToken, App } from "./state.ts";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
export const OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token";
export const ONLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:online-access-token";

/** Expiring offline tokens live an hour; their refresh tokens 90 days; online tokens a day. */
const EXPIRING_OFFLINE_SECONDS = 3_600;
const REFRESH_TOKEN_SECONDS = 90 * 24 * 3_600;
const ONLINE_SECONDS = 86_399;
/** Same leeway @shopify/shopify-api allows when it checks exp/nbf. */
const CLOCK_TOLERANCE_SECONDS = 10;

class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
  }
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

/** Mints an App Bridge-style session token (what the browser would hand the app). */
export function signSessionToken(
  app: { apiKey: string; apiSecret: string },
  shop: string,
  options: { userId?: number; nowSeconds: number; ttlSeconds?: number; sid?: string },
): string {
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = base64url(
    JSON.stringify({
      iss: `https://${shop}/admin`,
      dest: `https://${shop}`,
      aud: app.apiKey,
      sub: String(options.userId ?? 1),
      exp: options.nowSeconds + (options.ttlSeconds ?? 60),
      nbf: options.nowSeconds,
      iat: options.nowSeconds,
      jti: randomBytes(16).toString("hex"),
      sid: options.sid ?? randomBytes(16).toString("hex"),
    }),
  );
  const signature = createHmac("sha256", app.apiSecret).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${signature}`;
}

interface SessionClaims {
  sub?: string;
  sid?: string;
}

/** Verifies signature, algorithm, audience, shop and validity window; throws invalid_subject_token. */
export function verifySessionToken(token: string, app: App, shop: string, nowSeconds: number): SessionClaims {
  const invalid = (why: string) => new OAuthError("invalid_subject_token", `Subject token is invalid: ${why}`);
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid("not a JWT");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: string };
  let payload: {
    aud?: unknown;
    dest?: unknown;
    iss?: unknown;
    exp?: unknown;
    nbf?: unknown;
    sub?: unknown;
    sid?: unknown;
  };
  try {
    header = JSON.parse(Buffer.from(headerPart, "base64url").toString("utf8"));
    payload = JSON.parse(Buffer.from(payloadPart, "base64url").toString("utf8"));
  } catch {
    throw invalid("malformed");
  }
  if (header.alg !== "HS256") throw invalid("unexpected algorithm");
  const expected = createHmac("sha256", app.apiSecret).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid("bad signature");
  if (payload.aud !== app.apiKey) throw invalid("audience does not match the API key");
  if (payload.dest !== `https://${shop}`) throw invalid("destination does not match the shop");
  if (payload.iss !== `https://${shop}/admin`) throw invalid("issuer does not match the shop");
  if (typeof payload.exp !== "number" || payload.exp + CLOCK_TOLERANCE_SECONDS < nowSeconds) throw invalid("expired");
  if (typeof payload.nbf === "number" && payload.nbf - CLOCK_TOLERANCE_SECONDS > nowSeconds)
    throw invalid("not yet valid");
  return {
    sub: typeof payload.sub === "string" ? payload.sub : undefined,
    sid: typeof payload.sid === "string" ? payload.sid : undefined,
  };
}

/** Records an installation and issues the app's offline token (also used by the control API). */
export function issueToken(
  core: Core,
  app: App,
  shop: string,
  kind: "offline" | "online",
  options: { expiring?: boolean; userId?: number; appSubscriptions?: boolean } = {},
): AccessToken {
  const { state } = core;
  const now = state.now();
  const key = `${app.apiKey}|${shop}`;
  if (!state.installations.has(key))
    state.installations.set(key, {
      shop,
      apiKey: app.apiKey,
      installedAt: now,
      appSubscriptions: options.appSubscriptions ?? true,
    });
  const expiring = kind === "online" || options.expiring === true;
  const token: AccessToken = {
    token: `${kind === "online" ? "shpua" : "shpat"}_${randomBytes(16).toString("hex")}`,
    shop,
    apiKey: app.apiKey,
    kind,
    scope: app.scopes,
    expiresAt: expiring ? now + (kind === "online" ? ONLINE_SECONDS : EXPIRING_OFFLINE_SECONDS) * 1000 : null,
    refreshToken: kind === "offline" && expiring ? `shprt_${randomBytes(16).toString("hex")}` : null,
    refreshTokenExpiresAt: kind === "offline" && expiring ? now + REFRESH_TOKEN_SECONDS * 1000 : null,
    userId: kind === "online" ? (options.userId ?? 1) : null,
  };
  state.tokens.set(token.token, token);
  if (token.refreshToken) state.refreshTokens.set(token.refreshToken, token);
  return token;
}

function tokenResponse(core: Core, token: AccessToken): Record<string, unknown> {
  const now = core.state.now();
  const seconds = (at: number | null) => (at === null ? undefined : Math.max(0, Math.round((at - now) / 1000)));
  if (token.kind === "online") {
    return {
      access_token: token.token,
      scope: token.scope,
      expires_in: seconds(token.expiresAt),
      associated_user_scope: token.scope,
      session: randomBytes(16).toString("hex"),
      associated_user: {
        id: token.userId,
        first_name: "Demo",
        last_name: "Merchant",
        email: `merchant+${token.userId}@${token.shop}`,
        email_verified: true,
        account_owner: true,
        locale: "en",
        collaborator: false,
      },
    };
  }
  return {
    access_token: token.token,
    scope: token.scope,
    ...(token.expiresAt !== null
      ? {
          expires_in: seconds(token.expiresAt),
          refresh_token: token.refreshToken,
          refresh_token_expires_in: seconds(token.refreshTokenExpiresAt),
        }
      : {}),
  };
}

type TokenRequest = Record<string, unknown>;

function exchange(core: Core, shop: string, body: TokenRequest): Record<string, unknown> {
  const { state } = core;
  const str = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : undefined);
  const app = state.apps.get(str("client_id") ?? "");
  if (!app || app.apiSecret !== str("client_secret"))
    throw new OAuthError("invalid_client", "Client credentials are invalid", 401);
  if (!state.shops.has(shop)) throw new OAuthError("invalid_request", `Unknown shop ${shop}`, 404);
  const grant = str("grant_type");
  const nowSeconds = Math.floor(state.now() / 1000);

  if (grant === "refresh_token") {
    const old = state.refreshTokens.get(str("refresh_token") ?? "");
    if (!old || old.shop !== shop || old.apiKey !== app.apiKey || (old.refreshTokenExpiresAt ?? 0) <= state.now()) {
      throw new OAuthError("invalid_grant", "The refresh token is invalid or expired");
    }
    // Refresh tokens rotate: the old pair stops working.
    state.refreshTokens.delete(old.refreshToken!);
    state.tokens.delete(old.token);
    return tokenResponse(core, issueToken(core, app, shop, "offline", { expiring: true }));
  }
  if (grant !== TOKEN_EXCHANGE_GRANT)
    throw new OAuthError("unsupported_grant_type", `Grant type ${grant ?? "(missing)"} is not supported`);

  const subject = str("subject_token");
  if (!subject) throw new OAuthError("invalid_request", "subject_token is required");
  const requested = str("requested_token_type") ?? OFFLINE_TOKEN_TYPE;
  if (requested !== OFFLINE_TOKEN_TYPE && requested !== ONLINE_TOKEN_TYPE)
    throw new OAuthError("invalid_request", "Unsupported requested_token_type");
  const expiring = str("expiring") === "1";

  if (str("subject_token_type") === OFFLINE_TOKEN_TYPE) {
    // Migrating a non-expiring offline token to an expiring one; the old token is revoked.
    const old = state.tokens.get(subject);
    if (!old || old.shop !== shop || old.apiKey !== app.apiKey || old.kind !== "offline")
      throw new OAuthError("invalid_subject_token", "Subject token is invalid");
    state.tokens.delete(old.token);
    return tokenResponse(core, issueToken(core, app, shop, "offline", { expiring: true }));
  }
  if (str("subject_token_type") !== ID_TOKEN_TYPE)
    throw new OAuthError("invalid_request", "Unsupported subject_token_type");
  const claims = verifySessionToken(subject, app, shop, nowSeconds);
  const userId = claims.sub && /^\d+$/.test(claims.sub) ? Number(claims.sub) : 1;
  const kind = requested === ONLINE_TOKEN_TYPE ? "online" : "offline";
  return tokenResponse(core, issueToken(core, app, shop, kind, { expiring, userId }));
}

export function tokenRoute(core: Core) {
  return async (
    request: FastifyRequest<{ Params: { shop: string }; Body: TokenRequest | undefined }>,
    reply: FastifyReply,
  ) => {
    try {
      return reply.code(200).send(exchange(core, request.params.shop, request.body ?? {}));
    } catch (error) {
      if (error instanceof OAuthError)
        return reply.code(error.status).send({ error: error.error, error_description: error.description });
      throw error;
    }
  };
}

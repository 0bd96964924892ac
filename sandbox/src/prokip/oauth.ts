/**
 * Laravel Passport's `POST /oauth/token` (league/oauth2-server 8.x underneath), limited to the
 * two grants a Prokip integration uses: `password` and `refresh_token`.
 *
 * Error bodies are league's OAuthServerException payloads; 8.x still adds the deprecated
 * `message` copy of `error_description`:
 *   unknown grant        400 {"error":"unsupported_grant_type", ...}
 *   missing parameter    400 {"error":"invalid_request", ..., "hint":"Check the `username` parameter"}
 *   bad client / secret  401 {"error":"invalid_client","error_description":"Client authentication failed",...}
 *   bad username/pass    400 {"error":"invalid_grant","error_description":"The user credentials were incorrect.",...}
 *   bad refresh token    401 {"error":"invalid_request","error_description":"The refresh token is invalid.","hint":"Token has been revoked",...}
 *
 * Access tokens look like Passport's (an RS256 JWT with aud/jti/iat/nbf/exp/sub/scopes claims),
 * but the signature is random bytes: only this emulator can validate them, by lookup.
 * Refreshing revokes the old access and refresh tokens, as league does by default.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ProkipState } from "./state.ts";
import type { RateLimiter } from "./throttle.ts";
import { tooManyAttempts } from "./laravel.ts";
import type { OAuthClient, User } from "./types.ts";

export interface TokenLifetimes {
  /** Passport's default is one year. */
  accessTokenTtlSeconds?: number;
  /** Passport's default is one year. */
  refreshTokenTtlSeconds?: number;
}

/** What a valid access token stands for. */
export interface TokenOwner {
  userId: number;
  businessId: number;
  clientId: string;
}

interface AccessToken extends TokenOwner {
  jti: string;
  expiresAt: number;
  revoked: boolean;
}

interface RefreshToken {
  accessToken: string;
  clientId: string;
  userId: number;
  expiresAt: number;
  revoked: boolean;
}

export interface TokenResponse {
  token_type: "Bearer";
  expires_in: number;
  access_token: string;
  refresh_token: string;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString("base64url");

export class TokenStore {
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly accessTtlMs: number;
  private readonly refreshTtlMs: number;

  constructor(
    private readonly state: ProkipState,
    lifetimes: TokenLifetimes = {},
  ) {
    this.accessTtlMs = (lifetimes.accessTokenTtlSeconds ?? 365 * 24 * 3600) * 1000;
    this.refreshTtlMs = (lifetimes.refreshTokenTtlSeconds ?? 365 * 24 * 3600) * 1000;
  }

  issue(client: OAuthClient, user: User): TokenResponse {
    const now = this.state.now();
    const jti = randomBytes(40).toString("hex");
    const expiresAt = now + this.accessTtlMs;
    const seconds = Math.floor(now / 1000);
    const claims = {
      aud: client.clientId,
      jti,
      iat: seconds,
      nbf: seconds,
      exp: Math.floor(expiresAt / 1000),
      sub: String(user.id),
      scopes: [],
    };
    const accessToken = `${base64url(JSON.stringify({ typ: "JWT", alg: "RS256" }))}.${base64url(JSON.stringify(claims))}.${base64url(randomBytes(256))}`;
    // Passport refresh tokens are defuse-encrypted blobs starting with "def50200".
    const refreshToken = `def50200${randomBytes(160).toString("hex")}`;

    this.accessTokens.set(accessToken, {
      jti,
      userId: user.id,
      businessId: user.businessId,
      clientId: client.clientId,
      expiresAt,
      revoked: false,
    });
    this.refreshTokens.set(refreshToken, {
      accessToken,
      clientId: client.clientId,
      userId: user.id,
      expiresAt: now + this.refreshTtlMs,
      revoked: false,
    });
    return {
      token_type: "Bearer",
      expires_in: Math.round(this.accessTtlMs / 1000),
      access_token: accessToken,
      refresh_token: refreshToken,
    };
  }

  /** The owner of a usable bearer token, or undefined (unknown, revoked, expired, user gone). */
  authenticate(bearer: string): TokenOwner | undefined {
    const token = this.accessTokens.get(bearer);
    if (!token || token.revoked || token.expiresAt <= this.state.now()) return undefined;
    if (!this.state.users.has(token.userId)) return undefined;
    return { userId: token.userId, businessId: token.businessId, clientId: token.clientId };
  }

  /** The refresh_token grant: a new pair, or the hint league would give for refusing. */
  refresh(client: OAuthClient, refreshToken: string): TokenResponse | { hint: string } {
    const old = this.refreshTokens.get(refreshToken);
    if (!old) return { hint: "Cannot decrypt the refresh token" };
    if (old.clientId !== client.clientId) return { hint: "Token is not linked to client" };
    if (old.expiresAt <= this.state.now()) return { hint: "Token has expired" };
    if (old.revoked) return { hint: "Token has been revoked" };
    const user = this.state.users.get(old.userId);
    if (!user) return { hint: "Token has been revoked" };
    old.revoked = true;
    const oldAccess = this.accessTokens.get(old.accessToken);
    if (oldAccess) oldAccess.revoked = true;
    return this.issue(client, user);
  }

  reset(): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }
}

// ---- The route ----

type OAuthError = { status: number; body: Record<string, string> };

function oauthError(status: number, error: string, description: string, hint?: string): OAuthError {
  // Key order as league 8.x getPayload() produces it.
  const body: Record<string, string> = { error, error_description: description };
  if (hint !== undefined) body.hint = hint;
  body.message = description;
  return { status, body };
}

const errors = {
  unsupportedGrantType: () =>
    oauthError(
      400,
      "unsupported_grant_type",
      "The authorization grant type is not supported by the authorization server.",
      "Check that all required parameters have been provided",
    ),
  invalidRequest: (parameter: string) =>
    oauthError(
      400,
      "invalid_request",
      "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
      `Check the \`${parameter}\` parameter`,
    ),
  invalidClient: () => oauthError(401, "invalid_client", "Client authentication failed"),
  invalidCredentials: () => oauthError(400, "invalid_grant", "The user credentials were incorrect."),
  invalidRefreshToken: (hint: string) => oauthError(401, "invalid_request", "The refresh token is invalid.", hint),
};

function field(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

/** Client credentials from the body, else from HTTP Basic auth (league's getClientCredentials). */
function clientCredentials(request: FastifyRequest, body: Record<string, unknown>): { id?: string; secret?: string } {
  const header = request.headers.authorization ?? "";
  let basic: string[] = [];
  if (/^basic /i.test(header)) basic = Buffer.from(header.slice(6).trim(), "base64").toString("utf8").split(":");
  return { id: field(body, "client_id") ?? basic[0], secret: field(body, "client_secret") ?? basic[1] };
}

export interface OAuthDeps {
  state: ProkipState;
  tokens: TokenStore;
  limiter: RateLimiter;
}

export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const { state, tokens, limiter } = deps;

  const fail = (request: FastifyRequest, reply: FastifyReply, e: OAuthError): FastifyReply => {
    if (e.body.error === "invalid_client" && request.headers.authorization) {
      reply.header(
        "www-authenticate",
        `${/^bearer/i.test(request.headers.authorization) ? "Bearer" : "Basic"} realm="OAuth"`,
      );
    }
    return reply.code(e.status).send(e.body);
  };

  app.post("/oauth/token", async (request, reply) => {
    // Passport registers this route with the plain `throttle` middleware: 60/min per IP.
    const decision = limiter.hit(`ip:${request.ip}`);
    reply.headers(decision.headers);
    if (!decision.allowed) return tooManyAttempts(reply, decision.headers);

    const body = (request.body !== null && typeof request.body === "object" ? request.body : {}) as Record<
      string,
      unknown
    >;
    const grantType = field(body, "grant_type");
    if (grantType !== "password" && grantType !== "refresh_token")
      return fail(request, reply, errors.unsupportedGrantType());

    const credentials = clientCredentials(request, body);
    if (credentials.id === undefined) return fail(request, reply, errors.invalidRequest("client_id"));
    const client = state.clients.get(credentials.id);
    if (!client || client.secret !== credentials.secret) return fail(request, reply, errors.invalidClient());

    let response: TokenResponse;
    if (grantType === "password") {
      const username = field(body, "username");
      if (username === undefined) return fail(request, reply, errors.invalidRequest("username"));
      const password = field(body, "password");
      if (password === undefined) return fail(request, reply, errors.invalidRequest("password"));
      // Passport finds the user by username across the whole installation; the client only
      // authenticates the calling app, it does not restrict which business's users log in.
      const user = [...state.users.values()].find((u) => u.username === username);
      if (!user || user.password !== password) return fail(request, reply, errors.invalidCredentials());
      response = tokens.issue(client, user);
    } else {
      const refreshToken = field(body, "refresh_token");
      if (refreshToken === undefined) return fail(request, reply, errors.invalidRequest("refresh_token"));
      const refreshed = tokens.refresh(client, refreshToken);
      if ("hint" in refreshed) return fail(request, reply, errors.invalidRefreshToken(refreshed.hint));
      response = refreshed;
    }
    // league's BearerTokenResponse headers.
    return reply.header("pragma", "no-cache").header("cache-control", "no-store").send(response);
  });
}

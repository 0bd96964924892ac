/**
 * Site authentication for the store API: every call is signed by the plugin with its site's
 * secret (security/site-signature.ts). Checked before the body is parsed, on the raw bytes the
 * signature covers, so nothing about a request is looked at until its signature verifies:
 * missing headers, a bad signature, a timestamp outside ±5 minutes and a nonce seen before
 * are each refused with 401 and their own code.
 */
import { Readable } from "node:stream";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type pg from "pg";
import { pairedSite, recordSiteNonce } from "../../connections/index.ts";
import { SyncError } from "../../domain/index.ts";
import type { StoreRef } from "../../merchant/types.ts";
import { SITE_SIGNATURE_HEADERS, SITE_SIGNATURE_WINDOW_SECONDS, siteSignatureMatches } from "../../security/index.ts";

/** Larger than any store API request (the biggest is a sign-in); a bigger body is refused before it is read whole. */
export const STORE_BODY_LIMIT = 64 * 1024;

export interface VerifiedSite {
  siteId: string;
  /** The one store this request may act on. */
  store: StoreRef;
  connectionId: string | null;
}

const verified = new WeakMap<FastifyRequest, VerifiedSite>();

/** The site a request was verified for; the store API's handlers only run after verification. */
export function siteOf(request: FastifyRequest): VerifiedSite {
  const site = verified.get(request);
  if (!site) throw new Error("store API handler reached without a verified site");
  return site;
}

const NONCE = /^[A-Za-z0-9_-]{16,128}$/u;
const TIMESTAMP = /^\d{1,12}$/u;
const SIGNATURE = /^[0-9a-fA-F]{64}$/u;

export interface SiteAuthDependencies {
  /** The database, once the backend is up (null before: the request is answered 503). */
  database: () => { pool: pg.Pool } | null;
  encryptionKey: Buffer;
}

export function installSiteAuthentication(app: FastifyInstance, deps: SiteAuthDependencies): void {
  app.addHook("preParsing", async (request, reply, payload) => {
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === "string" ? value : undefined;
    };
    const siteId = header(SITE_SIGNATURE_HEADERS.site);
    const timestamp = header(SITE_SIGNATURE_HEADERS.timestamp);
    const nonce = header(SITE_SIGNATURE_HEADERS.nonce);
    const signature = header(SITE_SIGNATURE_HEADERS.signature);
    if (!siteId || !timestamp || !nonce || !signature)
      throw new SyncError("signature_missing", "Sign the request with the site's secret", {
        headers: Object.values(SITE_SIGNATURE_HEADERS),
      });
    const refused = new SyncError("signature_invalid", "The request's signature does not verify");
    if (!TIMESTAMP.test(timestamp) || !NONCE.test(nonce) || !SIGNATURE.test(signature)) throw refused;

    const body = await readBody(payload).catch((error: unknown) => {
      // The rest of the body is left unread: the connection is closed after the answer instead
      // of waiting, busy, for bytes nobody reads (app.close() would wait for it too).
      void reply.header("connection", "close");
      throw error;
    });
    const database = deps.database();
    if (!database) throw notReady();
    const site = await pairedSite(database.pool, deps.encryptionKey, siteId);
    const parts = { method: request.method, pathWithQuery: request.url, timestamp, nonce, siteId, body };
    if (!site || !siteSignatureMatches(site.secret, parts, signature)) throw refused;

    const skew = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (skew > SITE_SIGNATURE_WINDOW_SECONDS)
      throw new SyncError(
        "timestamp_out_of_window",
        `The request's timestamp is more than ${SITE_SIGNATURE_WINDOW_SECONDS} seconds from the backend's clock`,
        { serverTime: Math.floor(Date.now() / 1000) },
      );
    if (!(await recordSiteNonce(database.pool, site.id, nonce)))
      throw new SyncError("nonce_replayed", "This request's nonce was used before");

    verified.set(request, {
      siteId: site.id,
      store: { platform: "woocommerce", storeDomain: site.storeDomain },
      connectionId: site.connectionId,
    });
    // The body goes on to Fastify's parser as the bytes the signature covered.
    const replay = Readable.from(body.length > 0 ? [body] : []) as Readable & { receivedEncodedLength?: number };
    replay.receivedEncodedLength = body.length;
    return replay;
  });
}

/** Before the database is up (or with no Prokip client configured): 503, the plugin tries again later. */
export function notReady(): Error {
  return Object.assign(new Error("The backend is not ready to serve the store API; try again in a moment"), {
    statusCode: 503,
    code: "not_ready",
  });
}

async function readBody(payload: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of payload) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    length += buffer.length;
    if (length > STORE_BODY_LIMIT)
      throw Object.assign(new Error(`The body is larger than ${STORE_BODY_LIMIT} bytes`), {
        statusCode: 413,
        code: "body_too_large",
      });
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Pairing a WordPress site (docs/woocommerce.md, "Pairing"): the site announces itself with a
 * nonce; the backend calls the site's own plugin route back with a one-time code, and only when
 * the answer is HMAC-SHA256(nonce, code) (which only the plugin that sent the nonce can compute
 * for a code it was sent) registers the site and hands it its secret, in a second call back.
 * The code never leaves the backend but in those two server-to-server calls, so it cannot be
 * used twice or late: it lives for one pairing request only.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import { SyncError } from "../domain/index.ts";
import type { PrismaClient } from "../store/index.ts";
import { registerPluginSite, revokePluginSite } from "./plugin-sites.ts";
import type pg from "pg";

export interface PairingDependencies {
  prisma: PrismaClient;
  pool: pg.Pool;
  encryptionKey: Buffer;
  /** Sandbox and tests only: callbacks to loopback and private addresses (the emulators) are allowed. */
  allowPrivateAddresses: boolean;
  /** Production: callbacks over https only. */
  httpsOnly: boolean;
  /** How long each call back may take. */
  callbackTimeoutMs: number;
}

export interface PairingRequest {
  siteUrl: string;
  callbackUrl: string;
  nonce: string;
}

/** The plugin's routes live here, under the site URL. */
export const PLUGIN_ROUTE_PREFIX = "/wp-json/prokip-sync/v1/";

const privateRanges = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  privateRanges.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["::ffff:0:0", 96],
] as const)
  privateRanges.addSubnet(net, prefix, "ipv6");

function refused(code: "pairing_callback_refused" | "pairing_unconfirmed", message: string, details?: unknown) {
  return new SyncError(code, message, details);
}

/** Where the backend may call back: the site's own origin, its plugin's routes, http(s) (https in production). */
export function checkCallbackUrl(input: PairingRequest, httpsOnly: boolean): URL {
  const site = new URL(input.siteUrl);
  const callback = new URL(input.callbackUrl);
  const schemes = httpsOnly ? ["https:"] : ["https:", "http:"];
  if (!schemes.includes(site.protocol) || !schemes.includes(callback.protocol))
    throw refused("pairing_callback_refused", httpsOnly ? "Pairing needs https" : "Pairing needs http(s)");
  if (callback.origin !== site.origin)
    throw refused("pairing_callback_refused", "The callback URL is not on the site's origin");
  const base = `${site.pathname.replace(/\/+$/u, "")}${PLUGIN_ROUTE_PREFIX}`;
  if (!callback.pathname.startsWith(base) || callback.username || callback.password || callback.search || callback.hash)
    throw refused("pairing_callback_refused", `The callback URL is not a route under ${base}`);
  return callback;
}

/** Outside the sandbox, a callback must not reach this machine's or its network's private addresses. */
async function checkPublicAddress(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/gu, "");
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true }).catch(() => {
        throw refused("pairing_callback_refused", "The site's host name does not resolve");
      });
  for (const { address, family } of addresses)
    if (privateRanges.check(address, family === 6 ? "ipv6" : "ipv4"))
      throw refused("pairing_callback_refused", "The site's address is not a public one");
}

async function callBack(deps: PairingDependencies, url: URL, body: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      redirect: "manual",
      signal: AbortSignal.timeout(deps.callbackTimeoutMs),
    });
  } catch {
    throw refused("pairing_unconfirmed", "The site did not answer the pairing call back");
  }
  const text = await response.text().catch(() => "");
  if (response.status !== 200)
    throw refused("pairing_unconfirmed", "The site refused the pairing call back", { status: response.status });
  try {
    return JSON.parse(text);
  } catch {
    throw refused("pairing_unconfirmed", "The site's answer to the pairing call back is not JSON");
  }
}

/** Pairs the site if its plugin proves it asked; returns the site's id (its secret went to the site only). */
export async function pairSite(deps: PairingDependencies, input: PairingRequest): Promise<{ siteId: string }> {
  const site = new URL(input.siteUrl);
  if (site.username || site.password || site.search || site.hash)
    throw new SyncError("invalid_input", "The site URL is not valid", [
      { path: "siteUrl", message: "a site URL has no user, query or fragment" },
    ]);
  const callback = checkCallbackUrl(input, deps.httpsOnly);
  if (!deps.allowPrivateAddresses) await checkPublicAddress(callback);
  const code = randomBytes(32).toString("base64url");
  const answer = await callBack(deps, callback, { step: "verify", code });
  const proof = (answer as { proof?: unknown } | null)?.proof;
  const expected = createHmac("sha256", input.nonce).update(code).digest();
  const given = typeof proof === "string" && /^[0-9a-f]{64}$/u.test(proof) ? Buffer.from(proof, "hex") : null;
  if (!given || !timingSafeEqual(given, expected))
    throw refused("pairing_unconfirmed", "The site's answer does not prove it asked to pair");
  const paired = await registerPluginSite(deps, { siteUrl: input.siteUrl });
  try {
    await callBack(deps, callback, { step: "deliver", code, siteId: paired.siteId, secret: paired.secret });
  } catch (error) {
    // The site never got the secret: nothing may sign with it.
    await revokePluginSite(deps.pool, paired.siteId);
    throw error;
  }
  return { siteId: paired.siteId };
}

/**
 * WordPress sites running the Prokip Sync plugin (docs/woocommerce.md). A paired site holds a
 * secret the plugin signs every store API call with; the backend keeps it sealed with the
 * credential key, since verifying an HMAC needs the secret itself. The store a site's calls act
 * on is its own: the WooCommerce store whose URL is the site's.
 */
import type pg from "pg";
import { z } from "zod";
import { SyncError } from "../domain/index.ts";
import { decryptSecret, encryptSecret, generateSiteSecret, SITE_SIGNATURE_WINDOW_SECONDS } from "../security/index.ts";
import type { PrismaClient } from "../store/index.ts";

const siteUrlSchema = z
  .url({ protocol: /^https?$/u })
  .max(255)
  .refine((text) => {
    // Refinements run after a failed URL check too: an unparsable text is already refused.
    if (!URL.canParse(text)) return true;
    const url = new URL(text);
    return url.username === "" && url.password === "" && url.search === "" && url.hash === "";
  }, "a site URL has no user, query or fragment");

export interface PairedSite {
  siteId: string;
  siteUrl: string;
  /** The signing secret, in the clear: returned once, here, for the plugin to keep. */
  secret: string;
}

/**
 * Registers a site (or pairs it again: a new secret replaces the old one, and an unpaired site is
 * paired again, keeping its connection). The caller must already have proved that the site asks
 * for itself: the pairing flow's call back to the site (not built yet) is where that happens.
 */
export async function registerPluginSite(
  deps: { prisma: PrismaClient; encryptionKey: Buffer },
  input: { siteUrl: string },
): Promise<PairedSite> {
  const parsed = siteUrlSchema.safeParse(typeof input?.siteUrl === "string" ? input.siteUrl.trim() : input?.siteUrl);
  if (!parsed.success)
    throw new SyncError("invalid_input", "The site URL is not valid", [
      { path: "siteUrl", message: parsed.error.issues[0]?.message ?? "invalid" },
    ]);
  const secret = generateSiteSecret();
  const sealed = encryptSecret(secret, deps.encryptionKey);
  const site = await deps.prisma.pluginSite.upsert({
    where: { siteUrl: parsed.data },
    create: { siteUrl: parsed.data, secret: sealed },
    update: { secret: sealed, pairedAt: new Date(), revokedAt: null },
    select: { id: true, siteUrl: true },
  });
  return { siteId: site.id, siteUrl: site.siteUrl, secret };
}

/** Unpairs a site: its signatures are refused from now on (its history stays). */
export async function revokePluginSite(pool: pg.Pool, siteId: string): Promise<void> {
  await pool.query(`UPDATE "PluginSite" SET "revokedAt" = now() WHERE "id" = $1 AND "revokedAt" IS NULL`, [siteId]);
}

export interface VerifiableSite {
  id: string;
  siteUrl: string;
  /** The store its calls act on: its connection's storeDomain once connected, the site URL before. */
  storeDomain: string;
  secret: string;
  connectionId: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/** A paired (not revoked) site with its secret opened; null for an unknown or unpaired one. */
export async function pairedSite(pool: pg.Pool, encryptionKey: Buffer, siteId: string): Promise<VerifiableSite | null> {
  if (!UUID.test(siteId)) return null;
  const { rows } = await pool.query<{
    id: string;
    siteUrl: string;
    storeDomain: string;
    secret: string;
    connectionId: string | null;
  }>(
    `SELECT s."id", s."siteUrl", COALESCE(c."storeDomain", s."siteUrl") AS "storeDomain", s."secret", s."connectionId"
     FROM "PluginSite" s LEFT JOIN "Connection" c ON c."id" = s."connectionId"
     WHERE s."id" = $1 AND s."revokedAt" IS NULL`,
    [siteId],
  );
  const row = rows[0];
  if (!row) return null;
  return { ...row, secret: decryptSecret(row.secret, encryptionKey) };
}

/**
 * Records a nonce of a verified request; false when the site used it before. The site's nonces
 * older than twice the window go in the same statement: a request is accepted only within the
 * window of its timestamp, so a replay of one seen that long ago is refused by its timestamp.
 */
export async function recordSiteNonce(pool: pg.Pool, siteId: string, nonce: string): Promise<boolean> {
  const { rows } = await pool.query<{ fresh: boolean }>(
    `WITH purged AS (
       DELETE FROM "PluginSiteNonce" WHERE "siteId" = $1 AND "seenAt" < now() - make_interval(secs => $3)
     )
     INSERT INTO "PluginSiteNonce" ("siteId", "nonce") VALUES ($1, $2)
     ON CONFLICT ("siteId", "nonce") DO NOTHING
     RETURNING true AS "fresh"`,
    [siteId, nonce, 2 * SITE_SIGNATURE_WINDOW_SECONDS],
  );
  return rows.length === 1;
}

/** The site's store is connected: remember which connection and business it is (the site keeps no say in either). */
export async function attachSiteConnection(pool: pg.Pool, siteId: string, connectionId: string): Promise<void> {
  await pool.query(
    `UPDATE "PluginSite" s SET "connectionId" = c."id", "businessId" = c."businessId"
     FROM "Connection" c WHERE s."id" = $1 AND c."id" = $2`,
    [siteId, connectionId],
  );
}

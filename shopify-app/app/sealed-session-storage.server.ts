/**
 * Shopify sessions at rest, sealed: a `SessionStorage` around `PrismaSessionStorage` that
 * encrypts `accessToken` and `refreshToken` (core's `sealSessionToken`, AES-256-GCM with core's
 * key) before the library's row reaches the central `Session` table, and opens them on load. The
 * other columns stay as the library writes them (core and the compliance routes query by `shop`).
 *
 * The offline session is also what core's workers call Shopify with, so both sides refresh it
 * the same way: core's `ShopifySessions` (a transaction holding the row, one refresh for
 * everyone; see core/src/connections/shopify-sessions.ts). Here that means:
 *
 * - `loadSession` refreshes an offline session that expires within `REFRESH_MARGIN_MS` (the
 *   library's own margin) before handing it out, so the library never refreshes by itself (it
 *   would spend the refresh token without the lock, racing core's workers: every webhook the app
 *   receives loads the offline session). A refresh Shopify refuses (uninstalled, revoked) makes
 *   the session absent: the embedded flow then exchanges a new session token, webhooks go on
 *   without an admin context, `unauthenticated.admin` says there is no session. A refresh that
 *   cannot be made right now hands out the session as stored; the library does what it did before.
 * - The library invalidates a token Shopify refused by storing the session without it. The
 *   session it holds may be older than the row (core refreshed meanwhile), and storing it would
 *   put a spent refresh token back, so the refused token goes to core's refresh instead, which
 *   adopts the newer row or refreshes; only if that fails is the invalidation stored.
 *
 * Rows written before sessions were sealed (development only: none exist in production) are not
 * migrated: one that does not open is treated as absent, and the next visit to the app replaces
 * it through token exchange.
 */
import type { SessionStorage } from "@shopify/shopify-app-session-storage";
import { Session } from "@shopify/shopify-app-remix/server";
import {
  ChannelError,
  createLogger,
  defaultDataDir,
  loadEncryptionKey,
  openSessionToken,
  REFRESH_MARGIN_MS,
  sealSessionToken,
  ShopifySessions,
  type Database,
  type Logger,
  type SessionTokenDependencies,
  type ShopifyAppCredentials,
} from "@prokip-sync/core";

let ownKey: Buffer | null = null;

/**
 * The key sessions are sealed with: core's. Hosted by the backend, it is the host's
 * (`globalThis.prokipSyncMerchant.encryptionKey`, set before the app loads); on its own (`shopify
 * app dev`, tests) the app loads it exactly as core/src/main.ts does: PROKIP_SYNC_ENCRYPTION_KEY,
 * else (outside production) the key file in PROKIP_SYNC_DATA_DIR or `.data/`, shared with a
 * backend started on the same machine. Asked at every use, so a host that sets its global after
 * this module loaded is still the one that counts.
 */
export function appEncryptionKey(): Buffer {
  const hosted = globalThis.prokipSyncMerchant?.encryptionKey;
  if (hosted) return hosted;
  ownKey ??= loadEncryptionKey({
    configured: process.env.PROKIP_SYNC_ENCRYPTION_KEY,
    dataDir: process.env.PROKIP_SYNC_DATA_DIR ?? defaultDataDir,
    production: process.env.NODE_ENV === "production",
  });
  return ownKey;
}

/** Core's refresh, with what it needs for one call. */
export interface CoreRefresh {
  sessions: ShopifySessions;
  deps: SessionTokenDependencies;
}

export interface SealedSessionStorageOptions {
  encryptionKey: () => Buffer;
  /** Offline tokens refreshed through core (see above); without it the library refreshes by itself. */
  refresh?: () => CoreRefresh;
  /** Asked at each use, like the key: the host's log once it is there. */
  log: () => Logger;
}

type Outcome = "renewed" | "refused" | "unavailable";

export class SealedSessionStorage implements SessionStorage {
  /** The access token each handed-out session carried: the library clears it to invalidate it. */
  private readonly handedOut = new WeakMap<Session, string>();

  constructor(
    private readonly inner: SessionStorage,
    private readonly options: SealedSessionStorageOptions,
  ) {}

  async storeSession(session: Session): Promise<boolean> {
    const refused = this.handedOut.get(session);
    if (refused !== undefined && !session.accessToken && !session.isOnline && this.options.refresh) {
      if ((await this.renew(session.shop, refused)) === "renewed") return true;
    }
    return this.inner.storeSession(
      this.transform(session, (token) => sealSessionToken(token, this.options.encryptionKey())),
    );
  }

  async loadSession(id: string): Promise<Session | undefined> {
    const session = await this.load(id);
    if (!session || !this.needsRefresh(session)) return session && this.handOut(session);
    const outcome = await this.renew(session.shop, undefined);
    if (outcome === "refused") return undefined;
    if (outcome === "unavailable") return this.handOut(session);
    const fresh = await this.load(id);
    return fresh && this.handOut(fresh);
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.inner.deleteSession(id);
  }

  async deleteSessions(ids: string[]): Promise<boolean> {
    return this.inner.deleteSessions(ids);
  }

  async findSessionsByShop(shop: string): Promise<Session[]> {
    const stored = await this.inner.findSessionsByShop(shop);
    return stored.flatMap((session) => {
      const opened = this.open(session);
      return opened ? [this.handOut(opened)] : [];
    });
  }

  private async load(id: string): Promise<Session | undefined> {
    const stored = await this.inner.loadSession(id);
    return stored && this.open(stored);
  }

  private needsRefresh(session: Session): boolean {
    return Boolean(
      this.options.refresh &&
      !session.isOnline &&
      session.refreshToken &&
      (!session.accessToken || session.isExpired(REFRESH_MARGIN_MS)),
    );
  }

  /** Core's locked refresh; `rejected` is a token Shopify refused (the row may have moved on already). */
  private async renew(shop: string, rejected: string | undefined): Promise<Outcome> {
    const { sessions, deps } = this.options.refresh!();
    try {
      await sessions.accessToken(shop, deps, rejected);
      return "renewed";
    } catch (error) {
      if (!(error instanceof ChannelError)) throw error; // the database, or a bug: let it show
      this.options
        .log()
        .warn({ shop, code: error.code, message: error.message }, "the shop's offline session could not be refreshed");
      return error.code === "unauthorized" ? "refused" : "unavailable";
    }
  }

  private open(stored: Session): Session | undefined {
    try {
      return this.transform(stored, (token) => openSessionToken(token, this.options.encryptionKey()));
    } catch {
      this.options
        .log()
        .warn(
          { sessionId: stored.id, shop: stored.shop },
          "a stored Shopify session could not be opened (written before sessions were sealed, or with another key): treated as absent",
        );
      return undefined;
    }
  }

  private handOut(session: Session): Session {
    if (session.accessToken) this.handedOut.set(session, session.accessToken);
    return session;
  }

  /** A copy with both tokens passed through `change` (empty ones stay empty). */
  private transform(session: Session, change: (token: string) => string): Session {
    const params = session.toObject();
    return new Session({
      ...params,
      ...(params.accessToken ? { accessToken: change(params.accessToken) } : {}),
      ...(params.refreshToken ? { refreshToken: change(params.refreshToken) } : {}),
    });
  }
}

let ownLog: Logger | null = null;

/**
 * The app's storage: sealed, refreshing through core. Hosted by the backend, it shares the
 * host's `ShopifySessions` (one cache and one refresh per shop for workers and app), its log and
 * its Shopify fetch (the emulator in sandbox mode); on its own it builds its own on `pool`.
 * `fetch` overrides both (tests point it at the emulator).
 */
export function createAppSessionStorage(
  inner: SessionStorage,
  options: { pool: Database["pool"]; app: ShopifyAppCredentials; fetch?: SessionTokenDependencies["fetch"] },
): SealedSessionStorage {
  const log = () =>
    globalThis.prokipSyncMerchant?.log ?? (ownLog ??= createLogger({ name: "prokip-sync-shopify-app" }));
  let ownSessions: ShopifySessions | null = null;
  return new SealedSessionStorage(inner, {
    encryptionKey: appEncryptionKey,
    log,
    refresh: () => {
      const hosted = globalThis.prokipSyncMerchant?.channels;
      const fetch = options.fetch ?? hosted?.shopifyFetch;
      return {
        sessions: hosted?.shopifySessions ?? (ownSessions ??= new ShopifySessions(options.pool)),
        deps: { encryptionKey: appEncryptionKey(), app: options.app, log: log(), ...(fetch ? { fetch } : {}) },
      };
    },
  });
}

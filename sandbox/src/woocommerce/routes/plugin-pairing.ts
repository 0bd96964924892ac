/**
 * STAND-IN for the Prokip Sync plugin's own pairing callback, `POST /prokip-sync/v1/pairing`
 * (not a WooCommerce route): what the plugin's PHP does when the backend calls the site back
 * during pairing (docs/woocommerce.md, "Pairing"). The real plugin keeps the pending nonce in
 * a WordPress option; here it lives in memory per emulated site.
 *
 * - `{step:"verify", code}`: only while a pairing the site itself began is pending (`begin`),
 *   answers `{proof: HMAC-SHA256(key = nonce, message = code)}` hex; otherwise 409.
 * - `{step:"deliver", code, siteId, secret}`: only for the code it just proved; keeps the
 *   secret and forgets the nonce (single use); otherwise 409.
 */
import { createHmac, randomBytes } from "node:crypto";
import { CREATABLE, type WpRoute } from "../http.ts";

interface Pending {
  nonce: string;
  expiresAt: number;
  provedCode: string | null;
}

const PENDING_MS = 5 * 60_000;

export class PluginPairing {
  readonly #pending = new Map<string, Pending>();
  readonly #paired = new Map<string, { siteId: string; secret: string }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The plugin starts pairing (the merchant pressed "Pair" in wp-admin): the nonce it sends the backend. */
  begin(slug: string): string {
    const nonce = randomBytes(24).toString("base64url");
    this.#pending.set(slug, { nonce, expiresAt: this.#now() + PENDING_MS, provedCode: null });
    return nonce;
  }

  /** What the backend handed the site, once paired. */
  paired(slug: string): { siteId: string; secret: string } | null {
    return this.#paired.get(slug) ?? null;
  }

  routes(): WpRoute[] {
    const refuse = (message: string) => ({
      status: 409,
      body: { code: "prokip_sync_not_pairing", message, data: { status: 409 } },
    });
    return [
      {
        methods: CREATABLE,
        pattern: /^\/prokip-sync\/v1\/pairing$/,
        permission: "public",
        handler: (req) => {
          const slug = req.site.slug;
          const pending = this.#pending.get(slug);
          const code = req.body.code;
          if (!pending || pending.expiresAt < this.#now() || typeof code !== "string")
            return refuse("This site is not pairing");
          if (req.body.step === "verify") {
            pending.provedCode = code;
            return { body: { proof: createHmac("sha256", pending.nonce).update(code).digest("hex") } };
          }
          const { siteId, secret } = req.body;
          if (
            req.body.step === "deliver" &&
            pending.provedCode === code &&
            typeof siteId === "string" &&
            typeof secret === "string"
          ) {
            this.#pending.delete(slug);
            this.#paired.set(slug, { siteId, secret });
            return { body: { paired: true } };
          }
          return refuse("Unexpected pairing step");
        },
      },
    ];
  }
}

/**
 * What core needs from a sandbox, and what it gives one. The sandbox workspace implements this
 * (`sandboxForBackend` in @prokip-sync/sandbox); a host passes a factory for it to
 * `startBackend({ sandbox })`, which calls it only in sandbox mode. Core itself never imports the
 * sandbox package: the emulators, the console and the emulated Shopify admin are not part of the
 * backend's code, and a deployment without sandbox mode never loads them.
 */
import type { FastifyInstance } from "fastify";
import type { DemoCredentials, DemoStockRow } from "../demo/index.ts";

/** Where the sandbox is mounted, and the Shopify app the host serves next to it (if any). */
export interface SandboxRequest {
  publicUrl: string;
  shopifyApp?: { apiKey?: string; name: string; scopes: string; webhooks: { topics: string[]; uri: string }[] };
}

/** The backend's side of the demo business, given to the sandbox's console once it is connected. */
export interface SandboxDemoView {
  prokipLocationId: number;
  stock(): Promise<DemoStockRow[]>;
  prokipVariationId(sku: string): Promise<number | null>;
  /** Reconciles every demo connection now (Prokip stock, store orders, store quantities). */
  syncNow(): Promise<unknown>;
}

export interface SandboxProvider {
  /** The demo shop, site and Prokip business (the demo business is connected with them). */
  credentials: DemoCredentials;
  /** Where the emulated Shopify answers; Shopify's traffic (`https://{shop}.myshopify.com/...`) is sent there. */
  shopifyUrl: string;
  /** The App Bridge stand-in (absolute URL) when a Shopify app is hosted; null otherwise. */
  appBridgeUrl: string | null;
  /** The emulated Shopify admin that opens the hosted app; null when no app is hosted. */
  shopifyAdminUrl: string | null;
  /** Shops the sandbox makes on request: their connections from an earlier run are forgotten at start. */
  newShopPattern: RegExp;
  /** Mounts every /sandbox route; `demo` answers null until the demo business is connected. */
  register(app: FastifyInstance, demo: () => SandboxDemoView | null): Promise<void>;
  close(): Promise<void>;
}

/** Makes the sandbox; a host's `sandbox` option, e.g. `(r) => import("@prokip-sync/sandbox").then((s) => s.sandboxForBackend(r))`. */
export type SandboxFactory = (request: SandboxRequest) => SandboxProvider | Promise<SandboxProvider>;

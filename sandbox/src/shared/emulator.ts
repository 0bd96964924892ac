/**
 * The shape every emulator has, so the product's server, tests and the standalone CLI can
 * treat Shopify, WooCommerce and Prokip alike.
 */
import type { FastifyInstance } from "fastify";
import type { Faults } from "./faults.ts";

export interface Emulator<Control> {
  /** "shopify" | "woocommerce" | "prokip" */
  readonly name: string;
  /**
   * Registers every route (platform API and `/_control/*`) on a Fastify instance. Mount it with
   * `app.register(emulator.routes, { prefix: "/sandbox/shopify" })`, or with no prefix when
   * standalone.
   */
  routes(app: FastifyInstance): Promise<void>;
  /** In-process control API: the same operations `/_control/*` offers over HTTP. */
  readonly control: Control;
  readonly faults: Faults;
  /** Stops timers and pending webhook deliveries. */
  close(): Promise<void>;
}

/**
 * Faithful local emulators of the Shopify Admin API, the WooCommerce REST API and the Prokip
 * Connector API, used by tests, benchmarks and the product's sandbox mode. See docs/sandbox.md.
 */
export {
  createSandbox,
  SANDBOX_PREFIXES,
  type Sandbox,
  type SandboxCredentials,
  type SandboxOptions,
} from "./sandbox.ts";
export * as shopify from "./shopify/index.ts";
export * as woocommerce from "./woocommerce/index.ts";
export * as prokip from "./prokip/index.ts";
export { Faults, faultPlanSchema, seededRandom, type FaultPlan, type FaultPlanInput } from "./shared/faults.ts";
export type { Emulator } from "./shared/emulator.ts";
export { demoCatalogue, demoLocations, type DemoProduct, type DemoVariant } from "./shared/demo-catalogue.ts";
// The sandbox as the product's backend mounts it (console, emulated Shopify admin, App Bridge stand-in).
export * from "./web/index.ts";

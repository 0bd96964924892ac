export {
  startBackend,
  buildMerchantDeps,
  exitIfStartupRefused,
  StartupRefused,
  type Backend,
  type BackendContext,
  type BackendOptions,
  type HostedShopifyApp,
  type ReadyBackend,
  type SandboxContext,
} from "./backend.ts";
export type { SandboxDemoView, SandboxFactory, SandboxProvider, SandboxRequest } from "./sandbox.ts";

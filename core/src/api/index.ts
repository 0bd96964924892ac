export { buildServer, type ServerDependencies } from "./server.ts";
export { Health, type HealthReport, type DatabasePhase } from "./health.ts";

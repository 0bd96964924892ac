/**
 * The same real PostgreSQL as core's tests: one throwaway server per run (or DATABASE_URL's),
 * migrations applied once to a template database that each test file clones.
 */
export { globalSetup, globalTeardown } from "../../core/test/global-setup.ts";

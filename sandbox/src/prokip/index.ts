/**
 * The Prokip emulator: an in-memory stand-in for Prokip's public API, which is the UltimatePOS
 * "Connector" module (Laravel + Passport). See README.md for what is covered and why.
 *
 *   const prokip = createProkipEmulator();
 *   await app.register(prokip.routes, { prefix: "/sandbox/prokip" });
 *   const demo = prokip.control.seedDemo(); // client id/secret, username/password, ids
 *
 * or standalone: `const { url, close } = await startProkipEmulator({ port: 0 })`.
 *
 * Layout: state.ts (records), sells.ts (the write paths), routes.ts (Connector routes),
 * oauth.ts (/oauth/token), throttle.ts, pagination.ts, format.ts (JSON shapes),
 * laravel.ts (framework-level answers), control.ts (/_control), demo.ts.
 */
import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Emulator } from "../shared/emulator.ts";
import { type FaultPlanInput, Faults } from "../shared/faults.ts";
import { createControl, registerControlRoutes, type ProkipControl } from "./control.ts";
import { routeNotFound, serverError } from "./laravel.ts";
import { registerOAuthRoutes, type TokenLifetimes, TokenStore } from "./oauth.ts";
import { registerConnectorRoutes, registerMethodGuards } from "./routes.ts";
import { ProkipState } from "./state.ts";
import { type RateLimitOptions, RateLimiter } from "./throttle.ts";
import type { Clock } from "./types.ts";

export type {
  BusinessCreated,
  ContactCreated,
  CreateBusinessInput,
  CreateContactInput,
  CreateLocationInput,
  CreateProductInput,
  GetStockInput,
  ListSellsInput,
  LocationCreated,
  ProductCreated,
  ProkipControl,
  SellSummary,
  SetStockInput,
  StockLevel,
  UpdateBusinessInput,
} from "./control.ts";
export { ControlError } from "./control.ts";
export { DEMO_CREDENTIALS, type DemoSeed } from "./demo.ts";
export type { RateLimitOptions } from "./throttle.ts";
export type { TokenLifetimes } from "./oauth.ts";
export type { Clock } from "./types.ts";

export interface ProkipEmulatorOptions extends TokenLifetimes {
  /** Initial fault plan (default: no faults). */
  faults?: FaultPlanInput;
  /** Clock in epoch ms; inject one to expire tokens or end throttle windows without waiting. */
  now?: Clock;
  /** Throttle for the Connector API (per user) and /oauth/token (per IP). Default 60 per 60 s. */
  rateLimit?: RateLimitOptions;
}

export type ProkipEmulator = Emulator<ProkipControl>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createProkipEmulator(options: ProkipEmulatorOptions = {}): ProkipEmulator {
  const clock: Clock = options.now ?? (() => Date.now());
  const state = new ProkipState(clock);
  const tokens = new TokenStore(state, options);
  const limiter = new RateLimiter(clock, options.rateLimit);
  const faults = new Faults(options.faults ?? {});
  const control = createControl({ state, tokens, limiter, faults });

  /**
   * Seeded chaos in front of every API request (never the control API): extra latency, a
   * 5xx as the infrastructure in front of Laravel would send it, or a burst of 429s.
   * Returns the reply when it answered, so a hook can stop the request.
   */
  async function faultGate(_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const fault = faults.nextRequest();
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault.kind === "error") {
      if (fault.status === 502)
        return reply
          .code(502)
          .type("text/html")
          .send(
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
          );
      if (fault.status === 503) return reply.code(503).send({ message: "Service Unavailable" });
      return serverError(reply);
    }
    if (fault.kind === "throttle") {
      return reply
        .code(429)
        .headers({ "X-RateLimit-Limit": String(limiter.limit), "X-RateLimit-Remaining": "0", "Retry-After": "1" })
        .send({ message: "Too Many Attempts." });
    }
    return undefined;
  }

  async function routes(app: FastifyInstance): Promise<void> {
    // Laravel's `route('login')`, under whatever prefix the emulator is mounted.
    const loginPath = `${app.prefix}/login`;
    // The host app may already parse forms; registering the parser twice would throw.
    if (!app.hasContentTypeParser("application/x-www-form-urlencoded")) await app.register(formbody);
    // Laravel reads a JSON body leniently: an empty or malformed body is just empty input
    // (so a broken POST /sell answers "Invalid form data", not a parse error).
    app.removeContentTypeParser("application/json");
    app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
      try {
        done(null, body === "" ? {} : JSON.parse(body as string));
      } catch {
        done(null, {});
      }
    });

    // Unknown routes: Laravel's router answers before any middleware, so no 401 here.
    app.setNotFoundHandler(
      async (request, reply) => (await faultGate(request, reply)) ?? routeNotFound(request, reply),
    );

    // The platform API: OAuth, the Connector routes and the 405 guards, all behind faults.
    await app.register(async (api) => {
      api.addHook("onRequest", async (request, reply) => faultGate(request, reply));
      api.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
        // Client errors Fastify detects (e.g. an unsupported content type) keep their status;
        // anything else is an emulator bug, answered like Laravel's 500 but with the cause.
        if (error.statusCode !== undefined && error.statusCode < 500)
          return reply.code(error.statusCode).send({ message: error.message });
        return reply.code(500).send({ message: "Server Error", emulator_error: error.message });
      });
      registerOAuthRoutes(api, { state, tokens, limiter });
      registerMethodGuards(api);
      await api.register(async (connector) =>
        registerConnectorRoutes(connector, { state, tokens, limiter, loginPath }),
      );
    });

    await app.register(async (controlScope) => registerControlRoutes(controlScope, control));
  }

  return {
    name: "prokip",
    routes,
    control,
    faults,
    // Nothing runs in the background (no webhooks in the Connector), so nothing to stop.
    close: async () => {},
  };
}

export interface StartedProkipEmulator {
  /** e.g. "http://127.0.0.1:40123", the API base URL (no prefix). */
  url: string;
  emulator: ProkipEmulator;
  close(): Promise<void>;
}

/** Runs the emulator on its own Fastify server (port 0 picks a free port). */
export async function startProkipEmulator(
  options: { port: number; host?: string } & ProkipEmulatorOptions,
): Promise<StartedProkipEmulator> {
  const { port, host = "127.0.0.1", ...emulatorOptions } = options;
  const emulator = createProkipEmulator(emulatorOptions);
  const app = Fastify({ logger: false });
  await app.register(emulator.routes);
  await app.listen({ port, host });
  const address = app.server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`,
    emulator,
    close: async () => {
      await emulator.close();
      await app.close();
    },
  };
}

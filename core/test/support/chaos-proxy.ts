/**
 * The chaos suite's front door: an HTTP proxy in the test process that stands where PUBLIC_URL
 * points. Everything the product and the emulators say to each other passes through it: the
 * stores' webhook deliveries to the backend, and the backend's and the worker's API calls to
 * the emulated Shopify, WooCommerce and Prokip (served by the sandbox-mode web process).
 *
 * That lets the test, without touching the product:
 * - make the backend unreachable for WooCommerce's deliveries (503, as a load balancer with no
 *   healthy backend answers), so WooCommerce disables the webhook after repeated failures;
 * - notice a request in flight (a drain's quantity write, a Prokip sell) and act when the
 *   emulator has applied it but before the product hears the answer (kill the worker then);
 * - change Prokip stock the way a back-office adjustment does, atomically with respect to the
 *   sells the worker posts (the Prokip emulator only offers an absolute "set stock");
 * - count what came back: 429s and 5xx the product had to retry, deliveries and their answers.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Route =
  "shopify-webhook" | "woocommerce-webhook" | "shopify-api" | "woocommerce-api" | "prokip-api" | "control" | "other";

export interface ProxiedRequest {
  route: Route;
  method: string;
  url: string;
  body: Buffer;
}

/**
 * Called with the status once the emulator/backend answered a request the interceptor picked
 * (so the request has been applied, or refused); true when the caller must never hear the
 * answer (the connection is then dropped), false to relay it as usual.
 */
export type OnAnswered = (status: number) => boolean;

export function classify(url: string): Route {
  if (url.startsWith("/webhooks/shopify")) return "shopify-webhook";
  if (url.startsWith("/webhooks/woocommerce/")) return "woocommerce-webhook";
  if (url.includes("/_control/")) return "control";
  if (url.startsWith("/sandbox/shopify/")) return "shopify-api";
  if (url.startsWith("/sandbox/woocommerce/")) return "woocommerce-api";
  if (url.startsWith("/sandbox/prokip/")) return "prokip-api";
  return "other";
}

export class ChaosProxy {
  /** Where requests go (the web process), set before the first request. */
  upstream = "";
  /** While true, WooCommerce's webhook deliveries get 503 without reaching the backend. */
  refuseWooCommerceDeliveries = false;
  /** Picks a request to act on after the upstream answered it (at most one at a time is useful). */
  interceptor: ((request: ProxiedRequest) => OnAnswered | null) | null = null;

  /** Requests per route, answers per "route status". */
  readonly requests = new Map<Route, number>();
  readonly answers = new Map<string, number>();
  refusedDeliveries = 0;

  private readonly server = http.createServer((request, response) => void this.handle(request, response));
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private prokipGate: Promise<void> | null = null;
  private prokipInFlight = 0;
  private prokipIdle: (() => void)[] = [];

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  /** 429 and 5xx answers the product received from the emulated platforms (each one retried or recovered). */
  faultAnswers(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, count] of this.answers) {
      const [route, status] = key.split(" ");
      if (!route?.endsWith("-api")) continue;
      const code = Number(status);
      if (code === 429 || code >= 500) out[key] = count;
    }
    return out;
  }

  /**
   * Runs `change` while no Prokip API request is in flight and none starts: what the worker
   * posts lands entirely before or after it, as with a stock adjustment in Prokip's database.
   */
  async exclusiveProkip<T>(change: () => Promise<T>): Promise<T> {
    while (this.prokipGate) await this.prokipGate;
    let open!: () => void;
    this.prokipGate = new Promise<void>((resolve) => (open = resolve));
    try {
      if (this.prokipInFlight > 0) await new Promise<void>((resolve) => this.prokipIdle.push(resolve));
      return await change();
    } finally {
      this.prokipGate = null;
      open();
    }
  }

  private count<K>(map: Map<K, number>, key: K): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = request.url ?? "/";
    const route = classify(url);
    this.count(this.requests, route);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of request) chunks.push(chunk as Buffer);
    } catch {
      return; // the caller went away (a killed worker)
    }
    const body = Buffer.concat(chunks);

    if (route === "woocommerce-webhook" && this.refuseWooCommerceDeliveries) {
      this.refusedDeliveries += 1;
      this.count(this.answers, `${route} 503`);
      response
        .writeHead(503, { "content-type": "text/html" })
        .end(
          "<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>",
        );
      return;
    }

    const prokip = route === "prokip-api";
    if (prokip) {
      while (this.prokipGate) await this.prokipGate;
      this.prokipInFlight += 1;
    }
    try {
      const onAnswered = this.interceptor?.({ route, method: request.method ?? "GET", url, body }) ?? null;
      await this.forward(request, response, route, url, body, onAnswered);
    } finally {
      if (prokip) {
        this.prokipInFlight -= 1;
        if (this.prokipInFlight === 0) for (const resolve of this.prokipIdle.splice(0)) resolve();
      }
    }
  }

  private forward(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    route: Route,
    url: string,
    body: Buffer,
    onAnswered: OnAnswered | null,
  ): Promise<void> {
    const target = new URL(url, this.upstream);
    const headers = { ...request.headers, "content-length": String(body.length) };
    delete headers["transfer-encoding"];
    delete headers.connection;
    return new Promise<void>((resolve) => {
      const upstream = http.request(
        target,
        { method: request.method, headers, agent: this.agent, timeout: 120_000 },
        (answer) => {
          const status = answer.statusCode ?? 502;
          this.count(this.answers, `${route} ${status}`);
          if (onAnswered?.(status)) {
            answer.resume();
            response.destroy();
            resolve();
            return;
          }
          response.writeHead(status, answer.headers);
          answer.pipe(response);
          answer.on("end", () => resolve());
          answer.on("error", () => resolve());
          response.on("close", () => resolve());
        },
      );
      upstream.on("timeout", () => upstream.destroy(new Error("upstream timeout")));
      upstream.on("error", () => {
        this.count(this.answers, `${route} 502`);
        if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
        response.end("bad gateway");
        resolve();
      });
      upstream.end(body);
    });
  }
}

/**
 * Starts bench-emulators.ts (the emulated Shopify and WooCommerce) as a child process and
 * wraps its control APIs. The benchmarks talk to the emulators over HTTP only.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

export interface EmulatorProcess {
  shopifyUrl: string;
  wooUrl: string;
  pid: number;
  /** POST/GET/DELETE JSON to a control route; throws on a non-2xx answer. */
  control<T = unknown>(
    base: string,
    method: "GET" | "POST" | "PUT" | "DELETE",
    route: string,
    body?: unknown,
  ): Promise<T>;
  stats(): Promise<{
    rssMb: number;
    peakRssMb: number;
    cpuSeconds: number;
    shopifyRequests: number;
    wooRequests: number;
  }>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(options: { shopifyTimeScale?: number } = {}): Promise<EmulatorProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(here, "bench-emulators.ts"),
      "--shopify-time-scale",
      String(options.shopifyTimeScale ?? 0.001),
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, SANDBOX_LOG_LEVEL: process.env.SANDBOX_LOG_LEVEL ?? "silent" },
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the emulators did not start within 120 s")), 120_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulators exited with ${code}`));
    });
  });
  lines.on("line", (line) => process.stdout.write(`[emulators] ${line}\n`));
  const started = JSON.parse(first) as { shopify: string; woocommerce: string; pid: number };

  const control = async <T>(base: string, method: string, route: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${route}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : null) as T;
  };

  return {
    shopifyUrl: started.shopify,
    wooUrl: started.woocommerce,
    pid: started.pid,
    control,
    stats: () => control(started.woocommerce, "GET", "/_bench/stats"),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      const timeout = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

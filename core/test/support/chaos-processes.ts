/**
 * The product's processes as the chaos suite runs them: `npm start`'s core/src/main.ts (web,
 * sandbox mode, PROKIP_SYNC_WORKERS=off) and `npm run worker`'s core/src/worker.ts, each a real
 * child process that can be killed with SIGKILL and started again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

export class ProductProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private lines: string[] = [];
  private readonly waiters = new Set<{ text: string; done: () => void }>();
  private partial = "";
  /** Every log line seen, per message (pino's "msg"), across restarts. */
  readonly messages = new Map<string, number>();
  /** Everything written to stderr, across restarts (pino logs to stdout: this is Node's own output, crashes included). */
  stderr = "";
  starts = 0;
  kills = 0;
  private killSent = false;

  constructor(
    readonly name: string,
    private readonly script: "main.ts" | "worker.ts",
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** False from the moment a kill is sent: the process is as good as gone (SIGKILL cannot be refused). */
  get running(): boolean {
    return this.child !== null && !this.killSent && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    this.starts += 1;
    this.killSent = false;
    const child = spawn(process.execPath, ["--import", "tsx", path.join(src, this.script)], {
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const take = (chunk: Buffer) => {
      const text = this.partial + chunk.toString();
      const parts = text.split("\n");
      this.partial = parts.pop() ?? "";
      for (const line of parts) this.take(line);
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
      take(chunk);
    });
  }

  private take(line: string): void {
    this.lines.push(line);
    // CHAOS_LOG_DIR=/some/dir keeps every line of each process in <dir>/<name>.log, for debugging.
    if (process.env.CHAOS_LOG_DIR)
      appendFileSync(path.join(process.env.CHAOS_LOG_DIR, `${this.name}.log`), `${line}\n`);
    for (const waiter of this.waiters) {
      if (!line.includes(waiter.text)) continue;
      this.waiters.delete(waiter);
      waiter.done();
    }
    if (this.lines.length > 400) this.lines.splice(0, this.lines.length - 300);
    try {
      const parsed = JSON.parse(line) as { msg?: unknown };
      if (typeof parsed.msg === "string") this.messages.set(parsed.msg, (this.messages.get(parsed.msg) ?? 0) + 1);
    } catch {
      // not a pino line (a stack trace, tsx's output)
    }
  }

  /** Resolves once a log line contains `text` (from now on), or throws after `timeoutMs`. */
  waitForLog(text: string, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        text,
        done: () => {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        },
      };
      const fail = (why: string) => {
        clearInterval(check);
        clearTimeout(timer);
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: ${why} while waiting for "${text}"\n${this.tail()}`));
      };
      const timer = setTimeout(() => fail(`nothing within ${timeoutMs} ms`), timeoutMs);
      const check = setInterval(() => {
        if (!this.running) fail("the process exited");
      }, 200);
      this.waiters.add(waiter);
    });
  }

  /** SIGKILL: no exit hooks, no graceful stop, jobs and connections left as they are. */
  killHard(): void {
    if (!this.running) return;
    this.kills += 1;
    this.killSent = true;
    this.child!.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child!.kill("SIGTERM");
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  async waitExit(): Promise<void> {
    await this.exited;
  }

  tail(lines = 40): string {
    return [...this.lines.slice(-lines), this.partial].join("\n");
  }
}

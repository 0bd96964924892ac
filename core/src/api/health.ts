/**
 * What `/healthz` reports. The HTTP server is up before the database is, so load balancers and
 * people see *why* the process is not ready yet (starting, migrating, unreachable).
 */
import type { Database } from "../store/index.ts";

export type DatabasePhase = "starting" | "migrating" | "ready" | "failed";

export interface HealthReport {
  healthy: boolean;
  body: {
    status: "ok" | "unavailable";
    db: "ok" | "starting" | "migrating" | "unreachable" | "failed";
    migrations: "pending" | "applied";
    reason?: string;
    version: string;
    uptimeSeconds: number;
  };
}

export class Health {
  private phase: DatabasePhase = "starting";
  private database: Database | null = null;
  private failure: string | null = null;
  private readonly startedAt = Date.now();

  constructor(private readonly version: string) {}

  migrating(): void {
    this.phase = "migrating";
  }

  ready(database: Database): void {
    this.phase = "ready";
    this.database = database;
    this.failure = null;
  }

  failed(reason: string): void {
    if (this.phase !== "ready") this.phase = "starting";
    this.failure = reason;
  }

  async check(): Promise<HealthReport> {
    const base = { version: this.version, uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) };
    if (this.phase !== "ready" || !this.database) {
      const db = this.failure ? "unreachable" : this.phase === "migrating" ? "migrating" : "starting";
      const reason =
        this.failure ?? (this.phase === "migrating" ? "applying database migrations" : "starting the database");
      return { healthy: false, body: { status: "unavailable", db, migrations: "pending", reason, ...base } };
    }
    try {
      await this.database.ping(1_000);
      return { healthy: true, body: { status: "ok", db: "ok", migrations: "applied", ...base } };
    } catch (error) {
      const reason = `database unreachable: ${(error as Error).message}`;
      return {
        healthy: false,
        body: { status: "unavailable", db: "unreachable", migrations: "applied", reason, ...base },
      };
    }
  }
}

/**
 * MerchantDeps for tests of the merchant functions that need no outside system (Products,
 * Activity, Settings): a real test database, and the job requests the host's queue would
 * receive, recorded so a test can see which drains were asked for.
 */
import { randomBytes } from "node:crypto";
import { createLogger } from "../../src/log/index.ts";
import type { JobRequests, MerchantDeps } from "../../src/merchant/types.ts";
import type { Database } from "../../src/store/index.ts";

export interface RecordedJobs extends JobRequests {
  inbox(connectionId: string): Promise<void>;
  requested: { job: keyof JobRequests | "inbox"; connectionId: string }[];
}

export function recordedJobs(): RecordedJobs {
  const requested: RecordedJobs["requested"] = [];
  return {
    requested,
    reconcile: async (connectionId) => void requested.push({ job: "reconcile", connectionId }),
    drain: async (connectionId) => void requested.push({ job: "drain", connectionId }),
    setup: async (connectionId) => void requested.push({ job: "setup", connectionId }),
    postings: async (connectionId) => void requested.push({ job: "postings", connectionId }),
    inbox: async (connectionId) => void requested.push({ job: "inbox", connectionId }),
  };
}

export function merchantDeps(db: Pick<Database, "prisma" | "pool">): MerchantDeps & { jobs: RecordedJobs } {
  const log = createLogger({ level: "silent" });
  const encryptionKey = randomBytes(32);
  return {
    prisma: db.prisma,
    pool: db.pool,
    log,
    encryptionKey,
    channels: { encryptionKey, log },
    prokip: { baseUrl: "http://127.0.0.1:9", client: { clientId: "test", clientSecret: "test" } },
    sampleData: null,
    publicUrl: "http://127.0.0.1:9",
    jobs: recordedJobs(),
  };
}

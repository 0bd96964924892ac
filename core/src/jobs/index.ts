export { startQueue, requestRun, requestRunSoon, requestPosting, QUEUES, type QueueName, type ConnectionJob, type PostingJob } from "./queue.ts";
export { startWorkers, WORKER_POOL_SIZE, runInbox, runDrain, runPosting, runReconcile, requestDrains, type WorkerDependencies } from "./workers.ts";
export { processInbox, INBOX_BATCH_SIZE, type InboxRunResult, type InboxConnection } from "./inbox.ts";

export { startQueue, requestRun, QUEUES, type QueueName, type ConnectionJob } from "./queue.ts";
export { startWorkers, runInbox, runDrain, requestDrains, type WorkerDependencies } from "./workers.ts";
export { processInbox, type InboxRunResult, type InboxConnection } from "./inbox.ts";

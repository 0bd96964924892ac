export {
  startQueue,
  requestRun,
  requestRunSoon,
  requestPosting,
  requestSetup,
  QUEUES,
  type QueueName,
  type ConnectionJob,
  type PostingJob,
  type SetupJob,
} from "./queue.ts";
export {
  startWorkers,
  WORKER_POOL_SIZE,
  runInbox,
  runDrain,
  runPosting,
  WAITING_FOR_SIGN_IN,
  runReconcile,
  runSetupJob,
  requestDrains,
  type WorkerDependencies,
} from "./workers.ts";
export { merchantJobRequests } from "./merchant.ts";
export { processInbox, INBOX_BATCH_SIZE, type InboxRunResult, type InboxConnection } from "./inbox.ts";

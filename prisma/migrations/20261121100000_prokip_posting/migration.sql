-- What Prokip holds for each order: sells with their line ids, quantities and cumulative returns,
-- and a sell whose answer was lost (see core/src/sync/prokip-posting.ts).
-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "prokipPosting" JSONB;

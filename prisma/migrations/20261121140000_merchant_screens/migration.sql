-- The merchant screens' backend (core/src/merchant): Connect Prokip's sign-in kept per store,
-- when a store was last connected (late app/uninstalled deliveries), when Prokip refused a
-- business's saved sign-in, and a store's latest setup run found by index.

-- AlterTable
ALTER TABLE "Business" ADD COLUMN     "prokipSignedOutAt" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "Connection" ADD COLUMN     "connectedAt" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "StoreSignIn" (
    "platform" "Platform" NOT NULL,
    "storeDomain" TEXT NOT NULL,
    "businessId" UUID NOT NULL,
    "locations" JSONB NOT NULL DEFAULT '[]',
    "signedInAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StoreSignIn_pkey" PRIMARY KEY ("platform","storeDomain")
);

-- CreateIndex
CREATE INDEX "StoreSignIn_businessId_idx" ON "StoreSignIn"("businessId");

-- CreateIndex
CREATE INDEX "SyncRun_connectionId_createdAt_idx" ON "SyncRun"("connectionId", "createdAt");

-- AddForeignKey
ALTER TABLE "StoreSignIn" ADD CONSTRAINT "StoreSignIn_businessId_fkey" FOREIGN KEY ("businessId") REFERENCES "Business"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The merchant screens' Products and Activity (core/src/merchant): a listing whose last stock
-- write failed, one store's listings paged in title order, and activity found by product.

-- AlterTable
ALTER TABLE "Listing" ADD COLUMN     "pushFailedAt" TIMESTAMPTZ(3),
ADD COLUMN     "pushError" TEXT;

-- CreateIndex
CREATE INDEX "Listing_businessId_connectionId_title_id_idx" ON "Listing"("businessId", "connectionId", "title", "id");

-- CreateIndex
CREATE INDEX "ActivityEvent_businessId_variantId_createdAt_idx" ON "ActivityEvent"("businessId", "variantId", "createdAt");

-- CreateIndex
CREATE INDEX "ActivityEvent_businessId_orderId_idx" ON "ActivityEvent"("businessId", "orderId");

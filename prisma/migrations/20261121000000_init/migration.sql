-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AuthorityMode" AS ENUM ('prokip', 'central');

-- CreateEnum
CREATE TYPE "Platform" AS ENUM ('shopify', 'woocommerce');

-- CreateEnum
CREATE TYPE "ConnectionStatus" AS ENUM ('active', 'paused', 'needs_attention', 'disconnected');

-- CreateEnum
CREATE TYPE "SetupStrategy" AS ENUM ('pull', 'push');

-- CreateEnum
CREATE TYPE "MatchStatus" AS ENUM ('matched', 'unmatched', 'conflict', 'excluded');

-- CreateEnum
CREATE TYPE "MovementReason" AS ENUM ('sale', 'refund', 'cancel', 'edit', 'import', 'correction', 'adjustment');

-- CreateEnum
CREATE TYPE "PostingState" AS ENUM ('not_required', 'pending', 'posting', 'posted');

-- CreateEnum
CREATE TYPE "OrderPostingState" AS ENUM ('not_required', 'pending', 'posting', 'posted', 'failed', 'needs_attention');

-- CreateEnum
CREATE TYPE "WebhookState" AS ENUM ('received', 'processing', 'processed', 'ignored', 'failed');

-- CreateEnum
CREATE TYPE "SyncRunKind" AS ENUM ('pull', 'push', 'reconcile', 'manual');

-- CreateEnum
CREATE TYPE "SyncRunState" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "Severity" AS ENUM ('info', 'warning', 'error');

-- CreateEnum
CREATE TYPE "ApiKeyRole" AS ENUM ('read', 'operate', 'admin');

-- CreateTable
CREATE TABLE "Business" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "authorityMode" "AuthorityMode" NOT NULL DEFAULT 'prokip',
    "prokipBaseUrl" TEXT,
    "prokipBusinessId" INTEGER,
    "prokipCredentials" TEXT,
    "defaultContactId" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Business_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Location" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "prokipLocationId" INTEGER,
    "name" TEXT NOT NULL,
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Location_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Connection" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "platform" "Platform" NOT NULL,
    "storeDomain" TEXT NOT NULL,
    "locationId" UUID NOT NULL,
    "storeLocationId" TEXT,
    "status" "ConnectionStatus" NOT NULL DEFAULT 'active',
    "setupStrategy" "SetupStrategy",
    "buffer" INTEGER NOT NULL DEFAULT 0,
    "credentials" TEXT,
    "webhookSecret" TEXT,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "orderCursor" TIMESTAMPTZ(3),
    "lastSyncAt" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "disconnectedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Connection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "isOnline" BOOLEAN NOT NULL DEFAULT false,
    "scope" TEXT,
    "expires" TIMESTAMPTZ(3),
    "accessToken" TEXT NOT NULL,
    "userId" BIGINT,
    "firstName" TEXT,
    "lastName" TEXT,
    "email" TEXT,
    "accountOwner" BOOLEAN NOT NULL DEFAULT false,
    "locale" TEXT,
    "collaborator" BOOLEAN DEFAULT false,
    "emailVerified" BOOLEAN DEFAULT false,
    "refreshToken" TEXT,
    "refreshTokenExpires" TIMESTAMPTZ(3),
    "businessId" UUID,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Variant" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "normalizedSku" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "productTitle" TEXT NOT NULL,
    "prokipProductId" INTEGER,
    "prokipVariationId" INTEGER,
    "price" DECIMAL(14,4),
    "imageUrl" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Variant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Listing" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "connectionId" UUID NOT NULL,
    "variantId" UUID,
    "externalProductId" TEXT NOT NULL,
    "externalVariantId" TEXT NOT NULL,
    "externalInventoryItemId" TEXT,
    "sku" TEXT,
    "normalizedSku" TEXT,
    "title" TEXT NOT NULL,
    "matchStatus" "MatchStatus" NOT NULL DEFAULT 'unmatched',
    "lastPushedQuantity" INTEGER,
    "lastPushedAt" TIMESTAMPTZ(3),
    "storeQuantity" INTEGER,
    "dirty" BOOLEAN NOT NULL DEFAULT false,
    "dirtySince" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Listing_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StockLevel" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "locationId" UUID NOT NULL,
    "variantId" UUID NOT NULL,
    "available" INTEGER NOT NULL DEFAULT 0,
    "prokipQuantity" INTEGER,
    "prokipReadAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "StockLevel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StockMovement" (
    "id" BIGSERIAL NOT NULL,
    "businessId" UUID NOT NULL,
    "locationId" UUID NOT NULL,
    "variantId" UUID NOT NULL,
    "delta" INTEGER NOT NULL,
    "reason" "MovementReason" NOT NULL,
    "connectionId" UUID,
    "orderId" UUID,
    "externalRef" TEXT,
    "idempotencyKey" TEXT NOT NULL,
    "postingState" "PostingState" NOT NULL DEFAULT 'not_required',
    "postingStartedAt" TIMESTAMPTZ(3),
    "postedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StockMovement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "connectionId" UUID NOT NULL,
    "externalId" TEXT NOT NULL,
    "number" TEXT,
    "cancelled" BOOLEAN NOT NULL DEFAULT false,
    "paid" BOOLEAN NOT NULL DEFAULT false,
    "storeStatus" TEXT,
    "lines" JSONB NOT NULL DEFAULT '[]',
    "storeUpdatedAt" TIMESTAMPTZ(3) NOT NULL,
    "payloadDigest" TEXT NOT NULL,
    "prokipSellId" INTEGER,
    "prokipInvoiceNo" TEXT,
    "postingState" "OrderPostingState" NOT NULL DEFAULT 'not_required',
    "postingAttempts" INTEGER NOT NULL DEFAULT 0,
    "postingError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEvent" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "connectionId" UUID NOT NULL,
    "platform" "Platform" NOT NULL,
    "topic" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "webhookId" TEXT,
    "payload" JSONB NOT NULL,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "triggeredAt" TIMESTAMPTZ(3),
    "state" "WebhookState" NOT NULL DEFAULT 'received',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "processedAt" TIMESTAMPTZ(3),

    CONSTRAINT "WebhookEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncRun" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID NOT NULL,
    "connectionId" UUID,
    "kind" "SyncRunKind" NOT NULL,
    "dryRun" BOOLEAN NOT NULL DEFAULT false,
    "state" "SyncRunState" NOT NULL DEFAULT 'queued',
    "total" INTEGER NOT NULL DEFAULT 0,
    "done" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "options" JSONB NOT NULL DEFAULT '{}',
    "counts" JSONB NOT NULL DEFAULT '{}',
    "errors" JSONB NOT NULL DEFAULT '[]',
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SyncRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActivityEvent" (
    "id" BIGSERIAL NOT NULL,
    "businessId" UUID NOT NULL,
    "connectionId" UUID,
    "variantId" UUID,
    "orderId" UUID,
    "type" TEXT NOT NULL,
    "severity" "Severity" NOT NULL DEFAULT 'info',
    "message" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ActivityEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "role" "ApiKeyRole" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Business_prokipBaseUrl_prokipBusinessId_key" ON "Business"("prokipBaseUrl", "prokipBusinessId");

-- CreateIndex
CREATE INDEX "Location_businessId_idx" ON "Location"("businessId");

-- CreateIndex
CREATE UNIQUE INDEX "Location_businessId_prokipLocationId_key" ON "Location"("businessId", "prokipLocationId");

-- CreateIndex
CREATE UNIQUE INDEX "Connection_storeDomain_key" ON "Connection"("storeDomain");

-- CreateIndex
CREATE INDEX "Connection_businessId_idx" ON "Connection"("businessId");

-- CreateIndex
CREATE INDEX "Session_shop_idx" ON "Session"("shop");

-- CreateIndex
CREATE UNIQUE INDEX "Variant_businessId_normalizedSku_key" ON "Variant"("businessId", "normalizedSku");

-- CreateIndex
CREATE UNIQUE INDEX "Variant_businessId_prokipVariationId_key" ON "Variant"("businessId", "prokipVariationId");

-- CreateIndex
CREATE INDEX "Listing_connectionId_dirty_idx" ON "Listing"("connectionId", "dirty");

-- CreateIndex
CREATE INDEX "Listing_businessId_variantId_idx" ON "Listing"("businessId", "variantId");

-- CreateIndex
CREATE UNIQUE INDEX "Listing_businessId_connectionId_externalVariantId_key" ON "Listing"("businessId", "connectionId", "externalVariantId");

-- CreateIndex
CREATE UNIQUE INDEX "Listing_businessId_connectionId_variantId_key" ON "Listing"("businessId", "connectionId", "variantId");

-- CreateIndex
CREATE UNIQUE INDEX "StockLevel_businessId_locationId_variantId_key" ON "StockLevel"("businessId", "locationId", "variantId");

-- CreateIndex
CREATE INDEX "StockMovement_businessId_locationId_variantId_postingState_idx" ON "StockMovement"("businessId", "locationId", "variantId", "postingState");

-- CreateIndex
CREATE INDEX "StockMovement_businessId_orderId_idx" ON "StockMovement"("businessId", "orderId");

-- CreateIndex
CREATE INDEX "StockMovement_businessId_createdAt_idx" ON "StockMovement"("businessId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "StockMovement_businessId_idempotencyKey_key" ON "StockMovement"("businessId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "Order_businessId_postingState_idx" ON "Order"("businessId", "postingState");

-- CreateIndex
CREATE UNIQUE INDEX "Order_businessId_connectionId_externalId_key" ON "Order"("businessId", "connectionId", "externalId");

-- CreateIndex
CREATE INDEX "WebhookEvent_businessId_state_idx" ON "WebhookEvent"("businessId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookEvent_businessId_connectionId_deliveryId_key" ON "WebhookEvent"("businessId", "connectionId", "deliveryId");

-- CreateIndex
CREATE INDEX "SyncRun_businessId_createdAt_idx" ON "SyncRun"("businessId", "createdAt");

-- CreateIndex
CREATE INDEX "ActivityEvent_businessId_createdAt_idx" ON "ActivityEvent"("businessId", "createdAt");

-- CreateIndex
CREATE INDEX "ActivityEvent_businessId_type_createdAt_idx" ON "ActivityEvent"("businessId", "type", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_prefix_key" ON "ApiKey"("prefix");

-- CreateIndex
CREATE INDEX "ApiKey_businessId_idx" ON "ApiKey"("businessId");

-- AddForeignKey
ALTER TABLE "Location" ADD CONSTRAINT "Location_businessId_fkey" FOREIGN KEY ("businessId") REFERENCES "Business"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Connection" ADD CONSTRAINT "Connection_businessId_fkey" FOREIGN KEY ("businessId") REFERENCES "Business"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Connection" ADD CONSTRAINT "Connection_locationId_fkey" FOREIGN KEY ("locationId") REFERENCES "Location"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Variant" ADD CONSTRAINT "Variant_businessId_fkey" FOREIGN KEY ("businessId") REFERENCES "Business"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Listing" ADD CONSTRAINT "Listing_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Listing" ADD CONSTRAINT "Listing_variantId_fkey" FOREIGN KEY ("variantId") REFERENCES "Variant"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StockLevel" ADD CONSTRAINT "StockLevel_locationId_fkey" FOREIGN KEY ("locationId") REFERENCES "Location"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StockLevel" ADD CONSTRAINT "StockLevel_variantId_fkey" FOREIGN KEY ("variantId") REFERENCES "Variant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;


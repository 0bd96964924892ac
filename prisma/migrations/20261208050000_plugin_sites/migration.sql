-- The WooCommerce plugin's sites (docs/woocommerce.md): a paired site and the secret its plugin
-- signs store API calls with (sealed), and the nonces seen from it, kept while a replay could
-- still fall inside the ±5 minute timestamp window.

-- CreateTable
CREATE TABLE "PluginSite" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "businessId" UUID,
    "siteUrl" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "connectionId" UUID,
    "pairedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "PluginSite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PluginSiteNonce" (
    "siteId" UUID NOT NULL,
    "nonce" TEXT NOT NULL,
    "seenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PluginSiteNonce_pkey" PRIMARY KEY ("siteId","nonce")
);

-- CreateIndex
CREATE UNIQUE INDEX "PluginSite_siteUrl_key" ON "PluginSite"("siteUrl");

-- CreateIndex
CREATE UNIQUE INDEX "PluginSite_connectionId_key" ON "PluginSite"("connectionId");

-- CreateIndex
CREATE INDEX "PluginSite_businessId_idx" ON "PluginSite"("businessId");

-- CreateIndex
CREATE INDEX "PluginSiteNonce_siteId_seenAt_idx" ON "PluginSiteNonce"("siteId", "seenAt");

-- AddForeignKey
ALTER TABLE "PluginSite" ADD CONSTRAINT "PluginSite_businessId_fkey" FOREIGN KEY ("businessId") REFERENCES "Business"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PluginSite" ADD CONSTRAINT "PluginSite_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PluginSiteNonce" ADD CONSTRAINT "PluginSiteNonce_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "PluginSite"("id") ON DELETE CASCADE ON UPDATE CASCADE;

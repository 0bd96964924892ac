-- SKUs are no longer folded with Unicode compatibility mappings (NFKC), only canonically
-- composed (NFC): see docs/decisions/0601-sku-no-compatibility-folding.md. A stored normalised
-- SKU differs from the new rule only where the raw SKU holds a compatibility character
-- (full-width forms, ligatures, superscripts...), so only those rows are normalised again, the
-- way core/src/domain/sku.ts does it: NFC, trim, inner whitespace collapsed, lower case.
-- NFC is finer than NFKC, so this cannot make two rows of a business share a normalised SKU.

UPDATE "Variant"
SET "normalizedSku" = lower(regexp_replace(regexp_replace(normalize("sku", NFC), '^\s+|\s+$', '', 'g'), '\s+', ' ', 'g'))
WHERE normalize("sku", NFKC) <> normalize("sku", NFC);

UPDATE "Listing"
SET "normalizedSku" = NULLIF(lower(regexp_replace(regexp_replace(normalize("sku", NFC), '^\s+|\s+$', '', 'g'), '\s+', ' ', 'g')), '')
WHERE "sku" IS NOT NULL AND normalize("sku", NFKC) <> normalize("sku", NFC);

-- A listing linked to a variant whose SKU is now a different SKU was a silent look-alike match
-- (e.g. a store's "ｓｈｉｒｔ１" linked to Prokip's "shirt1"): unlink it, so the Products screen shows
-- it as not linked instead of sending it shirt1's stock. Links are only ever made between equal SKUs.
UPDATE "Listing" l
SET "variantId" = NULL, "matchStatus" = 'unmatched', "dirty" = false, "dirtySince" = NULL
FROM "Variant" v
WHERE l."variantId" = v."id"
  AND l."matchStatus" = 'matched'
  AND l."normalizedSku" IS DISTINCT FROM v."normalizedSku";

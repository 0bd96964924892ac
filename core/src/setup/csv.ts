/**
 * The products Prokip lacks, as a file for Prokip's own product import (Products > Import
 * Products), because the Connector API cannot create products.
 *
 * Column layout: UltimatePOS's product import, 37 columns read by position in
 * `app/Http/Controllers/ImportProductsController.php` (UltimatePOS v6.12, e.g.
 * github.com/gitshadrack/UltimatePOSv6.12 @ 14aed10b: `count($value) < 37` is refused, name
 * $value[0], unit [2], SKU [5], manage stock [7], tax type [12], product type [13], variation
 * name/values/SKUs [14]-[16], purchase price inc. tax [17], selling price [20], opening stock
 * [21] at location [22], product locations [36]); header names as in its template
 * `public/files/import_products_csv_template.csv`. The header row is skipped by the importer.
 *
 * Values the store cannot tell us are filled so the file imports as it is:
 * - UNIT "Pieces", the unit every UltimatePOS business starts with (matched by name or short name).
 * - PURCHASE PRICE 0.00: the importer requires one and stores do not know the cost. It is written
 *   "0.00", not "0", because PHP's empty("0") would count it as missing. The merchant can put
 *   the real cost in before importing.
 * - Selling price tax type "inclusive": store prices are what customers pay.
 */
import type { StoreVariant } from "../channels/index.ts";

const COLUMNS = [
  "NAME",
  "BRAND",
  "UNIT",
  "CATEGORY",
  "SUB-CATEGORY",
  "SKU (Leave blank to auto generate sku)",
  "BARCODE TYPE",
  "MANAGE STOCK (1=yes 0=No)",
  "ALERT QUANTITY",
  "EXPIRES IN",
  "EXPIRY PERIOD UNIT (months/days)",
  "APPLICABLE TAX",
  "Selling Price Tax Type (inclusive or exclusive)",
  "PRODUCT TYPE (single or variable)",
  "VARIATION NAME (Keep blank if product type is single)",
  "VARIATION VALUES (| seperated values & blank if product type if single)",
  "VARIATION SKU",
  "PURCHASE PRICE (Including tax)",
  "PURCHASE PRICE (Excluding tax)",
  "PROFIT MARGIN",
  "SELLING PRICE",
  "OPENING STOCK",
  "LOCATION",
  "EXPIRY DATE",
  "ENABLE IMEI OR SERIAL NUMBER(1=yes 0=No)",
  "WEIGHT",
  "RACK",
  "ROW",
  "POSITION",
  "IMAGE",
  "PRODUCT DESCRIPTION",
  "CUSTOM FIELD 1",
  "CUSTOM FIELD 2",
  "CUSTOM FIELD 3",
  "CUSTOM FIELD 4",
  "NOT FOR SELLING(1=yes 0=No)",
  "PRODUCT LOCATIONS",
] as const;

export const ULTIMATEPOS_IMPORT_COLUMNS: readonly string[] = COLUMNS;

/** Positions of the columns this file fills. */
const COL = {
  name: 0,
  unit: 2,
  sku: 5,
  barcodeType: 6,
  manageStock: 7,
  taxType: 12,
  productType: 13,
  variationName: 14,
  variationValues: 15,
  variationSkus: 16,
  purchasePriceIncTax: 17,
  sellingPrice: 20,
  openingStock: 21,
  openingStockLocation: 22,
  enableSerialNumbers: 24,
  notForSelling: 35,
  productLocations: 36,
} as const;

export const DEFAULT_UNIT = "Pieces";
/** What UltimatePOS calls a variable product's option when the store does not say. */
export const IMPORT_VARIATION_NAME = "Option";
const NO_COST = "0.00";

export interface MissingProductsFileOptions {
  /** The Prokip location the opening stock goes to (by name, as the importer looks it up). */
  locationName: string;
}

/**
 * One row per store product (its missing variants together); a product with options becomes a
 * variable product. Opening stock is the store's quantity (negative counts as none).
 * Starts with a UTF-8 byte order mark so spreadsheet programs read accents right; the importer
 * skips it.
 */
export function missingInProkipCsv(variants: readonly StoreVariant[], options: MissingProductsFileOptions): string {
  const rows: string[][] = [[...COLUMNS]];
  for (const product of groupByProduct(variants)) rows.push(productRow(product, options));
  return `\uFEFF${toCsv(rows)}`;
}

function productRow(variants: StoreVariant[], options: MissingProductsFileOptions): string[] {
  const first = variants[0]!;
  const single = variants.length === 1 && (first.title === first.productTitle || first.title === "");
  const row: string[] = COLUMNS.map(() => "");
  row[COL.name] = first.productTitle.trim();
  row[COL.unit] = DEFAULT_UNIT;
  row[COL.barcodeType] = "C128";
  row[COL.manageStock] = "1";
  row[COL.taxType] = "inclusive";
  row[COL.enableSerialNumbers] = "0";
  row[COL.notForSelling] = "0";
  row[COL.openingStockLocation] = options.locationName;
  row[COL.productLocations] = options.locationName;
  const opening = (v: StoreVariant) => String(Math.max(0, v.quantity ?? 0));
  if (single) {
    row[COL.productType] = "single";
    row[COL.sku] = (first.sku ?? "").trim();
    row[COL.purchasePriceIncTax] = NO_COST;
    row[COL.sellingPrice] = first.price ?? "";
    row[COL.openingStock] = opening(first);
    return row;
  }
  // Variable: every per-variation column is a "|"-separated list in the same order.
  const listOf = (values: string[]) => values.map((value) => value.replaceAll("|", "/")).join("|");
  row[COL.productType] = "variable";
  row[COL.variationName] = IMPORT_VARIATION_NAME;
  row[COL.variationValues] = listOf(variants.map((v) => v.title.trim()));
  row[COL.variationSkus] = listOf(variants.map((v) => (v.sku ?? "").trim()));
  row[COL.purchasePriceIncTax] = listOf(variants.map(() => NO_COST));
  row[COL.sellingPrice] = listOf(variants.map((v) => v.price ?? "0"));
  row[COL.openingStock] = listOf(variants.map(opening));
  return row;
}

function groupByProduct(variants: readonly StoreVariant[]): StoreVariant[][] {
  const groups = new Map<string, StoreVariant[]>();
  for (const variant of variants) {
    const group = groups.get(variant.externalProductId);
    if (group) group.push(variant);
    else groups.set(variant.externalProductId, [variant]);
  }
  return [...groups.values()];
}

// ---- RFC 4180 ----

/** A field is quoted when it holds a comma, a quote or a line break; quotes inside are doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/u.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Records separated by CRLF, the last one terminated too. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return rows.map((row) => `${row.map(csvField).join(",")}\r\n`).join("");
}

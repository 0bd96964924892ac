/**
 * The demo WooCommerce site: every demo-catalogue product flagged `inWooCommerce`, with the stock
 * of Prokip location 0. Single products become simple products; sized ones become variable
 * products with a "Size" attribute and one variation per size. Credentials are fixed so local
 * configs and docs can point at them.
 */
import { createHash } from "node:crypto";
import { demoCatalogue } from "../shared/demo-catalogue.ts";
import { applyProductArgs, applyVariationArgs, newProduct, newVariation, saveCatalog } from "./catalog.ts";
import type { Store } from "./state.ts";
import type { ApiKeyRecord, SiteRecord } from "./types.ts";
import { plainPrice } from "./util.ts";

export const DEMO_SITE = "demo";

const fixedHash = (seed: string) => createHash("sha1").update(seed).digest("hex");

export const demoCredentials = {
  consumerKey: `ck_${fixedHash("prokip-sync-demo-consumer-key")}`,
  consumerSecret: `cs_${fixedHash("prokip-sync-demo-consumer-secret")}`,
};

export function seedDemoSite(store: Store): { site: SiteRecord; key: ApiKeyRecord } {
  store.sites.delete(DEMO_SITE);
  const created = store.createSite({ slug: DEMO_SITE, name: "Prokip Demo Store", currency: "KES", ...demoCredentials });
  const { site } = created;
  for (const item of demoCatalogue.filter((p) => p.inWooCommerce)) {
    const product = newProduct(store);
    const first = item.variants[0];
    if (!item.optionName || item.variants.length < 2 || !first) {
      applyProductArgs(store, site, product, {
        name: item.name,
        type: "simple",
        description: item.description,
        sku: first?.sku ?? "",
        regular_price: plainPrice(first?.price ?? ""),
        manage_stock: true,
        stock_quantity: first?.stock[0] ?? 0,
      });
      saveCatalog(store, site, product, "created");
      continue;
    }
    applyProductArgs(store, site, product, {
      name: item.name,
      type: "variable",
      description: item.description,
      attributes: [
        { name: item.optionName, visible: true, variation: true, options: item.variants.map((v) => v.option ?? v.sku) },
      ],
    });
    saveCatalog(store, site, product, "created");
    for (const variant of item.variants) {
      const variation = newVariation(store, product);
      applyVariationArgs(store, site, variation, {
        sku: variant.sku,
        regular_price: plainPrice(variant.price),
        manage_stock: true,
        stock_quantity: variant.stock[0],
        attributes: [{ name: item.optionName, option: variant.option ?? variant.sku }],
      });
      saveCatalog(store, site, variation, "created");
    }
  }
  return created;
}

/**
 * The demo business: every product of the shared demo catalogue, at both demo locations,
 * with a fixed OAuth client and login so the product's demo mode and other emulators line up
 * (same SKUs in Prokip, the Shopify shop and the WooCommerce site).
 *
 * Seeding is deterministic: on a fresh (or reset) emulator the ids are always the same.
 * A stock of 0 in the catalogue creates no stock row at all, which is how a real Prokip
 * business looks for a product never stocked at a location, and exercises the stock report's
 * "absent means 0" rule (e.g. Sunglasses and the Gift Card Holder at Westlands Warehouse).
 */
import { demoCatalogue, demoLocations } from "../shared/demo-catalogue.ts";
import type { ProkipControl } from "./control.ts";
import type { ProkipState } from "./state.ts";

export const DEMO_CREDENTIALS = {
  businessName: "Prokip Sync Demo",
  clientId: "9001",
  clientSecret: "demoSecretProkipSync0123456789abcdefghij",
  username: "demo",
  password: "demo-password",
} as const;

export interface DemoSeed {
  businessId: number;
  businessName: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  /** The walk-in customer to use as contact_id for sells. */
  walkInCustomerId: number;
  locations: { id: number; locationCode: string; name: string }[];
  products: {
    productId: number;
    name: string;
    sku: string;
    type: "single" | "variable";
    variations: { variationId: number; name: string; subSku: string }[];
  }[];
}

/** Reads the demo business back from the state (used when it already exists). */
function describeDemo(state: ProkipState, businessId: number): DemoSeed {
  const walkIn = [...state.contacts.values()].find((c) => c.businessId === businessId && c.isDefault);
  return {
    businessId,
    ...DEMO_CREDENTIALS,
    walkInCustomerId: walkIn?.id ?? 0,
    locations: state.businessLocations(businessId).map((l) => ({ id: l.id, locationCode: l.code, name: l.name })),
    products: state.businessProducts(businessId).map((p) => ({
      productId: p.id,
      name: p.name,
      sku: p.sku,
      type: p.type,
      variations: p.variations.map((v) => ({ variationId: v.id, name: v.name, subSku: v.subSku })),
    })),
  };
}

export function seedDemoBusiness(state: ProkipState, control: ProkipControl): DemoSeed {
  const existing = state.clients.get(DEMO_CREDENTIALS.clientId);
  if (existing) return describeDemo(state, existing.businessId);

  const business = control.createBusiness({
    name: DEMO_CREDENTIALS.businessName,
    clientId: DEMO_CREDENTIALS.clientId,
    clientSecret: DEMO_CREDENTIALS.clientSecret,
    users: [{ username: DEMO_CREDENTIALS.username, password: DEMO_CREDENTIALS.password, firstName: "Demo" }],
  });
  const locations = demoLocations.map((l) =>
    control.createLocation({ businessId: business.id, name: l.name, city: l.city, country: l.country }),
  );

  for (const item of demoCatalogue) {
    const first = item.variants[0];
    if (!first) continue;
    const product =
      item.optionName === undefined
        ? control.createProduct({
            businessId: business.id,
            name: item.name,
            sku: first.sku,
            description: item.description,
            price: first.price,
          })
        : control.createProduct({
            businessId: business.id,
            name: item.name,
            // The variants' SKUs are "<base>-S/M/L"; the product SKU is the shared base.
            sku: first.sku.replace(/-[^-]+$/, ""),
            type: "variable",
            description: item.description,
            variationName: item.optionName,
            variations: item.variants.map((v) => ({ name: v.option ?? v.sku, subSku: v.sku, price: v.price })),
          });
    item.variants.forEach((variant, i) => {
      const variation = product.variations[i];
      if (!variation) return;
      variant.stock.forEach((quantity, locationIndex) => {
        const location = locations[locationIndex];
        if (location && quantity !== 0)
          control.setStock({ variationId: variation.id, locationId: location.id, quantity });
      });
    });
  }
  return describeDemo(state, business.id);
}

/**
 * The deterministic demo catalogue every emulator seeds from, so SKUs line up across Prokip,
 * the Shopify shop and the WooCommerce site. Prokip holds every product; each store holds the
 * products flagged for it (the rest are what a "push" creates).
 */
export interface DemoVariant {
  sku: string;
  /** Option value, e.g. "Small"; absent for single products. */
  option?: string;
  price: string; // decimal string, as Prokip shows prices
  /** Stock at each of the two Prokip locations. */
  stock: [number, number];
}

export interface DemoProduct {
  name: string;
  description: string;
  /** Option name for variable products, e.g. "Size". */
  optionName?: string;
  variants: DemoVariant[];
  inShopify: boolean;
  inWooCommerce: boolean;
}

const single = (
  name: string,
  sku: string,
  price: string,
  stock: [number, number],
  inShopify = true,
  inWooCommerce = true,
): DemoProduct => ({
  name,
  description: `${name} from the Prokip Sync demo catalogue.`,
  variants: [{ sku, price, stock }],
  inShopify,
  inWooCommerce,
});

const sized = (
  name: string,
  skuBase: string,
  price: string,
  stocks: [number, number][],
  inShopify = true,
  inWooCommerce = true,
): DemoProduct => ({
  name,
  description: `${name} in three sizes, from the Prokip Sync demo catalogue.`,
  optionName: "Size",
  variants: ["Small", "Medium", "Large"].map((option, i) => ({
    sku: `${skuBase}-${option[0]}`,
    option,
    price,
    stock: stocks[i] ?? [0, 0],
  })),
  inShopify,
  inWooCommerce,
});

export const demoLocations = [
  { name: "Nairobi CBD Store", city: "Nairobi", country: "Kenya" },
  { name: "Westlands Warehouse", city: "Nairobi", country: "Kenya" },
] as const;

export const demoCatalogue: DemoProduct[] = [
  single("Classic Shirt", "shirt1", "1500.0000", [100, 40]),
  single("Linen Shirt", "shirt2", "2200.0000", [35, 10]),
  sized("Denim Jacket", "jacket-denim", "4800.0000", [
    [8, 2],
    [12, 5],
    [6, 0],
  ]),
  sized("Running Shoes", "shoe-run", "6500.0000", [
    [10, 4],
    [14, 6],
    [9, 3],
  ]),
  single("Leather Belt", "belt-leather", "1200.0000", [50, 20]),
  single("Canvas Tote Bag", "bag-tote", "900.0000", [60, 30]),
  single("Wool Scarf", "scarf-wool", "1100.0000", [25, 5]),
  single("Baseball Cap", "cap-base", "700.0000", [80, 40]),
  single("Sunglasses", "sun-01", "2500.0000", [15, 0]),
  single("Water Bottle", "bottle-750", "650.0000", [120, 60]),
  single("Coffee Mug", "mug-ceramic", "450.0000", [90, 45]),
  single("Notebook A5", "note-a5", "300.0000", [200, 100]),
  single("Ballpoint Pen Pack", "pen-pack", "250.0000", [300, 150]),
  single("Desk Lamp", "lamp-desk", "3200.0000", [12, 4], true, false),
  single("Phone Case", "case-phone", "800.0000", [70, 30], false, true),
  single("USB-C Cable", "cable-usbc", "600.0000", [150, 80]),
  single("Wireless Mouse", "mouse-wl", "1800.0000", [30, 10]),
  single("Backpack", "bag-back", "3900.0000", [18, 6]),
  single("Rain Jacket", "jacket-rain", "5200.0000", [9, 3], false, false),
  single("Yoga Mat", "mat-yoga", "2100.0000", [22, 8], false, false),
  single("Scented Candle", "candle-01", "850.0000", [40, 15], true, false),
  single("Herbal Tea Box", "tea-herbal", "550.0000", [65, 25], false, true),
  single("Honey Jar 500g", "honey-500", "750.0000", [45, 20], false, false),
  single("Bluetooth Speaker", "speaker-bt", "4500.0000", [7, 2], false, false),
  single("Gift Card Holder", "gift-holder", "150.0000", [500, 0], false, false),
];

/**
 * The in-memory records the Prokip emulator keeps. They mirror the UltimatePOS tables the
 * Connector API reads (business, business_locations, contacts, products, product_variations,
 * variations, variation_location_details, transactions, transaction_sell_lines,
 * transaction_payments), reduced to the columns the API shows or acts on.
 *
 * Money and quantities are plain numbers here; they become "20.0000" strings only when
 * rendered (see format.ts), exactly like MySQL DECIMAL columns come out of Laravel.
 * Timestamps are epoch milliseconds from the emulator's clock.
 */

/** Milliseconds since the epoch; injectable so tests can move time (token expiry, throttle). */
export type Clock = () => number;

export interface Business {
  id: number;
  name: string;
  /** UltimatePOS POS setting "allow overselling"; when false a final sell may not exceed stock. */
  allowOverselling: boolean;
  createdAt: number;
  /** Reference counters, as UltimatePOS keeps them per business (reference_counts table). */
  counters: { invoice: number; sellReturn: number; payment: number; location: number; contact: number };
}

/** A Passport password-grant client. UltimatePOS creates one per business in the Connector UI. */
export interface OAuthClient {
  clientId: string;
  secret: string;
  businessId: number;
  name: string;
}

export interface User {
  id: number;
  businessId: number;
  /** Passport's password grant logs in by username (UltimatePOS `findForPassport`). */
  username: string;
  password: string;
  firstName: string;
  createdAt: number;
}

export interface Location {
  id: number;
  businessId: number;
  /** The human code "BL0001"; the API calls it `location_id`, everywhere else `location_id` is `id`. */
  code: string;
  name: string;
  city: string;
  state: string;
  country: string;
  zipCode: string;
  isActive: boolean;
  createdAt: number;
}

export interface Contact {
  id: number;
  businessId: number;
  type: "customer" | "supplier" | "both";
  name: string;
  mobile: string;
  email: string | null;
  /** The human code "CO0001". */
  code: string;
  /** The walk-in customer every UltimatePOS business starts with. */
  isDefault: boolean;
  createdAt: number;
}

export interface Variation {
  id: number;
  productId: number;
  productVariationId: number;
  /** "DUMMY" for a single product, the option value ("Small") for a variable one. */
  name: string;
  subSku: string;
  defaultPurchasePrice: number;
  defaultSellPrice: number;
  /** No taxes are emulated, so this equals defaultSellPrice. */
  sellPriceIncTax: number;
  createdAt: number;
}

export interface Product {
  id: number;
  businessId: number;
  name: string;
  sku: string;
  type: "single" | "variable";
  enableStock: boolean;
  notForSelling: boolean;
  isInactive: boolean;
  description: string | null;
  /** The single product_variations row: "DUMMY" for single products, e.g. "Size" for variable. */
  productVariationId: number;
  productVariationName: string;
  /** product_locations: where the product is sold. */
  locationIds: number[];
  variations: Variation[];
  createdAt: number;
}

/** One variation_location_details row. A missing row is what the stock report shows as "absent". */
export interface StockRow {
  id: number;
  productId: number;
  productVariationId: number;
  variationId: number;
  locationId: number;
  qty: number;
  createdAt: number;
  updatedAt: number;
}

export interface SellLine {
  id: number;
  transactionId: number;
  productId: number;
  variationId: number;
  quantity: number;
  /** Cumulative quantity returned through the sell's (single) return. */
  quantityReturned: number;
  unitPriceBeforeDiscount: number;
  unitPrice: number;
  lineDiscountType: "fixed" | "percentage";
  lineDiscountAmount: number;
  unitPriceIncTax: number;
  note: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface PaymentLine {
  id: number;
  transactionId: number;
  businessId: number;
  amount: number;
  method: string;
  note: string | null;
  paidOn: number;
  paymentRefNo: string;
  createdBy: number;
  contactId: number;
  createdAt: number;
}

export interface Transaction {
  id: number;
  businessId: number;
  locationId: number;
  contactId: number;
  type: "sell" | "sell_return";
  status: string;
  paymentStatus: "paid" | "partial" | "due";
  invoiceNo: string;
  source: string | null;
  /** "Y-m-d H:i:s", stored as given, like the Connector does. */
  transactionDate: string;
  totalBeforeTax: number;
  discountType: string;
  discountAmount: number;
  shippingCharges: number;
  finalTotal: number;
  saleNote: string | null;
  /** For a sell_return: the sell it returns. */
  returnParentId: number | null;
  createdBy: number;
  sellLines: SellLine[];
  paymentLines: PaymentLine[];
  createdAt: number;
  updatedAt: number;
}

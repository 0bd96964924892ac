export {
  applyMovements,
  markListingsDirty,
  type MovementInput,
  type AppliedMovements,
  type StockChange,
} from "./movements.ts";
export {
  recordProkipReadings,
  markPostingStarted,
  markPosted,
  markPostingRejected,
  type ReadingBatch,
  type ReadingOutcome,
  type VariantReading,
} from "./prokip.ts";
export { listingTargets, type ListingTarget } from "./targets.ts";

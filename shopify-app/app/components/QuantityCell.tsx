import { IndexTable, Text } from "@shopify/polaris";

/** A quantity column of an IndexTable: right-aligned figures, a dash when there is none. */
export function QuantityCell({ quantity }: { quantity: number | null }) {
  return (
    <IndexTable.Cell>
      <Text as="span" alignment="end" numeric>
        {quantity ?? "—"}
      </Text>
    </IndexTable.Cell>
  );
}

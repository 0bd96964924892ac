/**
 * The setup wizard's step indicator: where the merchant is, what is done and what comes next.
 * `current` past the last step means every step is done.
 */
import { Badge, BlockStack, InlineStack, ProgressBar, Text } from "@shopify/polaris";

export function SetupSteps({ steps, current }: { steps: string[]; current: number }) {
  const finished = current >= steps.length;
  const position = Math.min(Math.max(current, 0), steps.length);
  return (
    <BlockStack gap="200">
      <Text as="p" variant="bodySm" tone="subdued">
        {finished ? "All steps done" : `Step ${position + 1} of ${steps.length}: ${steps[position]}`}
      </Text>
      <ProgressBar progress={finished ? 100 : ((position + 1) / steps.length) * 100} size="small" />
      <InlineStack gap="200" wrap>
        {steps.map((step, index) => (
          <Badge
            key={step}
            {...(index < position
              ? { tone: "success", progress: "complete" as const }
              : index === position
                ? { tone: "info", progress: "partiallyComplete" as const }
                : { progress: "incomplete" as const })}
          >
            {step}
          </Badge>
        ))}
      </InlineStack>
    </BlockStack>
  );
}

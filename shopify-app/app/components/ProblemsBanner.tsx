/**
 * The dashboard's "Needs attention" banner: each problem core found, in its words, with what
 * fixes it (a link to the right screen, or a button that asks for the fix).
 */
import { Link as RemixLink } from "@remix-run/react";
import { Banner, BlockStack, Button, InlineStack, List, Text } from "@shopify/polaris";
import type { Problem, ProblemFix } from "@prokip-sync/core";

/** Fixes that are actions on the dashboard itself. */
export type FixIntent = "retry_orders" | "sync_now";

export function fixUrl(fix: ProblemFix): string | null {
  switch (fix.kind) {
    case "reconnect_prokip":
      return "/app/connect?reconnect=1";
    case "open_products":
      return `/app/products?status=${encodeURIComponent(fix.filter)}`;
    case "open_activity":
      return fix.type ? `/app/activity?type=${encodeURIComponent(fix.type)}` : "/app/activity";
    default:
      return null;
  }
}

function Fix({ fix, busy, onFix }: { fix: ProblemFix; busy: FixIntent | null; onFix(intent: FixIntent): void }) {
  if (fix.kind === "retry_orders" || fix.kind === "sync_now") {
    const intent = fix.kind;
    return (
      <Button size="slim" loading={busy === intent} onClick={() => onFix(intent)}>
        {fix.label}
      </Button>
    );
  }
  const url = fixUrl(fix);
  if (!url) return null;
  return (
    <RemixLink to={url}>
      <Text as="span" fontWeight="medium">
        {fix.label}
      </Text>
    </RemixLink>
  );
}

export function ProblemsBanner({
  problems,
  busy,
  onFix,
}: {
  problems: Problem[];
  busy: FixIntent | null;
  onFix(intent: FixIntent): void;
}) {
  if (problems.length === 0) return null;
  const serious = problems.some((problem) => problem.code !== "webhooks_repaired");
  return (
    <Banner tone={serious ? "warning" : "info"} title="Needs attention">
      <List type="bullet">
        {problems.map((problem) => (
          <List.Item key={problem.code}>
            <BlockStack gap="100">
              <InlineStack gap="300" blockAlign="center" wrap>
                <Text as="span">{problem.message}</Text>
                <Fix fix={problem.fix} busy={busy} onFix={onFix} />
              </InlineStack>
            </BlockStack>
          </List.Item>
        ))}
      </List>
    </Banner>
  );
}

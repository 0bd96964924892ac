import { Badge } from "@shopify/polaris";
import type { ConnectionStatus } from "@prokip-sync/core";

const BADGES: Record<ConnectionStatus, { label: string; tone?: "success" | "attention" | "critical" | "info" }> = {
  active: { label: "Active", tone: "success" },
  paused: { label: "Paused", tone: "attention" },
  needs_attention: { label: "Needs attention", tone: "critical" },
  disconnected: { label: "Disconnected" },
};

export function StatusBadge({ status }: { status: ConnectionStatus }) {
  const badge = BADGES[status];
  return <Badge {...(badge.tone ? { tone: badge.tone } : {})}>{badge.label}</Badge>;
}

/**
 * The app's home: opens wherever the store stands (Connect Prokip, Set up products) and, once
 * the store is set up, its dashboard: status, Prokip location, last sync, counts, what needs
 * attention with its fix, and pause / resume / sync now / disconnect. Refreshes itself every
 * 10 seconds while the page is visible.
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { useFetcher, useLoaderData, useRevalidator } from "@remix-run/react";
import {
  BlockStack,
  Box,
  Button,
  ButtonGroup,
  Card,
  InlineGrid,
  InlineStack,
  Layout,
  Page,
  Text,
} from "@shopify/polaris";
import {
  disconnectStore,
  pauseStore,
  resumeStore,
  retryOrders,
  storeDashboard,
  storeStage,
  syncStoreNow,
} from "@prokip-sync/core";
import { ConfirmModal } from "../components/ConfirmModal.tsx";
import { plural, timeAgo } from "../components/format.ts";
import { ProblemsBanner, type FixIntent } from "../components/ProblemsBanner.tsx";
import { ScreenErrorBoundary } from "../components/ScreenErrorBoundary.tsx";
import { StatusBadge } from "../components/StatusBadge.tsx";
import { useActionToast, type ActionData } from "../components/useToast.ts";
import { answer, load } from "../errors.server.ts";
import { dashboardForm, readForm } from "../forms.server.ts";
import { merchantDeps, storeOf } from "../merchant.server.ts";
import { authenticate } from "../shopify.server.ts";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const stage = await load(redirect, () => storeStage(deps, store));
  if (stage.stage === "connect_prokip" || stage.stage === "choose_location") throw redirect("/app/connect");
  if (stage.stage === "set_up_products") throw redirect("/app/setup");
  // `now`: relative times are worded from the server's clock, on the server and in the browser alike.
  return { dashboard: await load(redirect, () => storeDashboard(deps, store)), now: Date.now() };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const form = await readForm(request, dashboardForm);
  if (!form.ok) return form.response;
  return answer(async (): Promise<ActionData> => {
    switch (form.data.intent) {
      case "pause":
        await pauseStore(deps, store);
        return { ok: true, message: "Sync paused" };
      case "resume":
        await resumeStore(deps, store);
        return { ok: true, message: "Sync resumed" };
      case "sync_now":
        await syncStoreNow(deps, store);
        return { ok: true, message: "Sync started" };
      case "disconnect":
        await disconnectStore(deps, store);
        return { ok: true, message: "Store disconnected. Orders, stock history and activity are kept." };
      case "retry_orders":
        await retryOrders(deps, store);
        return { ok: true, message: "Orders not yet in Prokip are being sent again" };
    }
  });
};

const REFRESH_MS = 10_000;

/** Reloads the page's data every 10 s while it is visible (nothing else is going on). */
function useLiveRefresh() {
  const revalidator = useRevalidator();
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible" && revalidator.state === "idle") revalidator.revalidate();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [revalidator]);
}

function Count({ label, value, tone }: { label: string; value: number; tone?: "critical" | "caution" }) {
  return (
    <Box padding="300" background="bg-surface-secondary" borderRadius="200">
      <BlockStack gap="100">
        <Text as="p" variant="bodySm" tone="subdued">
          {label}
        </Text>
        <Text as="p" variant="headingLg" {...(tone && value > 0 ? { tone } : {})}>
          {value.toLocaleString("en")}
        </Text>
      </BlockStack>
    </Box>
  );
}

export default function Dashboard() {
  const { dashboard, now } = useLoaderData<typeof loader>();
  const fetcher = useFetcher<ActionData>();
  const [confirming, setConfirming] = useState(false);
  useLiveRefresh();
  useActionToast(fetcher.data, fetcher.state);

  const pending = fetcher.state !== "idle" ? (fetcher.formData?.get("intent") as string | null) : null;
  const submit = (intent: string) => fetcher.submit({ intent }, { method: "post" });
  // A done action closes the modal, while rendering its answer (react.dev: adjusting state when a prop changes).
  const answer = fetcher.state === "idle" ? fetcher.data : undefined;
  const [handled, setHandled] = useState(answer);
  if (answer !== handled) {
    setHandled(answer);
    if (answer && "ok" in answer) setConfirming(false);
  }

  const { counts, status } = dashboard;
  const paused = status === "paused";
  return (
    <Page title="Dashboard">
      <Layout>
        {dashboard.problems.length > 0 ? (
          <Layout.Section>
            <ProblemsBanner
              problems={dashboard.problems}
              busy={pending === "retry_orders" || pending === "sync_now" ? (pending as FixIntent) : null}
              onFix={submit}
            />
          </Layout.Section>
        ) : null}
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <InlineStack align="space-between" blockAlign="center" gap="200">
                <InlineStack gap="200" blockAlign="center">
                  <Text as="h2" variant="headingMd">
                    {dashboard.storeDomain}
                  </Text>
                  <StatusBadge status={status} />
                </InlineStack>
                <ButtonGroup>
                  <Button
                    onClick={() => submit(paused ? "resume" : "pause")}
                    loading={pending === "pause" || pending === "resume"}
                  >
                    {paused ? "Resume sync" : "Pause sync"}
                  </Button>
                  <Button
                    variant="primary"
                    onClick={() => submit("sync_now")}
                    loading={pending === "sync_now"}
                    disabled={paused}
                  >
                    Sync now
                  </Button>
                </ButtonGroup>
              </InlineStack>
              <BlockStack gap="100">
                <Text as="p">
                  Prokip location:{" "}
                  <Text as="span" fontWeight="semibold">
                    {dashboard.prokipLocation.name}
                  </Text>
                  {dashboard.businessName !== dashboard.prokipLocation.name ? ` (${dashboard.businessName})` : null}
                </Text>
                <Text as="p" tone="subdued">
                  {dashboard.lastSyncAt ? `Last sync ${timeAgo(dashboard.lastSyncAt, now)}` : "Not synced yet"}
                </Text>
                {paused ? (
                  <Text as="p" tone="subdued">
                    Sync is paused: changes wait here and are sent when you resume.
                  </Text>
                ) : null}
              </BlockStack>
              <InlineGrid columns={{ xs: 1, sm: 3 }} gap="300">
                <Count label="Products synced" value={counts.synced} />
                <Count label="Waiting to sync" value={counts.waiting} tone="caution" />
                <Count label="Failed" value={counts.failed} tone="critical" />
              </InlineGrid>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Products and orders
              </Text>
              <BlockStack gap="100">
                <Text as="p">{plural(counts.unlinked, "product")} not linked to Prokip</Text>
                <Text as="p">{plural(counts.conflicts, "SKU conflict")}</Text>
                <Text as="p">{plural(counts.excluded, "product")} excluded from sync</Text>
                <Text as="p">{plural(counts.ordersNotPosted, "order")} not yet in Prokip</Text>
              </BlockStack>
              <InlineStack gap="200">
                <Button url="/app/products">View products</Button>
                <Button url="/app/activity" variant="plain">
                  View activity
                </Button>
              </InlineStack>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <InlineStack align="space-between" blockAlign="center" gap="200">
              <BlockStack gap="100">
                <Text as="h2" variant="headingMd">
                  Disconnect
                </Text>
                <Text as="p" tone="subdued">
                  Stop syncing this store with Prokip.
                </Text>
              </BlockStack>
              <Button tone="critical" onClick={() => setConfirming(true)}>
                Disconnect store
              </Button>
            </InlineStack>
          </Card>
        </Layout.Section>
      </Layout>
      <ConfirmModal
        open={confirming}
        title={`Disconnect ${dashboard.storeDomain}?`}
        confirm="Disconnect store"
        loading={pending === "disconnect"}
        onConfirm={() => submit("disconnect")}
        onClose={() => setConfirming(false)}
      >
        <Text as="p">Stock will no longer be sent to this store, and its new orders will not reach Prokip.</Text>
        <Text as="p">
          Orders already received, stock history and activity are kept. You can connect again at any time.
        </Text>
      </ConfirmModal>
    </Page>
  );
}

export function ErrorBoundary() {
  return <ScreenErrorBoundary title="Dashboard" />;
}

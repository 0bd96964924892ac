/**
 * Activity: what sync did and why, newest first. Filter by type and by SKU (in the URL:
 * `?type=&sku=`); each entry links to its order in Shopify admin (with Prokip's invoice number)
 * or to its product; failed order postings can be retried. Older entries a page at a time
 * ("Load more", cursor).
 */
import { useEffect, useMemo, useRef, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, SerializeFrom } from "@remix-run/node";
import { Link as RemixLink, useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  Card,
  Divider,
  EmptyState,
  InlineGrid,
  InlineStack,
  Link,
  Page,
  Select,
  Text,
  TextField,
  Tooltip,
} from "@shopify/polaris";
import { listActivity, retryOrders, type ActivityType } from "@prokip-sync/core";
import { formatDateTime, timeAgo } from "../components/format.ts";
import { ScreenErrorBoundary } from "../components/ScreenErrorBoundary.tsx";
import { useLatestQuery } from "../components/useLatestQuery.ts";
import { useActionToast, type ActionData } from "../components/useToast.ts";
import { answer, load } from "../errors.server.ts";
import { activityForm, activityQuery, readForm, readQuery } from "../forms.server.ts";
import { merchantDeps, storeOf } from "../merchant.server.ts";
import { authenticate } from "../shopify.server.ts";

const PAGE_SIZE = 30;

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const query = readQuery(request, activityQuery);
  if (!query.ok) throw query.response;
  // `now`: relative times are worded from the server's clock, on the server and in the browser alike.
  return {
    page: await load(redirect, () => listActivity(deps, store, { ...query.data, pageSize: PAGE_SIZE })),
    now: Date.now(),
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const form = await readForm(request, activityForm);
  if (!form.ok) return form.response;
  // Core retries every order of the store that Prokip has not accepted (one click, one request).
  return answer(async (): Promise<ActionData> => {
    await retryOrders(deps, store);
    return { ok: true, message: "Orders not yet in Prokip are being sent again" };
  });
};

type Entry = SerializeFrom<typeof loader>["page"]["entries"][number];

const TYPE_LABELS: Record<ActivityType, string> = {
  order_received: "Orders received",
  order_posted: "Orders sent to Prokip",
  order_not_posted: "Orders not sent to Prokip",
  refund_restocked: "Refunds restocked",
  cancellation_restocked: "Cancellations restocked",
  stock_pushed: "Stock sent to store",
  drift: "Stock corrected",
  store_edit_accepted: "Store edits accepted",
  oversell: "Oversold",
  low_stock: "Low stock",
  setup: "Setup",
  connection: "Connection",
  product: "Product links",
  settings: "Settings",
  error: "Errors",
};
const SEVERITY: Record<Entry["severity"], { label: string; tone?: "warning" | "critical" }> = {
  info: { label: "Info" },
  warning: { label: "Warning", tone: "warning" },
  error: { label: "Error", tone: "critical" },
};

function EntryRow({
  entry,
  now,
  retrying,
  onRetry,
}: {
  entry: Entry;
  now: number;
  retrying: boolean;
  onRetry(orderId: string): void;
}) {
  const severity = SEVERITY[entry.severity];
  const { order, product } = entry;
  return (
    <Box padding="400">
      <InlineGrid columns={["oneThird", "twoThirds"]} gap="400">
        <BlockStack gap="100">
          <Tooltip content={formatDateTime(entry.at)}>
            <Text as="span" tone="subdued">
              {timeAgo(entry.at, now)}
            </Text>
          </Tooltip>
          <InlineStack gap="100">
            <Badge {...(severity.tone ? { tone: severity.tone } : {})}>{severity.label}</Badge>
            <Badge>{TYPE_LABELS[entry.type]}</Badge>
          </InlineStack>
        </BlockStack>
        <BlockStack gap="200">
          <Text as="p" {...(entry.severity === "error" ? { tone: "critical" as const } : {})}>
            {entry.message}
          </Text>
          <InlineStack gap="400" blockAlign="center" wrap>
            {order ? (
              order.storeAdminUrl ? (
                <Link url={order.storeAdminUrl} target="_blank">
                  {order.number ? `Order ${order.number}` : "View order"}
                </Link>
              ) : (
                <Text as="span">{order.number ? `Order ${order.number}` : "Order"}</Text>
              )
            ) : null}
            {order?.prokipInvoiceNo ? (
              <Text as="span" tone="subdued">
                Prokip invoice {order.prokipInvoiceNo}
              </Text>
            ) : null}
            {product?.sku ? (
              <RemixLink to={`/app/products?q=${encodeURIComponent(product.sku)}`}>
                {product.title ? `${product.title} (${product.sku})` : product.sku}
              </RemixLink>
            ) : product?.title ? (
              <Text as="span">{product.title}</Text>
            ) : null}
            {entry.retry ? (
              <Button size="slim" loading={retrying} onClick={() => onRetry(entry.retry!.orderId)}>
                Retry
              </Button>
            ) : null}
          </InlineStack>
        </BlockStack>
      </InlineGrid>
    </Box>
  );
}

export default function Activity() {
  const { page, now } = useLoaderData<typeof loader>();
  const [params, setParams] = useSearchParams();
  const navigation = useNavigation();
  const more = useFetcher<typeof loader>();
  const retry = useFetcher<ActionData>();
  useActionToast(retry.data, retry.state);

  // Pages loaded with "Load more" after the loader's first page, for the filters they were
  // asked with (other filters show the first page only).
  const filters = `${params.get("type") ?? ""}|${params.get("sku") ?? ""}`;
  const [older, setOlder] = useState<{ filters: string; entries: Entry[]; nextCursor: string | null }>({
    filters,
    entries: [],
    nextCursor: null,
  });
  const requestedFor = useRef(filters);
  const appended = useRef<unknown>(null);
  useEffect(() => {
    const loaded = more.data?.page;
    if (more.state !== "idle" || !loaded || appended.current === more.data) return;
    appended.current = more.data;
    const asked = requestedFor.current;
    setOlder((current) => ({
      filters: asked,
      entries: [...(current.filters === asked ? current.entries : []), ...loaded.entries],
      nextCursor: loaded.nextCursor,
    }));
  }, [more.state, more.data]);
  const extra = older.filters === filters ? older : { filters, entries: [], nextCursor: null };
  const entries = useMemo(() => {
    // A refresh of the first page may now hold entries an older page had: each shown once.
    const seen = new Set<string>();
    return [...page.entries, ...extra.entries].filter((entry) => !seen.has(entry.id) && Boolean(seen.add(entry.id)));
  }, [page.entries, extra.entries]);
  const nextCursor = extra.entries.length > 0 ? extra.nextCursor : page.nextCursor;
  const loadMore = () => {
    if (!nextCursor) return;
    const query = new URLSearchParams();
    for (const key of ["type", "sku"]) {
      const value = params.get(key);
      if (value) query.set(key, value);
    }
    query.set("after", nextCursor);
    requestedFor.current = filters;
    more.load(`/app/activity?${query.toString()}`);
  };

  const [sku, setSku] = useState(params.get("sku") ?? "");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  // The SKU's timer starts from the query as it is when it fires, so a type chosen meanwhile is not undone.
  const latestQuery = useLatestQuery();
  const setFilter = (key: "type" | "sku", value: string) => {
    const next = new URLSearchParams(latestQuery.current);
    if (value.trim()) next.set(key, value.trim());
    else next.delete(key);
    next.delete("after");
    setParams(next, { replace: key === "sku" });
  };
  const changeSku = (value: string) => {
    setSku(value);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => setFilter("sku", value), 300);
  };
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const filtered = Boolean(params.get("type") || params.get("sku"));
  const retrying = retry.state !== "idle" ? retry.formData?.get("orderId") : null;
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/activity";
  return (
    <Page title="Activity" subtitle="What Prokip Sync did, and why">
      <Card padding="0">
        <Box padding="400">
          <InlineGrid columns={{ xs: 1, sm: 2 }} gap="300">
            <Select
              label="Type"
              options={[
                { label: "All activity", value: "" },
                ...Object.entries(TYPE_LABELS).map(([value, label]) => ({ label, value })),
              ]}
              value={params.get("type") ?? ""}
              onChange={(value) => setFilter("type", value)}
            />
            <TextField
              label="Product SKU"
              autoComplete="off"
              placeholder="Any product"
              value={sku}
              onChange={changeSku}
              clearButton
              onClearButtonClick={() => changeSku("")}
            />
          </InlineGrid>
        </Box>
        <Divider />
        {entries.length === 0 ? (
          filtered ? (
            <Box padding="600">
              <BlockStack gap="200" inlineAlign="center">
                <Text as="p" variant="headingMd">
                  Nothing matches these filters
                </Text>
                <Text as="p" tone="subdued">
                  Try another type or SKU.
                </Text>
              </BlockStack>
            </Box>
          ) : (
            <EmptyState
              heading="No activity yet"
              image="https://cdn.shopify.com/s/files/1/0262/4071/2726/files/emptystate-files.png"
              action={{ content: "Go to dashboard", url: "/app" }}
            >
              <p>
                Orders sent to Prokip, stock sent to your store and anything that needs your attention show up here as
                they happen.
              </p>
            </EmptyState>
          )
        ) : (
          <BlockStack>
            {loading ? (
              <Box padding="200">
                <Text as="p" tone="subdued" alignment="center">
                  Loading…
                </Text>
              </Box>
            ) : null}
            {entries.map((entry, index) => (
              <div key={entry.id}>
                {index > 0 ? <Divider /> : null}
                <EntryRow
                  entry={entry}
                  now={now}
                  retrying={retrying === entry.retry?.orderId}
                  onRetry={(orderId) => retry.submit({ intent: "retry_orders", orderId }, { method: "post" })}
                />
              </div>
            ))}
            {nextCursor ? (
              <>
                <Divider />
                <Box padding="400">
                  <InlineStack align="center">
                    <Button onClick={loadMore} loading={more.state !== "idle"}>
                      Load more
                    </Button>
                  </InlineStack>
                </Box>
              </>
            ) : null}
          </BlockStack>
        )}
      </Card>
    </Page>
  );
}

export function ErrorBoundary() {
  return <ScreenErrorBoundary title="Activity" />;
}

/**
 * Products: the store's listings with their Prokip link and stock, searchable (SKU or title),
 * filtered by status (tabs with counts over the whole store), a page at a time (cursors). Per
 * row: link to a Prokip product by its SKU, unlink, exclude from sync, include again.
 * Search, filter and page live in the URL (`?q=&status=&after=|before=`).
 */
import { useEffect, useRef, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, SerializeFrom } from "@remix-run/node";
import { useFetcher, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import {
  Badge,
  BlockStack,
  Box,
  Button,
  ButtonGroup,
  Card,
  EmptyState,
  IndexTable,
  InlineStack,
  Link,
  Modal,
  Page,
  Tabs,
  Text,
  TextField,
} from "@shopify/polaris";
import {
  excludeProduct,
  includeProduct,
  linkProduct,
  listProducts,
  unlinkProduct,
  type ProductStatus,
} from "@prokip-sync/core";
import { ConfirmModal } from "../components/ConfirmModal.tsx";
import { isFailure } from "../components/failures.ts";
import { plural } from "../components/format.ts";
import { QuantityCell } from "../components/QuantityCell.tsx";
import { ScreenErrorBoundary } from "../components/ScreenErrorBoundary.tsx";
import { useLatestQuery } from "../components/useLatestQuery.ts";
import { useActionToast, type ActionData } from "../components/useToast.ts";
import { answer, load } from "../errors.server.ts";
import { productsForm, productsQuery, readForm, readQuery } from "../forms.server.ts";
import { merchantDeps, storeOf } from "../merchant.server.ts";
import { authenticate } from "../shopify.server.ts";

const PAGE_SIZE = 25;

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const query = readQuery(request, productsQuery);
  if (!query.ok) throw query.response;
  const { q, status, after, before } = query.data;
  return {
    page: await load(redirect, () =>
      listProducts(deps, store, { search: q, status, after, before, pageSize: PAGE_SIZE }),
    ),
  };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const form = await readForm(request, productsForm);
  if (!form.ok) return form.response;
  const input = form.data;
  return answer(async (): Promise<ActionData> => {
    switch (input.intent) {
      case "link": {
        const row = await linkProduct(deps, store, { listingId: input.listingId, prokipSku: input.prokipSku });
        return { ok: true, message: `Linked to Prokip product ${row.linkedTo?.sku ?? input.prokipSku}` };
      }
      case "unlink":
        await unlinkProduct(deps, store, input.listingId);
        return { ok: true, message: "Product unlinked" };
      case "exclude":
        await excludeProduct(deps, store, input.listingId);
        return { ok: true, message: "Product excluded from sync" };
      case "include":
        await includeProduct(deps, store, input.listingId);
        return { ok: true, message: "Product included in sync" };
    }
  });
};

type Row = SerializeFrom<typeof loader>["page"]["rows"][number];

const STATUS_TABS: { status: ProductStatus | null; label: string }[] = [
  { status: null, label: "All" },
  { status: "synced", label: "Synced" },
  { status: "waiting", label: "Waiting" },
  { status: "failed", label: "Failed" },
  { status: "unlinked", label: "Not linked" },
  { status: "conflict", label: "Conflicts" },
  { status: "excluded", label: "Excluded" },
];
const STATUS_BADGES: Record<
  ProductStatus,
  { label: string; tone?: "success" | "attention" | "critical" | "warning" | "info" }
> = {
  synced: { label: "Synced", tone: "success" },
  waiting: { label: "Waiting", tone: "attention" },
  failed: { label: "Failed", tone: "critical" },
  unlinked: { label: "Not linked" },
  conflict: { label: "Conflict", tone: "warning" },
  excluded: { label: "Excluded", tone: "info" },
};

/** The search box: typed into freely, put in the URL once typing pauses. */
function useDebouncedSearch(delayMs = 300) {
  const [params, setParams] = useSearchParams();
  const query = useLatestQuery();
  const [value, setValue] = useState(params.get("q") ?? "");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  const change = (next: string) => {
    setValue(next);
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      // From the address as it is now, not as it was when typing started (a tab chosen meanwhile stays).
      const updated = new URLSearchParams(query.current);
      if (next.trim()) updated.set("q", next.trim());
      else updated.delete("q");
      updated.delete("after");
      updated.delete("before");
      setParams(updated, { replace: true });
    }, delayMs);
  };
  return [value, change] as const;
}

type Pending = { intent: "unlink" | "exclude"; row: Row } | null;

export default function Products() {
  const { page } = useLoaderData<typeof loader>();
  const [params, setParams] = useSearchParams();
  const navigation = useNavigation();
  const fetcher = useFetcher<ActionData>();
  const [search, setSearch] = useDebouncedSearch();
  const [linking, setLinking] = useState<Row | null>(null);
  const [prokipSku, setProkipSku] = useState("");
  const [confirming, setConfirming] = useState<Pending>(null);
  useActionToast(fetcher.data, fetcher.state);

  const status = params.get("status");
  const selectedTab = Math.max(
    0,
    STATUS_TABS.findIndex((tab) => tab.status === status),
  );
  const busy = fetcher.state !== "idle";
  const busyListing = busy ? fetcher.formData?.get("listingId") : null;
  const submit = (intent: string, listingId: string, extra: Record<string, string> = {}) =>
    fetcher.submit({ intent, listingId, ...extra }, { method: "post" });

  // A finished action closes its modal; a refused link keeps it open with the reason. Done while
  // rendering the answer, not in an effect (react.dev: adjusting state when a prop changes).
  const answer = fetcher.state === "idle" ? fetcher.data : undefined;
  const [handled, setHandled] = useState(answer);
  if (answer !== handled) {
    setHandled(answer);
    if (answer && !isFailure(answer)) {
      setLinking(null);
      setConfirming(null);
    }
  }

  const go = (change: (next: URLSearchParams) => void) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      change(next);
      return next;
    });
  const filtered = Boolean(status || params.get("q"));
  const loading = navigation.state === "loading" && navigation.location.pathname === "/app/products";

  const rowMarkup = page.rows.map((row, index) => {
    const badge = STATUS_BADGES[row.status];
    const linked = row.linkedTo !== null;
    return (
      <IndexTable.Row id={row.listingId} key={row.listingId} position={index}>
        <IndexTable.Cell>
          <Text as="span" fontWeight="medium">
            {row.sku ?? "No SKU"}
          </Text>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <BlockStack gap="050">
            {row.storeAdminUrl ? (
              <Link url={row.storeAdminUrl} target="_blank" removeUnderline>
                {row.title}
              </Link>
            ) : (
              <Text as="span">{row.title}</Text>
            )}
            {row.linkedTo ? (
              <Text as="span" variant="bodySm" tone="subdued">
                Prokip: {row.linkedTo.name} ({row.linkedTo.sku})
              </Text>
            ) : null}
            {row.conflictReason ? (
              <Text as="span" variant="bodySm" tone="caution">
                {row.conflictReason}
              </Text>
            ) : null}
          </BlockStack>
        </IndexTable.Cell>
        <QuantityCell quantity={row.prokipQuantity} />
        <QuantityCell quantity={row.sentQuantity} />
        <IndexTable.Cell>
          <Badge {...(badge.tone ? { tone: badge.tone } : {})}>{badge.label}</Badge>
        </IndexTable.Cell>
        <IndexTable.Cell>
          <InlineStack align="end">
            <ButtonGroup>
              {row.status === "excluded" ? (
                <Button
                  size="slim"
                  loading={busyListing === row.listingId}
                  onClick={() => submit("include", row.listingId)}
                >
                  Include
                </Button>
              ) : (
                <>
                  {linked ? (
                    <Button size="slim" onClick={() => setConfirming({ intent: "unlink", row })}>
                      Unlink
                    </Button>
                  ) : (
                    <Button
                      size="slim"
                      onClick={() => {
                        setProkipSku(row.sku ?? "");
                        setLinking(row);
                      }}
                    >
                      Link
                    </Button>
                  )}
                  <Button size="slim" variant="tertiary" onClick={() => setConfirming({ intent: "exclude", row })}>
                    Exclude
                  </Button>
                </>
              )}
            </ButtonGroup>
          </InlineStack>
        </IndexTable.Cell>
      </IndexTable.Row>
    );
  });

  const inStore = Object.values(page.counts).reduce((sum, count) => sum + count, 0);
  const nothingYet = inStore === 0;
  return (
    <Page
      title="Products"
      subtitle={
        nothingYet
          ? undefined
          : `${plural(inStore, "product")} in your store${filtered ? `, ${page.total.toLocaleString("en")} match` : ""}`
      }
    >
      {nothingYet ? (
        <Card>
          <EmptyState
            heading="No products yet"
            image="https://cdn.shopify.com/s/files/1/0262/4071/2726/files/emptystate-files.png"
            action={{ content: "Set up products", url: "/app/setup" }}
          >
            <p>
              Products appear here once your store's products are set up with Prokip. Add products in Shopify or Prokip,
              then run setup.
            </p>
          </EmptyState>
        </Card>
      ) : (
        <Card padding="0">
          <Tabs
            tabs={STATUS_TABS.map((tab) => ({
              id: tab.status ?? "all",
              content: tab.label,
              badge: String(tab.status ? page.counts[tab.status] : inStore),
            }))}
            selected={selectedTab}
            onSelect={(index) =>
              go((next) => {
                const tab = STATUS_TABS[index];
                if (tab?.status) next.set("status", tab.status);
                else next.delete("status");
                next.delete("after");
                next.delete("before");
              })
            }
          />
          <Box padding="300">
            <TextField
              label="Search products"
              labelHidden
              placeholder="Search by SKU or product name"
              autoComplete="off"
              value={search}
              onChange={setSearch}
              clearButton
              onClearButtonClick={() => setSearch("")}
            />
          </Box>
          <IndexTable
            resourceName={{ singular: "product", plural: "products" }}
            itemCount={page.rows.length}
            selectable={false}
            loading={loading}
            headings={[
              { title: "SKU" },
              { title: "Product" },
              { title: "Prokip quantity", alignment: "end" },
              { title: "Sent to store", alignment: "end" },
              { title: "Status" },
              { title: "Actions", alignment: "end" },
            ]}
            emptyState={
              <Box padding="600">
                <BlockStack gap="200" inlineAlign="center">
                  <Text as="p" variant="headingMd">
                    No products match
                  </Text>
                  <Text as="p" tone="subdued">
                    Try another search or filter.
                  </Text>
                </BlockStack>
              </Box>
            }
            pagination={{
              hasPrevious: page.previousCursor !== null,
              onPrevious: () =>
                go((next) => {
                  next.delete("after");
                  next.set("before", page.previousCursor!);
                }),
              hasNext: page.nextCursor !== null,
              onNext: () =>
                go((next) => {
                  next.delete("before");
                  next.set("after", page.nextCursor!);
                }),
            }}
          >
            {rowMarkup}
          </IndexTable>
        </Card>
      )}

      <Modal
        open={linking !== null}
        onClose={() => setLinking(null)}
        title={`Link ${linking?.title ?? "product"} to Prokip`}
        primaryAction={{
          content: "Link",
          loading: busy,
          disabled: prokipSku.trim() === "",
          onAction: () => linking && submit("link", linking.listingId, { prokipSku }),
        }}
        secondaryActions={[{ content: "Cancel", onAction: () => setLinking(null) }]}
      >
        <Modal.Section>
          <TextField
            label="Prokip SKU"
            autoComplete="off"
            value={prokipSku}
            onChange={setProkipSku}
            helpText="The product's SKU in Prokip: the same as its SKU in Shopify, because sales are matched by SKU. Prokip's stock at your location is then sent to it."
            error={isFailure(fetcher.data) && linking ? fetcher.data.error.message : undefined}
          />
        </Modal.Section>
      </Modal>

      <ConfirmModal
        open={confirming !== null}
        title={
          confirming?.intent === "exclude"
            ? `Exclude ${confirming.row.title}?`
            : `Unlink ${confirming?.row.title ?? "product"}?`
        }
        confirm={confirming?.intent === "exclude" ? "Exclude product" : "Unlink product"}
        loading={busy}
        onConfirm={() => confirming && submit(confirming.intent, confirming.row.listingId)}
        onClose={() => setConfirming(null)}
      >
        <Text as="p">
          {confirming?.intent === "exclude"
            ? "Prokip Sync will leave this product's stock in your store alone until you include it again."
            : "Prokip Sync will stop sending Prokip's stock to this product."}
        </Text>
        <Text as="p">You can undo this at any time from this page.</Text>
      </ConfirmModal>
    </Page>
  );
}

export function ErrorBoundary() {
  return <ScreenErrorBoundary title="Products" />;
}

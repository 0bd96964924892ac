/**
 * Set up products, a wizard: choose the strategy (use my store's products = pull, use my Prokip
 * products = push) -> a dry-run preview of every SKU with what will happen -> push options ->
 * confirm -> progress of the run -> summary (errors per SKU; for pull, the products Prokip lacks
 * as a file to import into Prokip).
 *
 * Where the merchant is lives in the URL: `/app/setup` is the first step, `?run=<id>` a preview
 * (a dry run) or a real run, so a reload, or coming back later, lands on the same step.
 */
import { useEffect, useMemo, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs, SerializeFrom } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation, useRevalidator } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  Checkbox,
  ChoiceList,
  EmptyState,
  FormLayout,
  IndexTable,
  InlineGrid,
  InlineStack,
  Layout,
  List,
  Page,
  ProgressBar,
  Spinner,
  Tabs,
  Text,
  TextField,
} from "@shopify/polaris";
import { previewStoreSetup, startStoreSetup, storeSetupRun, storeStage } from "@prokip-sync/core";
import { DownloadButton } from "../components/DownloadButton.tsx";
import { fieldError, isFailure } from "../components/failures.ts";
import { plural } from "../components/format.ts";
import { QuantityCell } from "../components/QuantityCell.tsx";
import { ScreenErrorBoundary } from "../components/ScreenErrorBoundary.tsx";
import { SetupSteps } from "../components/SetupSteps.tsx";
import { answer, load } from "../errors.server.ts";
import { readForm, setupForm } from "../forms.server.ts";
import { merchantDeps, storeOf } from "../merchant.server.ts";
import { authenticate } from "../shopify.server.ts";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const runId = new URL(request.url).searchParams.get("run");
  if (runId) return { view: "run" as const, run: await load(redirect, () => storeSetupRun(deps, store, runId)) };
  const stage = await load(redirect, () => storeStage(deps, store));
  if (stage.stage === "connect_prokip" || stage.stage === "choose_location") throw redirect("/app/connect");
  if (stage.stage === "ready") return { view: "set_up" as const };
  if (stage.activeRun) throw redirect(`/app/setup?run=${encodeURIComponent(stage.activeRun.id)}`);
  const last = stage.lastRun;
  return { view: "start" as const, lastRun: last ? { id: last.id, state: last.state, failed: last.failed } : null };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const form = await readForm(request, setupForm);
  if (!form.ok) return form.response;
  const input = form.data;
  const runId = await answer(async () => {
    if (input.intent === "preview") return (await previewStoreSetup(deps, store, { strategy: input.strategy })).runId;
    if (input.strategy === "pull") return (await startStoreSetup(deps, store, { strategy: "pull" })).id;
    const { priceAdjustmentPercent, sendImages, sendDescriptions, status } = input;
    const options = {
      priceSource: "prokip_selling_price_inc_tax" as const,
      priceAdjustmentPercent,
      sendImages,
      sendDescriptions,
      status,
    };
    return (await startStoreSetup(deps, store, { strategy: "push", options })).id;
  });
  return runId instanceof Response ? runId : redirect(`/app/setup?run=${encodeURIComponent(runId)}`);
};

// ---------------------------------------------------------------------------------------------

type Strategy = "push" | "pull";
type SetupAction = "match" | "create_in_store" | "missing_in_prokip" | "conflict";
type Data = SerializeFrom<typeof loader>;
type RunData = Extract<Data, { view: "run" }>["run"];

const STRATEGY_NAMES: Record<Strategy, string> = { pull: "Use my store's products", push: "Use my Prokip products" };

function stepsFor(strategy: Strategy | null): string[] {
  return strategy === "push"
    ? ["Choose products", "Preview", "Options", "Confirm", "Set up"]
    : ["Choose products", "Preview", "Confirm", "Set up"];
}

const ACTION_LABELS: Record<Strategy, Record<SetupAction, string>> = {
  pull: {
    match: "Link to Prokip",
    create_in_store: "Create in store",
    missing_in_prokip: "Missing in Prokip",
    conflict: "Conflict",
  },
  push: {
    match: "Link to Prokip",
    create_in_store: "Create in store",
    missing_in_prokip: "Missing in Prokip",
    conflict: "Conflict",
  },
};
const ACTION_TONES: Record<SetupAction, "success" | "info" | "attention" | "critical"> = {
  match: "success",
  create_in_store: "info",
  missing_in_prokip: "attention",
  conflict: "critical",
};
const ACTIONS: SetupAction[] = ["match", "create_in_store", "missing_in_prokip", "conflict"];

function StartStep({ lastRun }: { lastRun: { id: string; state: string; failed: number } | null }) {
  const navigation = useNavigation();
  const result = useActionData<typeof action>();
  const [strategy, setStrategy] = useState<string[]>(["pull"]);
  return (
    <BlockStack gap="400">
      {lastRun && lastRun.state === "failed" ? (
        <Banner
          tone="critical"
          title="The last setup did not finish"
          action={{ content: "See what happened", url: `/app/setup?run=${lastRun.id}` }}
        >
          <p>Choose how to set up your products and try again.</p>
        </Banner>
      ) : null}
      {isFailure(result) ? <Banner tone="critical" title={result.error.message} /> : null}
      <Card>
        <Form method="post">
          <input type="hidden" name="intent" value="preview" />
          <input type="hidden" name="strategy" value={strategy[0] ?? ""} />
          <BlockStack gap="400">
            <Text as="h2" variant="headingMd">
              Which products should Prokip Sync start from?
            </Text>
            <ChoiceList
              title="Set up with"
              titleHidden
              choices={[
                {
                  label: STRATEGY_NAMES.pull,
                  value: "pull",
                  helpText:
                    "Your store's products are linked to Prokip products with the same SKU. Products Prokip doesn't have are listed in a file you can import into Prokip.",
                },
                {
                  label: STRATEGY_NAMES.push,
                  value: "push",
                  helpText:
                    "Prokip's products are linked to your store's products with the same SKU, and the ones your store doesn't have are created in it.",
                },
              ]}
              selected={strategy}
              onChange={setStrategy}
              error={fieldError(result, "strategy")}
            />
            <Text as="p" tone="subdued">
              Next you'll see a preview of every product. Nothing changes in your store or in Prokip until you confirm.
            </Text>
            <InlineStack align="end">
              <Button submit variant="primary" loading={navigation.state !== "idle"}>
                Preview
              </Button>
            </InlineStack>
          </BlockStack>
        </Form>
      </Card>
      {navigation.state !== "idle" ? (
        <Card>
          <InlineStack gap="200" blockAlign="center">
            <Spinner size="small" accessibilityLabel="Preparing the preview" />
            <Text as="p">Reading the products in your store and in Prokip. A large catalogue can take a minute.</Text>
          </InlineStack>
        </Card>
      ) : null}
    </BlockStack>
  );
}

const PAGE_SIZE = 50;

function PreviewTable({ rows, strategy }: { rows: NonNullable<RunData["preview"]>; strategy: Strategy }) {
  const [tab, setTab] = useState(0);
  const [page, setPage] = useState(0);
  const counts = useMemo(
    () =>
      Object.fromEntries(
        ACTIONS.map((action) => [action, rows.filter((row) => row.action === action).length]),
      ) as Record<SetupAction, number>,
    [rows],
  );
  const tabs = [
    { id: "all", content: "All", badge: String(rows.length) },
    ...ACTIONS.map((action) => ({
      id: action,
      content: ACTION_LABELS[strategy][action],
      badge: String(counts[action]),
    })),
  ];
  const filter = tab === 0 ? null : ACTIONS[tab - 1]!;
  const shown = filter ? rows.filter((row) => row.action === filter) : rows;
  const pageRows = shown.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
  return (
    <Card padding="0">
      <Tabs
        tabs={tabs}
        selected={tab}
        onSelect={(selected) => {
          setTab(selected);
          setPage(0);
        }}
      />
      <IndexTable
        resourceName={{ singular: "product", plural: "products" }}
        itemCount={pageRows.length}
        selectable={false}
        headings={[
          { title: "SKU" },
          { title: "Product" },
          { title: "Store quantity", alignment: "end" },
          { title: "Prokip quantity", alignment: "end" },
          { title: "What will happen" },
        ]}
        emptyState={
          <Text as="p" tone="subdued" alignment="center">
            No products here.
          </Text>
        }
        pagination={{
          hasPrevious: page > 0,
          onPrevious: () => setPage(page - 1),
          hasNext: (page + 1) * PAGE_SIZE < shown.length,
          onNext: () => setPage(page + 1),
          label:
            shown.length > PAGE_SIZE
              ? `${page * PAGE_SIZE + 1}–${Math.min((page + 1) * PAGE_SIZE, shown.length)} of ${shown.length}`
              : undefined,
        }}
      >
        {pageRows.map((row, index) => (
          <IndexTable.Row
            id={`${row.sku ?? "blank"}-${index}`}
            key={`${row.sku ?? "blank"}-${page}-${index}`}
            position={index}
          >
            <IndexTable.Cell>
              <Text as="span" fontWeight="medium">
                {row.sku ?? "No SKU"}
              </Text>
            </IndexTable.Cell>
            <IndexTable.Cell>{row.product}</IndexTable.Cell>
            <QuantityCell quantity={row.storeQuantity} />
            <QuantityCell quantity={row.prokipQuantity} />
            <IndexTable.Cell>
              <BlockStack gap="100">
                <InlineStack>
                  <Badge tone={ACTION_TONES[row.action]}>{ACTION_LABELS[strategy][row.action]}</Badge>
                </InlineStack>
                {row.quantityToWrite !== null ? (
                  <Text as="span" variant="bodySm" tone="subdued">
                    Store gets {row.quantityToWrite}
                    {row.price ? ` at ${row.price}` : ""}
                  </Text>
                ) : null}
              </BlockStack>
            </IndexTable.Cell>
          </IndexTable.Row>
        ))}
      </IndexTable>
    </Card>
  );
}

function Conflicts({ rows }: { rows: NonNullable<RunData["preview"]> }) {
  const conflicts = rows.filter((row) => row.action === "conflict");
  if (conflicts.length === 0) return null;
  return (
    <Banner tone="warning" title={`${plural(conflicts.length, "product")} can't be set up yet`}>
      <BlockStack gap="200">
        <p>Setup leaves these out. Fix them, then run setup again, or link them later in Products.</p>
        <List type="bullet">
          {conflicts.map((row, index) => (
            <List.Item key={`${row.sku ?? "blank"}-${index}`}>
              <Text as="span" fontWeight="medium">
                {row.sku ?? row.product}
              </Text>
              : {row.fix ?? "Fix the SKU, then run setup again."}
            </List.Item>
          ))}
        </List>
      </BlockStack>
    </Banner>
  );
}

interface PushChoices {
  priceAdjustmentPercent: string;
  sendImages: boolean;
  sendDescriptions: boolean;
  status: "draft" | "active";
}

function PushOptions({
  choices,
  onChange,
  error,
}: {
  choices: PushChoices;
  onChange(next: PushChoices): void;
  error: string | undefined;
}) {
  return (
    <Card>
      <BlockStack gap="400">
        <Text as="h2" variant="headingMd">
          Products created in your store
        </Text>
        <FormLayout>
          <TextField
            label="Price adjustment"
            type="number"
            suffix="%"
            autoComplete="off"
            value={choices.priceAdjustmentPercent}
            onChange={(priceAdjustmentPercent) => onChange({ ...choices, priceAdjustmentPercent })}
            helpText="Prices come from Prokip's selling price including tax. Enter 10 to sell 10% higher, -5 to sell 5% lower, or 0 to keep Prokip's price."
            error={error}
          />
          <Checkbox
            label="Send product images"
            checked={choices.sendImages}
            onChange={(sendImages) => onChange({ ...choices, sendImages })}
          />
          <Checkbox
            label="Send product descriptions"
            checked={choices.sendDescriptions}
            onChange={(sendDescriptions) => onChange({ ...choices, sendDescriptions })}
          />
          <ChoiceList
            title="New products"
            choices={[
              {
                label: "Keep as drafts",
                value: "draft",
                helpText: "Review them in Shopify before customers can see them.",
              },
              { label: "Publish", value: "active", helpText: "Customers can buy them right away." },
            ]}
            selected={[choices.status]}
            onChange={([status]) => onChange({ ...choices, status: status === "active" ? "active" : "draft" })}
          />
        </FormLayout>
      </BlockStack>
    </Card>
  );
}

function Confirm({
  run,
  strategy,
  choices,
  onBack,
}: {
  run: RunData;
  strategy: Strategy;
  choices: PushChoices;
  onBack(): void;
}) {
  const navigation = useNavigation();
  const counts = run.counts;
  return (
    <Card>
      <Form method="post">
        <input type="hidden" name="intent" value="start" />
        <input type="hidden" name="strategy" value={strategy} />
        {strategy === "push" ? (
          <>
            <input type="hidden" name="priceAdjustmentPercent" value={choices.priceAdjustmentPercent.trim() || "0"} />
            <input type="hidden" name="sendImages" value={String(choices.sendImages)} />
            <input type="hidden" name="sendDescriptions" value={String(choices.sendDescriptions)} />
            <input type="hidden" name="status" value={choices.status} />
          </>
        ) : null}
        <BlockStack gap="400">
          <Text as="h2" variant="headingMd">
            Ready to set up
          </Text>
          <List type="bullet">
            {counts ? (
              <>
                <List.Item>
                  {plural(counts.match, "product")} will be linked to Prokip, and the store will show Prokip's stock
                </List.Item>
                {counts.create_in_store > 0 ? (
                  <List.Item>{plural(counts.create_in_store, "product")} will be created in your store</List.Item>
                ) : null}
                {counts.missing_in_prokip > 0 ? (
                  <List.Item>
                    {plural(counts.missing_in_prokip, "product")} are missing in Prokip and stay unlinked
                  </List.Item>
                ) : null}
                {counts.conflict > 0 ? (
                  <List.Item>{plural(counts.conflict, "product")} with conflicts are left out</List.Item>
                ) : null}
              </>
            ) : null}
            {strategy === "push" ? (
              <List.Item>
                New products: Prokip's price{" "}
                {Number(choices.priceAdjustmentPercent || 0) === 0
                  ? "unchanged"
                  : `${Number(choices.priceAdjustmentPercent) > 0 ? "+" : ""}${Number(choices.priceAdjustmentPercent)}%`}
                , {choices.sendImages ? "with" : "without"} images, {choices.sendDescriptions ? "with" : "without"}{" "}
                descriptions, {choices.status === "active" ? "published" : "kept as drafts"}
              </List.Item>
            ) : null}
          </List>
          <Text as="p" tone="subdued">
            Store quantities are replaced with Prokip's. This can take a few minutes for a large catalogue; you can
            leave this page and come back.
          </Text>
          <InlineStack align="end" gap="200">
            <Button onClick={onBack}>Back</Button>
            <Button submit variant="primary" loading={navigation.state === "submitting"}>
              Start setup
            </Button>
          </InlineStack>
        </BlockStack>
      </Form>
    </Card>
  );
}

function PreviewStep({ run }: { run: RunData }) {
  const strategy: Strategy = run.kind === "push" ? "push" : "pull";
  const steps = stepsFor(strategy);
  const [step, setStep] = useState(1);
  const [choices, setChoices] = useState<PushChoices>({
    priceAdjustmentPercent: "0",
    sendImages: true,
    sendDescriptions: true,
    status: "draft",
  });
  const result = useActionData<typeof action>();
  const optionsError =
    fieldError(result, "priceAdjustmentPercent") ?? fieldError(result, "options.priceAdjustmentPercent");
  // An option core refused sends the merchant back to the options, when the refusal comes in
  // (react.dev: adjusting state when a prop changes).
  const [handledError, setHandledError] = useState<string | undefined>(undefined);
  if (optionsError !== handledError) {
    setHandledError(optionsError);
    if (optionsError) setStep(2);
  }
  const rows = run.preview ?? [];
  const name = steps[step];
  return (
    <BlockStack gap="400">
      <Card>
        <SetupSteps steps={steps} current={step} />
      </Card>
      {isFailure(result) ? <Banner tone="critical" title={result.error.message} /> : null}
      {name === "Preview" ? (
        <>
          <Text as="p">
            {STRATEGY_NAMES[strategy]}: here is what setup will do with each product. Nothing has changed yet.
          </Text>
          <Conflicts rows={rows} />
          {rows.length === 0 ? (
            <Card>
              <EmptyState
                heading="No products to set up"
                image="https://cdn.shopify.com/s/files/1/0262/4071/2726/files/emptystate-files.png"
                action={{ content: "Choose again", url: "/app/setup" }}
              >
                <p>
                  {strategy === "pull"
                    ? "Your store has no products yet. Add products in Shopify, or use your Prokip products instead."
                    : "Prokip has no products at this location yet. Add them in Prokip, or use your store's products instead."}
                </p>
              </EmptyState>
            </Card>
          ) : (
            <PreviewTable rows={rows} strategy={strategy} />
          )}
          <InlineStack align="end" gap="200">
            <Button url="/app/setup">Back</Button>
            <Button variant="primary" disabled={rows.length === 0} onClick={() => setStep(2)}>
              Continue
            </Button>
          </InlineStack>
        </>
      ) : null}
      {name === "Options" ? (
        <>
          <PushOptions choices={choices} onChange={setChoices} error={optionsError} />
          <InlineStack align="end" gap="200">
            <Button onClick={() => setStep(1)}>Back</Button>
            <Button variant="primary" onClick={() => setStep(3)}>
              Continue
            </Button>
          </InlineStack>
        </>
      ) : null}
      {name === "Confirm" ? (
        <Confirm run={run} strategy={strategy} choices={choices} onBack={() => setStep(step - 1)} />
      ) : null}
    </BlockStack>
  );
}

/** Reloads the run every second while it goes. */
function usePolling(active: boolean) {
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => {
      if (revalidator.state === "idle") revalidator.revalidate();
    }, 1_000);
    return () => clearInterval(timer);
  }, [active, revalidator]);
}

function RunStep({ run }: { run: RunData }) {
  const strategy: Strategy = run.kind === "push" ? "push" : "pull";
  const steps = stepsFor(strategy);
  const going = run.state === "queued" || run.state === "running";
  usePolling(going);
  // Core's figure: done / total, and a finished run with nothing to do is complete.
  const percent = Math.round(run.progress * 100);
  const results = run.results;
  const heading =
    run.state === "queued"
      ? "Setup is about to start"
      : going
        ? "Setting up your products"
        : run.state === "succeeded"
          ? "Setup finished"
          : "Setup stopped";
  return (
    <BlockStack gap="400">
      <Card>
        <SetupSteps steps={steps} current={going ? steps.length - 1 : steps.length} />
      </Card>
      {/* The bar stays once the run is done, full when it finished, so the merchant sees it complete. */}
      <div data-setup-progress={run.state}>
        <Card>
          <BlockStack gap="300">
            <Text as="h2" variant="headingMd">
              {heading}
            </Text>
            <ProgressBar
              progress={percent}
              animated={going}
              tone={run.state === "failed" || run.state === "cancelled" ? "critical" : "highlight"}
            />
            <Text as="p" tone="subdued">
              <span data-setup-progress-text="">
                {run.total > 0
                  ? `${run.done.toLocaleString("en")} of ${plural(run.total, "product")} done`
                  : going
                    ? "Reading the products in your store and in Prokip…"
                    : "No products to set up"}
              </span>
              {run.failed > 0 ? `, ${plural(run.failed, "error")}` : ""}
            </Text>
            {going ? (
              <Text as="p" tone="subdued">
                You can leave this page: setup carries on, and this page shows where it is when you come back.
              </Text>
            ) : null}
          </BlockStack>
        </Card>
      </div>
      {going ? null : (
        <>
          <Banner
            tone={run.state === "succeeded" ? (run.failed > 0 ? "warning" : "success") : "critical"}
            title={
              run.state === "succeeded"
                ? run.failed > 0
                  ? `Setup finished with ${plural(run.failed, "error")}`
                  : "Your products are set up"
                : run.state === "cancelled"
                  ? "Setup was cancelled"
                  : "Setup did not finish"
            }
          >
            <p>
              {run.state === "succeeded"
                ? "Prokip Sync now keeps your store's stock in line with Prokip."
                : "Nothing is lost: what was done is kept. Check the errors below, then run setup again."}
            </p>
          </Banner>
          {results ? (
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Summary
                </Text>
                <InlineGrid columns={{ xs: 2, md: 4 }} gap="300">
                  <Figure label="Linked to Prokip" value={results.listingsMatched} />
                  <Figure label="Created in store" value={results.productsCreated} />
                  <Figure label="Quantities sent" value={results.quantitiesWritten} />
                  <Figure label="Not linked" value={results.listingsUnmatched + results.listingsInConflict} />
                </InlineGrid>
                {results.quantitiesPending > 0 ? (
                  <Text as="p" tone="subdued">
                    {plural(results.quantitiesPending, "quantity", "quantities")} could not be sent yet; Prokip Sync
                    keeps trying.
                  </Text>
                ) : null}
              </BlockStack>
            </Card>
          ) : null}
          {run.errors.length > 0 ? (
            <Card padding="0">
              <IndexTable
                resourceName={{ singular: "error", plural: "errors" }}
                itemCount={run.errors.length}
                selectable={false}
                headings={[{ title: "SKU" }, { title: "Product" }, { title: "What went wrong" }]}
              >
                {run.errors.map((error, index) => (
                  <IndexTable.Row id={String(index)} key={index} position={index}>
                    <IndexTable.Cell>{error.sku ?? "No SKU"}</IndexTable.Cell>
                    <IndexTable.Cell>{error.product ?? "—"}</IndexTable.Cell>
                    <IndexTable.Cell>{error.message}</IndexTable.Cell>
                  </IndexTable.Row>
                ))}
              </IndexTable>
            </Card>
          ) : null}
          {strategy === "pull" && run.missingInProkipCsv ? (
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Products Prokip doesn't have
                </Text>
                <Text as="p">
                  {run.counts && run.counts.missing_in_prokip === 1
                    ? "1 product in your store is"
                    : run.counts
                      ? `${plural(run.counts.missing_in_prokip, "product")} in your store are`
                      : "Some products in your store are"}{" "}
                  not in Prokip, so their stock isn't synced. Prokip can't create products for you: download this file
                  and import it in Prokip (Products, Import products), then run setup again.
                </Text>
                <InlineStack>
                  <DownloadButton url={`/app/setup/missing/${run.id}`} filename="missing-in-prokip.csv">
                    Download products file
                  </DownloadButton>
                </InlineStack>
              </BlockStack>
            </Card>
          ) : null}
          <InlineStack align="end" gap="200">
            {run.state !== "succeeded" ? <Button url="/app/setup">Run setup again</Button> : null}
            <Button variant="primary" url="/app">
              Go to dashboard
            </Button>
          </InlineStack>
        </>
      )}
    </BlockStack>
  );
}

function Figure({ label, value }: { label: string; value: number }) {
  return (
    <BlockStack gap="100">
      <Text as="p" variant="bodySm" tone="subdued">
        {label}
      </Text>
      <Text as="p" variant="headingLg">
        {value.toLocaleString("en")}
      </Text>
    </BlockStack>
  );
}

export default function SetUpProducts() {
  const data = useLoaderData<typeof loader>();
  return (
    <Page title="Set up products" backAction={{ content: "Dashboard", url: "/app" }}>
      <Layout>
        <Layout.Section>
          {data.view === "start" ? (
            <BlockStack gap="400">
              <Card>
                <SetupSteps steps={stepsFor(null)} current={0} />
              </Card>
              <StartStep lastRun={data.lastRun} />
            </BlockStack>
          ) : null}
          {data.view === "set_up" ? (
            <Card>
              <EmptyState
                heading="Your products are set up"
                image="https://cdn.shopify.com/s/files/1/0262/4071/2726/files/emptystate-files.png"
                action={{ content: "Go to dashboard", url: "/app" }}
                secondaryAction={{ content: "View products", url: "/app/products" }}
              >
                <p>
                  Prokip Sync keeps your store's stock in line with Prokip. Link or unlink single products in Products.
                </p>
              </EmptyState>
            </Card>
          ) : null}
          {data.view === "run" ? (
            data.run.dryRun ? (
              <PreviewStep key={data.run.id} run={data.run} />
            ) : (
              <RunStep run={data.run} />
            )
          ) : null}
        </Layout.Section>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  return <ScreenErrorBoundary title="Set up products" />;
}

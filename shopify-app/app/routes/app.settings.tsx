/**
 * Settings: safety buffer, reconciliation interval, when an order deducts stock (created or
 * paid), low-stock alert threshold, and (only when the business keeps stock centrally) what
 * happens to stock edited in the store. Core checks the values; its per-field errors are shown
 * on the fields.
 */
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Banner, Button, Card, ChoiceList, FormLayout, InlineStack, Layout, Page, TextField } from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { storeSettings, updateStoreSettings } from "@prokip-sync/core";
import { fieldError, isFailure } from "../components/failures.ts";
import { ScreenErrorBoundary } from "../components/ScreenErrorBoundary.tsx";
import { answer, load } from "../errors.server.ts";
import { readForm, settingsForm } from "../forms.server.ts";
import { merchantDeps, storeOf } from "../merchant.server.ts";
import { authenticate } from "../shopify.server.ts";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  return { settings: await load(redirect, () => storeSettings(deps, store)) };
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const form = await readForm(request, settingsForm);
  if (!form.ok) return form.response;
  const { intent: _intent, storeEditPolicy, ...values } = form.data;
  return answer(async () => ({
    ok: true as const,
    message: "Settings saved",
    settings: await updateStoreSettings(deps, store, { ...values, ...(storeEditPolicy ? { storeEditPolicy } : {}) }),
  }));
};

interface Values {
  buffer: string;
  reconcileIntervalMinutes: string;
  deductOn: "created" | "paid";
  lowStockThreshold: string;
  storeEditPolicy: "correct" | "accept";
}

function valuesOf(settings: {
  buffer: number;
  reconcileIntervalMinutes: number;
  deductOn: "created" | "paid";
  lowStockThreshold: number | null;
  storeEditPolicy: "correct" | "accept";
}): Values {
  return {
    buffer: String(settings.buffer),
    reconcileIntervalMinutes: String(settings.reconcileIntervalMinutes),
    deductOn: settings.deductOn,
    lowStockThreshold: settings.lowStockThreshold === null ? "" : String(settings.lowStockThreshold),
    storeEditPolicy: settings.storeEditPolicy,
  };
}

export default function Settings() {
  const { settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const shopify = useAppBridge();
  const [values, setValues] = useState<Values>(() => valuesOf(settings));
  const set =
    <K extends keyof Values>(key: K) =>
    (value: Values[K]) =>
      setValues((current) => ({ ...current, [key]: value }));
  const saving = navigation.state === "submitting";

  // Saved: the fields show what core kept (set while rendering the answer, react.dev: adjusting
  // state when a prop changes), and the toast says so (App Bridge, from an effect).
  const saved = result && !isFailure(result) && navigation.state === "idle" ? result : undefined;
  const [handled, setHandled] = useState<typeof saved>(undefined);
  if (saved !== handled) {
    setHandled(saved);
    if (saved) setValues(valuesOf(saved.settings));
  }
  useEffect(() => {
    if (saved) shopify.toast.show(saved.message);
  }, [saved, shopify]);

  const changed = JSON.stringify(values) !== JSON.stringify(valuesOf(settings));
  return (
    <Page title="Settings" backAction={{ content: "Dashboard", url: "/app" }}>
      <Form method="post">
        <input type="hidden" name="intent" value="save" />
        <input type="hidden" name="deductOn" value={values.deductOn} />
        {settings.centralMode ? <input type="hidden" name="storeEditPolicy" value={values.storeEditPolicy} /> : null}
        <Layout>
          {isFailure(result) ? (
            <Layout.Section>
              <Banner tone="critical" title={result.error.message} />
            </Layout.Section>
          ) : null}
          <Layout.AnnotatedSection title="Stock" description="How much of Prokip's stock this store shows.">
            <Card>
              <FormLayout>
                <TextField
                  label="Safety buffer"
                  name="buffer"
                  type="number"
                  min={0}
                  suffix="units"
                  autoComplete="off"
                  value={values.buffer}
                  onChange={set("buffer")}
                  helpText="Units held back from the store for each product, so two channels selling the last item at once don't oversell. The store shows Prokip's stock minus this."
                  error={fieldError(result, "buffer")}
                />
                <TextField
                  label="Low-stock alert"
                  name="lowStockThreshold"
                  type="number"
                  min={0}
                  suffix="units"
                  autoComplete="off"
                  value={values.lowStockThreshold}
                  onChange={set("lowStockThreshold")}
                  helpText="When a product's quantity in this store falls to this number or below, Activity shows a low-stock alert. Leave empty for no alerts."
                  error={fieldError(result, "lowStockThreshold")}
                />
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title="Orders" description="When an order in this store takes stock out of Prokip.">
            <Card>
              <ChoiceList
                title="Deduct stock when an order is"
                choices={[
                  { label: "Created", value: "created", helpText: "Stock is reserved as soon as the customer orders." },
                  { label: "Paid", value: "paid", helpText: "Unpaid orders don't take stock until they are paid." },
                ]}
                selected={[values.deductOn]}
                onChange={([choice]) => set("deductOn")(choice === "paid" ? "paid" : "created")}
                error={fieldError(result, "deductOn")}
              />
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Checks"
            description="Prokip Sync also compares the store with Prokip on a schedule, to catch anything a notification missed."
          >
            <Card>
              <TextField
                label="Check every"
                name="reconcileIntervalMinutes"
                type="number"
                min={1}
                suffix="minutes"
                autoComplete="off"
                value={values.reconcileIntervalMinutes}
                onChange={set("reconcileIntervalMinutes")}
                error={fieldError(result, "reconcileIntervalMinutes")}
              />
            </Card>
          </Layout.AnnotatedSection>
          {settings.centralMode ? (
            <Layout.AnnotatedSection
              title="Stock edited in the store"
              description="What happens when someone changes a quantity in Shopify admin."
            >
              <Card>
                <ChoiceList
                  title="When stock is edited in Shopify"
                  titleHidden
                  choices={[
                    {
                      label: "Put Prokip Sync's quantity back",
                      value: "correct",
                      helpText: "The store gets its quantity back, and the edit is noted in Activity.",
                    },
                    {
                      label: "Accept the edit",
                      value: "accept",
                      helpText: "The change is recorded as a stock adjustment, and the other channels follow.",
                    },
                  ]}
                  selected={[values.storeEditPolicy]}
                  onChange={([choice]) => set("storeEditPolicy")(choice === "accept" ? "accept" : "correct")}
                  error={fieldError(result, "storeEditPolicy")}
                />
              </Card>
            </Layout.AnnotatedSection>
          ) : null}
          <Layout.Section>
            <InlineStack align="end" gap="200">
              <Button disabled={!changed || saving} onClick={() => setValues(valuesOf(settings))}>
                Discard
              </Button>
              <Button submit variant="primary" loading={saving} disabled={!changed}>
                Save
              </Button>
            </InlineStack>
          </Layout.Section>
        </Layout>
      </Form>
    </Page>
  );
}

export function ErrorBoundary() {
  return <ScreenErrorBoundary title="Settings" />;
}

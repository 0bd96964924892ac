/**
 * Connect Prokip: sign in with the Prokip username and password (or, in the sandbox, "Try with
 * sample data"), then choose the Prokip location this store sells from. Prokip's OAuth client
 * is the server's; the merchant brings only their sign-in. `?reconnect=1` (the dashboard's
 * "Reconnect Prokip") shows the sign-in again for a store that is already connected.
 */
import { useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  ChoiceList,
  FormLayout,
  InlineStack,
  Layout,
  Page,
  Text,
  TextField,
} from "@shopify/polaris";
import { chooseLocation, signInToProkip, storeStage } from "@prokip-sync/core";
import { ScreenErrorBoundary } from "../components/ScreenErrorBoundary.tsx";
import { fieldError, isFailure, type Failure } from "../components/failures.ts";
import { answer, load } from "../errors.server.ts";
import { connectForm, readForm } from "../forms.server.ts";
import { merchantDeps, storeOf } from "../merchant.server.ts";
import { authenticate } from "../shopify.server.ts";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const stage = await load(redirect, () => storeStage(deps, store));
  const reconnecting = new URL(request.url).searchParams.get("reconnect") === "1";
  if (stage.stage === "choose_location")
    return { step: "location" as const, businessName: stage.businessName, locations: stage.locations };
  if (stage.stage === "connect_prokip")
    return { step: "sign_in" as const, sampleDataAvailable: stage.sampleDataAvailable, reconnecting: false };
  if (reconnecting) return { step: "sign_in" as const, sampleDataAvailable: false, reconnecting: true };
  throw redirect("/app");
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session, redirect } = await authenticate.admin(request);
  const deps = merchantDeps();
  const store = storeOf(session);
  const form = await readForm(request, connectForm);
  if (!form.ok) return form.response;
  const input = form.data;
  const done = await answer(async () => {
    switch (input.intent) {
      case "sign_in":
        await signInToProkip(deps, store, { username: input.username, password: input.password });
        return "/app/connect";
      case "sample_data":
        await signInToProkip(deps, store, { sampleData: true });
        return "/app/connect";
      case "choose_location":
        await chooseLocation(deps, store, {
          prokipLocationId: input.prokipLocationId,
          credentials: { platform: "shopify", tokenSource: "app_session" },
        });
        return "/app/setup";
    }
  });
  // Signed in: the location step (or, for a reconnection, the dashboard); connected: setup.
  return done instanceof Response ? done : redirect(done);
};

function SignIn({
  sampleDataAvailable,
  reconnecting,
  failure,
}: {
  sampleDataAvailable: boolean;
  reconnecting: boolean;
  failure: Failure | undefined;
}) {
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  return (
    <Layout>
      <Layout.Section>
        <Card>
          <Form method="post">
            <input type="hidden" name="intent" value="sign_in" />
            <BlockStack gap="400">
              <BlockStack gap="100">
                <Text as="h2" variant="headingMd">
                  {reconnecting ? "Sign in to Prokip again" : "Sign in to Prokip"}
                </Text>
                <Text as="p" tone="subdued">
                  {reconnecting
                    ? "Prokip no longer accepts the sign-in Prokip Sync had. Sign in again to keep your stock in sync."
                    : "Use the username and password you use for Prokip. Prokip Sync keeps a secure sign-in token, never your password."}
                </Text>
              </BlockStack>
              <FormLayout>
                <TextField
                  label="Username"
                  name="username"
                  value={username}
                  onChange={setUsername}
                  autoComplete="username"
                  error={fieldError(failure, "username")}
                />
                <TextField
                  label="Password"
                  name="password"
                  type="password"
                  value={password}
                  onChange={setPassword}
                  autoComplete="current-password"
                  error={fieldError(failure, "password")}
                />
              </FormLayout>
              <InlineStack align="end">
                <Button submit variant="primary" loading={busy === "sign_in"} disabled={Boolean(busy)}>
                  Sign in
                </Button>
              </InlineStack>
            </BlockStack>
          </Form>
        </Card>
      </Layout.Section>
      {sampleDataAvailable ? (
        <Layout.Section variant="oneThird">
          <Card>
            <Form method="post">
              <input type="hidden" name="intent" value="sample_data" />
              <BlockStack gap="300">
                <InlineStack gap="200" blockAlign="center">
                  <Text as="h2" variant="headingMd">
                    Try with sample data
                  </Text>
                  <Badge tone="info">Sandbox</Badge>
                </InlineStack>
                <Text as="p" tone="subdued">
                  Connect to a sample Prokip business with demo products and stock. Nothing here reaches a real Prokip
                  account.
                </Text>
                <InlineStack>
                  <Button submit loading={busy === "sample_data"} disabled={Boolean(busy)}>
                    Use sample data
                  </Button>
                </InlineStack>
              </BlockStack>
            </Form>
          </Card>
        </Layout.Section>
      ) : null}
    </Layout>
  );
}

function ChooseLocation({
  businessName,
  locations,
  failure,
}: {
  businessName: string;
  locations: { prokipLocationId: number; name: string; usedBy: string[] }[];
  failure: Failure | undefined;
}) {
  const navigation = useNavigation();
  const [selected, setSelected] = useState<string[]>(
    locations.length === 1 ? [String(locations[0]!.prokipLocationId)] : [],
  );
  if (locations.length === 0) {
    return (
      <Banner tone="warning" title="This Prokip business has no locations">
        <p>Add a business location in Prokip, then reload this page.</p>
      </Banner>
    );
  }
  return (
    <Card>
      <Form method="post">
        <input type="hidden" name="intent" value="choose_location" />
        <input type="hidden" name="prokipLocationId" value={selected[0] ?? ""} />
        <BlockStack gap="400">
          <BlockStack gap="100">
            <Text as="h2" variant="headingMd">
              Choose the Prokip location this store sells from
            </Text>
            <Text as="p" tone="subdued">
              Signed in to {businessName}. The store shows this location's stock, and its orders are recorded there.
            </Text>
          </BlockStack>
          <ChoiceList
            title="Prokip location"
            titleHidden
            choices={locations.map((location) => ({
              label: location.name,
              value: String(location.prokipLocationId),
              ...(location.usedBy.length > 0 ? { helpText: `Also used by ${location.usedBy.join(", ")}` } : {}),
            }))}
            selected={selected}
            onChange={setSelected}
            error={fieldError(failure, "prokipLocationId")}
          />
          <InlineStack align="end">
            <Button
              submit
              variant="primary"
              disabled={selected.length === 0}
              loading={navigation.state === "submitting"}
            >
              Connect store
            </Button>
          </InlineStack>
        </BlockStack>
      </Form>
    </Card>
  );
}

export default function ConnectProkip() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const failure: Failure | undefined = isFailure(result) ? result : undefined;
  return (
    <Page
      title="Connect Prokip"
      {...(data.step === "sign_in" && data.reconnecting ? { backAction: { content: "Dashboard", url: "/app" } } : {})}
    >
      <BlockStack gap="400">
        {failure ? (
          <Banner tone="critical" title={failure.error.message}>
            {failure.error.code === "prokip_unreachable" ? <p>Try again in a few minutes.</p> : null}
          </Banner>
        ) : null}
        {data.step === "location" ? (
          <ChooseLocation businessName={data.businessName} locations={data.locations} failure={failure} />
        ) : (
          <SignIn sampleDataAvailable={data.sampleDataAvailable} reconnecting={data.reconnecting} failure={failure} />
        )}
      </BlockStack>
    </Page>
  );
}

export function ErrorBoundary() {
  return <ScreenErrorBoundary title="Connect Prokip" />;
}

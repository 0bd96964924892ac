/**
 * A screen's error boundary: a failure core explained (`{error:{message}}`, answered by the
 * loader) is shown in a critical banner with a way back; anything else (Shopify's own bounces
 * and redirects included) goes to the library's boundary, as in Shopify's template.
 */
import { isRouteErrorResponse, useRevalidator, useRouteError } from "@remix-run/react";
import { Banner, Page } from "@shopify/polaris";
import { boundary } from "@shopify/shopify-app-remix/server";

function explained(error: unknown): string | null {
  if (!isRouteErrorResponse(error)) return null;
  const data = error.data as { error?: { message?: unknown } } | null;
  return typeof data?.error?.message === "string" ? data.error.message : null;
}

export function ScreenErrorBoundary({ title }: { title: string }) {
  const error = useRouteError();
  const revalidator = useRevalidator();
  const message = explained(error);
  if (message === null) return boundary.error(error);
  return (
    <Page title={title} backAction={{ content: "Dashboard", url: "/app" }}>
      <Banner
        tone="critical"
        title="This page could not be loaded"
        action={{
          content: "Try again",
          loading: revalidator.state === "loading",
          onAction: () => revalidator.revalidate(),
        }}
      >
        <p>{message}</p>
      </Banner>
    </Page>
  );
}

/**
 * The embedded app's frame: every /app/* page is authenticated as an admin request (session
 * token from App Bridge, exchanged for an offline access token on first use) and rendered
 * inside App Bridge and Polaris, with the app's navigation in Shopify admin's sidebar.
 *
 * APP_BRIDGE_URL (sandbox only) points App Bridge's script at a local stand-in instead of
 * Shopify's CDN; unset, the library loads the real one.
 */
import type { HeadersFunction, LoaderFunctionArgs } from "@remix-run/node";
import { Link, Outlet, useLoaderData, useLocation, useNavigation, useRouteError } from "@remix-run/react";
import { NavMenu } from "@shopify/app-bridge-react";
import { AppProvider } from "@shopify/shopify-app-remix/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { PageSkeleton } from "../components/PageSkeleton.tsx";
import { authenticate } from "../shopify.server.ts";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  await authenticate.admin(request);
  const appBridgeUrl = process.env.APP_BRIDGE_URL;
  return { apiKey: process.env.SHOPIFY_API_KEY ?? "", ...(appBridgeUrl ? { appBridgeUrl } : {}) };
};

export default function App() {
  const data = useLoaderData<typeof loader>();
  const location = useLocation();
  const navigation = useNavigation();
  // Another screen is on its way: its skeleton, not the old screen (a search or a filter on the
  // same screen keeps the screen, with its own loading state).
  const changingScreen = navigation.state === "loading" && navigation.location.pathname !== location.pathname;
  const settingUp = (navigation.location ?? location).pathname.startsWith("/app/setup");
  return (
    <AppProvider
      isEmbeddedApp
      apiKey={data.apiKey}
      {...("appBridgeUrl" in data && data.appBridgeUrl ? { __APP_BRIDGE_URL: data.appBridgeUrl } : {})}
    >
      <NavMenu>
        {/* App Bridge makes the home link the app's name, not a menu entry. */}
        <Link to="/app" rel="home">
          Prokip Sync
        </Link>
        <Link to="/app">Dashboard</Link>
        {settingUp ? <Link to="/app/setup">Set up products</Link> : null}
        <Link to="/app/products">Products</Link>
        <Link to="/app/activity">Activity</Link>
        <Link to="/app/settings">Settings</Link>
      </NavMenu>
      {changingScreen ? <PageSkeleton /> : <Outlet />}
    </AppProvider>
  );
}

// Shopify needs Remix to catch some thrown responses (redirects out of the iframe, bounces), so
// their headers get through.
export function ErrorBoundary() {
  return boundary.error(useRouteError());
}

export const headers: HeadersFunction = (headersArgs) => boundary.headers(headersArgs);

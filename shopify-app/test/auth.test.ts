/**
 * The admin side: /app (the embedded frame), /auth/* (the library's own paths), /auth/login
 * and the application URL, against a real PostgreSQL for sessions. Requests are made and
 * signed with @shopify/shopify-api's test helpers; no request leaves the process (the
 * library's fetch is replaced and every call it makes is checked).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import {
  BASE64_HOST,
  getJwt,
  RequestType,
  setUpValidRequest,
  setUpValidSession,
  TEST_SHOP,
  TEST_SHOP_NAME,
} from "@shopify/shopify-api/test-helpers";
import { API_KEY, API_SECRET_KEY, APP_URL, call, database } from "./support/app.ts";

const appRoute = await import("../app/routes/app.tsx");
const authRoute = await import("../app/routes/auth.$.tsx");
const loginRoute = await import("../app/routes/auth.login/route.tsx");
const indexRoute = await import("../app/routes/_index.tsx");
const { sessionStorage } = await import("../app/shopify.server.ts");
const { prisma } = database;
const SCOPES = process.env.SCOPES!;

// Everything the Shopify library sends goes through here; by default nothing may be sent.
let outbound: { url: string; body: string }[] = [];
let answer: (url: string, body: string) => Response = (url) => {
  throw new Error(`unexpected request to ${url}`);
};
setAbstractFetchFunc(async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const body = typeof init?.body === "string" ? init.body : "";
  outbound.push({ url, body });
  return answer(url, body);
});
afterEach(async () => {
  outbound = [];
  answer = (url) => {
    throw new Error(`unexpected request to ${url}`);
  };
  await prisma.session.deleteMany({});
});

async function storeOfflineSession(shop = TEST_SHOP) {
  const session = setUpValidSession({
    shop,
    id: `offline_${shop}`,
    isOnline: false,
    scope: SCOPES,
    expires: new Date(Date.now() + 3_600_000),
    refreshToken: "refresh-token",
    refreshTokenExpires: new Date(Date.now() + 30 * 86_400_000),
  });
  await sessionStorage.storeSession(session);
}
const adminRequest = (
  path: string,
  secret = API_SECRET_KEY,
  type: RequestType.Admin | RequestType.Bearer = RequestType.Admin,
) =>
  setUpValidRequest(
    { type, store: TEST_SHOP_NAME, apiKey: API_KEY, apiSecretKey: secret },
    new Request(`${APP_URL}${path}`),
  );

describe("GET /app (loader: authenticate.admin)", () => {
  it("lets in a document request with a valid session token once the shop has an offline session", async () => {
    await storeOfflineSession();
    const result = await call(appRoute.loader, await adminRequest("/app"));
    assert.equal(result.response, null);
    assert.deepEqual(result.data, { apiKey: API_KEY });
    assert.deepEqual(outbound, []);
  });

  it("lets in App Bridge's fetch with a valid bearer session token", async () => {
    await storeOfflineSession();
    const result = await call(appRoute.loader, await adminRequest("/app", API_SECRET_KEY, RequestType.Bearer));
    assert.deepEqual(result.data, { apiKey: API_KEY });
  });

  it("on first use exchanges the session token for an expiring offline token and keeps it in PostgreSQL", async () => {
    answer = (url, body) => {
      assert.equal(url, `https://${TEST_SHOP}/admin/oauth/access_token`);
      const sent = JSON.parse(body) as Record<string, unknown>;
      assert.equal(sent.grant_type, "urn:ietf:params:oauth:grant-type:token-exchange");
      assert.equal(sent.requested_token_type, "urn:shopify:params:oauth:token-type:offline-access-token");
      assert.equal(sent.client_id, API_KEY);
      assert.equal(String(sent.expiring), "1");
      return Response.json({
        access_token: "shpat_exchanged",
        scope: SCOPES,
        expires_in: 3600,
        refresh_token: "shprt_refresh",
        refresh_token_expires_in: 2_592_000,
      });
    };
    const result = await call(appRoute.loader, await adminRequest("/app", API_SECRET_KEY, RequestType.Bearer));
    assert.deepEqual(result.data, { apiKey: API_KEY });
    assert.equal(outbound.length, 1);
    const row = await prisma.session.findUniqueOrThrow({ where: { id: `offline_${TEST_SHOP}` } });
    assert.equal(row.shop, TEST_SHOP);
    assert.equal(row.isOnline, false);
    // Sealed at rest (sealed-session-storage.server.ts); the storage hands the tokens back opened.
    assert.match(row.accessToken, /^v1\./u);
    assert.ok(!row.accessToken.includes("shpat_exchanged") && !row.refreshToken?.includes("shprt_refresh"));
    const loaded = await sessionStorage.loadSession(`offline_${TEST_SHOP}`);
    assert.equal(loaded?.accessToken, "shpat_exchanged");
    assert.equal(loaded?.refreshToken, "shprt_refresh");
    assert.ok(row.expires && row.expires.getTime() > Date.now() + 3_000_000);
  });

  it("sends a request without credentials to the login page", async () => {
    const result = await call(appRoute.loader, new Request(`${APP_URL}/app`));
    assert.equal(result.response?.status, 302);
    assert.equal(result.response?.headers.get("location"), "/auth/login");
    assert.equal(result.data, null);
  });

  it("refuses a session token signed with another secret: a document request is bounced for a new token, a fetch gets 401", async () => {
    await storeOfflineSession();
    const document = await call(appRoute.loader, await adminRequest("/app", "not-the-app-secret"));
    assert.equal(document.response?.status, 302);
    assert.match(document.response?.headers.get("location") ?? "", /^\/auth\/session-token\?/u);
    assert.equal(document.data, null);
    const fetched = await call(appRoute.loader, await adminRequest("/app", "not-the-app-secret", RequestType.Bearer));
    assert.equal(fetched.response?.status, 401);
    assert.equal(fetched.response?.headers.get("x-shopify-retry-invalid-session-request"), "1");
    assert.equal(fetched.data, null);
    assert.deepEqual(outbound, []);
  });

  it("refuses an expired session token and one issued for another app", async () => {
    await storeOfflineSession();
    const now = Math.floor(Date.now() / 1000);
    const expired = await getJwt(TEST_SHOP, API_KEY, API_SECRET_KEY, {
      exp: now - 120,
      nbf: now - 600,
      iat: now - 600,
    });
    const otherApp = await getJwt(TEST_SHOP, "another-app", API_SECRET_KEY);
    for (const token of [expired.token, otherApp.token]) {
      const result = await call(
        appRoute.loader,
        new Request(`${APP_URL}/app`, { headers: { authorization: `Bearer ${token}` } }),
      );
      assert.equal(result.response?.status, 401);
      assert.equal(result.data, null);
    }
    assert.deepEqual(outbound, []);
  });
});

describe("/auth/* (loader: the library's own paths)", () => {
  it("sends a request without credentials to the login page", async () => {
    const result = await call(authRoute.loader, new Request(`${APP_URL}/auth/anything`));
    assert.equal(result.response?.status, 302);
    assert.equal(result.response?.headers.get("location"), "/auth/login");
  });

  it("serves the session-token bounce page, frameable only by the shop's admin", async () => {
    const result = await call(
      authRoute.loader,
      new Request(
        `${APP_URL}/auth/session-token?shop=${TEST_SHOP}&host=${BASE64_HOST}&shopify-reload=${encodeURIComponent(`${APP_URL}/app`)}`,
      ),
    );
    assert.equal(result.response?.status, 200);
    assert.match(
      result.response?.headers.get("content-security-policy") ?? "",
      new RegExp(`frame-ancestors https://${TEST_SHOP} https://admin.shopify.com`, "u"),
    );
    assert.match(await result.response!.text(), new RegExp(`data-api-key="${API_KEY}"`, "u"));
  });

  it("a bounce for any shop domain holds nothing but App Bridge: no session is made, nothing is sent", async () => {
    // The library serves its bounce page for any shop parameter (its frame-ancestors names it);
    // the page only asks App Bridge, which exists only inside Shopify admin, for a new token.
    const result = await call(
      authRoute.loader,
      new Request(`${APP_URL}/auth/session-token?shop=evil.example.com&host=${BASE64_HOST}`),
    );
    const page = await result.response!.text();
    assert.doesNotMatch(page, /myshopify|session|token=/u);
    assert.equal(await prisma.session.count(), 0);
    assert.deepEqual(outbound, []);
  });
});

describe("/auth/login", () => {
  it("loader: the form, with no error at first and a clear one for a malformed shop domain", async () => {
    const first = await call(loginRoute.loader, new Request(`${APP_URL}/auth/login`));
    assert.deepEqual((first.data as { errors: object }).errors, {});
    const malformed = await call(loginRoute.loader, new Request(`${APP_URL}/auth/login?shop=not..a-shop`));
    assert.deepEqual((malformed.data as { errors: object }).errors, {
      shop: "Enter a valid shop domain, like example.myshopify.com",
    });
  });

  it("action: an empty domain is an error; a shop goes to the app's install page in its admin", async () => {
    const form = (shop: string) =>
      new Request(`${APP_URL}/auth/login`, { method: "POST", body: new URLSearchParams({ shop }) });
    const empty = await call(loginRoute.action, form(""));
    assert.deepEqual(empty.data, { errors: { shop: "Enter your shop domain to log in" } });
    const shop = await call(loginRoute.action, form(TEST_SHOP_NAME));
    assert.equal(shop.response?.status, 302);
    assert.equal(
      shop.response?.headers.get("location"),
      `https://admin.shopify.com/store/${TEST_SHOP_NAME}/oauth/install?client_id=${API_KEY}`,
    );
  });
});

describe("the application URL (/)", () => {
  it("sends Shopify's launch (with shop and host) on to /app with its parameters, and anyone else to the login page", async () => {
    const launch = await call(
      indexRoute.loader,
      new Request(`${APP_URL}/?shop=${TEST_SHOP}&host=${BASE64_HOST}&embedded=1`),
    );
    assert.equal(launch.response?.status, 302);
    assert.equal(launch.response?.headers.get("location"), `/app?shop=${TEST_SHOP}&host=${BASE64_HOST}&embedded=1`);
    const visitor = await call(indexRoute.loader, new Request(`${APP_URL}/`));
    assert.equal(visitor.response?.headers.get("location"), "/auth/login");
  });
});

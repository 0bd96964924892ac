/**
 * The backend host as `npm start` runs it: shopify-app/server.ts in its own process, on a random
 * port, with a test database and the sandbox, serving a build of the app made for this file
 * (its own directory, so the build test's rebuilds cannot pull it away). Everything goes over
 * HTTP as a browser, Shopify admin or Shopify's webhooks would.
 *
 * The emulated admin (/sandbox/shopify-admin) frames the app with a session token; that URL opens
 * the app (token exchange at the emulator, a Session row), loading the sandbox's App Bridge
 * stand-in; a wrongly signed token is refused and bounced to the library's page, which loads the
 * stand-in too; app documents may be framed by the host in sandbox mode; a signed delivery to the
 * app's /webhooks/sync is stored and processed because the app asks for an inbox run; a new shop
 * gets the app's TOML subscriptions and the demo shop does not.
 */
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { startHost } from "./support/host.ts";

const { base, database, credentials, waitFor } = await startHost({ name: "host-test" });
const demoApp = credentials.shopify;
const DEMO_SHOP = "prokip-demo.myshopify.com";
const STAND_IN_PATH = "/sandbox/shopify-admin/app-bridge.js";
/** The library answers bots (Node's own user agent included) with 410: requests come from a browser. */
const BROWSER = {
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
};

/** The iframe's address on the emulated admin page for a shop (what the browser would load). */
async function adminFrame(shop?: string): Promise<{ html: string; frameUrl: URL }> {
  const response = await fetch(`${base}/sandbox/shopify-admin${shop ? `?shop=${encodeURIComponent(shop)}` : ""}`);
  assert.equal(response.status, 200);
  const html = await response.text();
  const src = /<iframe id="app-frame"[^>]* src="([^"]+)"/u.exec(html)?.[1];
  assert.ok(src, "the admin page frames the app");
  return { html, frameUrl: new URL(src.replaceAll("&amp;", "&"), base) };
}

function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** A session token with the given claims, signed with `secret` (HS256, as Shopify admin signs). */
function signToken(claims: Record<string, unknown>, secret: string): string {
  const header = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${header}.${payload}.${createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url")}`;
}

describe("the backend host (npm start) in sandbox mode", () => {
  it("answers /healthz, and sends the application URL without a shop to the sandbox console, which offers the app", async () => {
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, "ok");

    const root = await fetch(`${base}/`, { redirect: "manual" });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get("location"), "/sandbox");
    // Shopify's launch (with a shop) is the app's: on to /app with the same parameters.
    const launch = await fetch(`${base}/?shop=${DEMO_SHOP}&host=abc`, { redirect: "manual", headers: BROWSER });
    assert.equal(launch.status, 302);
    assert.match(launch.headers.get("location") ?? "", /^\/app\?shop=prokip-demo\.myshopify\.com/u);

    const console = await (await fetch(`${base}/sandbox`)).text();
    assert.match(console, /<a class="button" href="\/sandbox\/shopify-admin">Open the Shopify app<\/a>/u);
  });

  it("renders the emulated admin, clearly a sandbox, framing the app as Shopify admin does with a session token signed with the app secret", async () => {
    const { html, frameUrl } = await adminFrame();
    assert.match(html, /<strong class="pill">Sandbox<\/strong>/u);
    assert.match(html, /This is not Shopify/u);
    assert.equal(frameUrl.pathname, "/app");
    assert.equal(frameUrl.searchParams.get("embedded"), "1");
    assert.equal(frameUrl.searchParams.get("shop"), DEMO_SHOP);
    assert.equal(
      Buffer.from(frameUrl.searchParams.get("host")!, "base64").toString("utf8"),
      "admin.shopify.com/store/prokip-demo",
    );
    assert.equal(frameUrl.searchParams.get("locale"), "en");
    const token = frameUrl.searchParams.get("id_token")!;
    const [header, payload, signature] = token.split(".");
    assert.equal(signature, createHmac("sha256", demoApp.apiSecret).update(`${header}.${payload}`).digest("base64url"));
    const claims = jwtPayload(token);
    assert.equal(claims["aud"], demoApp.apiKey);
    assert.equal(claims["dest"], `https://${DEMO_SHOP}`);
    assert.ok(Number(claims["exp"]) > Date.now() / 1000);

    // The stand-in asks the page for fresh tokens; the page gets them here, for its own shops only.
    const minted = await fetch(`${base}/sandbox/shopify-admin/api/session-token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ shop: DEMO_SHOP }),
    });
    assert.equal(minted.status, 200);
    assert.equal(jwtPayload(((await minted.json()) as { token: string }).token)["dest"], `https://${DEMO_SHOP}`);
    const foreign = await fetch(`${base}/sandbox/shopify-admin/api/session-token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ shop: "someone-else.myshopify.com" }),
    });
    assert.equal(foreign.status, 404);
    assert.equal((await fetch(`${base}/sandbox/shopify-admin?shop=someone-else.myshopify.com`)).status, 404);
  });

  it("serves the App Bridge stand-in as a script that parses", async () => {
    const response = await fetch(`${base}${STAND_IN_PATH}`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/javascript/u);
    const source = await response.text();
    assert.doesNotThrow(() => new Function(source));
    assert.match(source, /window\.shopify = \{/u);
  });

  it("opens the app at the framed URL: token exchange at the emulator, a Session row, the stand-in loaded, framing allowed for the host", async () => {
    const { frameUrl } = await adminFrame();
    const response = await fetch(frameUrl, { redirect: "manual", headers: BROWSER });
    const html = await response.text();
    assert.equal(response.status, 200, html.slice(0, 500));
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/u);
    assert.ok(html.includes(`src="${base}${STAND_IN_PATH}"`), "App Bridge comes from the sandbox's stand-in");
    assert.ok(!html.includes("cdn.shopify.com/shopifycloud/app-bridge.js"), "not from Shopify's CDN");

    // The library allows Shopify admin to frame it; in sandbox mode the host's own pages too.
    const policy = response.headers.get("content-security-policy") ?? "";
    assert.match(
      policy,
      /frame-ancestors [^;]*https:\/\/prokip-demo\.myshopify\.com [^;]*https:\/\/admin\.shopify\.com/u,
    );
    assert.ok(policy.includes(`'self' ${base}`), policy);
    assert.ok(
      (response.headers.get("link") ?? "").includes(`${base}${STAND_IN_PATH}`),
      "App Bridge is preloaded from the stand-in",
    );

    // The exchange answered with an expiring offline token and a refresh token (the emulator's).
    const { rows } = await database.pool.query<{
      isOnline: boolean;
      expires: Date | null;
      refreshToken: string | null;
    }>(`SELECT "isOnline", "expires", "refreshToken" FROM "Session" WHERE "id" = $1`, [`offline_${DEMO_SHOP}`]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.isOnline, false);
    assert.ok(rows[0]!.refreshToken);
    assert.ok(rows[0]!.expires && rows[0]!.expires.getTime() > Date.now() + 30 * 60_000);

    // Built assets: content-hashed, cached for a year; the build's own manifest is not served.
    const asset = /src="(\/assets\/[\w.-]+\.js)"|href="(\/assets\/[\w.-]+\.css)"/u.exec(html);
    assert.ok(asset, "the page references built assets");
    const assetResponse = await fetch(`${base}${asset[1] ?? asset[2]}`);
    assert.equal(assetResponse.status, 200);
    assert.equal(assetResponse.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal((await fetch(`${base}/.vite/manifest.json`)).status, 404);
  });

  it("refuses a session token signed with another secret: bounced to the library's page, which loads the stand-in", async () => {
    const { frameUrl } = await adminFrame();
    const forged = new URL(frameUrl);
    forged.searchParams.set(
      "id_token",
      signToken(jwtPayload(frameUrl.searchParams.get("id_token")!), "not-the-app-secret"),
    );
    const refused = await fetch(forged, { redirect: "manual", headers: BROWSER });
    assert.equal(refused.status, 302);
    const bounce = refused.headers.get("location") ?? "";
    assert.match(bounce, /^\/auth\/session-token\?/u);
    assert.ok(!new URL(bounce, base).searchParams.has("id_token"));

    const page = await fetch(new URL(bounce, base), { headers: BROWSER });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes(`<script data-api-key="${demoApp.apiKey}" src="${base}${STAND_IN_PATH}"></script>`), html);

    // App Bridge's fetches carry the token as a bearer: a forged one gets 401 and the retry header.
    const fetched = await fetch(`${base}/app`, {
      headers: { ...BROWSER, authorization: `Bearer ${forged.searchParams.get("id_token")}` },
    });
    assert.equal(fetched.status, 401);
    assert.equal(fetched.headers.get("x-shopify-retry-invalid-session-request"), "1");
  });

  it("stores a signed delivery to the app's /webhooks/sync for a connected shop and processes it: the app asks for an inbox run", async () => {
    const { rows: connections } = await database.pool.query<{ id: string }>(
      `SELECT "id" FROM "Connection" WHERE "storeDomain" = $1 AND "status" = 'active'`,
      [DEMO_SHOP],
    );
    const connectionId = connections[0]!.id;
    // A real order notification: the emulator's own, delivered to core's receiver first.
    const placed = await fetch(`${base}/sandbox/api/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ store: "shopify", lines: [{ sku: "shirt1", quantity: 1 }] }),
    });
    assert.equal(placed.status, 201);
    const deliveries = await waitFor("the emulator delivered orders/create", async () => {
      const list = (await (
        await fetch(`${base}/sandbox/shopify/_control/deliveries?shop=${DEMO_SHOP}&topic=orders/create`)
      ).json()) as { body: string; uri: string; status: string }[];
      return list.length > 0 && list.every((d) => d.status === "delivered") ? list : null;
    });
    // The demo shop gets core's shop-scoped subscription only, never the app's.
    assert.deepEqual([...new Set(deliveries.map((d) => d.uri))], [`${base}/webhooks/shopify`]);
    await waitFor("core's receiver's delivery is processed", async () => {
      const { rows } = await database.pool.query(
        `SELECT 1 FROM "WebhookEvent" WHERE "connectionId" = $1 AND "state" IN ('received', 'processing')`,
        [connectionId],
      );
      return rows.length === 0;
    });
    // Past the inbox run's linger, so only a new request can take the next delivery.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    const { rows: clock } = await database.pool.query<{ now: Date }>(`SELECT now() AS "now"`);
    const body = deliveries[0]!.body;
    const eventId = randomUUID();
    const response = await fetch(`${base}/webhooks/sync`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": DEMO_SHOP,
        "x-shopify-api-version": "2026-10",
        "x-shopify-webhook-id": randomUUID(),
        "x-shopify-event-id": eventId,
        "x-shopify-triggered-at": new Date().toISOString(),
        "x-shopify-hmac-sha256": createHmac("sha256", demoApp.apiSecret).update(body).digest("base64"),
      },
      body,
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), { status: "stored" });

    const { rows: jobs } = await database.pool.query(
      `SELECT 1 FROM pgboss.job WHERE "name" = 'inbox' AND "data"->>'connectionId' = $1 AND "created_on" >= $2`,
      [connectionId, clock[0]!.now],
    );
    assert.ok(jobs.length >= 1, "an inbox run was asked for");
    const processed = await waitFor(
      "the delivery is processed",
      async () => {
        const { rows } = await database.pool.query<{ state: string }>(
          `SELECT "state" FROM "WebhookEvent" WHERE "connectionId" = $1 AND "deliveryId" = $2`,
          [connectionId, eventId],
        );
        return rows[0]?.state === "processed" ? rows[0] : null;
      },
      20_000,
    );
    assert.equal(processed.state, "processed");
    // Nothing else reached this connection's inbox meanwhile, so the run was the app's request.
    const { rows: others } = await database.pool.query(
      `SELECT "topic" FROM "WebhookEvent" WHERE "connectionId" = $1 AND "receivedAt" >= $2 AND "deliveryId" <> $3`,
      [connectionId, clock[0]!.now, eventId],
    );
    assert.deepEqual(others, []);

    // A wrong signature is refused before anything is stored.
    const refused = await fetch(`${base}/webhooks/sync`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-shop-domain": DEMO_SHOP,
        "x-shopify-api-version": "2026-10",
        "x-shopify-webhook-id": randomUUID(),
        "x-shopify-event-id": randomUUID(),
        "x-shopify-hmac-sha256": createHmac("sha256", "wrong").update(body).digest("base64"),
      },
      body,
    });
    assert.equal(refused.status, 401);
  });

  it("opens a new shop: the app installed with its TOML subscriptions, opening on Connect Prokip after a token exchange", async () => {
    const created = await fetch(`${base}/sandbox/shopify-admin/api/shops`, { method: "POST" });
    assert.equal(created.status, 201);
    const { shop, adminUrl } = (await created.json()) as { shop: string; adminUrl: string };
    assert.match(shop, /^sandbox-[0-9a-f]{6}\.myshopify\.com$/u);
    assert.equal(adminUrl, `/sandbox/shopify-admin?shop=${shop}`);

    const { frameUrl } = await adminFrame(shop);
    assert.equal(frameUrl.searchParams.get("shop"), shop);
    // Not connected yet: the app's home sends the merchant to Connect Prokip (with admin's parameters).
    const home = await fetch(frameUrl, { redirect: "manual", headers: BROWSER });
    assert.equal(home.status, 302, (await home.clone().text()).slice(0, 500));
    const connect = new URL(home.headers.get("location")!, base);
    assert.equal(connect.pathname, "/app/connect");
    assert.equal(connect.searchParams.get("shop"), shop);
    const page = await fetch(connect, { redirect: "manual", headers: BROWSER });
    assert.equal(page.status, 200);
    assert.ok((await page.text()).includes(`src="${base}${STAND_IN_PATH}"`));
    const { rows } = await database.pool.query(`SELECT 1 FROM "Session" WHERE "id" = $1`, [`offline_${shop}`]);
    assert.equal(rows.length, 1, "the first visit exchanged a session token");

    // Its orders reach the app's /webhooks/sync (as Shopify delivers TOML subscriptions); the
    // shop is not connected yet, so the app acknowledges and keeps nothing.
    const order = await fetch(`${base}/sandbox/shopify/_control/orders`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ shop, lines: [{ sku: "shirt1", quantity: 1 }] }),
    });
    assert.equal(order.status, 201);
    const delivered = await waitFor("the app's subscription delivered", async () => {
      const list = (await (
        await fetch(`${base}/sandbox/shopify/_control/deliveries?shop=${shop}&topic=orders/create`)
      ).json()) as { uri: string; status: string; attempts: { status: number | null }[] }[];
      return list.length > 0 && list.every((d) => d.status === "delivered") ? list : null;
    });
    assert.deepEqual(
      delivered.map((d) => ({ uri: d.uri, status: d.attempts.at(-1)?.status })),
      [{ uri: `${base}/webhooks/sync`, status: 200 }],
    );
  });
});

describe("the backend host's production hygiene", () => {
  it("sends nosniff and a referrer policy on app answers, and lets nobody frame /auth/login", async () => {
    const login = await fetch(`${base}/auth/login`, { headers: BROWSER });
    assert.equal(login.status, 200);
    assert.match(login.headers.get("content-type") ?? "", /^text\/html/u);
    assert.equal(login.headers.get("x-content-type-options"), "nosniff");
    assert.equal(login.headers.get("referrer-policy"), "strict-origin-when-cross-origin");
    assert.equal(login.headers.get("content-security-policy"), "frame-ancestors 'none'");
    assert.equal(login.headers.get("x-frame-options"), "DENY");

    // The embedded app keeps the library's frame-ancestors for the shop (and the sandbox's own origin).
    const { frameUrl } = await adminFrame();
    const app = await fetch(frameUrl, { redirect: "manual", headers: BROWSER });
    assert.equal(app.status, 200);
    const policy = app.headers.get("content-security-policy") ?? "";
    assert.match(
      policy,
      /frame-ancestors [^;]*https:\/\/prokip-demo\.myshopify\.com [^;]*https:\/\/admin\.shopify\.com/u,
    );
    assert.ok(policy.includes(`'self' ${base}`), policy);
    assert.doesNotMatch(policy, /'none'/u);
    assert.equal(app.headers.get("x-frame-options"), null, "nothing that would stop admin framing the app");
    assert.equal(app.headers.get("x-content-type-options"), "nosniff");
    assert.equal(app.headers.get("referrer-policy"), "strict-origin-when-cross-origin");

    // So does the library's bounce page, which admin loads in the same frame.
    const bounce = await fetch(
      `${base}/auth/session-token?shop=${DEMO_SHOP}&host=${frameUrl.searchParams.get("host")}&shopify-reload=%2Fapp`,
      { headers: BROWSER },
    );
    assert.equal(bounce.status, 200);
    assert.match(
      bounce.headers.get("content-security-policy") ?? "",
      /frame-ancestors [^;]*https:\/\/admin\.shopify\.com/u,
    );
    assert.equal(bounce.headers.get("x-frame-options"), null);

    // Built assets and core's answers too.
    const asset = /(?:src|href)="(\/assets\/[\w.-]+\.(?:js|css))"/u.exec(await app.text())?.[1];
    assert.ok(asset, "the page references built assets");
    for (const route of [asset, "/healthz", "/sandbox/shopify-admin"]) {
      const answer = await fetch(`${base}${route}`);
      assert.equal(answer.headers.get("x-content-type-options"), "nosniff", route);
      assert.equal(answer.headers.get("referrer-policy"), "strict-origin-when-cross-origin", route);
    }
    assert.equal(
      (await fetch(`${base}/sandbox/shopify-admin`)).headers.get("content-security-policy"),
      "frame-ancestors 'none'",
    );
  });

  it("refuses to open shops or mint session tokens for a cross-site form post, and serves its own page's requests", async () => {
    const crossSite = { origin: "https://attacker.example", "sec-fetch-site": "cross-site" };
    const shops = await fetch(`${base}/sandbox/shopify-admin/api/shops`, {
      method: "POST",
      headers: { ...crossSite, "content-type": "application/x-www-form-urlencoded" },
      body: "x=1",
    });
    assert.equal(shops.status, 403);
    assert.equal(((await shops.json()) as { error: { code: string } }).error.code, "cross_site_request");
    const token = await fetch(`${base}/sandbox/shopify-admin/api/session-token`, {
      method: "POST",
      headers: { ...crossSite, "content-type": "text/plain" },
      body: JSON.stringify({ shop: DEMO_SHOP }),
    });
    assert.equal(token.status, 403);
    const before = (await adminFrame()).html.match(/<option /gu)?.length;

    // The admin page's own script (same origin) opens shops and gets tokens.
    const own = { origin: base, "sec-fetch-site": "same-origin" };
    const created = await fetch(`${base}/sandbox/shopify-admin/api/shops`, { method: "POST", headers: own });
    assert.equal(created.status, 201);
    const minted = await fetch(`${base}/sandbox/shopify-admin/api/session-token`, {
      method: "POST",
      headers: { ...own, "content-type": "application/json" },
      body: JSON.stringify({ shop: DEMO_SHOP }),
    });
    assert.equal(minted.status, 200);
    assert.equal(
      (await adminFrame()).html.match(/<option /gu)?.length,
      before! + 1,
      "only the own page's shop was made",
    );
  });
});

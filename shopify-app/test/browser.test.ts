/**
 * The whole Shopify app in a browser (issue 5's acceptance): headless Chromium drives the app as
 * the backend host serves it (`npm start`: server.ts in its own process, a test database, the
 * sandbox's emulators), inside the sandbox's emulated Shopify admin, which frames the app and
 * hands it session tokens signed with the sandbox app's secret through the App Bridge stand-in.
 *
 * On a new emulated shop (a few products, the app installed with shopify.app.toml's app-scoped
 * subscriptions) a merchant: opens the app (token exchange: a Session row); signs in to Prokip
 * with a wrong password, then with the sample data, and chooses the location; sets up with
 * "Use my Prokip products" (the preview's counts are core's, push options, progress to 100%, the
 * summary); sees the dashboard Active with the listings' counts; gets an order (placed in the
 * emulated shop as a customer would), which shows in Activity with Prokip's invoice number while
 * Prokip's stock goes down; uses Products (search, a status tab, exclude one row, unlink and link
 * another), Activity (a type filter) and Settings (a refused buffer on its field, then a saved
 * one the shop follows); pauses (Prokip stock changes, core sees it, the shop keeps its figure
 * and the listing waits), resumes (the shop catches up), and disconnects (shop-scoped
 * subscriptions gone; an order placed afterwards changes nothing in Prokip or the ledger).
 *
 * Every step checks what the page shows and the rows or emulator state behind it, and no step
 * may leave a console error or an uncaught error in any frame. Screenshots of every screen go to
 * test-results/browser/ (git-ignored) with the host's output, and their paths are printed at
 * the end with each step's time.
 *
 * Chromium is the system's (support/browser.ts): without it the file fails saying how to install
 * it, unless SKIP_BROWSER_TESTS=1.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import { browserTestsSkipped, hydrated, openBrowser, SCREENSHOT_DIR, type BrowserSession } from "./support/browser.ts";
import { startHost } from "./support/host.ts";

const skipped = browserTestsSkipped();
const host = skipped ? null : await startHost({ name: "browser-test" });

/** Generous waits for what the backend does on its own (deliveries, queue, drains). */
const EVENTUALLY_MS = 30_000;

describe("the Shopify app in a browser, on a new emulated shop", { skip: skipped }, () => {
  if (!host) return; // skipped
  const { base, database, credentials, waitFor, logs } = host;
  const sql = async <T extends Record<string, unknown>>(text: string, values: unknown[] = []) =>
    (await database.pool.query<T>(text, values)).rows;

  let browser: BrowserSession;
  let shop = "";
  let connectionId = "";
  const timings: { step: string; ms: number }[] = [];
  let failedStep: string | null = null;

  after(async () => {
    // The host's own output (JSON lines), next to the screenshots.
    if (browser) writeFileSync(path.join(SCREENSHOT_DIR, "host-output.log"), logs());
    if (browser) {
      console.log(
        `Screenshots (${browser.screenshots.length}):\n${browser.screenshots.map((file) => `  ${file}`).join("\n")}`,
      );
      console.log(
        `Requests outside the host, answered by the test:\n${[...new Set(browser.outsideRequests)].map((line) => `  ${line}`).join("\n") || "  none"}`,
      );
      await browser.close();
    }
    console.log(
      `Step timings:\n${timings.map(({ step, ms }) => `  ${(ms / 1000).toFixed(1).padStart(5)} s  ${step}`).join("\n")}`,
    );
  });

  /**
   * One step of the walk: skipped once an earlier step failed (each builds on the last); a
   * failure leaves a screenshot; no step may leave a browser console error or uncaught error.
   */
  const step = (name: string, run: () => Promise<void>) =>
    it(name, async (t: TestContext) => {
      if (failedStep) {
        t.skip(`an earlier step failed: ${failedStep}`);
        return;
      }
      const started = Date.now();
      try {
        await run();
        assert.deepEqual(browser.problems, [], "no console error and no uncaught error in the admin or the app");
        assert.deepEqual(browser.unmetRefusals(), [], "every refusal the step expected happened");
      } catch (error) {
        failedStep = name;
        if (browser)
          await browser.screenshot(`failed-${name.replace(/\W+/gu, "-").slice(0, 40)}`).catch(() => undefined);
        throw error;
      } finally {
        timings.push({ step: name, ms: Date.now() - started });
      }
    });

  // ---- Helpers: the emulators and the rows behind the screens --------------------------------

  const json = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(
      `${base}${path}`,
      body === undefined
        ? {}
        : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    );
    const text = await response.text();
    assert.ok(response.ok, `${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  /** The new shop's available quantity of a SKU (the emulated Shopify's own figure). */
  const shopStock = async (sku: string) =>
    (
      await json<{ available: number }>(
        `/sandbox/shopify/_control/stock?shop=${encodeURIComponent(shop)}&sku=${encodeURIComponent(sku)}`,
      )
    ).available;
  /** The sandbox's view of a SKU: Prokip's stock at the demo location, the demo shop's, core's available. */
  const sandboxState = async (sku: string) => {
    const { skus } = await json<{
      skus: { sku: string; prokip: number | null; shopify: number | null; available: number }[];
    }>("/sandbox/api/state");
    const row = skus.find((s) => s.sku === sku);
    assert.ok(row, `the sandbox knows ${sku}`);
    return row;
  };
  const placeOrder = (sku: string, quantity: number) =>
    json<{ id: string; name: string }>("/sandbox/shopify/_control/orders", { shop, lines: [{ sku, quantity }] });

  /** The listing counts the dashboard shows, from the rows (the Products screen's statuses). */
  const listingCounts = async () => {
    const rows = await sql<{ status: string; count: number }>(
      `SELECT CASE WHEN "matchStatus" = 'excluded' THEN 'excluded'
                   WHEN "matchStatus" = 'conflict' THEN 'conflicts'
                   WHEN "matchStatus" = 'unmatched' OR "variantId" IS NULL THEN 'unlinked'
                   WHEN "pushFailedAt" IS NOT NULL THEN 'failed'
                   WHEN "dirty" THEN 'waiting'
                   ELSE 'synced' END AS "status", count(*)::int AS "count"
       FROM "Listing" WHERE "connectionId" = $1 GROUP BY 1`,
      [connectionId],
    );
    const counts = { synced: 0, waiting: 0, failed: 0, unlinked: 0, conflicts: 0, excluded: 0 };
    for (const row of rows) counts[row.status as keyof typeof counts] = row.count;
    return counts;
  };
  /** The same counts as the dashboard shows them. */
  const dashboardCounts = async () => {
    const text = await browser.app.locator("body").innerText();
    const number = (pattern: RegExp) => {
      const match = pattern.exec(text);
      return match ? Number(match[1]!.replace(/,/gu, "")) : null;
    };
    return {
      synced: number(/Products synced\s+([\d,]+)/u),
      waiting: number(/Waiting to sync\s+([\d,]+)/u),
      failed: number(/Failed\s+([\d,]+)/u),
      unlinked: number(/([\d,]+) products? not linked to Prokip/u),
      conflicts: number(/([\d,]+) SKU conflicts?/u),
      excluded: number(/([\d,]+) products? excluded from sync/u),
    };
  };
  /** Until the dashboard (which reloads itself every 10 s) shows the rows' counts; those counts. */
  const dashboardMatchesRows = (
    what: string,
    expect: (counts: Awaited<ReturnType<typeof listingCounts>>) => boolean = () => true,
  ) =>
    waitFor(
      what,
      async () => {
        const [rows, shown] = await Promise.all([listingCounts(), dashboardCounts()]);
        return expect(rows) && JSON.stringify(rows) === JSON.stringify(shown) ? rows : null;
      },
      EVENTUALLY_MS,
    );

  /** The app's navigation, as a merchant uses it: the admin's sidebar. */
  const openFromSidebar = async (path: string, label: string) => {
    await browser.page
      .getByRole("navigation", { name: "Shopify admin" })
      .getByRole("link", { name: label, exact: true })
      .click();
    await browser.app.getByRole("heading", { name: label, exact: true, level: 1 }).waitFor();
    await waitFor(`the app is at ${path}`, async () => new URL((await browser.appFrame()).url()).pathname === path);
  };
  /** Polaris tabs as [label, the count on its badge] (the badge's hidden words for screen readers left out). */
  const tabCounts = () =>
    browser.app.getByRole("tab").evaluateAll((tabs) =>
      tabs.map((tab) => {
        const badge = tab.querySelector(".Polaris-Badge");
        const label = (tab.textContent ?? "").replace(badge?.textContent ?? "", "").trim();
        return [label, Number(/\d+/u.exec(badge?.textContent ?? "")?.[0] ?? Number.NaN)] as const;
      }),
    );
  /** Picks a radio button by its label, clicking the label as a person does (Polaris draws its own control over the input). */
  const choose = async (label: string) => {
    await browser.app.locator("label.Polaris-Choice", { has: browser.app.getByText(label, { exact: true }) }).click();
    await waitFor(
      `"${label}" chosen`,
      () => browser.app.getByRole("radio", { name: label, exact: true }).isChecked(),
      5_000,
    );
  };
  /**
   * Reloads the admin page, which reopens the app where it was (`?path=`) with a fresh session
   * token: the screen arrives as a server-rendered document and hydrates, so a difference between
   * the server's HTML and the browser's first render shows as a console error.
   */
  const reopen = async (path: string, heading: string) => {
    await browser.page.reload();
    await browser.app.getByRole("heading", { name: heading, exact: true, level: 1 }).waitFor();
    const frame = await browser.appFrame();
    assert.equal(new URL(frame.url()).pathname, path);
    await hydrated(frame);
  };
  const toast = (text: string | RegExp) => browser.page.locator("#toasts .toast", { hasText: text });

  /** An access token of the app for the shop, as the app gets one (token exchange of a session token). */
  const appAccessToken = async () => {
    const { token } = await json<{ token: string }>("/sandbox/shopify-admin/api/session-token", { shop });
    const exchanged = await json<{ access_token: string }>(`/sandbox/shopify/${shop}/admin/oauth/access_token`, {
      client_id: credentials.shopify.apiKey,
      client_secret: credentials.shopify.apiSecret,
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: token,
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
    });
    return exchanged.access_token;
  };
  const adminGraphql = async <T>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const response = await fetch(`${base}/sandbox/shopify/${shop}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-shopify-access-token": await appAccessToken() },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown };
    assert.ok(response.ok && body.data && !body.errors, JSON.stringify(body));
    return body.data;
  };
  /** The app's shop-scoped webhook subscriptions on the shop (app-scoped TOML ones are not listed, as on Shopify). */
  const shopScopedSubscriptions = async () =>
    (
      await adminGraphql<{ webhookSubscriptions: { nodes: { id: string; topic: string; uri: string }[] } }>(
        `{ webhookSubscriptions(first: 50) { nodes { id topic uri } } }`,
      )
    ).webhookSubscriptions.nodes;

  // ---- The walk -------------------------------------------------------------------------------

  step(
    "1. opens a new shop in the emulated admin: the app is installed, its first load exchanges a session token (Session row) and opens on Connect Prokip",
    async () => {
      browser = await openBrowser({ base });
      const { page, app } = browser;
      await page.goto(`${base}/sandbox/shopify-admin`);
      await page.getByRole("button", { name: "Open a new shop" }).click();
      await page.waitForURL(/\/sandbox\/shopify-admin\?shop=sandbox-[0-9a-f]{6}\.myshopify\.com/u);
      shop = new URL(page.url()).searchParams.get("shop")!;

      await app.getByRole("heading", { name: "Connect Prokip", level: 1 }).waitFor();
      await hydrated(await browser.appFrame());
      assert.equal(new URL((await browser.appFrame()).url()).pathname, "/app/connect");
      await app.getByRole("heading", { name: "Sign in to Prokip" }).waitFor();
      await app.getByText("Try with sample data").waitFor();

      const sessions = await sql<{ isOnline: boolean; refreshToken: string | null }>(
        `SELECT "isOnline", "refreshToken" FROM "Session" WHERE "id" = $1`,
        [`offline_${shop}`],
      );
      assert.equal(sessions.length, 1, "token exchange stored the shop's offline session");
      assert.equal(sessions[0]!.isOnline, false);
      assert.equal(
        (await sql(`SELECT 1 FROM "Connection" WHERE "storeDomain" = $1`, [shop])).length,
        0,
        "not connected yet",
      );
      await browser.screenshot("connect");
    },
  );

  step(
    "2. Connect Prokip: a wrong password is refused with Prokip's words and nothing kept; the sample data signs in; the location is chosen and the store connected",
    async () => {
      const { app } = browser;
      await app.getByLabel("Username").fill(credentials.prokip.username);
      await app.getByLabel("Password").fill("not-the-password");
      browser.expectRefusal("/app/connect", 400);
      await app.getByRole("button", { name: "Sign in", exact: true }).click();
      await app.getByText("Prokip rejected the username or password").waitFor();
      assert.equal(
        (await sql(`SELECT 1 FROM "StoreSignIn" WHERE "storeDomain" = $1`, [shop])).length,
        0,
        "a refused sign-in keeps nothing",
      );
      await browser.screenshot("connect-wrong-password");

      await app.getByRole("button", { name: "Use sample data" }).click();
      await app.getByRole("heading", { name: "Choose the Prokip location this store sells from" }).waitFor();
      assert.equal(
        (await sql(`SELECT 1 FROM "StoreSignIn" WHERE "storeDomain" = $1`, [shop])).length,
        1,
        "the sample data's sign-in is kept for the store",
      );
      // The demo shop's location: Prokip stock changes made through the sandbox's API happen there.
      const [demo] = await sql<{ name: string; prokipLocationId: number }>(
        `SELECT l."name", l."prokipLocationId" FROM "Connection" c JOIN "Location" l ON l."id" = c."locationId" WHERE c."storeDomain" = $1`,
        [credentials.shopify.shop],
      );
      assert.ok(demo);
      await app
        .getByText(new RegExp(`^Also used by .*${credentials.shopify.shop.replaceAll(".", "\\.")}`, "u"))
        .waitFor();
      await browser.screenshot("location");
      await choose(demo.name);
      await app.getByRole("button", { name: "Connect store" }).click();

      await app.getByRole("heading", { name: "Set up products", level: 1 }).waitFor();
      await app.getByText("Which products should Prokip Sync start from?").waitFor();
      const [connection] = await sql<{ id: string; status: string; prokipLocationId: number }>(
        `SELECT c."id", c."status", l."prokipLocationId" FROM "Connection" c JOIN "Location" l ON l."id" = c."locationId" WHERE c."storeDomain" = $1`,
        [shop],
      );
      assert.ok(connection, "the store is connected");
      assert.equal(connection.status, "active");
      assert.equal(connection.prokipLocationId, demo.prokipLocationId);
      connectionId = connection.id;
    },
  );

  let previewCounts: { match: number; create_in_store: number; missing_in_prokip: number; conflict: number };

  step(
    "3. setup wizard: Use my Prokip products, a preview whose counts are core's, push options, confirm, progress to 100%, the summary",
    async () => {
      const { app } = browser;
      await choose("Use my Prokip products");
      await browser.screenshot("setup-strategy");
      await app.getByRole("button", { name: "Preview" }).click();
      await app
        .getByText("Use my Prokip products: here is what setup will do with each product.")
        .waitFor({ timeout: EVENTUALLY_MS });

      // What the tabs show is what core's preview (the dry run's row) counted.
      const runId = new URL((await browser.appFrame()).url()).searchParams.get("run")!;
      const [preview] = await sql<{
        dryRun: boolean;
        kind: string;
        counts: { actions: typeof previewCounts; preview: { sku: string | null; action: string }[] };
      }>(`SELECT "dryRun", "kind", "counts" FROM "SyncRun" WHERE "id" = $1 AND "connectionId" = $2`, [
        runId,
        connectionId,
      ]);
      assert.ok(preview && preview.dryRun && preview.kind === "push", "the preview is a push dry run of this store");
      previewCounts = preview.counts.actions;
      const tabs = Object.fromEntries(await tabCounts());
      assert.deepEqual(tabs, {
        All: preview.counts.preview.length,
        "Link to Prokip": previewCounts.match,
        "Create in store": previewCounts.create_in_store,
        "Missing in Prokip": previewCounts.missing_in_prokip,
        Conflict: previewCounts.conflict,
      });
      // The new shop: its three demo products' variants match, the store-only product is missing in Prokip, the rest is created.
      assert.equal(previewCounts.match, 5);
      assert.equal(previewCounts.missing_in_prokip, 1);
      assert.ok(previewCounts.create_in_store > 0);
      assert.equal(
        await app.locator(".Polaris-IndexTable__TableRow").count(),
        preview.counts.preview.length,
        "every product is listed",
      );
      await browser.screenshot("setup-preview");
      // A tab filters the table to its rows.
      await app.getByRole("tab", { name: /Missing in Prokip/u }).click();
      await waitFor(
        "the Missing in Prokip tab",
        async () => (await app.locator(".Polaris-IndexTable__TableRow").count()) === previewCounts.missing_in_prokip,
      );
      await app.locator(".Polaris-IndexTable__TableRow", { hasText: "gift-wrap" }).waitFor();

      await app.getByRole("button", { name: "Continue" }).click();
      await app.getByText("Products created in your store").waitFor();
      await app.getByLabel("Price adjustment").fill("10");
      await choose("Publish");
      await browser.screenshot("setup-options");
      await app.getByRole("button", { name: "Continue" }).click();

      await app.getByText("Ready to set up").waitFor();
      await app.getByText(`${previewCounts.match} products will be linked to Prokip`).waitFor();
      await app.getByText(`${previewCounts.create_in_store} products will be created in your store`).waitFor();
      await app.getByText("New products: Prokip's price +10%, with images, with descriptions, published").waitFor();
      await browser.screenshot("setup-confirm");

      // The run's progress as the page shows it, recorded in the frame from the first render on.
      const frame = await browser.appFrame();
      await frame.evaluate(() => {
        const seen: { percent: number; text: string }[] = [];
        (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
        const record = () => {
          const card = [...document.querySelectorAll("[data-setup-progress]")].at(-1);
          const bar = card?.querySelector("progress");
          if (!card || !bar) return;
          const entry = {
            percent: Number(bar.getAttribute("value")),
            text: card.querySelector("[data-setup-progress-text]")?.textContent ?? "",
          };
          const last = seen.at(-1);
          if (!last || last.percent !== entry.percent || last.text !== entry.text) seen.push(entry);
        };
        new MutationObserver(record).observe(document.body, {
          subtree: true,
          childList: true,
          attributes: true,
          characterData: true,
        });
      });
      await app.getByRole("button", { name: "Start setup" }).click();
      await app
        .getByText(/Setup is about to start|Setting up your products/u)
        .first()
        .waitFor();
      await browser.screenshot("setup-progress");

      await app.getByText("Your products are set up").waitFor({ timeout: 60_000 });
      const runUrl = new URL(frame.url());
      const [run] = await sql<{
        state: string;
        dryRun: boolean;
        total: number;
        done: number;
        failed: number;
        options: Record<string, unknown>;
        counts: {
          results: {
            listingsMatched: number;
            productsCreated: number;
            quantitiesWritten: number;
            listingsUnmatched: number;
            listingsInConflict: number;
          };
        };
      }>(`SELECT "state", "dryRun", "total", "done", "failed", "options", "counts" FROM "SyncRun" WHERE "id" = $1`, [
        runUrl.searchParams.get("run"),
      ]);
      assert.ok(run && !run.dryRun);
      assert.equal(run.state, "succeeded");
      assert.equal(run.failed, 0);
      assert.equal(run.done, run.total);
      assert.deepEqual(
        {
          adjustment: run.options["priceAdjustmentPercent"],
          images: run.options["sendImages"],
          descriptions: run.options["sendDescriptions"],
          status: run.options["status"],
        },
        { adjustment: 10, images: true, descriptions: true, status: "active" },
        "the options chosen on the screen",
      );

      const seen = await frame.evaluate(
        () => (window as unknown as { progressSeen: { percent: number; text: string }[] }).progressSeen,
      );
      assert.ok(seen.length >= 2, `the progress bar was shown going and finished: ${JSON.stringify(seen)}`);
      for (let i = 1; i < seen.length; i += 1)
        assert.ok(seen[i]!.percent >= seen[i - 1]!.percent, `progress never goes back: ${JSON.stringify(seen)}`);
      assert.deepEqual(seen.at(-1), { percent: 100, text: `${run.total} of ${run.total} products done` });

      const results = run.counts.results;
      const figure = async (label: string) =>
        Number(
          (
            await app
              .locator(".Polaris-BlockStack", { has: app.getByText(label, { exact: true }) })
              .last()
              .innerText()
          )
            .replace(label, "")
            .replace(/,/gu, "")
            .trim(),
        );
      assert.equal(await figure("Linked to Prokip"), results.listingsMatched);
      assert.equal(await figure("Created in store"), results.productsCreated);
      assert.equal(await figure("Quantities sent"), results.quantitiesWritten);
      assert.equal(await figure("Not linked"), results.listingsUnmatched + results.listingsInConflict);
      assert.equal(results.listingsMatched, previewCounts.match + previewCounts.create_in_store);
      await browser.screenshot("setup-summary");
    },
  );

  step("4. the dashboard: Active, the Prokip location, and the listings' counts as the rows have them", async () => {
    const { app } = browser;
    await app.getByRole("link", { name: "Go to dashboard" }).click();
    await app.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    await app.getByText("Active", { exact: true }).waitFor();
    assert.equal(
      (await sql<{ status: string }>(`SELECT "status" FROM "Connection" WHERE "id" = $1`, [connectionId]))[0]!.status,
      "active",
    );
    const counts = await dashboardMatchesRows(
      "the dashboard shows the listings' counts, nothing waiting",
      (rows) => rows.waiting === 0,
    );
    assert.deepEqual(counts, {
      synced: previewCounts.match + previewCounts.create_in_store,
      waiting: 0,
      failed: 0,
      unlinked: 1,
      conflicts: 0,
      excluded: 0,
    });
    await app.getByText(/Prokip location: /u).waitFor();
    await reopen("/app", "Dashboard");
    await app.getByText("Active", { exact: true }).waitFor();
    await app.getByText(/^Last sync /u).waitFor();
    assert.deepEqual(await dashboardCounts(), counts, "the server-rendered dashboard shows the same");
    await browser.screenshot("dashboard-active");
  });

  step(
    "5. an order placed in the shop shows in Activity with its Prokip invoice number, and Prokip's stock goes down",
    async () => {
      const { app } = browser;
      const before = await sandboxState("shirt1");
      const order = await placeOrder("shirt1", 2);

      await openFromSidebar("/app/activity", "Activity");
      // Activity does not reload by itself: the merchant opens it again until the order is there.
      const posted = await waitFor(
        "the order in Activity with its invoice number",
        async () => {
          const [row] = await sql<{ number: string | null; prokipInvoiceNo: string | null; postingState: string }>(
            `SELECT "number", "prokipInvoiceNo", "postingState" FROM "Order" WHERE "connectionId" = $1 AND ("externalId" = $2 OR "externalId" LIKE '%/' || $2)`,
            [connectionId, order.id.split("/").at(-1)],
          );
          if (row?.prokipInvoiceNo && (await app.getByText(`Prokip invoice ${row.prokipInvoiceNo}`).count()) > 0)
            return row;
          await browser.page.locator(`#app-nav a[data-href="/app/activity"]`).click();
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          return null;
        },
        EVENTUALLY_MS,
      );
      assert.equal(posted.postingState, "posted");
      const entry = app.locator(".Polaris-Box", { hasText: `Prokip invoice ${posted.prokipInvoiceNo}` }).last();
      await entry.getByRole("link", { name: `Order ${posted.number}`, exact: true }).waitFor();
      assert.equal(
        (await sandboxState("shirt1")).prokip,
        before.prokip! - 2,
        "Prokip's stock went down by the order's quantity",
      );
      await reopen("/app/activity", "Activity");
      await app.getByText(`Prokip invoice ${posted.prokipInvoiceNo}`).first().waitFor();
      await browser.screenshot("activity");

      // The type filter: only orders sent to Prokip, this one among them.
      await app.getByLabel("Type").selectOption({ label: "Orders sent to Prokip" });
      await waitFor(
        "the type in the address",
        async () => new URL((await browser.appFrame()).url()).searchParams.get("type") === "order_posted",
      );
      await app.getByText(`Prokip invoice ${posted.prokipInvoiceNo}`).first().waitFor();
      const badges = await app.locator(".Polaris-Badge").allInnerTexts();
      const types = badges.filter((text) => !["Info", "Warning", "Error"].includes(text));
      assert.ok(
        types.length > 0 && types.every((text) => text === "Orders sent to Prokip"),
        `only orders sent to Prokip: ${JSON.stringify(types)}`,
      );
      await browser.screenshot("activity-filtered");
    },
  );

  step("Products: search, a status tab, exclude one row, unlink and link another", async () => {
    const { app } = browser;
    await openFromSidebar("/app/products", "Products");
    await reopen("/app/products", "Products");
    const rows = app.locator(".Polaris-IndexTable__TableRow");
    const rowSkus = async () =>
      (
        await rows.evaluateAll((elements) => elements.map((row) => row.querySelector("td")?.textContent?.trim() ?? ""))
      ).sort();
    await browser.screenshot("products");

    await app.getByPlaceholder("Search by SKU or product name").fill("denim");
    await waitFor(
      "the search's rows",
      async () =>
        JSON.stringify(await rowSkus()) === JSON.stringify(["jacket-denim-L", "jacket-denim-M", "jacket-denim-S"]),
    );
    assert.equal(new URL((await browser.appFrame()).url()).searchParams.get("q"), "denim");

    await app.getByPlaceholder("Search by SKU or product name").fill("");
    await app.getByRole("tab", { name: /Not linked/u }).click();
    await waitFor(
      "the Not linked tab's rows",
      async () => JSON.stringify(await rowSkus()) === JSON.stringify(["gift-wrap"]),
    );
    assert.equal(new URL((await browser.appFrame()).url()).searchParams.get("status"), "unlinked");
    await browser.screenshot("products-not-linked");

    // Exclude: confirmed in a modal saying what stops.
    await app.getByRole("tab", { name: /^All/u }).click();
    await app.getByPlaceholder("Search by SKU or product name").fill("mug");
    await waitFor("the mug's row", async () => JSON.stringify(await rowSkus()) === JSON.stringify(["mug-ceramic"]));
    await rows.first().getByRole("button", { name: "Exclude" }).click();
    const dialog = app.getByRole("dialog");
    await dialog
      .getByText("Prokip Sync will leave this product's stock in your store alone until you include it again.")
      .waitFor();
    await dialog.getByRole("button", { name: "Exclude product" }).click();
    await toast("Product excluded from sync").waitFor();
    await rows.first().getByText("Excluded", { exact: true }).waitFor();
    assert.equal(
      (
        await sql<{ matchStatus: string }>(
          `SELECT "matchStatus" FROM "Listing" WHERE "connectionId" = $1 AND "sku" = 'mug-ceramic'`,
          [connectionId],
        )
      )[0]!.matchStatus,
      "excluded",
    );
    await browser.screenshot("products-excluded");

    // Unlink a jacket, then link it again by its Prokip SKU.
    await app.getByPlaceholder("Search by SKU or product name").fill("jacket-denim-M");
    await waitFor(
      "the jacket's row",
      async () => JSON.stringify(await rowSkus()) === JSON.stringify(["jacket-denim-M"]),
    );
    await rows.first().getByRole("button", { name: "Unlink" }).click();
    await dialog.getByRole("button", { name: "Unlink product" }).click();
    await toast("Product unlinked").waitFor();
    await rows.first().getByText("Not linked", { exact: true }).waitFor();
    assert.equal(
      (
        await sql<{ variantId: string | null }>(
          `SELECT "variantId" FROM "Listing" WHERE "connectionId" = $1 AND "sku" = 'jacket-denim-M'`,
          [connectionId],
        )
      )[0]!.variantId,
      null,
    );
    await rows.first().getByRole("button", { name: "Link", exact: true }).click();
    assert.equal(await dialog.getByLabel("Prokip SKU").inputValue(), "jacket-denim-M");
    await dialog.getByRole("button", { name: "Link", exact: true }).click();
    await toast("Linked to Prokip product jacket-denim-M").waitFor();
    await rows.first().getByText("Prokip: Denim Jacket", { exact: false }).waitFor();
    const [linked] = await sql<{ matchStatus: string; sku: string }>(
      `SELECT l."matchStatus", v."sku" FROM "Listing" l JOIN "Variant" v ON v."id" = l."variantId" WHERE l."connectionId" = $1 AND l."sku" = 'jacket-denim-M'`,
      [connectionId],
    );
    assert.deepEqual(linked, { matchStatus: "matched", sku: "jacket-denim-M" });
    await browser.screenshot("products-linked");
  });

  step(
    "Settings: a buffer out of range is refused on its field and nothing saved; a good one is saved and the shop follows it",
    async () => {
      const { app } = browser;
      await openFromSidebar("/app/settings", "Settings");
      await reopen("/app/settings", "Settings");
      await browser.screenshot("settings");
      const buffer = app.getByLabel("Safety buffer");
      await buffer.fill("250000");
      browser.expectRefusal("/app/settings", 400);
      await app.getByRole("button", { name: "Save" }).click();
      await app.getByText("Enter a whole number from 0 to 100,000").waitFor();
      assert.equal(
        (await sql<{ buffer: number }>(`SELECT "buffer" FROM "Connection" WHERE "id" = $1`, [connectionId]))[0]!.buffer,
        0,
        "nothing saved",
      );
      await browser.screenshot("settings-invalid");

      await buffer.fill("2");
      await app.getByRole("button", { name: "Save" }).click();
      await toast("Settings saved").waitFor();
      assert.equal(await app.getByText("Enter a whole number from 0 to 100,000").count(), 0, "the field error is gone");
      assert.equal(
        (await sql<{ buffer: number }>(`SELECT "buffer" FROM "Connection" WHERE "id" = $1`, [connectionId]))[0]!.buffer,
        2,
      );
      const { prokip } = await sandboxState("shirt1");
      await waitFor(
        "the shop shows Prokip's stock less the buffer",
        async () => (await shopStock("shirt1")) === prokip! - 2,
        EVENTUALLY_MS,
      );
      await browser.screenshot("settings-saved");
    },
  );

  let waitingFigure = 0;

  step(
    "6. Pause: the dashboard says Paused; Prokip's stock changes and core sees it, but nothing is sent to the shop and its listing waits",
    async () => {
      const { app } = browser;
      await openFromSidebar("/app", "Dashboard");
      // No waiting for the Settings step's drain to end: a drain still running reads the store's
      // status in every round (core/src/sync/drain.ts), so pausing takes effect at once.
      await app.getByRole("button", { name: "Pause sync" }).click();
      await app.getByText("Paused", { exact: true }).waitFor();
      await app.getByText("Sync is paused: changes wait here and are sent when you resume.").waitFor();
      assert.equal(
        (await sql<{ status: string }>(`SELECT "status" FROM "Connection" WHERE "id" = $1`, [connectionId]))[0]!.status,
        "paused",
      );

      const shopBefore = await shopStock("shirt1");
      waitingFigure = (await sandboxState("shirt1")).prokip! + 7;
      await json("/sandbox/api/prokip-stock", { sku: "shirt1", quantity: waitingFigure });
      // The demo shop's reconciliation reads Prokip's stock now; the demo shop (active) follows it.
      await json("/sandbox/api/sync-now", {});
      await waitFor(
        "core has Prokip's new figure and the active demo shop got it",
        async () => {
          const state = await sandboxState("shirt1");
          return state.available === waitingFigure && state.shopify === waitingFigure;
        },
        EVENTUALLY_MS,
      );
      const [listing] = await sql<{ dirty: boolean; lastPushedQuantity: number | null }>(
        `SELECT "dirty", "lastPushedQuantity" FROM "Listing" WHERE "connectionId" = $1 AND "sku" = 'shirt1'`,
        [connectionId],
      );
      assert.equal(listing!.dirty, true, "the paused store's listing waits");
      // Drains ran for the active stores meanwhile; give the paused one every chance to be written to.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal(await shopStock("shirt1"), shopBefore, "nothing was sent to the paused shop");
      assert.equal(listing!.lastPushedQuantity, shopBefore);
      const counts = await dashboardMatchesRows("the dashboard shows the waiting listing", (rows) => rows.waiting >= 1);
      assert.ok(counts.waiting >= 1);
      await app.getByText("Paused", { exact: true }).waitFor();
      await browser.screenshot("dashboard-paused");
    },
  );

  step("7. Resume: Active again, and the shop catches up with Prokip's new figure", async () => {
    const { app } = browser;
    await app.getByRole("button", { name: "Resume sync" }).click();
    await app.getByText("Active", { exact: true }).waitFor();
    assert.equal(
      (await sql<{ status: string }>(`SELECT "status" FROM "Connection" WHERE "id" = $1`, [connectionId]))[0]!.status,
      "active",
    );
    await waitFor(
      "the shop caught up (Prokip's figure less the buffer)",
      async () => (await shopStock("shirt1")) === waitingFigure - 2,
      EVENTUALLY_MS,
    );
    await dashboardMatchesRows("nothing waits any more", (rows) => rows.waiting === 0);
    await browser.screenshot("dashboard-resumed");
  });

  step(
    "8. Disconnect, confirmed in the modal: the app goes back to Connect Prokip, shop-scoped subscriptions are removed, and a later order changes nothing",
    async () => {
      const { app } = browser;
      // Core keeps no shop-scoped subscription for a shop that installed the app (the app's TOML
      // subscriptions are app-scoped and carry every topic)...
      assert.deepEqual(
        await shopScopedSubscriptions(),
        [],
        "core subscribed nothing shop-scoped for an app-installed shop",
      );
      // ...and Disconnect removes any there is: one left over (say, from before that decision).
      const created = await adminGraphql<{
        webhookSubscriptionCreate: { webhookSubscription: { id: string } | null; userErrors: unknown[] };
      }>(
        `mutation($uri: String!) { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: { uri: $uri, format: JSON }) { webhookSubscription { id } userErrors { field message } } }`,
        { uri: `${base}/webhooks/shopify` },
      );
      assert.ok(created.webhookSubscriptionCreate.webhookSubscription, JSON.stringify(created));
      assert.equal((await shopScopedSubscriptions()).length, 1);

      await app.getByRole("button", { name: "Disconnect store" }).click();
      const dialog = app.getByRole("dialog");
      await dialog
        .getByText("Orders already received, stock history and activity are kept. You can connect again at any time.")
        .waitFor();
      await browser.screenshot("disconnect-confirm");
      await dialog.getByRole("button", { name: "Disconnect store" }).click();
      await toast("Store disconnected. Orders, stock history and activity are kept.").waitFor();
      // The store stands at the location step again (its Prokip sign-in is kept).
      await app.getByRole("heading", { name: "Choose the Prokip location this store sells from" }).waitFor();
      await waitFor(
        "the app is at Connect Prokip",
        async () => new URL((await browser.appFrame()).url()).pathname === "/app/connect",
      );
      await browser.screenshot("disconnected");

      const [connection] = await sql<{ status: string; credentials: unknown }>(
        `SELECT "status", "credentials" FROM "Connection" WHERE "id" = $1`,
        [connectionId],
      );
      assert.deepEqual(connection, { status: "disconnected", credentials: null });
      assert.deepEqual(await shopScopedSubscriptions(), [], "no shop-scoped subscription left");
      const disconnectedLine = logs()
        .split("\n")
        .flatMap((line) => {
          try {
            return [
              JSON.parse(line) as {
                msg?: string;
                connectionId?: string;
                webhooksRemoved?: number;
                webhookError?: string | null;
              },
            ];
          } catch {
            return []; // the Shopify library's own lines, or a line still being written
          }
        })
        .find((line) => line.msg === "store disconnected" && line.connectionId === connectionId);
      assert.deepEqual(
        { removed: disconnectedLine?.webhooksRemoved, error: disconnectedLine?.webhookError ?? null },
        { removed: 1, error: null },
        "Disconnect itself removed the subscription",
      );

      // An order afterwards: Shopify still delivers it through the app's own (app-scoped)
      // subscription, and the app acknowledges it, but nothing acts on it.
      const prokipBefore = (await sandboxState("shirt1")).prokip;
      const [ledgerBefore] = await sql<{ count: number }>(
        `SELECT count(*)::int AS "count" FROM "StockMovement" WHERE "businessId" = (SELECT "businessId" FROM "Connection" WHERE "id" = $1)`,
        [connectionId],
      );
      const order = await placeOrder("shirt1", 1);
      const orderId = order.id.split("/").at(-1)!;
      const deliveries = await waitFor(
        "the order's deliveries",
        async () => {
          const list = await json<
            {
              uri: string;
              status: string;
              subscriptionId: number | null;
              payload: { id?: number | string };
              attempts: { status: number | null }[];
            }[]
          >(`/sandbox/shopify/_control/deliveries?shop=${encodeURIComponent(shop)}&topic=orders/create`);
          const mine = list.filter((d) => String(d.payload.id) === orderId);
          return mine.length > 0 && mine.every((d) => d.status === "delivered" || d.status === "failed") ? mine : null;
        },
        EVENTUALLY_MS,
      );
      assert.deepEqual(
        deliveries.map((d) => ({
          uri: d.uri,
          appScoped: d.subscriptionId === null,
          status: d.attempts.at(-1)?.status,
        })),
        [{ uri: `${base}/webhooks/sync`, appScoped: true, status: 200 }],
        "only the app's own subscription delivered it",
      );
      // Generous: an inbox run, a posting and a drain each take well under a second here.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      assert.equal(
        (
          await sql(
            `SELECT 1 FROM "Order" WHERE "connectionId" = $1 AND ("externalId" = $2 OR "externalId" LIKE '%/' || $2)`,
            [connectionId, orderId],
          )
        ).length,
        0,
        "no order recorded",
      );
      const [ledgerAfter] = await sql<{ count: number }>(
        `SELECT count(*)::int AS "count" FROM "StockMovement" WHERE "businessId" = (SELECT "businessId" FROM "Connection" WHERE "id" = $1)`,
        [connectionId],
      );
      assert.equal(ledgerAfter!.count, ledgerBefore!.count, "no stock movement");
      assert.equal((await sandboxState("shirt1")).prokip, prokipBefore, "Prokip's stock is unchanged");
      // The app acknowledges the delivery (Shopify would retry otherwise) and keeps nothing, so a
      // later reconnect cannot replay it into Prokip.
      const stored = await sql(`SELECT 1 FROM "WebhookEvent" WHERE "connectionId" = $1 AND "payload"->>'id' = $2`, [
        connectionId,
        orderId,
      ]);
      assert.equal(stored.length, 0, "the delivery after Disconnect is not kept");
      await browser.screenshot("after-disconnect-order");
    },
  );

  step(
    "no request left the machine but Shopify's CDN stylesheet and images (App Bridge is the sandbox's stand-in)",
    async () => {
      const outside = [...new Set(browser.outsideRequests)];
      assert.ok(
        outside.every((line) =>
          /^(empty stylesheet|pixel) https:\/\/cdn\.shopify\.com\/(static\/fonts|s\/files)\//u.test(line),
        ),
        outside.join("\n"),
      );
    },
  );
});

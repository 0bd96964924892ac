/**
 * Headless Chromium for the browser tests, driven by playwright-core (no browser download: the
 * system's Chromium, `CHROMIUM_PATH` or /usr/bin/chromium, as ../../../shared/reference/toolchain.md
 * describes it).
 *
 * - A missing Chromium fails the test file with a message saying how to install it; only
 *   `SKIP_BROWSER_TESTS=1` skips the browser tests (`browserTestsSkipped()`).
 * - A fresh user-data-dir per run and the flags that keep a closed network quiet.
 * - Every console error and uncaught error of the page and its frames (the emulated admin and
 *   the app in its iframe: Playwright reports a page's same-origin frames on the page) is kept in
 *   `problems`; the tests assert it stays empty.
 * - Nothing leaves the machine: requests to another origin than the host's are answered here.
 *   The app's document links Shopify's CDN for the Inter font stylesheet and Polaris's empty-state
 *   images; they get an empty stylesheet and a transparent pixel (the machines the tests run on
 *   have no internet). Anything else is refused and, with every outside request, listed in
 *   `outsideRequests`, so a new outside dependency (App Bridge from the CDN, say) shows.
 * - Screenshots go to shopify-app/test-results/browser/ (git-ignored), numbered in the order taken.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Frame, type FrameLocator, type Page } from "playwright-core";
import { appDir } from "./host.ts";

export const SCREENSHOT_DIR = path.join(appDir, "test-results", "browser");

/** The flags toolchain.md gives for Debian's Chromium on a closed network. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-dev-shm-usage",
];

/** A transparent 1x1 PNG: what an outside image gets. */
const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || "/usr/bin/chromium";
}

/** The skip reason when SKIP_BROWSER_TESTS=1, else false; a missing Chromium throws a message saying what to do. */
export function browserTestsSkipped(): string | false {
  if (process.env.SKIP_BROWSER_TESTS === "1") return "SKIP_BROWSER_TESTS=1";
  const executable = chromiumPath();
  if (!existsSync(executable)) {
    throw new Error(
      `The browser tests need Chromium, and there is none at ${executable}. Install it (Debian/Ubuntu: \`sudo apt-get install -y chromium\`; .ci/run does this when it can), ` +
        "or set CHROMIUM_PATH to a Chromium or Chrome binary, or set SKIP_BROWSER_TESTS=1 to skip these tests.",
    );
  }
  return false;
}

/**
 * The user agent of this Chromium as a person's browser sends it. Headless Chromium says
 * "HeadlessChrome", which isbot (the Shopify library's bot check) takes for a bot: the library
 * answers bots 410 Gone, so the tests present the ordinary one.
 */
function userAgent(): string {
  const version =
    /(\d+\.\d+\.\d+\.\d+)/u.exec(
      execFileSync(chromiumPath(), ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
    )?.[1] ?? "140.0.0.0";
  return `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version} Safari/537.36`;
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught errors, in any frame, as "<kind>: <text> (<url>)". */
  problems: string[];
  /** Requests for another origin than the host's, as "<answer> <url>". */
  outsideRequests: string[];
  /**
   * Says that the app is about to answer an action with `status` at `path` (a form it refuses
   * with 400, on purpose): Chromium logs every 4xx answer as a console error, and that one is
   * not a problem. Each expectation is used up by one such answer; `unmetRefusals()` lists
   * those that never came.
   */
  expectRefusal(path: string, status: number): void;
  unmetRefusals(): string[];
  /** Screenshots taken, in order. */
  screenshots: string[];
  /** The app, in the emulated admin's iframe. */
  app: FrameLocator;
  /** The app's frame as it is now (for evaluating in it). */
  appFrame(): Promise<Frame>;
  /** A screenshot of the whole admin page (the app in its frame), saved as NN-<name>.png. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile, one page, watched as described above. */
export async function openBrowser(options: { base: string }): Promise<BrowserSession> {
  const origin = new URL(options.base).origin;
  const profile = mkdtempSync(path.join(os.tmpdir(), "prokip-chromium-"));
  // This run's screenshots only.
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    userAgent: userAgent(),
    locale: "en-US",
  });
  const problems: string[] = [];
  const outsideRequests: string[] = [];
  const screenshots: string[] = [];

  await context.route(
    (url) => (url.protocol === "http:" || url.protocol === "https:") && url.origin !== origin,
    async (route) => {
      const request = route.request();
      const url = new URL(request.url());
      if (url.hostname === "cdn.shopify.com" && request.resourceType() === "stylesheet") {
        outsideRequests.push(`empty stylesheet ${url.href}`);
        await route.fulfill({ status: 200, contentType: "text/css", body: "" });
      } else if (url.hostname === "cdn.shopify.com" && request.resourceType() === "image") {
        outsideRequests.push(`pixel ${url.href}`);
        await route.fulfill({ status: 200, contentType: "image/png", body: PIXEL });
      } else {
        outsideRequests.push(`refused ${url.href}`);
        await route.abort("internetdisconnected");
      }
    },
  );

  // The tests run through tsx, whose esbuild transform keeps function names by wrapping named
  // functions in a `__name(fn, "name")` call: functions handed to evaluate() carry it into the
  // page, where it does not exist. It names nothing the app uses.
  await context.addInitScript({
    content: "globalThis.__name = globalThis.__name || function (target) { return target; };",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const where = (url: string | undefined) => (url ? ` (${url})` : "");
  const refusals: { path: string; status: number }[] = [];
  /** Chromium's line for a 4xx/5xx answer that was announced with expectRefusal. */
  const announced = (text: string, url: string | undefined) => {
    const status = /^Failed to load resource: the server responded with a status of (\d+)/u.exec(text)?.[1];
    if (!status || !url) return false;
    const index = refusals.findIndex((r) => r.status === Number(status) && new URL(url).pathname === r.path);
    if (index < 0) return false;
    refusals.splice(index, 1);
    return true;
  };
  page.on("console", (message) => {
    if (message.type() === "error" && !announced(message.text(), message.location().url))
      problems.push(`console error: ${message.text()}${where(message.location().url)}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught error: ${error.stack ?? error.message}`));
  page.on("crash", () => problems.push("the page crashed"));

  return {
    context,
    page,
    problems,
    outsideRequests,
    screenshots,
    expectRefusal: (path, status) => void refusals.push({ path, status }),
    unmetRefusals: () => refusals.map((r) => `${r.status} at ${r.path}`),
    app: page.frameLocator("#app-frame"),
    async appFrame() {
      const element = await page.waitForSelector("#app-frame", { state: "attached" });
      const frame = await element.contentFrame();
      if (!frame) throw new Error("The admin page's app frame has no document");
      return frame;
    },
    async screenshot(name) {
      const file = path.join(SCREENSHOT_DIR, `${String(screenshots.length + 1).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: file });
      screenshots.push(file);
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits until React has hydrated the app's document in `frame` (the page's Polaris root carries
 * React's fiber), so clicks reach React's handlers and not the server's bare HTML.
 */
export async function hydrated(frame: Frame, timeoutMs = 30_000): Promise<void> {
  await frame.waitForFunction(
    () => {
      const root = document.querySelector(".Polaris-Page");
      return root !== null && Object.keys(root).some((key) => key.startsWith("__reactFiber$"));
    },
    undefined,
    { timeout: timeoutMs },
  );
}

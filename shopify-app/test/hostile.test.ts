/**
 * Hostile input against the backend host (`npm start`: shopify-app/server.ts in its own process,
 * sandbox mode, NODE_ENV=test, a 1.5 s request timeout), over HTTP and raw sockets: every answer is
 * a 4xx with a code, never a 500, no error body carries a stack or a file path, and nothing is
 * stored. Session tokens and webhooks are signed with the emulated app's secret, so each is
 * refused for what it says, not for its signature.
 */
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startHost } from "./support/host.ts";

const { base, database, credentials } = await startHost({
  name: "hostile-test",
  env: { NODE_ENV: "test", PROKIP_SYNC_REQUEST_TIMEOUT_MS: "1500" },
});
const demoApp = credentials.shopify;
const DEMO_SHOP = "prokip-demo.myshopify.com";
const BROWSER = {
  "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
};
/** What a stack trace or a source path looks like in an answer. */
const LEAK = /\n\s+at |node_modules|\/work\/|\.tsx?:\d+|\.m?js:\d+/u;

const rowCount = async (table: "WebhookEvent" | "Session") =>
  Number((await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`)).rows[0]!.n);

/** An answer's status, code and body, checked for leaks on the way. */
async function answerOf(response: Response): Promise<{ status: number; code: string | undefined; text: string }> {
  const text = await response.text();
  assert.doesNotMatch(text, LEAK, `${response.status} ${response.url}: ${text.slice(0, 400)}`);
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code, text };
}

function delivery(path: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-shopify-topic": "orders/create",
      "x-shopify-shop-domain": DEMO_SHOP,
      "x-shopify-api-version": "2026-10",
      "x-shopify-webhook-id": randomUUID(),
      "x-shopify-event-id": randomUUID(),
      "x-shopify-triggered-at": new Date().toISOString(),
      "x-shopify-hmac-sha256": createHmac("sha256", demoApp.apiSecret).update(bytes).digest("base64"),
      ...headers,
    },
    body: new Uint8Array(bytes),
  });
}

/** A session token as Shopify admin signs it (HS256 with the app secret) for `dest`. */
function sessionToken(dest: unknown): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const header = encode({ alg: "HS256", typ: "JWT" });
  const payload = encode({
    iss: `${String(dest)}/admin`,
    dest,
    aud: demoApp.apiKey,
    sub: "1",
    exp: now + 60,
    nbf: now - 5,
    iat: now - 5,
    jti: randomUUID(),
    sid: randomUUID(),
  });
  return `${header}.${payload}.${createHmac("sha256", demoApp.apiSecret).update(`${header}.${payload}`).digest("base64url")}`;
}

describe("the app's webhook routes", () => {
  const unstorable: [string, Buffer][] = [
    ["a \\u0000 escape", Buffer.from(String.raw`{"id":1,"note":"a\u0000b"}`)],
    ["20,000 levels of nesting", Buffer.from(`{"id":1,"note":${"[".repeat(20_000)}${"]".repeat(20_000)}}`)],
    ["a lone surrogate escape", Buffer.from(String.raw`{"id":1,"note":"\ud800"}`)],
    ["a raw NUL byte", Buffer.concat([Buffer.from('{"id":1,"note":"a'), Buffer.from([0]), Buffer.from('b"}')])],
  ];
  for (const [what, body] of unstorable) {
    it(`refuse a signed body with ${what} on /webhooks/sync with 400 invalid_payload, storing nothing`, async () => {
      const before = await rowCount("WebhookEvent");
      const answer = await answerOf(await delivery("/webhooks/sync", body));
      assert.equal(answer.status, 400, answer.text);
      assert.equal(answer.code, "invalid_payload");
      assert.equal(await rowCount("WebhookEvent"), before);
    });
  }

  it("refuse a signed body whose bytes are not UTF-8, storing nothing (401: the library checks the HMAC over the decoded text)", async () => {
    const before = await rowCount("WebhookEvent");
    const body = Buffer.concat([Buffer.from('{"id":1,"note":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const answer = await answerOf(await delivery("/webhooks/sync", body));
    assert.equal(answer.status, 401, answer.text);
    assert.equal(await rowCount("WebhookEvent"), before);
  });

  it("refuse a signed delivery whose shop header is not a shop domain with 400 invalid_shop, on every route", async () => {
    const before = await rowCount("WebhookEvent");
    const routes: [string, string][] = [
      ["/webhooks/sync", "orders/create"],
      ["/webhooks/app/uninstalled", "app/uninstalled"],
      ["/webhooks/customers/data_request", "customers/data_request"],
      ["/webhooks/customers/redact", "customers/redact"],
      ["/webhooks/shop/redact", "shop/redact"],
    ];
    for (const [path, topic] of routes) {
      for (const shop of ["not a shop", "evil.example.com", "https://prokip-demo.myshopify.com/admin"]) {
        const answer = await answerOf(
          await delivery(path, JSON.stringify({ id: 1 }), { "x-shopify-topic": topic, "x-shopify-shop-domain": shop }),
        );
        assert.equal(answer.status, 400, `${path} ${shop}: ${answer.text}`);
        assert.equal(answer.code, "invalid_shop", path);
      }
    }
    assert.equal(await rowCount("WebhookEvent"), before);
  });
});

describe("the app's screens", () => {
  it("answer a correctly signed session token for a shop without the app with 403 app_not_installed, keeping no session", async () => {
    const sessions = await rowCount("Session");
    const token = sessionToken("https://stranger.myshopify.com");
    const data = await answerOf(
      await fetch(`${base}/app/products?_data=routes%2Fapp.products`, {
        headers: { ...BROWSER, authorization: `Bearer ${token}` },
        redirect: "manual",
      }),
    );
    assert.equal(data.status, 403, data.text);
    assert.equal(data.code, "app_not_installed");
    const host = Buffer.from("admin.shopify.com/store/stranger").toString("base64");
    const page = await answerOf(
      await fetch(`${base}/app?embedded=1&shop=stranger.myshopify.com&host=${host}&id_token=${token}`, {
        headers: BROWSER,
        redirect: "manual",
      }),
    );
    assert.equal(page.status, 403);
    assert.equal(await rowCount("Session"), sessions);
  });

  it("answer a correctly signed session token whose dest is not a Shopify domain with 400 invalid_shop", async () => {
    for (const dest of [
      "https://evil.example.com",
      "https://prokip-demo.myshopify.com.evil.example",
      "not a url",
      42,
    ]) {
      const answer = await answerOf(
        await fetch(`${base}/app/products?_data=routes%2Fapp.products`, {
          headers: { ...BROWSER, authorization: `Bearer ${sessionToken(dest)}` },
          redirect: "manual",
        }),
      );
      assert.equal(answer.status, 400, `${String(dest)}: ${answer.text}`);
      assert.equal(answer.code, "invalid_shop");
    }
  });

  it("answer every exit-iframe destination the library refuses with 400 invalid_destination, and still go to the shop's admin", async () => {
    for (const destination of ["https://evil.example.com", "javascript:alert(1)", "/app", "//evil.example.com"]) {
      const answer = await answerOf(
        await fetch(`${base}/auth/exit-iframe?shop=${DEMO_SHOP}&exitIframe=${encodeURIComponent(destination)}`, {
          headers: BROWSER,
          redirect: "manual",
        }),
      );
      assert.equal(answer.status, 400, `${destination}: ${answer.text}`);
      assert.equal(answer.code, "invalid_destination");
    }
    const admin = await fetch(
      `${base}/auth/exit-iframe?shop=${DEMO_SHOP}&exitIframe=${encodeURIComponent(`https://${DEMO_SHOP}/admin`)}`,
      { headers: BROWSER, redirect: "manual" },
    );
    assert.equal(admin.status, 200);
    assert.match(await admin.text(), /window\.open\("https:\/\/prokip-demo\.myshopify\.com\/admin", "_top"\)/u);
  });
});

/** A raw socket to the host: what it was answered, and when the host closed it. */
function open(): Promise<{ socket: Socket; answer: () => string; closed: Promise<void> }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.once("connect", () => resolve({ socket, answer: () => answer, closed }));
    socket.once("error", reject);
  });
}

describe("any app path", () => {
  it("answers TRACE with 405 method_not_allowed", async () => {
    for (const path of ["/app", "/auth/login", "/webhooks/sync", "/", "/__manifest"]) {
      const { socket, answer, closed } = await open();
      socket.end(`TRACE ${path} HTTP/1.1\r\nhost: ${new URL(base).host}\r\nconnection: close\r\n\r\n`);
      await closed;
      assert.match(answer(), /^HTTP\/1\.1 405 /u, `${path}: ${answer().slice(0, 200)}`);
      assert.match(answer(), /"code":"method_not_allowed"/u);
    }
  });

  it("answers a method the path does not serve with 405, an Allow header and our error shape", async () => {
    const cases: [string, string, string][] = [
      ["OPTIONS", "/webhooks/customers/redact", "POST"],
      ["OPTIONS", "/webhooks/app/uninstalled", "POST"],
      ["GET", "/webhooks/sync", "POST"],
      ["PUT", "/app", "GET, HEAD, POST"],
      ["DELETE", "/app", "GET, HEAD, POST"],
      ["PATCH", "/app/settings", "GET, HEAD, POST"],
      ["DELETE", "/auth/login", "GET, HEAD, POST"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${base}${path}`, { method, headers: BROWSER });
      const { status, code, text } = await answerOf(response);
      assert.equal(status, 405, `${method} ${path}: ${text.slice(0, 200)}`);
      assert.equal(code, "method_not_allowed", `${method} ${path}`);
      assert.equal(response.headers.get("allow"), allow, `${method} ${path}`);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/u);
    }
  });
});

describe("a delivery to the app that arrives too slowly", () => {
  const head = (body: string) =>
    [
      "POST /webhooks/sync HTTP/1.1",
      `host: ${new URL(base).host}`,
      "content-type: application/json",
      `content-length: ${Buffer.byteLength(body)}`,
      "x-shopify-topic: orders/create",
      `x-shopify-shop-domain: ${DEMO_SHOP}`,
      "x-shopify-api-version: 2026-10",
      `x-shopify-webhook-id: ${randomUUID()}`,
      `x-shopify-event-id: ${randomUUID()}`,
      `x-shopify-hmac-sha256: ${createHmac("sha256", demoApp.apiSecret).update(body).digest("base64")}`,
      "",
      "",
    ].join("\r\n");

  it("is answered 408 and closed when its body trickles in, and nothing is stored", { timeout: 20_000 }, async () => {
    const before = await rowCount("WebhookEvent");
    const body = JSON.stringify({ id: 1, name: "#1", line_items: [], note: "x".repeat(100) });
    const { socket, answer, closed } = await open();
    socket.write(head(body));
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    let sent = 0;
    for (; !isClosed && sent < body.length; sent += 1) {
      socket.write(body[sent]!);
      await sleep(150);
    }
    await closed;
    assert.ok(sent < body.length, "closed before the body was complete");
    assert.match(answer(), /^HTTP\/1\.1 408 /u);
    assert.match(answer(), /"code":"request_timeout"/u);
    assert.equal(await rowCount("WebhookEvent"), before);
  });

  it("is stored when it comes slowly in a few pieces within the limit", async () => {
    const before = await rowCount("WebhookEvent");
    const body = JSON.stringify({ id: 2, name: "#2", line_items: [], note: "sent in four pieces" });
    const { socket, answer } = await open();
    socket.write(head(body));
    const quarter = Math.ceil(body.length / 4);
    for (let at = 0; at < body.length; at += quarter) {
      await sleep(100);
      socket.write(body.slice(at, at + quarter));
    }
    while (!/\r\n\r\n[\s\S]*\}/u.test(answer())) await sleep(20);
    socket.end();
    assert.match(answer(), /^HTTP\/1\.1 200 /u, answer());
    assert.match(answer(), /"status":"stored"/u);
    assert.equal(await rowCount("WebhookEvent"), before + 1);
  });
});

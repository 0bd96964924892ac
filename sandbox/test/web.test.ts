/**
 * The sandbox pages' templates: data reaches a page escaped, markup only through the `html` tag,
 * and a template whose slots and values disagree is refused rather than served half-filled. The
 * pages themselves are checked as served (core/test/sandbox-page.test.ts, shopify-app's host and
 * browser tests).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SandboxCredentials } from "../src/sandbox.ts";
import { html, render } from "../src/web/html.ts";
import { sandboxPage } from "../src/web/index.ts";

describe("sandbox page templates", () => {
  it("escapes values and places html-tagged markup as it is", () => {
    const evil = `<img src=x onerror="alert('1')">&`;
    assert.equal(
      render("<p>{{text}}</p>{{list}}", { text: evil, list: [html`<b>${evil}</b>`, html`<i>ok</i>`] }),
      "<p>&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</p><b>&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;</b><i>ok</i>",
    );
  });

  it("refuses a slot nobody fills and a value without a slot", () => {
    assert.throws(() => render("<p>{{a}}{{b}}</p>", { a: 1 }), /slot \{\{b\}\} nobody fills/u);
    assert.throws(() => render("<p>{{a}}</p>", { a: 1, c: 2 }), /no slot for c/u);
  });

  it("renders the console with its style and script inlined and no slot left", () => {
    const page = sandboxPage(credentials, { shopifyAdminUrl: "/sandbox/shopify-admin" });
    assert.doesNotMatch(page, /\{\{\w+\}\}/u);
    assert.match(page, /<style>\s*:root \{/u);
    assert.match(page, /<script>\/\*[^]*?"use strict";/u);
    assert.ok(page.includes(`<a class="button" href="/sandbox/shopify-admin">Open the Shopify app</a>`));
    assert.ok(!sandboxPage(credentials).includes("Open the Shopify app"), "no app card without a hosted app");
  });
});

const credentials: SandboxCredentials = {
  shopify: {
    shop: "demo.myshopify.com",
    adminApiUrl: "http://localhost/admin",
    accessToken: "shpat_1",
    apiKey: "key",
    apiSecret: "secret",
    apiVersion: "2026-10",
  },
  woocommerce: { siteUrl: "http://localhost/site", consumerKey: "ck_1", consumerSecret: "cs_1" },
  prokip: {
    baseUrl: "http://localhost/prokip",
    clientId: "1",
    clientSecret: "s",
    username: "demo",
    password: "p",
    businessName: "Demo",
    locations: [{ id: 1, name: "Main" }],
  },
};

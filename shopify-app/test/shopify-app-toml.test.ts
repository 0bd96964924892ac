/**
 * shopify.app.toml (repo root) parsed as TOML: it must subscribe every topic core processes,
 * name routes that exist, use the API version the code uses, and declare the compliance topics.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { shopify } from "@prokip-sync/core";
import { DEMO_APP } from "../../sandbox/src/shopify/demo.ts";
import { ApiVersion } from "@shopify/shopify-api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const text = readFileSync(path.join(root, "shopify.app.toml"), "utf8");

interface Subscription {
  topics?: string[];
  compliance_topics?: string[];
  uri: string;
}
interface AppToml {
  client_id: string;
  name: string;
  application_url: string;
  embedded: boolean;
  access_scopes: { scopes: string };
  auth: { redirect_urls: string[] };
  webhooks: { api_version: string; subscriptions: Subscription[] };
}
const config = parse(text) as unknown as AppToml;
const subscriptions = config.webhooks.subscriptions;

/** The route file that answers a relative uri: `/webhooks/app/uninstalled` -> app/routes/webhooks.app.uninstalled.tsx. */
const routeFile = (uri: string) =>
  path.join(root, "shopify-app/app/routes", `${uri.replace(/^\//u, "").replaceAll("/", ".")}.tsx`);

describe("shopify.app.toml", () => {
  it("is TOML for an embedded app named Prokip Sync, on the sandbox's demo app key until `shopify app config link`", () => {
    assert.equal(config.name, "Prokip Sync");
    assert.equal(config.client_id, DEMO_APP.apiKey);
    assert.equal(config.embedded, true);
    assert.match(config.application_url, /^https:\/\//u);
    assert.ok(config.auth.redirect_urls.every((url) => url.startsWith(`${config.application_url}/auth/`)));
  });

  it("asks only for products, inventory, locations and orders", () => {
    const scopes = config.access_scopes.scopes.split(",").map((s) => s.trim());
    assert.deepEqual([...scopes].sort(), [
      "read_inventory",
      "read_locations",
      "read_orders",
      "read_products",
      "write_inventory",
      "write_products",
    ]);
  });

  it("uses the API version of the app and of core's Shopify adapter (2026-10)", () => {
    assert.equal(config.webhooks.api_version, "2026-10");
    assert.equal(config.webhooks.api_version, ApiVersion.October26);
    assert.equal(config.webhooks.api_version, shopify.SHOPIFY_API_VERSION);
  });

  it("subscribes every topic core processes, each once", () => {
    const subscribed = subscriptions.flatMap((s) => s.topics ?? []).map((topic) => shopify.toSubscriptionTopic(topic));
    assert.equal(new Set(subscribed).size, subscribed.length, "a topic is subscribed twice");
    for (const topic of shopify.SHOPIFY_WEBHOOK_TOPICS)
      assert.ok(subscribed.includes(topic), `${topic} is not subscribed`);
    assert.deepEqual([...subscribed].sort(), [...shopify.SHOPIFY_WEBHOOK_TOPICS].sort());
  });

  it("sends app/uninstalled to its own route and the sync topics to the inbox route", () => {
    const uninstalled = subscriptions.filter((s) => s.topics?.includes("app/uninstalled"));
    assert.deepEqual(
      uninstalled.map((s) => [s.topics, s.uri]),
      [[["app/uninstalled"], "/webhooks/app/uninstalled"]],
    );
    for (const s of subscriptions.filter((s) => s.topics && !s.topics.includes("app/uninstalled")))
      assert.equal(s.uri, "/webhooks/sync");
  });

  it("declares the three mandatory compliance topics, each at the route that handles it", () => {
    const compliance = subscriptions.flatMap((s) => (s.compliance_topics ?? []).map((topic) => [topic, s.uri]));
    assert.deepEqual(compliance.sort(), [
      ["customers/data_request", "/webhooks/customers/data_request"],
      ["customers/redact", "/webhooks/customers/redact"],
      ["shop/redact", "/webhooks/shop/redact"],
    ]);
  });

  it("points every subscription at a route file of this app", () => {
    for (const s of subscriptions) {
      assert.match(s.uri, /^\/webhooks\//u);
      assert.ok(existsSync(routeFile(s.uri)), `${s.uri}: no ${path.relative(root, routeFile(s.uri))}`);
    }
  });
});

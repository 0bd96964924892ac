/**
 * The /sandbox page: a live console for the emulated Prokip, Shopify and WooCommerce. A person
 * places orders, refunds and cancellations on either store, changes Prokip stock, and watches
 * the other channels follow in a stock table that refreshes every 2 s from /sandbox/api/state.
 *
 * One self-contained HTML document: inline CSS and vanilla JS, no build step and no external
 * URL, so it works on a machine without internet. The demo credentials are rendered here on the
 * server (escaped); everything else comes from the JSON API in sandbox.ts.
 */
import type { SandboxCredentials } from "@prokip-sync/sandbox";

export function sandboxPage(
  credentials: SandboxCredentials,
  options: { shopifyAdminUrl?: string | null } = {},
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox - Prokip Sync</title>
<style>${STYLE}</style>
</head>
<body>
<div class="banner" role="note"><strong class="pill">Sandbox</strong> <span>Everything on this page is emulated. No real store, Prokip account or money is involved.</span></div>
<main>
<h1>Prokip Sync sandbox</h1>
<p class="lead">Place an order or a refund on either store, or change stock in Prokip, then watch the other channels follow within seconds.</p>
${options.shopifyAdminUrl ? shopifyAppCard(options.shopifyAdminUrl) : ""}

<section class="card" aria-labelledby="stock-title">
  <div class="card-head">
    <h2 id="stock-title">Stock</h2>
    <span id="live" class="live">Starting...</span>
    <button type="button" id="sync-now">Sync now</button>
  </div>
  <p id="sync-result" class="result" role="status" aria-live="polite"></p>
  <div class="table-wrap" role="region" aria-labelledby="stock-title" tabindex="0">
    <table id="stock">
      <thead><tr>
        <th scope="col">Product</th><th scope="col">SKU</th>
        <th scope="col" class="num">Prokip</th><th scope="col" class="num">Shopify</th><th scope="col" class="num">WooCommerce</th>
        <th scope="col" class="num" title="What each store should show: Prokip stock less the safety buffer">Target</th>
      </tr></thead>
      <tbody><tr><td colspan="6" class="muted">Starting...</td></tr></tbody>
    </table>
  </div>
  <p class="legend muted"><span class="key changed">12</span> just changed <span class="key waiting">12</span> waiting to sync. Target is what each store should show.</p>
</section>

<div class="columns">
<section class="card" aria-labelledby="order-title">
  <h2 id="order-title">Place an order</h2>
  <form id="order-form">
    <div class="field"><label for="order-store">Store</label>
      <select id="order-store" name="store"><option value="shopify">Shopify</option><option value="woocommerce">WooCommerce</option></select></div>
    <div class="field"><label for="order-sku">Product</label>
      <select id="order-sku" name="sku" class="sku-picker" required><option value="">Waiting for the sandbox...</option></select></div>
    <div class="field"><label for="order-quantity">Quantity</label>
      <input id="order-quantity" name="quantity" type="number" inputmode="numeric" min="1" max="1000" step="1" value="1" required></div>
    <button type="submit">Place order</button>
    <p class="result" role="status" aria-live="polite"></p>
  </form>
</section>

<section class="card" aria-labelledby="prokip-title">
  <h2 id="prokip-title">Change Prokip stock</h2>
  <form id="prokip-form">
    <div class="field"><label for="prokip-sku">Product</label>
      <select id="prokip-sku" name="sku" class="sku-picker" required><option value="">Waiting for the sandbox...</option></select></div>
    <div class="field"><label for="prokip-quantity">New quantity in Prokip</label>
      <input id="prokip-quantity" name="quantity" type="number" inputmode="numeric" min="-100000" max="1000000" step="1" required></div>
    <button type="submit">Set Prokip stock</button>
    <p class="hint muted">The stores follow at the next scheduled check, or at once with Sync now.</p>
    <p class="result" role="status" aria-live="polite"></p>
  </form>
</section>
</div>

<section class="card" aria-labelledby="orders-title">
  <h2 id="orders-title">Orders placed here</h2>
  <p id="orders-empty" class="muted">None yet. Orders you place above are listed here, with refund and cancel.</p>
  <ol id="orders" class="orders"></ol>
</section>

<details class="card">
  <summary><h2>Demo credentials</h2></summary>
  <p>Use these to connect to the emulated systems yourself. Scripts can read the same as JSON from <a href="/sandbox/api/credentials"><code>/sandbox/api/credentials</code></a>.</p>
  ${credentialsTables(credentials)}
</details>
</main>
<script>${SCRIPT}</script>
</body>
</html>`;
}

/** "Open the Shopify app": the merchant screens inside an emulated Shopify admin. */
function shopifyAppCard(adminUrl: string): string {
  return `<section class="card" aria-labelledby="app-title">
  <div class="card-head"><h2 id="app-title">The Shopify app</h2><a class="button" href="${escapeHtml(adminUrl)}">Open the Shopify app</a></div>
  <p class="muted">See what a merchant sees: the Prokip Sync app inside an emulated Shopify admin. The demo shop opens on its dashboard (it is connected to the demo business); from there you can also open a new shop and connect it to Prokip yourself.</p>
</section>`;
}

function credentialsTables({ shopify, woocommerce, prokip }: SandboxCredentials): string {
  const table = (title: string, entries: [string, string | number][]) =>
    `<h3>${escapeHtml(title)}</h3><table class="creds">${entries
      .map(
        ([label, value]) =>
          `<tr><th scope="row">${escapeHtml(label)}</th><td><code>${escapeHtml(String(value))}</code></td></tr>`,
      )
      .join("")}</table>`;
  return [
    table("Shopify (emulated shop)", [
      ["Shop", shopify.shop],
      ["Admin API (GraphQL)", shopify.adminApiUrl],
      ["Access token", shopify.accessToken],
      ["App API key", shopify.apiKey],
      ["App API secret", shopify.apiSecret],
    ]),
    table("WooCommerce (emulated site)", [
      ["Site URL", woocommerce.siteUrl],
      ["Consumer key", woocommerce.consumerKey],
      ["Consumer secret", woocommerce.consumerSecret],
    ]),
    table("Prokip (emulated business)", [
      ["API base URL", prokip.baseUrl],
      ["Business", prokip.businessName],
      ["Locations", prokip.locations.map((location) => `${location.name} (${location.id})`).join(", ")],
      ["OAuth client id", prokip.clientId],
      ["OAuth client secret", prokip.clientSecret],
      ["Username", prokip.username],
      ["Password", prokip.password],
    ]),
  ].join("\n  ");
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/gu,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

const STYLE = `
  :root { --ink: #1c1d1f; --muted: #5c5f62; --line: #e1e3e5; --bg: #f4f5f6; --card: #fff; --accent: #1f5fbf;
          --amber: #ffe3a3; --amber-ink: #6b4500; --flash: #c9e4ff; --ok: #0b6b3a; --bad: #b3261e; }
  * { box-sizing: border-box; }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: var(--ink); background: var(--bg); }
  .banner { position: sticky; top: 0; z-index: 1; background: #ffd79d; padding: 10px 20px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
  .pill { background: var(--ink); color: #fff; border-radius: 999px; padding: 1px 10px; font-size: 13px; letter-spacing: .02em; }
  main { max-width: 1000px; margin: 0 auto; padding: 8px 16px 40px; }
  h1 { font-size: 24px; margin: 16px 0 4px; } h2 { font-size: 17px; margin: 0 0 10px; } h3 { font-size: 15px; margin: 16px 0 4px; }
  .lead { margin: 0 0 16px; color: var(--muted); }
  .muted { color: var(--muted); }
  .card { background: var(--card); border-radius: 10px; padding: 16px 18px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .card-head { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 6px; }
  .card-head h2 { margin: 0; }
  .card-head button { margin-left: auto; }
  .live { font-size: 13px; color: var(--muted); }
  .live::before { content: ""; display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 6px; background: #b5b9bd; }
  .live.on::before { background: #2e9d5b; } .live.off::before { background: var(--bad); }
  .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 0 16px; }
  .table-wrap { overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  #stock th, #stock td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; }
  #stock thead th { font-size: 13px; color: var(--muted); font-weight: 600; white-space: nowrap; }
  #stock td.num, #stock th.num { text-align: right; font-variant-numeric: tabular-nums; }
  #stock td.sku { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; white-space: nowrap; }
  td.num, .key { transition: background-color .8s ease-out; }
  .waiting { background: var(--amber); color: var(--amber-ink); }
  td.changed, .key.changed { background: var(--flash); transition: none; }
  .key { display: inline-block; padding: 0 6px; border-radius: 4px; font-variant-numeric: tabular-nums; }
  .legend { font-size: 13px; margin: 8px 0 0; }
  .field { display: flex; flex-direction: column; gap: 2px; margin-bottom: 10px; }
  label { font-size: 13px; font-weight: 600; }
  input, select, button { font: inherit; }
  input[type=number], select { padding: 6px 8px; border: 1px solid #8c9196; border-radius: 6px; background: #fff; min-width: 0; }
  button { padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
  button.secondary { background: #fff; color: var(--bad); border-color: #c9cccf; }
  a.button { margin-left: auto; padding: 6px 14px; border-radius: 6px; background: var(--accent); color: #fff; text-decoration: none; }
  button:disabled { opacity: .55; cursor: default; }
  :focus-visible { outline: 3px solid #79a8f0; outline-offset: 2px; }
  .hint { font-size: 13px; margin: 8px 0 0; }
  .result { min-height: 1.5em; margin: 8px 0 0; font-size: 14px; }
  .result.ok { color: var(--ok); } .result.error { color: var(--bad); }
  .orders { list-style: none; padding: 0; margin: 0; }
  .order { border-top: 1px solid var(--line); padding: 10px 0; }
  .order-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
  .order time { color: var(--muted); font-size: 13px; }
  .badge { font-size: 12px; background: #e4e5e7; border-radius: 999px; padding: 0 8px; }
  .refund { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: flex-end; margin-top: 6px; }
  .refund .field { margin: 0; } .refund input[type=number] { width: 6em; }
  .check { display: flex; align-items: center; gap: 6px; padding-bottom: 6px; }
  .check label { font-weight: 400; font-size: 14px; }
  summary { cursor: pointer; } summary h2 { display: inline; margin: 0; }
  .creds th { text-align: left; font-weight: 500; color: var(--muted); width: 34%; padding: 3px 8px 3px 0; vertical-align: top; }
  .creds td { padding: 3px 0; word-break: break-all; } code { font-size: 13px; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  @media (max-width: 560px) { main { padding: 4px 10px 32px; } .card { padding: 14px 12px; } #stock th, #stock td { padding: 6px 6px; } }
  @media (prefers-reduced-motion: reduce) { td.num, .key { transition: none; } }
`;

/*
 * The page script. Plain browser JS (ES2017), written as a raw string so nothing is compiled
 * into it. Pure helpers come first as function declarations: the test runs this whole script in
 * Node, where there is no document, and calls them on the live API's answers.
 */
const SCRIPT = String.raw`
"use strict";

var STORE_NAMES = { shopify: "Shopify", woocommerce: "WooCommerce" };
var STOCK_COLUMNS = ["prokip", "shopify", "woocommerce", "target"];

/** Text made safe to place inside HTML. */
function esc(value) {
  return String(value).replace(/[&<>"']/g, function (c) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
  });
}

/** What one stock cell shows ({text, waiting, title}) for a row of GET /sandbox/api/state. */
function cellView(row, column) {
  var value = row[column];
  if (value === null || value === undefined) return { text: "-", waiting: false, title: "Not in this system" };
  if (column === "target") return { text: String(value), waiting: false, title: "What each store should show" };
  // Prokip is the source, so it is only "behind" when Prokip Sync has not read its figure yet;
  // a store is behind when it differs from the target Prokip Sync is pushing.
  var expected = column === "prokip" ? row.available : row.target;
  if (value === expected) return { text: String(value), waiting: false, title: "In sync" };
  var what = column === "prokip" ? "what Prokip Sync last read" : "the target";
  return { text: String(value), waiting: true, title: "Waiting to sync: differs from " + what + " (" + expected + ")" };
}

/** A readable sentence from an API error answer {error: {code, message, details}}. */
function errorText(status, body) {
  var error = body && body.error;
  if (!error) return "The server answered " + status + ".";
  if (error.code === "starting") return "The sandbox is still starting. Try again in a few seconds.";
  var text = error.message || error.code || "The server answered " + status;
  var details = Array.isArray(error.details) ? error.details : error.details ? [error.details] : [];
  var parts = details.map(function (detail) {
    if (typeof detail !== "object" || detail === null) return String(detail);
    if (detail.message) return detail.path ? detail.path + ": " + detail.message : detail.message;
    return JSON.stringify(detail);
  });
  if (parts.length) text += " (" + parts.join("; ") + ")";
  // A 500 carries no detail on purpose; the reason is in the server's log.
  if (status >= 500) text += ". The server log has the details.";
  return text;
}

/** "gid://shopify/Order/1001" -> "1001": the number a person recognises. */
function shortOrderId(orderId) {
  var id = String(orderId);
  return id.slice(id.lastIndexOf("/") + 1);
}

/** Status of an order placed here: what has been refunded or cancelled. */
function orderStatus(order) {
  if (order.cancelled) return "Cancelled";
  if (order.refunded > 0) return "Refunded " + order.refunded + " of " + order.quantity;
  return "";
}

// In a browser, wire up the page; in Node (the test) only the helpers above are declared.
if (typeof document !== "undefined") start();

function start() {
  var latest = []; // the last state rows, for product names and the Prokip figure
  var rowsBySku = {};
  var skuList = "";
  var orders = loadOrders();

  function $(selector, root) { return (root || document).querySelector(selector); }

  var live = $("#live");
  var tbody = $("#stock tbody");

  /** Polls the state every 2 s; a chained timeout so slow answers never pile up. */
  async function refresh() {
    try {
      var response = await fetch("/sandbox/api/state", { cache: "no-store" });
      if (response.status === 503) setLive("Starting...", "");
      else if (!response.ok) setLive("The server answered " + response.status + "; retrying", "off");
      else { showState((await response.json()).skus); setLive("Live, updates every 2 s", "on"); }
    } catch (error) {
      setLive("Cannot reach the server; retrying", "off");
    }
    setTimeout(refresh, 2000);
  }

  // Only touch the text when it changes, so screen readers and the eye are not disturbed.
  function setLive(text, state) {
    if (live.textContent !== text) live.textContent = text;
    live.className = "live " + state;
  }

  /** Updates the table in place (keeps scroll and focus); a changed number flashes for 2 s. */
  function showState(skus) {
    latest = skus;
    var list = skus.map(function (row) { return row.sku; }).join("\n");
    if (list !== skuList) {
      skuList = list;
      rowsBySku = {};
      tbody.innerHTML = skus.map(function (row) {
        return "<tr><td>" + esc(row.product) + "</td><td class=\"sku\">" + esc(row.sku) + "</td>" +
          STOCK_COLUMNS.map(function () { return "<td class=\"num\"></td>"; }).join("") + "</tr>";
      }).join("") || "<tr><td colspan=\"6\" class=\"muted\">The demo catalogue is empty.</td></tr>";
      skus.forEach(function (row, index) { rowsBySku[row.sku] = tbody.rows[index]; });
      fillSkuPickers(skus);
    }
    skus.forEach(function (row) {
      var cells = rowsBySku[row.sku].cells;
      STOCK_COLUMNS.forEach(function (column, index) { showCell(cells[index + 2], cellView(row, column)); });
    });
  }

  function showCell(cell, view) {
    var first = cell.dataset.text === undefined;
    if (cell.dataset.text !== view.text) {
      cell.dataset.text = view.text;
      cell.textContent = view.text;
      if (!first) flash(cell);
    }
    // The amber colour is backed by words for people who cannot see it.
    var hint = cell.querySelector(".sr-only");
    if (view.waiting && !hint) cell.insertAdjacentHTML("beforeend", "<span class=\"sr-only\"> (waiting to sync)</span>");
    if (!view.waiting && hint) hint.remove();
    cell.classList.toggle("waiting", view.waiting);
    cell.title = view.title;
  }

  function flash(cell) {
    clearTimeout(cell.flashTimer);
    cell.classList.add("changed");
    cell.flashTimer = setTimeout(function () { cell.classList.remove("changed"); }, 2000);
  }

  /** Fills both product pickers, keeping what the person already chose. */
  function fillSkuPickers(skus) {
    document.querySelectorAll(".sku-picker").forEach(function (select) {
      var chosen = select.value;
      select.innerHTML = skus.map(function (row) {
        return "<option value=\"" + esc(row.sku) + "\">" + esc(row.product) + " (" + esc(row.sku) + ")</option>";
      }).join("");
      if (chosen && skus.some(function (row) { return row.sku === chosen; })) select.value = chosen;
    });
    prefillProkipQuantity();
  }

  // Starting from the current Prokip figure makes "change it a little" one keystroke.
  function prefillProkipQuantity() {
    var sku = $("#prokip-sku").value;
    var row = latest.find(function (r) { return r.sku === sku; });
    if (row && row.prokip !== null) $("#prokip-quantity").value = row.prokip;
  }

  /** POSTs JSON; resolves with the answer or throws an Error whose message a person can read. */
  async function post(path, body) {
    var response;
    try {
      response = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    } catch (error) {
      throw new Error("Cannot reach the server. Is it still running?");
    }
    var data = await response.json().catch(function () { return null; });
    if (!response.ok) throw new Error(errorText(response.status, data));
    return data;
  }

  /** Runs one action with its button busy, then shows the confirmation or the error. */
  async function run(button, result, busyText, action) {
    var label = button.textContent;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (busyText) button.textContent = busyText;
    result.className = "result";
    result.textContent = "";
    try {
      result.textContent = await action();
      result.className = "result ok";
    } catch (error) {
      result.textContent = error.message;
      result.className = "result error";
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      button.textContent = label;
    }
  }

  function productName(sku) {
    var row = latest.find(function (r) { return r.sku === sku; });
    return row ? row.product : sku;
  }

  $("#order-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.currentTarget;
    var store = $("#order-store").value;
    var sku = $("#order-sku").value;
    var quantity = Number($("#order-quantity").value);
    run($("button", form), $(".result", form), "Placing...", async function () {
      var placed = await post("/sandbox/api/orders", { store: store, lines: [{ sku: sku, quantity: quantity }] });
      // Orders placed here have one line; the refund form relies on that.
      var order = { store: store, orderId: placed.orderId, sku: sku, product: productName(sku), quantity: quantity, at: new Date().toISOString(), refunded: 0, cancelled: false };
      orders.push(order);
      saveOrders();
      $("#orders").prepend(orderItem(order));
      $("#orders-empty").hidden = true;
      var others = store === "shopify" ? "Prokip and WooCommerce" : "Prokip and Shopify";
      return "Order #" + shortOrderId(placed.orderId) + " placed on " + STORE_NAMES[store] + ". Watch " + others + " follow.";
    });
  });

  $("#prokip-sku").addEventListener("change", prefillProkipQuantity);

  $("#prokip-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.currentTarget;
    var sku = $("#prokip-sku").value;
    var quantity = Number($("#prokip-quantity").value);
    run($("button", form), $(".result", form), "Saving...", async function () {
      await post("/sandbox/api/prokip-stock", { sku: sku, quantity: quantity });
      return "Prokip now has " + quantity + " of " + sku + ". Press Sync now to see the stores follow at once.";
    });
  });

  $("#sync-now").addEventListener("click", function (event) {
    run(event.currentTarget, $("#sync-result"), "Syncing...", async function () {
      await post("/sandbox/api/sync-now", {});
      return "Sync finished at " + new Date().toLocaleTimeString() + ".";
    });
  });

  /** One order in the list, with its refund form and cancel button wired to the API. */
  function orderItem(order) {
    var n = orders.indexOf(order);
    var item = document.createElement("li");
    item.className = "order";
    item.innerHTML =
      "<div class=\"order-head\"><strong>" + esc(STORE_NAMES[order.store]) + " #" + esc(shortOrderId(order.orderId)) + "</strong>" +
      "<span>" + esc(order.quantity) + " \u00d7 " + esc(order.product) + " (" + esc(order.sku) + ")</span>" +
      "<time datetime=\"" + esc(order.at) + "\">" + esc(new Date(order.at).toLocaleTimeString()) + "</time>" +
      "<span class=\"badge\"></span></div>" +
      "<form class=\"refund\">" +
      "<div class=\"field\"><label for=\"refund-quantity-" + n + "\">Refund quantity</label>" +
      "<input id=\"refund-quantity-" + n + "\" name=\"quantity\" type=\"number\" inputmode=\"numeric\" min=\"1\" value=\"1\" required></div>" +
      "<div class=\"check\"><input id=\"refund-restock-" + n + "\" name=\"restock\" type=\"checkbox\" checked>" +
      "<label for=\"refund-restock-" + n + "\">Restock the items</label></div>" +
      "<button type=\"submit\">Refund</button>" +
      "<button type=\"button\" class=\"secondary\">Cancel order</button></form>" +
      "<p class=\"result\" role=\"status\" aria-live=\"polite\"></p>";
    var form = $("form", item);
    var quantityInput = $("[name=quantity]", form);
    var result = $(".result", item);
    var name = STORE_NAMES[order.store] + " order #" + shortOrderId(order.orderId);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var quantity = Number(quantityInput.value);
      var restock = $("[name=restock]", form).checked;
      run($("button[type=submit]", form), result, "Refunding...", async function () {
        await post("/sandbox/api/refunds", { store: order.store, orderId: order.orderId, lines: [{ sku: order.sku, quantity: quantity }], restock: restock });
        order.refunded += quantity;
        saveOrders();
        return "Refunded " + quantity + " of " + order.sku + (restock ? ", back in stock." : ", not restocked.");
      }).then(update);
    });

    $("button.secondary", form).addEventListener("click", function (event) {
      // Cancelling cannot be undone, so say what it does first.
      if (!confirm("Cancel " + name + "? Its items go back in stock. This cannot be undone.")) return;
      run(event.currentTarget, result, "Cancelling...", async function () {
        await post("/sandbox/api/cancellations", { store: order.store, orderId: order.orderId });
        order.cancelled = true;
        saveOrders();
        return name + " cancelled.";
      }).then(update);
    });

    // Reflects refunds and cancellation: the badge, and no actions once nothing is left to do.
    function update() {
      var left = order.quantity - order.refunded;
      $(".badge", item).textContent = orderStatus(order);
      $(".badge", item).hidden = !orderStatus(order);
      quantityInput.max = Math.max(1, left);
      form.querySelectorAll("input, button").forEach(function (control) { control.disabled = order.cancelled || left <= 0; });
    }
    update();
    return item;
  }

  // The API has no list of orders, so the page remembers its own for this tab (a reload keeps them).
  function loadOrders() {
    try { return JSON.parse(sessionStorage.getItem("sandbox-orders") || "[]"); } catch (error) { return []; }
  }
  function saveOrders() {
    try { sessionStorage.setItem("sandbox-orders", JSON.stringify(orders)); } catch (error) { /* private mode: the list just lives in memory */ }
  }

  orders.forEach(function (order) { $("#orders").prepend(orderItem(order)); });
  $("#orders-empty").hidden = orders.length > 0;
  refresh();
}
`;

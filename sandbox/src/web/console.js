/*
 * The sandbox console's script (console.html). Plain browser JS (ES2017), inlined in the page by
 * console.ts, no build step. Pure helpers come first as function declarations: the test runs this
 * whole script in Node, where there is no document, and calls them on the live API's answers.
 */
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

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  var live = $("#live");
  var tbody = $("#stock tbody");

  /** Polls the state every 2 s; a chained timeout so slow answers never pile up. */
  async function refresh() {
    try {
      var response = await fetch("/sandbox/api/state", { cache: "no-store" });
      if (response.status === 503) setLive("Starting...", "");
      else if (!response.ok) setLive("The server answered " + response.status + "; retrying", "off");
      else {
        showState((await response.json()).skus);
        setLive("Live, updates every 2 s", "on");
      }
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
    var list = skus
      .map(function (row) {
        return row.sku;
      })
      .join("\n");
    if (list !== skuList) {
      skuList = list;
      rowsBySku = {};
      tbody.innerHTML =
        skus
          .map(function (row) {
            return (
              "<tr><td>" +
              esc(row.product) +
              '</td><td class="sku">' +
              esc(row.sku) +
              "</td>" +
              STOCK_COLUMNS.map(function () {
                return '<td class="num"></td>';
              }).join("") +
              "</tr>"
            );
          })
          .join("") || '<tr><td colspan="6" class="muted">The demo catalogue is empty.</td></tr>';
      skus.forEach(function (row, index) {
        rowsBySku[row.sku] = tbody.rows[index];
      });
      fillSkuPickers(skus);
    }
    skus.forEach(function (row) {
      var cells = rowsBySku[row.sku].cells;
      STOCK_COLUMNS.forEach(function (column, index) {
        showCell(cells[index + 2], cellView(row, column));
      });
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
    if (view.waiting && !hint) cell.insertAdjacentHTML("beforeend", '<span class="sr-only"> (waiting to sync)</span>');
    if (!view.waiting && hint) hint.remove();
    cell.classList.toggle("waiting", view.waiting);
    cell.title = view.title;
  }

  function flash(cell) {
    clearTimeout(cell.flashTimer);
    cell.classList.add("changed");
    cell.flashTimer = setTimeout(function () {
      cell.classList.remove("changed");
    }, 2000);
  }

  /** Fills both product pickers, keeping what the person already chose. */
  function fillSkuPickers(skus) {
    document.querySelectorAll(".sku-picker").forEach(function (select) {
      var chosen = select.value;
      select.innerHTML = skus
        .map(function (row) {
          return '<option value="' + esc(row.sku) + '">' + esc(row.product) + " (" + esc(row.sku) + ")</option>";
        })
        .join("");
      if (
        chosen &&
        skus.some(function (row) {
          return row.sku === chosen;
        })
      )
        select.value = chosen;
    });
    prefillProkipQuantity();
  }

  // Starting from the current Prokip figure makes "change it a little" one keystroke.
  function prefillProkipQuantity() {
    var sku = $("#prokip-sku").value;
    var row = latest.find(function (r) {
      return r.sku === sku;
    });
    if (row && row.prokip !== null) $("#prokip-quantity").value = row.prokip;
  }

  /** POSTs JSON; resolves with the answer or throws an Error whose message a person can read. */
  async function post(path, body) {
    var response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new Error("Cannot reach the server. Is it still running?", { cause: error });
    }
    var data = await response.json().catch(function () {
      return null;
    });
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
    var row = latest.find(function (r) {
      return r.sku === sku;
    });
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
      var order = {
        store: store,
        orderId: placed.orderId,
        sku: sku,
        product: productName(sku),
        quantity: quantity,
        at: new Date().toISOString(),
        refunded: 0,
        cancelled: false,
      };
      orders.push(order);
      saveOrders();
      $("#orders").prepend(orderItem(order));
      $("#orders-empty").hidden = true;
      var others = store === "shopify" ? "Prokip and WooCommerce" : "Prokip and Shopify";
      return (
        "Order #" + shortOrderId(placed.orderId) + " placed on " + STORE_NAMES[store] + ". Watch " + others + " follow."
      );
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
      '<div class="order-head"><strong>' +
      esc(STORE_NAMES[order.store]) +
      " #" +
      esc(shortOrderId(order.orderId)) +
      "</strong>" +
      "<span>" +
      esc(order.quantity) +
      " \u00d7 " +
      esc(order.product) +
      " (" +
      esc(order.sku) +
      ")</span>" +
      '<time datetime="' +
      esc(order.at) +
      '">' +
      esc(new Date(order.at).toLocaleTimeString()) +
      "</time>" +
      '<span class="badge"></span></div>' +
      '<form class="refund">' +
      '<div class="field"><label for="refund-quantity-' +
      n +
      '">Refund quantity</label>' +
      '<input id="refund-quantity-' +
      n +
      '" name="quantity" type="number" inputmode="numeric" min="1" value="1" required></div>' +
      '<div class="check"><input id="refund-restock-' +
      n +
      '" name="restock" type="checkbox" checked>' +
      '<label for="refund-restock-' +
      n +
      '">Restock the items</label></div>' +
      '<button type="submit">Refund</button>' +
      '<button type="button" class="secondary">Cancel order</button></form>' +
      '<p class="result" role="status" aria-live="polite"></p>';
    var form = $("form", item);
    var quantityInput = $("[name=quantity]", form);
    var result = $(".result", item);
    var name = STORE_NAMES[order.store] + " order #" + shortOrderId(order.orderId);

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var quantity = Number(quantityInput.value);
      var restock = $("[name=restock]", form).checked;
      run($("button[type=submit]", form), result, "Refunding...", async function () {
        await post("/sandbox/api/refunds", {
          store: order.store,
          orderId: order.orderId,
          lines: [{ sku: order.sku, quantity: quantity }],
          restock: restock,
        });
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
      form.querySelectorAll("input, button").forEach(function (control) {
        control.disabled = order.cancelled || left <= 0;
      });
    }
    update();
    return item;
  }

  // The API has no list of orders, so the page remembers its own for this tab (a reload keeps them).
  function loadOrders() {
    try {
      return JSON.parse(sessionStorage.getItem("sandbox-orders") || "[]");
    } catch (error) {
      return [];
    }
  }
  function saveOrders() {
    try {
      sessionStorage.setItem("sandbox-orders", JSON.stringify(orders));
    } catch (error) {
      /* private mode: the list just lives in memory */
    }
  }

  orders.forEach(function (order) {
    $("#orders").prepend(orderItem(order));
  });
  $("#orders-empty").hidden = orders.length > 0;
  refresh();
}

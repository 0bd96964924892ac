/*
 * The emulated Shopify admin's script (shopify-admin.html): answers the app's App Bridge stand-in
 * (app-bridge.js: session tokens, toasts, loading, navigation menu, title bar, save bar) and opens
 * shops. Plain ES2017, inlined in the page by shopify-admin.ts; the page's body carries the shop
 * and the admin's path as data attributes.
 */
"use strict";
(function () {
  var SANDBOX_ADMIN = { shop: document.body.dataset.shop, adminPath: document.body.dataset.adminPath };
  var FROM_APP = "prokip-sandbox-app-bridge";
  var FROM_ADMIN = "prokip-sandbox-admin";
  var frame = document.getElementById("app-frame");
  var nav = document.getElementById("app-nav");
  var currentPath = "/app";
  var navItems = [];
  var titleButtons = [];
  var saveBarKey = null;
  var baseTitle = document.title;

  function send(message) {
    message.source = FROM_ADMIN;
    if (frame.contentWindow) frame.contentWindow.postMessage(message, location.origin);
  }

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  async function sessionToken() {
    var response = await fetch(SANDBOX_ADMIN.adminPath + "/api/session-token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ shop: SANDBOX_ADMIN.shop }),
      cache: "no-store",
    });
    var body = await response.json().catch(function () {
      return null;
    });
    if (!response.ok || !body || !body.token)
      throw new Error((body && body.error && body.error.message) || "The sandbox answered " + response.status);
    return body.token;
  }

  /** Reopens the app at a path, as admin does when it loads an app page: with a fresh token. */
  async function reloadFrame(path) {
    var token = await sessionToken();
    var handle = SANDBOX_ADMIN.shop.replace(/\.myshopify\.com$/, "");
    var query = new URLSearchParams({
      embedded: "1",
      shop: SANDBOX_ADMIN.shop,
      host: btoa("admin.shopify.com/store/" + handle),
      id_token: token,
      locale: "en",
    });
    frame.src = path + "?" + query.toString();
  }

  // ---- The sidebar: the app's name (its home link) and its navigation menu -----------------

  function renderNav() {
    var home = navItems.find(function (item) {
      return item.home;
    });
    var homeHref = home ? home.href : "/app";
    var entries = navItems.filter(function (item) {
      return !item.home;
    });
    // The entry for the page the app is on (a page under an entry counts, except under home);
    // a page no entry stands for marks the app itself.
    var active = entries
      .filter(function (item) {
        return currentPath === item.href || (item.href !== homeHref && currentPath.indexOf(item.href + "/") === 0);
      })
      .sort(function (a, b) {
        return b.href.length - a.href.length;
      })[0];
    nav.innerHTML =
      '<li><a href="' +
      esc(homeHref) +
      '" data-href="' +
      esc(homeHref) +
      '" class="app-name"' +
      (!active ? ' aria-current="page"' : "") +
      ">" +
      esc(document.querySelector(".app-name").textContent) +
      "</a>" +
      (entries.length
        ? "<ul>" +
          entries
            .map(function (item) {
              return (
                '<li><a href="' +
                esc(item.href) +
                '" data-href="' +
                esc(item.href) +
                '"' +
                (item === active ? ' aria-current="page"' : "") +
                ">" +
                esc(item.label) +
                "</a></li>"
              );
            })
            .join("") +
          "</ul>"
        : "") +
      "</li>";
  }

  nav.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-href]");
    if (!link) return;
    event.preventDefault();
    var href = link.getAttribute("data-href");
    if (navItems.length) send({ type: "navigate", href: href });
    else reloadFrame(href).catch(showError);
  });

  // ---- Toasts, loading, title bar, save bar -------------------------------------------------

  var toasts = document.getElementById("toasts");
  function showToast(data) {
    var item = document.createElement("li");
    item.className = "toast" + (data.isError ? " error" : "");
    item.dataset.id = data.id;
    item.setAttribute("role", data.isError ? "alert" : "status");
    item.innerHTML =
      "<span>" +
      esc(data.message) +
      "</span>" +
      (data.action ? '<button type="button" class="action">' + esc(data.action) + "</button>" : "") +
      '<button type="button" class="dismiss" aria-label="Dismiss">\u00d7</button>';
    var timer = setTimeout(
      function () {
        item.remove();
      },
      Math.max(1000, data.duration || 5000),
    );
    item.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      clearTimeout(timer);
      item.remove();
      send({ type: button.classList.contains("action") ? "toast-action" : "toast-dismiss", id: data.id });
    });
    toasts.appendChild(item);
  }
  function showError(error) {
    showToast({ id: "admin-error", message: error.message, isError: true, duration: 8000 });
  }

  function buttonsHtml(buttons) {
    return buttons
      .map(function (button, index) {
        return (
          '<button type="button" data-index="' +
          index +
          '" class="' +
          (button.variant === "primary" ? "primary" : "") +
          '"' +
          (button.disabled || button.loading ? " disabled" : "") +
          ">" +
          esc(button.label) +
          "</button>"
        );
      })
      .join("");
  }

  function showTitleBar(data) {
    titleButtons = data.buttons || [];
    document.getElementById("title-text").textContent = data.title || "";
    document.getElementById("title-actions").innerHTML = buttonsHtml(titleButtons);
    document.getElementById("title-bar").hidden = !data.title && !titleButtons.length;
    document.title = data.title ? data.title + " - " + baseTitle : baseTitle;
  }
  document.getElementById("title-actions").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-index]");
    if (button) send({ type: "title-bar-click", index: Number(button.dataset.index) });
  });

  function showSaveBar(data) {
    if (!data.visible && data.key !== saveBarKey) return;
    saveBarKey = data.visible ? data.key : null;
    // Save (variant primary) last, as admin shows it.
    var buttons = (data.buttons || [])
      .map(function (button, index) {
        return Object.assign({}, button, { index: index });
      })
      .sort(function (a, b) {
        return (a.variant === "primary") - (b.variant === "primary");
      });
    document.getElementById("save-actions").innerHTML = buttons
      .map(function (button) {
        return (
          '<button type="button" data-index="' +
          button.index +
          '" class="' +
          (button.variant === "primary" ? "primary" : "") +
          '"' +
          (button.disabled || button.loading ? " disabled" : "") +
          ">" +
          esc(button.label || (button.variant === "primary" ? "Save" : "Discard")) +
          "</button>"
        );
      })
      .join("");
    document.getElementById("save-bar").hidden = !data.visible;
  }
  document.getElementById("save-actions").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-index]");
    if (button && saveBarKey) send({ type: "save-bar-click", key: saveBarKey, index: Number(button.dataset.index) });
  });

  // ---- Messages from the app ---------------------------------------------------------------

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== frame.contentWindow || event.origin !== location.origin || !data || data.source !== FROM_APP)
      return;
    switch (data.type) {
      case "id-token-request":
        sessionToken().then(
          function (token) {
            send({ type: "id-token", id: data.id, token: token });
          },
          function (error) {
            send({ type: "id-token", id: data.id, error: error.message });
          },
        );
        break;
      case "toast":
        showToast(data);
        break;
      case "toast-hide":
        Array.prototype.forEach.call(toasts.querySelectorAll(".toast"), function (item) {
          if (item.dataset.id === data.id) item.remove();
        });
        break;
      case "loading":
        document.getElementById("loading-bar").hidden = !data.on;
        break;
      case "nav-menu":
        navItems = data.items || [];
        renderNav();
        break;
      case "title-bar":
        showTitleBar(data);
        break;
      case "save-bar":
        showSaveBar(data);
        break;
      case "location":
        currentPath = data.path || "/app";
        renderNav();
        // The admin's address follows the app, so a reload reopens the same page.
        var url = new URL(location.href);
        url.searchParams.set("shop", SANDBOX_ADMIN.shop);
        url.searchParams.set("path", currentPath);
        history.replaceState(null, "", url.pathname + url.search);
        break;
      case "reload-frame":
        reloadFrame(data.path).catch(showError);
        break;
    }
  });

  // A frame (re)loaded: its App Bridge reports everything again.
  frame.addEventListener("load", function () {
    document.getElementById("loading-bar").hidden = true;
    document.getElementById("save-bar").hidden = true;
    saveBarKey = null;
    send({ type: "sync" });
  });

  // ---- Shops -------------------------------------------------------------------------------

  document.getElementById("shop").addEventListener("change", function (event) {
    location.href = SANDBOX_ADMIN.adminPath + "?shop=" + encodeURIComponent(event.target.value);
  });

  document.getElementById("new-shop").addEventListener("click", async function (event) {
    var button = event.currentTarget;
    var result = document.getElementById("new-shop-result");
    button.disabled = true;
    result.className = "result";
    result.textContent = "Creating a shop with a few products...";
    try {
      var response = await fetch(SANDBOX_ADMIN.adminPath + "/api/shops", { method: "POST" });
      var body = await response.json().catch(function () {
        return null;
      });
      if (!response.ok || !body)
        throw new Error((body && body.error && body.error.message) || "The sandbox answered " + response.status);
      location.href = body.adminUrl;
    } catch (error) {
      result.className = "result error";
      result.textContent = error.message;
      button.disabled = false;
    }
  });
})();

/**
 * The sandbox's stand-in for Shopify's App Bridge (https://cdn.shopify.com/shopifycloud/app-bridge.js),
 * served at /sandbox/shopify-admin/app-bridge.js. The Shopify app loads it instead of the real
 * script when APP_BRIDGE_URL points here (the library's bounce page and the React AppProvider's
 * `__APP_BRIDGE_URL`), so the app runs inside the sandbox's emulated admin
 * (shopify-admin.ts) with no Shopify account and no internet.
 *
 * What it imitates, and where the real behaviour is described:
 *
 * - `shopify.idToken()`: a fresh session (ID) token, asked of the parent admin frame over
 *   postMessage (the admin page has the sandbox mint one, signed with the app secret, as Shopify
 *   admin does). https://shopify.dev/docs/api/app-home/apis/authentication-and-data/id-token-api
 * - `fetch` interception: requests to the app's own origin get `Authorization: Bearer <token>`
 *   (Remix's loader and action fetches rely on it); a `401` carrying
 *   `X-Shopify-Retry-Invalid-Session-Request: 1` (what @shopify/shopify-app-remix answers to a
 *   stale token) is sent once more with a new token.
 *   https://shopify.dev/docs/api/app-home/apis/authentication-and-data/resource-fetching-api
 * - The library's bounce page (`/auth/session-token?shopify-reload=<url>`): App Bridge loads
 *   there, gets a token and goes on to the reload URL with `id_token` added.
 * - `shopify.config` (apiKey from the script tag's `data-api-key` or `<meta name="shopify-api-key">`;
 *   shop, host and locale from the URL the admin opened).
 *   https://shopify.dev/docs/api/app-home/apis/authentication-and-data/config-api
 * - `shopify.toast.show(message, {duration, isError, action, onAction, onDismiss})` / `hide(id)`,
 *   shown by the admin frame. https://shopify.dev/docs/api/app-bridge-library/apis/toast
 * - `shopify.loading(on)`: the admin's loading bar.
 *   https://shopify.dev/docs/api/app-home/latest/apis/user-interface-and-interactions/loading-api
 * - `<ui-nav-menu>`: not rendered in the app; its links (the first, `rel="home"`, is the app's
 *   name, not an entry) are reported to the admin, whose sidebar shows them; a click there
 *   dispatches `shopify:navigate` on the link, which the Remix AppProvider turns into a client
 *   navigation. https://shopify.dev/docs/api/app-bridge-library/web-components/ui-nav-menu
 * - `<ui-title-bar>`: its title and buttons are shown by the admin; a click there clicks the
 *   app's button. Inside a `<ui-modal>` it is the modal's heading and buttons instead.
 * - `<ui-save-bar>` (`show()`, `hide()`, `toggle()`, `showing`, `show`/`hide` events,
 *   `shopify.saveBar`): shown by the admin with the app's Save (variant primary) and Discard
 *   buttons. https://shopify.dev/docs/api/app-bridge-library/apis/ui-save-bar
 * - `<ui-modal>` (`show()`, `hide()`, `toggle()`, `content`, `shopify.modal`): drawn over the app
 *   inside its own frame (Shopify draws it over the whole admin).
 *
 * Not imitated: the resource picker, `shopify:admin/` direct API fetches, scanner, POS and
 * intents APIs, `<form data-save-bar>`, modals loading a `src`, and leaving the admin (App Bridge
 * redirects a top-level app into Shopify admin; here a top-level app is sent to the sandbox's
 * admin page for its shop).
 *
 * Messages between the frames carry `source: "prokip-sandbox-app-bridge"` (app -> admin) or
 * `"prokip-sandbox-admin"` (admin -> app) and are only accepted from the same origin and the
 * expected window. Plain ES2017, served as it is by shopify-admin.ts: no build step.
 */
(function () {
  "use strict";
  if (window.shopify && window.shopify.__prokipSandbox) return; // loaded twice (bounce page, hydration)

  var FROM_APP = "prokip-sandbox-app-bridge";
  var FROM_ADMIN = "prokip-sandbox-admin";
  var script = document.currentScript;
  var params = new URLSearchParams(location.search);
  var meta = document.querySelector('meta[name="shopify-api-key"]');
  var config = {
    apiKey: (script && script.getAttribute("data-api-key")) || (meta && meta.getAttribute("content")) || "",
    shop: params.get("shop") || "",
    host: params.get("host") || "",
    locale: params.get("locale") || "en",
    disabledFeatures: [],
    appOrigins: [],
  };
  var embedded = window.parent !== window;

  function post(message) {
    message.source = FROM_APP;
    if (embedded) window.parent.postMessage(message, location.origin);
  }

  // ---- Session tokens ---------------------------------------------------------------------

  var waiting = {}; // request id -> {resolve, reject}
  var counter = 0;
  var cached = null; // {token, exp}

  function expiry(token) {
    try {
      var payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
    } catch (error) {
      return 0;
    }
  }

  /** A token valid for at least 10 more seconds: the cached one, or a new one from the admin. */
  function idToken(fresh) {
    if (!fresh && cached && cached.exp - Date.now() > 10000) return Promise.resolve(cached.token);
    if (!embedded)
      return Promise.reject(
        new Error(
          "App Bridge (sandbox): the app is not inside the sandbox's Shopify admin, so there is no session token",
        ),
      );
    return new Promise(function (resolve, reject) {
      var id = "t" + ++counter;
      var timer = setTimeout(function () {
        delete waiting[id];
        reject(new Error("App Bridge (sandbox): the admin frame did not answer with a session token"));
      }, 10000);
      waiting[id] = {
        resolve: function (token) {
          clearTimeout(timer);
          cached = { token: token, exp: expiry(token) };
          resolve(token);
        },
        reject: function (error) {
          clearTimeout(timer);
          reject(error);
        },
      };
      post({ type: "id-token-request", id: id });
    });
  }

  // ---- fetch: the session token on requests to the app's own origin ------------------------

  var nativeFetch = window.fetch.bind(window);
  function sameOrigin(input) {
    var url = typeof input === "string" ? input : input instanceof URL ? input.href : input && input.url;
    try {
      return new URL(url, location.href).origin === location.origin;
    } catch (error) {
      return false;
    }
  }
  function withToken(input, init, token) {
    var headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
    if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + token);
    var next = Object.assign({}, init || {}, { headers: headers });
    return [input instanceof Request ? new Request(input, next) : input, next];
  }
  window.fetch = function (input, init) {
    if (!embedded || !sameOrigin(input)) return nativeFetch(input, init);
    // A Request's body can be read once: keep a copy for the retry.
    var retryInput = input instanceof Request ? input.clone() : input;
    return idToken(false).then(function (token) {
      var first = withToken(input, init, token);
      return nativeFetch(first[0], first[1]).then(function (response) {
        if (response.status !== 401 || response.headers.get("X-Shopify-Retry-Invalid-Session-Request") !== "1")
          return response;
        return idToken(true).then(function (fresh) {
          var second = withToken(retryInput, init, fresh);
          return nativeFetch(second[0], second[1]);
        });
      });
    });
  };

  // ---- Toasts, loading, save bars and modals through the admin ----------------------------

  var toasts = {};
  var toast = {
    show: function (message, options) {
      options = options || {};
      var id = "toast" + ++counter;
      toasts[id] = options;
      post({
        type: "toast",
        id: id,
        message: String(message),
        isError: !!options.isError,
        duration: typeof options.duration === "number" ? options.duration : 5000,
        action: options.action ? String(options.action) : null,
      });
      return id;
    },
    hide: function (id) {
      delete toasts[id];
      post({ type: "toast-hide", id: id });
    },
  };

  function byId(tag, id) {
    var element = document.getElementById(id);
    if (!element || element.tagName.toLowerCase() !== tag)
      throw new Error("App Bridge (sandbox): no <" + tag + ' id="' + id + '">');
    return element;
  }

  window.shopify = {
    __prokipSandbox: true,
    config: config,
    environment: { embedded: embedded, mobile: false, pos: false },
    idToken: function () {
      return idToken(false);
    },
    toast: toast,
    loading: function (on) {
      post({ type: "loading", on: on !== false });
    },
    saveBar: {
      show: function (id) {
        byId("ui-save-bar", id).show();
        return Promise.resolve();
      },
      hide: function (id) {
        byId("ui-save-bar", id).hide();
        return Promise.resolve();
      },
      toggle: function (id) {
        byId("ui-save-bar", id).toggle();
        return Promise.resolve();
      },
      leaveConfirmation: function () {
        return Promise.resolve();
      },
    },
    modal: {
      show: function (id) {
        byId("ui-modal", id).show();
        return Promise.resolve();
      },
      hide: function (id) {
        byId("ui-modal", id).hide();
        return Promise.resolve();
      },
      toggle: function (id) {
        byId("ui-modal", id).toggle();
        return Promise.resolve();
      },
    },
  };

  // ---- Custom elements ----------------------------------------------------------------------

  // Nothing is added to the document itself: the app hydrates the server's HTML, and React 18
  // fails hydration over nodes it did not render. The elements hide themselves from a shadow root.
  function hiddenShadow(element) {
    if (element.shadowRoot) return;
    element.attachShadow({ mode: "open" }).innerHTML =
      "<style>:host { display: none; }" +
      "::slotted(button) { font: inherit; padding: 6px 12px; border-radius: 8px; border: 1px solid #c9cccf; background: #fff; cursor: pointer; }" +
      "::slotted(button[variant=primary]) { background: #303030; color: #fff; border-color: #303030; }" +
      "::slotted(button[tone=critical]) { background: #c70a24; color: #fff; border-color: #c70a24; }</style><slot></slot>";
  }

  function buttonsOf(element) {
    return Array.prototype.filter.call(element.children, function (child) {
      return child.tagName === "BUTTON";
    });
  }
  function describeButtons(element) {
    return buttonsOf(element).map(function (button) {
      return {
        label: (button.textContent || "").trim(),
        variant: button.getAttribute("variant"),
        tone: button.getAttribute("tone"),
        disabled: button.disabled || button.hasAttribute("disabled"),
        loading: button.hasAttribute("loading"),
      };
    });
  }
  /** Calls report() once per task however many changes the observer sees. */
  function observe(element, report) {
    var scheduled = false;
    var observer = new MutationObserver(function () {
      if (scheduled) return;
      scheduled = true;
      setTimeout(function () {
        scheduled = false;
        report();
      }, 0);
    });
    observer.observe(element, { childList: true, subtree: true, attributes: true, characterData: true });
    report();
    return observer;
  }

  var navMenus = [];
  function reportNavMenu() {
    var menu = navMenus[navMenus.length - 1];
    var items = menu
      ? Array.prototype.map.call(menu.querySelectorAll("a[href]"), function (link) {
          return {
            href: link.getAttribute("href"),
            label: (link.textContent || "").trim(),
            home: link.getAttribute("rel") === "home",
          };
        })
      : [];
    post({ type: "nav-menu", items: items });
  }

  function define(name, constructor) {
    if (!window.customElements.get(name)) window.customElements.define(name, constructor);
  }

  define(
    "ui-nav-menu",
    class extends HTMLElement {
      connectedCallback() {
        hiddenShadow(this);
        navMenus.push(this);
        this._observer = observe(this, reportNavMenu);
      }
      disconnectedCallback() {
        if (this._observer) this._observer.disconnect();
        navMenus = navMenus.filter(function (menu) {
          return menu !== this;
        }, this);
        reportNavMenu();
      }
    },
  );

  var titleBars = [];
  function reportTitleBar() {
    var bar = titleBars[titleBars.length - 1];
    post({
      type: "title-bar",
      title: bar ? bar.getAttribute("title") || "" : "",
      buttons: bar ? describeButtons(bar) : [],
    });
  }
  define(
    "ui-title-bar",
    class extends HTMLElement {
      connectedCallback() {
        // Inside a modal it is the modal's own heading and buttons, drawn in the app's frame (the
        // modal's ::slotted rule shows it).
        hiddenShadow(this);
        if (this.parentElement && this.parentElement.tagName === "UI-MODAL") return;
        titleBars.push(this);
        this._observer = observe(this, reportTitleBar);
      }
      disconnectedCallback() {
        if (this._observer) this._observer.disconnect();
        titleBars = titleBars.filter(function (bar) {
          return bar !== this;
        }, this);
        reportTitleBar();
      }
    },
  );

  var saveBarIds = 0;
  define(
    "ui-save-bar",
    class extends HTMLElement {
      constructor() {
        super();
        this._showing = false;
        this._key = "save-bar-" + ++saveBarIds;
      }
      get showing() {
        return this._showing;
      }
      show() {
        this._setShowing(true);
      }
      hide() {
        this._setShowing(false);
      }
      toggle() {
        this._setShowing(!this._showing);
      }
      _setShowing(showing) {
        if (showing === this._showing) return;
        this._showing = showing;
        this._report();
        this.dispatchEvent(new CustomEvent(showing ? "show" : "hide"));
      }
      _report() {
        post({
          type: "save-bar",
          key: this._key,
          visible: this._showing && this.isConnected,
          buttons: describeButtons(this),
        });
      }
      connectedCallback() {
        hiddenShadow(this);
        this._observer = observe(this, () => {
          if (this._showing) this._report();
        });
      }
      disconnectedCallback() {
        if (this._observer) this._observer.disconnect();
        if (this._showing) post({ type: "save-bar", key: this._key, visible: false, buttons: [] });
      }
    },
  );

  define(
    "ui-modal",
    class extends HTMLElement {
      constructor() {
        super();
        this._showing = false;
        // The panel lives in a shadow root; the app's own nodes (title bar, content) stay in the
        // light DOM and are slotted into it, so React's events and portals work as usual.
        var shadow = this.attachShadow({ mode: "open" });
        shadow.innerHTML =
          "<style>" +
          ":host { display: none; } :host([data-open]) { display: block; }" +
          "::slotted(ui-title-bar) { display: flex !important; flex-wrap: wrap; gap: 8px; justify-content: flex-end; padding: 12px 16px; border-top: 1px solid #e3e3e3; }" +
          ".backdrop { position: fixed; inset: 0; z-index: 2147483000; background: rgba(0,0,0,.45); display: flex; align-items: center; justify-content: center; padding: 16px; }" +
          ".panel { background: #fff; border-radius: 12px; box-shadow: 0 8px 32px rgba(0,0,0,.3); width: min(620px, 100%); max-height: 90vh; overflow: auto; display: flex; flex-direction: column; }" +
          ":host([variant=small]) .panel { width: min(380px, 100%); } :host([variant=large]) .panel { width: min(980px, 100%); } :host([variant=max]) .panel { width: 100%; height: 100%; max-height: none; }" +
          ".title { margin: 0; padding: 12px 16px; border-bottom: 1px solid #e3e3e3; font: 600 16px/1.4 system-ui, sans-serif; }" +
          ".title:empty { display: none; } ::slotted(*) { order: 1; } ::slotted(ui-title-bar) { order: 2; }" +
          '</style><div class="backdrop" part="backdrop"><div class="panel" role="dialog" aria-modal="true"><h2 class="title"></h2><slot></slot></div></div>';
        this._title = shadow.querySelector(".title");
        this._content = document.createElement("div");
        this._content.className = "ui-modal-content";
        this._content.style.padding = "16px";
        shadow.querySelector(".backdrop").addEventListener("click", (event) => {
          if (event.target === event.currentTarget) this.hide();
        });
      }
      // Added when the app first asks for it (after hydration, from the Modal's effect), not when
      // the element connects: a node React did not render would fail hydration.
      get content() {
        if (this._content.parentNode !== this) this.appendChild(this._content);
        return this._content;
      }
      get showing() {
        return this._showing;
      }
      connectedCallback() {
        // The heading is the title bar's title attribute, kept up to date.
        this._observer = observe(this, () => {
          var bar = this.querySelector(":scope > ui-title-bar");
          this._title.textContent = bar ? bar.getAttribute("title") || "" : "";
        });
      }
      disconnectedCallback() {
        if (this._observer) this._observer.disconnect();
      }
      show() {
        this._setShowing(true);
      }
      hide() {
        this._setShowing(false);
      }
      toggle() {
        this._setShowing(!this._showing);
      }
      _setShowing(showing) {
        if (showing === this._showing) return;
        this._showing = showing;
        if (showing) this.setAttribute("data-open", "");
        else this.removeAttribute("data-open");
        this.dispatchEvent(new CustomEvent(showing ? "show" : "hide"));
      }
    },
  );

  // ---- Messages from the admin frame -------------------------------------------------------

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window.parent || event.origin !== location.origin || !data || data.source !== FROM_ADMIN)
      return;
    if (data.type === "id-token") {
      var pending = waiting[data.id];
      delete waiting[data.id];
      if (!pending) return;
      if (data.token) pending.resolve(data.token);
      else pending.reject(new Error("App Bridge (sandbox): " + (data.error || "no session token")));
    } else if (data.type === "sync") {
      // The admin (re)loaded the frame: tell it everything again.
      reportNavMenu();
      reportTitleBar();
      reportLocation();
    } else if (data.type === "navigate") {
      navigate(data.href);
    } else if (data.type === "toast-action" || data.type === "toast-dismiss") {
      var options = toasts[data.id];
      delete toasts[data.id];
      var callback = options && (data.type === "toast-action" ? options.onAction : options.onDismiss);
      if (typeof callback === "function") callback();
    } else if (data.type === "title-bar-click") {
      var bar = titleBars[titleBars.length - 1];
      var button = bar && buttonsOf(bar)[data.index];
      if (button) button.click();
    } else if (data.type === "save-bar-click") {
      var saveBar = Array.prototype.find.call(document.querySelectorAll("ui-save-bar"), function (element) {
        return element._key === data.key;
      });
      var saveButton = saveBar && buttonsOf(saveBar)[data.index];
      if (saveButton) saveButton.click();
    }
  });

  /** A sidebar click: the app's link gets shopify:navigate (AppProvider navigates); else a reload there. */
  function navigate(href) {
    var menu = navMenus[navMenus.length - 1];
    var link =
      menu &&
      Array.prototype.find.call(menu.querySelectorAll("a[href]"), function (a) {
        return a.getAttribute("href") === href;
      });
    if (link) link.dispatchEvent(new CustomEvent("shopify:navigate", { bubbles: true }));
    else post({ type: "reload-frame", path: href });
  }

  // Where the app is, so the admin can mark the current page and reopen it after a reload.
  function reportLocation() {
    post({ type: "location", path: location.pathname });
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = history[name];
    history[name] = function () {
      var result = original.apply(this, arguments);
      reportLocation();
      return result;
    };
  });
  window.addEventListener("popstate", reportLocation);

  // ---- The library's bounce page and a top-level app ---------------------------------------

  var reload = location.pathname === "/auth/session-token" ? params.get("shopify-reload") : null;
  if (reload) {
    idToken(true).then(
      function (token) {
        // The library names the app URL it was configured with; stay on the origin in use.
        var target = new URL(reload, location.href);
        var next = new URL(target.pathname + target.search, location.origin);
        next.searchParams.set("id_token", token);
        location.replace(next.href);
      },
      function (error) {
        console.error(error);
      },
    );
  } else if (!embedded && config.shop) {
    // Real App Bridge takes a top-level app back into Shopify admin; here, the sandbox's.
    location.replace(
      "/sandbox/shopify-admin?shop=" +
        encodeURIComponent(config.shop) +
        "&path=" +
        encodeURIComponent(location.pathname),
    );
  } else {
    reportLocation();
  }
})();

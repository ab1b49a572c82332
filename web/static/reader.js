/* The reader's only script (served by the project, no CDN): the Telegram Mini App glue.
 *
 * Telegram opens a Mini App at its URL with #tgWebAppData=<initData>&tgWebAppThemeParams=<JSON> in the fragment,
 * which never reaches the server. This script puts initData into the `tma` cookie, so that the server validates it
 * on every request (web/auth.py), and reloads without the fragment; it applies the theme's colours and shows
 * Telegram's back button on inner pages, speaking the Mini App event protocol that telegram-web-app.js speaks
 * (TelegramWebviewProxy.postEvent on phones, postMessage to web.telegram.org in a browser frame).
 */
(function () {
  "use strict";
  var params = new URLSearchParams(location.hash.slice(1));
  var initData = params.get("tgWebAppData");
  var store = window.sessionStorage;

  function cookie(name) {
    var found = null;
    document.cookie.split("; ").forEach(function (part) {
      var at = part.indexOf("=");
      if (part.slice(0, at) === name) { found = part.slice(at + 1); }
    });
    return found;
  }

  if (initData !== null) {
    try {
      store.setItem("tgWebApp", "1");
      var theme = params.get("tgWebAppThemeParams");
      if (theme) { store.setItem("tgTheme", theme); }
    } catch (e) { /* storage may be off; the cookie is what matters */ }
    var value = encodeURIComponent(initData);
    var here = location.pathname + location.search;
    if (cookie("tma") !== value) {
      var secure = location.protocol === "https:";
      document.cookie = "tma=" + value + "; path=/" + (secure ? "; Secure; SameSite=None" : "; SameSite=Lax");
      location.replace(here);
      return;
    }
    history.replaceState(null, "", here);
  }

  var inTelegram = false;
  try { inTelegram = store.getItem("tgWebApp") === "1"; } catch (e) { inTelegram = false; }

  function postEvent(type, data) {
    var body = data || {};
    if (window.TelegramWebviewProxy && window.TelegramWebviewProxy.postEvent) {
      window.TelegramWebviewProxy.postEvent(type, JSON.stringify(body));
    } else if (window.parent !== window) {
      window.parent.postMessage(JSON.stringify({ eventType: type, eventData: body }), "https://web.telegram.org");
    }
  }

  var COLOR = /^#[0-9a-fA-F]{3,8}$/;
  var THEME_KEYS = ["bg_color", "text_color", "hint_color", "link_color", "button_color", "button_text_color",
                    "secondary_bg_color", "accent_text_color", "section_separator_color"];

  function applyTheme(theme) {
    var root = document.documentElement;
    THEME_KEYS.forEach(function (key) {
      var colour = theme && theme[key];
      if (typeof colour === "string" && COLOR.test(colour)) {
        root.style.setProperty("--tg-" + key.replace(/_/g, "-"), colour);
      }
    });
    root.classList.add("tg");
  }

  function onEvent(type, data) {
    if (type === "back_button_pressed") {
      if (history.length > 1) { history.back(); } else { location.href = "/"; }
    } else if (type === "theme_changed" && data && data.theme_params) {
      try { store.setItem("tgTheme", JSON.stringify(data.theme_params)); } catch (e) { /* ignore */ }
      applyTheme(data.theme_params);
    }
  }

  window.Telegram = window.Telegram || {};
  window.Telegram.WebView = window.Telegram.WebView || {};
  window.Telegram.WebView.receiveEvent = onEvent;
  window.addEventListener("message", function (event) {
    if (event.origin !== "https://web.telegram.org") { return; }
    try {
      var message = JSON.parse(event.data);
      onEvent(message.eventType, message.eventData);
    } catch (e) { /* not ours */ }
  });

  if (!inTelegram) { return; }
  try { applyTheme(JSON.parse(store.getItem("tgTheme") || "{}")); } catch (e) { applyTheme({}); }
  var inner = document.body && document.body.getAttribute("data-back") === "true";
  postEvent("web_app_ready");
  postEvent("web_app_expand");
  postEvent("web_app_setup_back_button", { is_visible: inner });
}());

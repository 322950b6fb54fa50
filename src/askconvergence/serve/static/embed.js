/* askconvergence widget for any web page:
     <script src="https://HOST/embed.js" async
             data-title="Ask Convergence" data-greeting="Hello!" data-language="en"
             data-position="right" data-accent="#0b6e99"></script>
   Adds a launcher button and a chat panel (an iframe of HOST/widget). Its styles live in a
   shadow root so the page and the widget cannot restyle each other. Holds no secrets. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__askconvWidget) return;
  window.__askconvWidget = true;

  var TEXT = {
    en: { open: "Open chat", close: "Close chat" },
    nl: { open: "Open de chat", close: "Sluit de chat" }
  };
  var data = script.dataset;
  var server = new URL(script.src, location.href);
  var origin = server.origin;
  var lang = (data.language || document.documentElement.lang || "en").slice(0, 2).toLowerCase();
  var t = TEXT[lang] || TEXT.en;
  var title = data.title || "Ask Convergence";
  var position = data.position === "left" ? "left" : "right";
  var accent = data.accent && window.CSS && CSS.supports("color", data.accent) ? data.accent : "#0b6e99";
  var OPEN_KEY = "askconv:open";

  var STYLE = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; }",
    ".launcher { position: fixed; bottom: 20px; SIDE: 20px; width: 58px; height: 58px; border-radius: 50%;",
    "  border: 0; padding: 0; cursor: pointer; background: var(--accent); color: #fff;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.25); display: flex; align-items: center; justify-content: center; }",
    ".launcher:focus-visible, .close:focus-visible { outline: 3px solid #1c2430; outline-offset: 3px; }",
    ".launcher svg { width: 28px; height: 28px; fill: currentColor; }",
    ".panel { position: fixed; bottom: 90px; SIDE: 20px; width: min(390px, calc(100vw - 24px));",
    "  height: min(620px, calc(100vh - 110px)); display: flex; flex-direction: column; background: #fff;",
    "  border-radius: 14px; overflow: hidden; box-shadow: 0 10px 40px rgba(0,0,0,.3);",
    "  font: 15px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; color: #1c2430; }",
    ".panel[hidden] { display: none; }",
    ".head { display: flex; align-items: center; justify-content: space-between; gap: 8px;",
    "  padding: 8px 8px 8px 14px; background: var(--accent); color: #fff; }",
    ".head h2 { font-size: 16px; font-weight: 600; line-height: 1.3; margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }",
    ".close { border: 0; background: transparent; color: #fff; width: 40px; height: 40px; border-radius: 8px;",
    "  cursor: pointer; font-size: 24px; line-height: 1; font-family: inherit; }",
    ".close:hover { background: rgba(255,255,255,.15); }",
    "iframe { flex: 1 1 auto; width: 100%; border: 0; display: block; background: #fff; }",
    "@media (max-width: 480px) {",
    "  .panel { inset: 0; width: 100vw; height: 100%; border-radius: 0; }",
    "  .open .launcher { display: none; }",
    "}"
  ].join("\n").replace(/SIDE/g, position);

  var ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z"/></svg>';

  function remember(open) {
    try { sessionStorage.setItem(OPEN_KEY, open ? "1" : "0"); } catch (e) { /* storage off */ }
  }

  function wasOpen() {
    try { return sessionStorage.getItem(OPEN_KEY) === "1"; } catch (e) { return false; }
  }

  function mount() {
    var host = document.createElement("askconv-widget");
    host.style.setProperty("all", "initial", "important");
    host.style.setProperty("position", "fixed", "important");
    host.style.setProperty("z-index", "2147483000", "important");
    host.style.setProperty("display", "block", "important");
    var root = host.attachShadow({ mode: "open" });
    root.innerHTML =
      "<style></style>" +
      '<div class="wrap">' +
      '<button class="launcher" type="button" aria-expanded="false" aria-controls="askconv-panel">' + ICON + "</button>" +
      '<div class="panel" id="askconv-panel" role="dialog" hidden>' +
      '<div class="head"><h2></h2><button class="close" type="button">&times;</button></div>' +
      "</div></div>";
    root.querySelector("style").textContent = STYLE;
    var wrap = root.querySelector(".wrap");
    wrap.style.setProperty("--accent", accent);
    var launcher = root.querySelector(".launcher");
    var panel = root.querySelector(".panel");
    var close = root.querySelector(".close");
    launcher.setAttribute("aria-label", t.open + ": " + title);
    launcher.title = t.open;
    panel.setAttribute("aria-label", title);
    root.querySelector("h2").textContent = title;
    close.setAttribute("aria-label", t.close);
    var frame = null;

    function ensureFrame() {
      if (frame) return;
      var src = new URL("widget", server);
      src.searchParams.set("title", title);
      src.searchParams.set("lang", lang);
      if (data.greeting) src.searchParams.set("greeting", data.greeting);
      src.searchParams.set("accent", accent);
      frame = document.createElement("iframe");
      frame.title = title + " chat";
      frame.src = src.href;
      frame.addEventListener("load", function () { if (!panel.hidden) focusChat(); });
      panel.appendChild(frame);
    }

    function focusChat() {
      if (!frame || !frame.contentWindow) return;
      frame.focus();
      frame.contentWindow.postMessage({ type: "askconv:focus" }, origin);
    }

    function setOpen(open, byUser) {
      if (open) ensureFrame();
      panel.hidden = !open;
      wrap.classList.toggle("open", open);
      launcher.setAttribute("aria-expanded", String(open));
      remember(open);
      if (byUser) {
        if (open) focusChat();
        else launcher.focus();
      }
    }

    launcher.addEventListener("click", function () { setOpen(panel.hidden, true); });
    close.addEventListener("click", function () { setOpen(false, true); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") setOpen(false, true);
    });
    window.addEventListener("message", function (event) {
      if (event.origin !== origin || !frame || event.source !== frame.contentWindow) return;
      if (event.data && event.data.type === "askconv:close") setOpen(false, true);
    });
    document.body.appendChild(host);
    if (wasOpen()) setOpen(true, false);
  }

  function start() {
    // The server says whether this site may show the chat; a refused origin gets no widget.
    fetch(new URL("widget/config", server).href, { mode: "cors", credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        if (document.body) mount();
        else document.addEventListener("DOMContentLoaded", mount);
      })
      .catch(function () {
        console.warn("askconvergence: the chat is not available on " + location.origin +
          ": the server does not list this site in ASKCONV_ALLOWED_ORIGINS, or cannot be reached.");
      });
  }

  start();
})();

/* askconvergence compact chat: streams answers from api/chat and shows their cited passages.
   Talks only to the server it came from; keeps the conversation in sessionStorage (this tab). */
(function () {
  "use strict";

  var TEXT = {
    en: {
      greeting: "Hello! Ask me about Convergence Health & Technology. I answer from its documents and show my sources.",
      placeholder: "Ask a question…",
      label: "Your question",
      send: "Send",
      sources: "Sources",
      showSource: "Show source",
      searching: "Searching the documents…",
      writing: "Writing an answer from {n} passages…",
      queued: "The model is busy: you are number {n} in line…",
      clear: "New conversation",
      failed: "Sorry, something went wrong. Please try again.",
      offline: "The chat server cannot be reached. Please try again later.",
      conversation: "Conversation",
      you: "You",
      bot: "Answer"
    },
    nl: {
      greeting: "Hallo! Stel een vraag over Convergence Health & Technology. Ik antwoord vanuit de documenten en toon mijn bronnen.",
      placeholder: "Stel een vraag…",
      label: "Je vraag",
      send: "Verstuur",
      sources: "Bronnen",
      showSource: "Toon bron",
      searching: "De documenten doorzoeken…",
      writing: "Antwoord schrijven op basis van {n} passages…",
      queued: "Het model is bezig: u bent nummer {n} in de rij…",
      clear: "Nieuw gesprek",
      failed: "Sorry, er ging iets mis. Probeer het opnieuw.",
      offline: "De chatserver is niet bereikbaar. Probeer het later opnieuw.",
      conversation: "Gesprek",
      you: "Jij",
      bot: "Antwoord"
    }
  };
  var STORE = "askconv:conversation";
  var CONTEXT_MESSAGES = 10; // earlier messages sent along; the server uses only the last few

  var params = new URLSearchParams(location.search);
  var lang = (params.get("lang") || navigator.language || "en").slice(0, 2).toLowerCase();
  var t = TEXT[lang] || TEXT.en;
  var title = params.get("title") || "Ask Convergence";
  var greeting = params.get("greeting") || t.greeting;
  var accent = params.get("accent");
  var embedded = window.parent !== window;

  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var clear = document.getElementById("clear");
  var heading = document.getElementById("title");
  var messages = load();
  var busy = false;

  document.documentElement.lang = TEXT[lang] ? lang : "en";
  document.title = title;
  heading.textContent = title;
  heading.hidden = embedded;
  if (accent && window.CSS && CSS.supports("color", accent)) {
    document.documentElement.style.setProperty("--accent", accent);
  }
  input.placeholder = t.placeholder;
  document.getElementById("question-label").textContent = t.label;
  send.textContent = t.send;
  clear.textContent = t.clear;
  log.setAttribute("aria-label", t.conversation);

  fetch("widget/config", { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (cfg) { if (cfg && cfg.max_message_chars) input.maxLength = cfg.max_message_chars; })
    .catch(function () {});

  function load() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(STORE) || "[]");
      return Array.isArray(saved) ? saved : [];
    } catch (e) {
      return [];
    }
  }

  function save() {
    try { sessionStorage.setItem(STORE, JSON.stringify(messages)); } catch (e) { /* storage off */ }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function bubble(role, label) {
    var item = el("div", "msg " + role);
    item.appendChild(el("span", "sr-only", label + ": "));
    var body = el("div", "body");
    item.appendChild(body);
    log.appendChild(item);
    return body;
  }

  // The answer text with each [n] marker turned into a link that opens passage n below it.
  function renderAnswer(body, text, citations, id) {
    body.textContent = "";
    var para = el("p", "text");
    var known = {};
    (citations || []).forEach(function (c) { known[c.n] = true; });
    var pattern = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      para.appendChild(document.createTextNode(text.slice(last, match.index)));
      match[1].split(",").forEach(function (raw, i) {
        var n = parseInt(raw, 10);
        if (!known[n]) { para.appendChild(document.createTextNode((i ? "," : "") + "[" + n + "]")); return; }
        var link = el("a", "marker", "[" + n + "]");
        link.href = "#src-" + id + "-" + n;
        link.setAttribute("aria-label", t.showSource + " " + n);
        link.addEventListener("click", function (event) {
          event.preventDefault();
          var target = document.getElementById("src-" + id + "-" + n);
          if (target) { target.open = true; target.querySelector("summary").focus(); }
        });
        para.appendChild(link);
      });
      last = pattern.lastIndex;
    }
    para.appendChild(document.createTextNode(text.slice(last)));
    body.appendChild(para);
    if (citations && citations.length) {
      var box = el("div", "sources");
      box.appendChild(el("p", "sources-label", t.sources));
      citations.forEach(function (c) {
        var item = el("details", "source");
        item.id = "src-" + id + "-" + c.n;
        item.appendChild(el("summary", "", "[" + c.n + "] " + c.title));
        item.appendChild(el("p", "passage", c.text));
        box.appendChild(item);
      });
      body.appendChild(box);
    }
  }

  function renderAll() {
    log.textContent = "";
    bubble("assistant greeting", t.bot).appendChild(el("p", "text", greeting));
    messages.forEach(function (m, i) {
      if (m.role === "user") bubble("user", t.you).appendChild(el("p", "text", m.content));
      else if (m.role === "error") showError(m.content, false);
      else renderAnswer(bubble("assistant", t.bot), m.content, m.citations, i);
    });
    log.scrollTop = log.scrollHeight;
  }

  function showError(text, announce) {
    var body = bubble("error", "!");
    var p = el("p", "text", text);
    if (announce) p.setAttribute("role", "alert");
    body.appendChild(p);
    log.scrollTop = log.scrollHeight;
  }

  function fail(text) {
    messages.push({ role: "error", content: text });
    save();
    showError(text, true);
  }

  // Server-Sent Events from a fetch body: yields {event, data} as frames complete.
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true });
        var frames = buffer.split("\n\n");
        buffer = frames.pop();
        frames.forEach(function (frame) {
          var name = "message";
          var data = "";
          frame.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
          });
          if (data) onEvent(name, JSON.parse(data));
        });
        return pump();
      });
    }
    return pump();
  }

  function ask(question) {
    messages.push({ role: "user", content: question });
    save();
    bubble("user", t.you).appendChild(el("p", "text", question));
    var id = messages.length;
    var body = bubble("assistant", t.bot);
    var status = el("p", "status", t.searching);
    var para = el("p", "text");
    body.appendChild(status);
    body.appendChild(para);
    body.parentNode.setAttribute("aria-busy", "true");
    log.scrollTop = log.scrollHeight;
    var history = messages
      .filter(function (m) { return m.role === "user" || m.role === "assistant"; })
      .slice(-CONTEXT_MESSAGES)
      .map(function (m) { return { role: m.role, content: m.content }; });
    var finished = false;

    return fetch("api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ messages: history, stream: true }),
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (err) {
          body.parentNode.remove();
          fail(typeof err.detail === "string" ? err.detail : t.failed);
          finished = true;
        });
      }
      return readEvents(response, function (name, data) {
        if (name === "citations") {
          status.textContent = t.writing.replace("{n}", data.length);
        } else if (name === "queued") {
          status.textContent = t.queued.replace("{n}", data.position);
        } else if (name === "token") {
          status.remove();
          para.textContent += data;
          log.scrollTop = log.scrollHeight;
        } else if (name === "done") {
          finished = true;
          messages.push({ role: "assistant", content: data.answer, citations: data.citations, grounded: data.grounded });
          save();
          renderAnswer(body, data.answer, data.citations, messages.length - 1);
        } else if (name === "error") {
          finished = true;
          body.parentNode.remove();
          fail(data.detail || t.failed);
        }
      });
    }).catch(function () {
      if (!finished) { body.parentNode.remove(); fail(t.offline); finished = true; }
    }).then(function () {
      if (!finished) { body.parentNode.remove(); fail(t.failed); }
      if (body.parentNode) body.parentNode.removeAttribute("aria-busy");
      log.scrollTop = log.scrollHeight;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || busy) return;
    busy = true;
    send.disabled = true;
    input.value = "";
    ask(question).then(function () {
      busy = false;
      send.disabled = false;
      input.focus();
    });
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  clear.addEventListener("click", function () {
    messages = [];
    save();
    renderAll();
    input.focus();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && embedded) window.parent.postMessage({ type: "askconv:close" }, "*");
  });

  window.addEventListener("message", function (event) {
    if (event.source === window.parent && event.data && event.data.type === "askconv:focus") input.focus();
  });

  renderAll();
})();

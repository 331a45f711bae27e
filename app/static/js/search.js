/* The global search dialog: Ctrl+K (⌘K on a Mac), "/" outside a field, the top bar box or its
   phone button open it; typing asks /search/ (debounced, stale requests cancelled) and lists the
   hits grouped by module; arrows move, Enter opens, Esc closes. Without script the top bar form
   still opens the results page. */
(function () {
  "use strict";
  if (window.zwtSearch) { return; }
  var form = document.getElementById("zwt-global-search");
  var topInput = document.getElementById("zwt-global-search-input");
  var phoneButton = document.getElementById("zwt-search-open");
  if (!form && !phoneButton) { return; }          // signed out: no search
  var DEBOUNCE_MS = 150, CACHE_SIZE = 30;
  var isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
  var searchUrl = (form && form.getAttribute("action")) || "/search/";
  var dialog, input, results, statusBox, loading, early, timer, controller, lastFocus, active = -1, options = [];
  var cache = new Map();

  function text(name, values) {
    var value = dialog.getAttribute("data-text-" + name) || "";
    Object.keys(values || {}).forEach(function (key) { value = value.split("{" + key + "}").join(values[key]); });
    return value;
  }

  function load() {
    if (dialog) { return Promise.resolve(dialog); }
    if (loading) { return loading; }
    var present = document.getElementById("zwt-search-dialog");
    // The dialog comes with every signed-in page; without it the top bar form opens the results page.
    var ready = present ? Promise.resolve(present) : Promise.reject(new Error("no search dialog"));
    loading = ready.then(function (element) {
      dialog = element;
      input = document.getElementById("zwt-search-dialog-input");
      results = document.getElementById("zwt-search-results");
      statusBox = document.getElementById("zwt-search-status");
      searchUrl = dialog.getAttribute("data-url") || searchUrl;
      wire();
      return dialog;
    }, function (error) { loading = null; throw error; });
    return loading;
  }

  function isOpen() { return dialog && !dialog.hidden; }

  function open(initial, selectAll) {
    var from = document.activeElement;
    if (!dialog && !early) {
      // Keys typed while the dialog's markup is on its way are kept for its field.
      early = function (event) {
        if (event.key && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
          early.typed += event.key;
          event.preventDefault();
        }
      };
      early.typed = "";
      document.addEventListener("keydown", early, true);
    }
    return load().then(function () {
      var typed = "";
      if (early) {
        document.removeEventListener("keydown", early, true);
        typed = early.typed;
        early = null;
      }
      if (!isOpen()) {
        lastFocus = from;
        dialog.hidden = false;
        document.documentElement.classList.add("zwt-search-locked");
      }
      var text = (typeof initial === "string" ? initial : (typed ? "" : input.value)) + typed;
      if ((typeof initial === "string" || typed) && text !== input.value) {
        input.value = text;
        schedule(0);
      }
      input.focus();
      if ((typeof initial !== "string" && !typed) || selectAll) { input.select(); }
    }, function () {
      if (early) { document.removeEventListener("keydown", early, true); early = null; }
      // The dialog could not be loaded: the results page still works.
      var q = topInput ? topInput.value.trim() : "";
      window.location.assign(searchUrl + (q ? "?q=" + encodeURIComponent(q) : ""));
    });
  }

  function close() {
    if (!isOpen()) { return; }
    dialog.hidden = true;
    document.documentElement.classList.remove("zwt-search-locked");
    if (controller) { controller.abort(); }
    clearTimeout(timer);
    if (topInput) { topInput.value = input.value; }
    var back = lastFocus && lastFocus !== topInput && document.contains(lastFocus) ? lastFocus : null;
    if (back && back.focus) { back.focus(); } else if (phoneButton && phoneButton.offsetParent) { phoneButton.focus(); }
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(run, delay === undefined ? DEBOUNCE_MS : delay);
  }

  function remember(q, value) {
    cache.set(q, value);
    if (cache.size > CACHE_SIZE) { cache.delete(cache.keys().next().value); }
  }

  function run() {
    var q = input.value.trim();
    if (controller) { controller.abort(); controller = null; }
    if (!q) { show({ groups: [], hint: "" }, ""); statusBox.textContent = ""; return; }
    if (cache.has(q)) { show(cache.get(q), q); return; }
    var mine = controller = new AbortController();
    results.setAttribute("aria-busy", "true");
    var slow = setTimeout(function () { if (controller === mine) { statusBox.textContent = text("loading"); } }, 250);
    fetch(searchUrl + "?q=" + encodeURIComponent(q), {
      credentials: "same-origin", headers: { Accept: "application/json" }, signal: mine.signal
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) { return { ok: resp.ok, body: body }; });
    }).then(function (answer) {
      if (controller !== mine) { return; }
      var body = answer.ok ? answer.body : { groups: [], error: answer.body.message || text("failed") };
      if (answer.ok) { remember(q, body); }
      show(body, q);
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      if (controller === mine) { show({ groups: [], error: text("failed") }, q); }
    }).then(function () {
      clearTimeout(slow);
      if (controller === mine) { controller = null; results.removeAttribute("aria-busy"); }
    });
  }

  function highlight(element, value, q) {
    var lower = value.toLowerCase(), needle = q.toLowerCase(), at = needle ? lower.indexOf(needle) : -1, from = 0;
    while (at >= 0) {
      element.appendChild(document.createTextNode(value.slice(from, at)));
      var mark = document.createElement("mark");
      mark.textContent = value.slice(at, at + needle.length);
      element.appendChild(mark);
      from = at + needle.length;
      at = lower.indexOf(needle, from);
    }
    element.appendChild(document.createTextNode(value.slice(from)));
  }

  function span(className, value, q) {
    var element = document.createElement("span");
    element.className = className;
    if (q) { highlight(element, value, q); } else { element.textContent = value; }
    return element;
  }

  function option(href, id, className) {
    var link = document.createElement("a");
    link.href = href;
    link.id = id;
    link.className = className;
    link.setAttribute("role", "option");
    link.setAttribute("aria-selected", "false");
    link.tabIndex = -1;
    return link;
  }

  function show(body, q) {
    results.textContent = "";
    options = [];
    active = -1;
    var total = 0;
    (body.groups || []).forEach(function (group, g) {
      var box = document.createElement("div");
      box.className = "zwt-search-group";
      box.setAttribute("role", "group");
      box.setAttribute("data-module", group.module);
      box.setAttribute("aria-labelledby", "zwt-search-group-" + g);
      var head = document.createElement("div");
      head.className = "zwt-search-group-head";
      head.id = "zwt-search-group-" + g;
      var icon = document.createElement("i");
      icon.className = "fa fa-fw " + (group.icon || "fa-table");
      icon.setAttribute("aria-hidden", "true");
      head.appendChild(icon);
      head.appendChild(document.createTextNode(" " + group.label));
      box.appendChild(head);
      group.hits.forEach(function (hit) {
        var link = option(hit.url, "zwt-search-option-" + options.length, "zwt-search-option");
        link.appendChild(span("zwt-search-title", hit.title, q));
        if (hit.code) { link.appendChild(span("zwt-search-code", hit.code, q)); }
        if (hit.secondary) { link.appendChild(span("zwt-search-secondary", hit.secondary, "")); }
        box.appendChild(link);
        options.push(link);
        total += 1;
      });
      if (group.more || group.partial) {
        var more = option(group.more_url, "zwt-search-option-" + options.length, "zwt-search-option zwt-search-more");
        more.textContent = text("more") + " · " + group.label;
        if (group.partial) { more.title = text("partial"); }
        box.appendChild(more);
        options.push(more);
      }
      results.appendChild(box);
    });
    input.setAttribute("aria-expanded", options.length ? "true" : "false");
    input.removeAttribute("aria-activedescendant");
    var message = body.error || (q && !total ? (body.hint || text("empty", { q: q })) : (body.hint || ""));
    statusBox.textContent = message || (total ? text("count", { n: total }) : "");
    statusBox.classList.toggle("zwt-search-error", Boolean(body.error));
    results.hidden = !options.length;
    if (options.length) { move(0); }
  }

  function move(index) {
    if (!options.length) { return; }
    if (active >= 0 && options[active]) { options[active].setAttribute("aria-selected", "false"); }
    active = (index + options.length) % options.length;
    var current = options[active];
    current.setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", current.id);
    if (current.scrollIntoView) { current.scrollIntoView({ block: "nearest" }); }
  }

  function focusables() {
    return Array.prototype.filter.call(dialog.querySelectorAll("input, button, a[href], [tabindex]"), function (el) {
      return el.tabIndex >= 0 && !el.disabled && el.offsetParent !== null;
    });
  }

  function onKey(event) {
    if (event.isComposing) { return; }
    if (event.key === "Escape") { event.preventDefault(); close(); return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(active + (event.key === "ArrowDown" ? 1 : -1));
      return;
    }
    if (event.key === "Enter" && event.target === input) {
      event.preventDefault();
      var q = input.value.trim();
      if (timer && q && !cache.has(q)) { clearTimeout(timer); run(); return; }   // typed faster than the debounce
      if (active >= 0 && options[active]) { window.location.assign(options[active].href); }
      else if (q) { window.location.assign(searchUrl + "?q=" + encodeURIComponent(q)); }
      return;
    }
    if (event.key === "Tab") {
      var items = focusables(), first = items[0], last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    }
  }

  function wire() {
    // While an input method composes (拼音), the field holds letters, not what is meant.
    input.addEventListener("input", function (event) { if (!event.isComposing) { schedule(); } });
    input.addEventListener("compositionend", function () { schedule(); });
    dialog.addEventListener("keydown", onKey);
    dialog.addEventListener("click", function (event) {
      if (event.target.closest("[data-zwt-search-close]")) { close(); }
    });
    results.addEventListener("mousemove", function (event) {
      var link = event.target.closest(".zwt-search-option");
      var index = options.indexOf(link);
      if (index >= 0 && index !== active) { move(index); }
    });
    // Focus never leaves the dialog while it is open.
    document.addEventListener("focusin", function (event) {
      if (isOpen() && !dialog.contains(event.target)) { input.focus(); }
    });
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  document.addEventListener("keydown", function (event) {
    var key = (event.key || "").toLowerCase();
    if (key === "k" && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      open();
    } else if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target) && !isOpen()) {
      event.preventDefault();
      open();
    }
  });

  if (topInput) {
    topInput.addEventListener("focus", function () { open(topInput.value, true); });
    topInput.addEventListener("input", function () { open(topInput.value); });
  }
  if (form) {
    form.addEventListener("submit", function (event) { event.preventDefault(); open(topInput ? topInput.value : ""); });
    var hint = form.querySelector(".zwt-kbd");
    if (hint && isMac) { hint.textContent = "⌘ K"; }
  }
  if (phoneButton) { phoneButton.addEventListener("click", function () { open(); }); }

  window.zwtSearch = { open: open, close: close };
})();

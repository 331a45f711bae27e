// A detail page's tabs: the page draws the Detail tab and every tab's count; a tab's content is
// fetched from its pane's data-src when it is first opened (a loading note keeps the pane's
// height; a refusal or failure is said in the pane). The open tab is in the address (?tab=<key>):
// back/forward move between tabs and a reload draws the same one. Without script each tab's link
// reloads the page with ?tab=<key>. A hash naming a pane (#zwt-tab-comments) opens it too, and the
// tab last opened on a detail page opens again on the next one.
(function () {
  "use strict";
  var $ = window.jQuery;
  var strip = document.getElementById("zwt-show-tabs");
  if (!$ || !strip) { return; }
  var STORE = "zwt-last-tab";
  var nonce = (document.currentScript && document.currentScript.nonce) || "";
  var restoring = false;

  function linkOf(key) { return strip.querySelector('a[data-zwt-tab="' + key + '"]'); }
  function paneOf(link) { return document.querySelector(link.getAttribute("data-target")); }
  function keyInAddress() { return new URLSearchParams(window.location.search).get("tab"); }

  function note(pane, text, tone) {
    var p = document.createElement("p");
    p.className = tone === "error" ? "alert alert-danger zwt-tab-error" : "zwt-muted zwt-tab-loading";
    if (tone !== "error") {
      var icon = document.createElement("i");
      icon.className = "fa fa-spinner fa-spin";
      p.appendChild(icon);
      p.appendChild(document.createTextNode(" "));
    }
    p.appendChild(document.createTextNode(text));
    pane.replaceChildren(p);
  }

  function runScripts(pane) {
    // Scripts that came with the fragment (a tab's own file) run as they would on a page.
    pane.querySelectorAll("script").forEach(function (old) {
      var script = document.createElement("script");
      if (old.src) { script.src = old.src; } else { script.textContent = old.textContent; }
      if (nonce) { script.nonce = nonce; }
      old.parentNode.replaceChild(script, old);
    });
  }

  function fill(pane, url, height) {
    pane.setAttribute("data-loaded", "loading");
    pane.style.minHeight = Math.max(height || 0, 120) + "px";
    note(pane, strip.getAttribute("data-loading"));
    return fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "XMLHttpRequest"}})
      .then(function (response) {
        if (response.redirected || response.status === 403 || response.status === 404) {
          throw {zwt: strip.getAttribute("data-refused")};
        }
        if (!response.ok) { throw {zwt: strip.getAttribute("data-failed")}; }
        return response.text();
      })
      .then(function (html) {
        // The server's fragment (its text escaped there), parsed apart and moved in.
        var parsed = new DOMParser().parseFromString("<body>" + html, "text/html");
        pane.replaceChildren.apply(pane, Array.prototype.slice.call(parsed.body.childNodes));
        runScripts(pane);
        pane.setAttribute("data-loaded", "1");
      })
      .catch(function (error) {
        note(pane, (error && error.zwt) || strip.getAttribute("data-failed"), "error");
        pane.removeAttribute("data-loaded");
      })
      .then(function () { pane.style.minHeight = ""; });
  }

  function setAddress(key, extra, replace) {
    var params = new URLSearchParams(extra || "");
    params.delete("tab");
    var kept = new URLSearchParams(window.location.search);
    var query = new URLSearchParams();
    kept.forEach(function (value, name) {
      // the previous tab's own page/sort arguments go with it
      if (!/^(tab|page_|psize_|_oc_|_od_)/.test(name)) { query.append(name, value); }
    });
    if (key && key !== "detail") { query.set("tab", key); }
    params.forEach(function (value, name) { query.append(name, value); });
    var address = window.location.pathname + (query.toString() ? "?" + query.toString() : "");
    if (address === window.location.pathname + window.location.search && !window.location.hash) { return; }
    window.history[replace ? "replaceState" : "pushState"]({zwtTab: key}, "", address);
  }

  $(strip).on("show.bs.tab", "a[data-zwt-tab]", function (event) {
    var pane = paneOf(event.target);
    if (pane && pane.getAttribute("data-src") && !pane.getAttribute("data-loaded")) {
      var shown = document.querySelector(".tab-content > .tab-pane.active");
      fill(pane, pane.getAttribute("data-src"), shown ? shown.offsetHeight : 0);
    }
  });
  $(strip).on("shown.bs.tab", "a[data-zwt-tab]", function (event) {
    var key = event.target.getAttribute("data-zwt-tab");
    try { window.localStorage.setItem(STORE, key); } catch (e) { /* private mode */ }
    if (!restoring) { setAddress(key); }
  });
  // The links are addresses (?tab=…) for use without script; with it they only switch tabs.
  $(strip).on("click", "a[data-zwt-tab]", function (event) { event.preventDefault(); });

  function open(key, replace) {
    var link = linkOf(key || "detail") || linkOf("detail");
    if (!link) { return; }
    restoring = true;
    $(link).tab("show");
    restoring = false;
    if (replace) { setAddress(link.getAttribute("data-zwt-tab"), window.location.search, true); }
  }

  // A related list's page, size and sort links inside a fetched pane fetch the pane again.
  document.querySelector(".tab-content").addEventListener("click", function (event) {
    var link = event.target.closest("a[href]");
    var pane = link && link.closest(".tab-pane[data-src]");
    if (!pane || event.defaultPrevented || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var url = new URL(link.href, window.location.href);
    var src = new URL(pane.getAttribute("data-src"), window.location.href);
    var here = url.pathname === src.pathname ||
      (url.pathname === window.location.pathname && /(^|[?&])(page_|psize_|_oc_|_od_)/.test(url.search));
    if (!here || url.origin !== window.location.origin) { return; }
    event.preventDefault();
    var key = pane.id === "History" ? "history" : strip.querySelector('a[data-target="#' + pane.id + '"]').getAttribute("data-zwt-tab");
    var query = new URLSearchParams(url.search);
    query.delete("tab");
    fill(pane, src.pathname + (query.toString() ? "?" + query.toString() : ""), pane.offsetHeight);
    setAddress(key, query.toString());
  });

  window.addEventListener("popstate", function () {
    var key = keyInAddress() || "detail";
    var link = linkOf(key);
    var pane = link && paneOf(link);
    // A pane drawn for other page/sort arguments than the address now has is fetched again.
    if (pane && pane.getAttribute("data-src") && key !== "detail") {
      var query = new URLSearchParams(window.location.search);
      query.delete("tab");
      var src = new URL(pane.getAttribute("data-src"), window.location.href).pathname;
      fill(pane, src + (query.toString() ? "?" + query.toString() : ""), pane.offsetHeight);
    }
    open(key);
  });

  // A tab shown before this script ran (a click while the page was still loading) is fetched now.
  var early = document.querySelector(".tab-content > .tab-pane.active[data-src]:not([data-loaded])");
  if (early) { fill(early, early.getAttribute("data-src"), 0); }

  // On arrival: the address's tab (drawn by the page), else a hash naming a pane, else the last one.
  var hash = window.location.hash ? window.location.hash.slice(1) : "";
  var byHash = hash && strip.querySelector('a[data-target="#' + CSS.escape(hash) + '"]');
  if (byHash) {
    open(byHash.getAttribute("data-zwt-tab"), true);
  } else if (!keyInAddress() && !/(^|[?&])(page_|psize_|_oc_|_od_)/.test(window.location.search)) {
    var last = null;
    try { last = window.localStorage.getItem(STORE); } catch (e) { /* private mode */ }
    if (last && last !== "detail" && linkOf(last)) { open(last, true); }
  }
})();

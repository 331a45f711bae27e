/* The shell: fold the sidebar to icons (remembered in a cookie the server reads, so the next
   page is drawn folded without a jump), the phone drawer, menu groups and the theme. */
(function () {
  "use strict";
  var body = document.body;
  var YEAR = 60 * 60 * 24 * 365;

  function remember(name, value) {
    document.cookie = name + "=" + value + "; path=/; max-age=" + YEAR + "; SameSite=Lax";
  }

  var fold = document.getElementById("zwt-fold");
  function foldLabel() {
    if (!fold) { return; }
    var label = fold.getAttribute(body.classList.contains("zwt-folded") ? "data-unfold" : "data-fold");
    fold.setAttribute("aria-label", label);
    fold.setAttribute("title", label);
    fold.setAttribute("aria-expanded", body.classList.contains("zwt-folded") ? "false" : "true");
  }
  if (fold) {
    foldLabel();
    fold.addEventListener("click", function () {
      body.classList.toggle("zwt-folded");
      remember("zwt_sidebar", body.classList.contains("zwt-folded") ? "folded" : "open");
      foldLabel();
    });
  }

  var opener = document.getElementById("zwt-drawer-open");
  var backdrop = document.getElementById("zwt-backdrop");
  var sidebar = document.getElementById("zwt-sidebar");
  function drawer(open) {
    body.classList.toggle("zwt-drawer", open);
    if (backdrop) { backdrop.hidden = !open; }
    if (opener) { opener.setAttribute("aria-expanded", open ? "true" : "false"); }
    if (open && sidebar) {
      var first = sidebar.querySelector("a, button");
      if (first) { first.focus(); }
    } else if (!open && opener) {
      opener.focus();
    }
  }
  if (opener) { opener.addEventListener("click", function () { drawer(!body.classList.contains("zwt-drawer")); }); }
  if (backdrop) { backdrop.addEventListener("click", function () { drawer(false); }); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && body.classList.contains("zwt-drawer")) { drawer(false); }
  });

  var nav = document.getElementById("zwt-nav");
  if (nav) {
    nav.addEventListener("click", function (event) {
      var button = event.target.closest(".zwt-nav-toggle");
      if (!button || !nav.contains(button)) { return; }
      var group = button.parentElement;
      var open = !group.classList.contains("zwt-open");
      group.classList.toggle("zwt-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    /* The menu's entries: drawn already from the browser's copy (base.html), or fetched once from the menu's own
       address, which the browser keeps (a changed menu has a new address). */
    if (!nav.hasAttribute("data-ready") && nav.getAttribute("data-menu") && window.fetch) {
      fetch(nav.getAttribute("data-menu"), { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        var digest = response.headers.get("X-Menu-Digest");
        return response.json().then(function (entries) {
          try {
            var address = digest ? nav.getAttribute("data-menu").replace(/[^/]*$/, digest) : nav.getAttribute("data-menu");
            localStorage.setItem("zwt_menu", JSON.stringify({ d: address, e: entries }));
          } catch (e) { /* the browser keeps nothing: fetched again next page (from its HTTP cache) */ }
          if (!nav.hasAttribute("data-ready") && window.zwtMenu) { window.zwtMenu(entries); }
        });
      }).catch(function () {
        nav.setAttribute("data-ready", "");
        nav.setAttribute("data-failed", "");
      });
    }
  }

  document.querySelectorAll(".zwt-theme-choice").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var theme = link.getAttribute("data-theme");
      document.documentElement.setAttribute("data-theme", theme);
      remember("zwt_theme", theme);
      document.querySelectorAll(".zwt-theme-choice").forEach(function (other) {
        other.setAttribute("aria-checked", other === link ? "true" : "false");
      });
    });
  });
})();

/* Select boxes that FAB turns into select2 widgets keep their field's name for screen readers. */
jQuery(function ($) {
  "use strict";
  $("select").each(function () {
    var select = this;
    var label = select.id ? document.querySelector("label[for='" + select.id + "']") : null;
    var name = select.getAttribute("aria-label") || (label ? label.textContent.trim() : "") || select.name;
    var rendered = document.getElementById("select2-" + select.id + "-container");
    if (rendered && name) {
      rendered.setAttribute("aria-label", name);
      var box = rendered.closest(".select2-selection");
      if (box && !box.getAttribute("aria-label")) { box.setAttribute("aria-label", name); }
    }
  });
});

/* A table or box that scrolls sideways on a small screen can be reached and scrolled with the keyboard. */
(function () {
  "use strict";
  function reachable() {
    document.querySelectorAll(".zwt-content table.table, .zwt-scroll-x, .table-responsive").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        if (!box.hasAttribute("tabindex")) { box.setAttribute("tabindex", "0"); }
      }
    });
  }
  window.addEventListener("load", reachable);
  window.addEventListener("resize", reachable);
})();

/* On a phone (a coarse pointer) or in the installed app, the service worker shows /offline when there is no
   network (app/core/pwa.py). */
(function () {
  if (!("serviceWorker" in navigator) || !window.matchMedia) return;
  if (!(window.matchMedia("(pointer: coarse)").matches || window.matchMedia("(display-mode: standalone)").matches)) return;
  if (document.body.classList.contains("zwt-anon")) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* not offered: fine */ });
})();

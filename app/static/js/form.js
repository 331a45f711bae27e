/* Detail pages and forms of every module:
   - amounts keep thousands separators while typed and two decimals after (1,234,567.80);
   - leaving a changed form asks first (closing the tab, or following a link in the app);
   - the record bar's 更多 menu and in-page confirmations work with mouse and keyboard. */
(function () {
  "use strict";

  // -- amounts ------------------------------------------------------------------------------------
  var FULL_WIDTH = /[\uFF10-\uFF19\uFF0C\uFF0E\uFFE5\uFF0D]/g;
  var AMOUNT_CHARS = /^[\s\d,.\u00a5-]*$/;

  function halfWidth(text) {
    return text.replace(FULL_WIDTH, function (ch) {
      var code = ch.charCodeAt(0);
      if (code === 0xFFE5) { return "\u00a5"; }
      return String.fromCharCode(code - 0xFEE0);
    });
  }

  function grouped(integer) {
    return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  /* The amount as typed, with separators put back; null when it holds other characters
     (left alone: the server says what is wrong). */
  function typed(text) {
    text = halfWidth(text);
    if (!AMOUNT_CHARS.test(text)) { return null; }
    var negative = text.indexOf("-") !== -1;
    var clean = text.replace(/[^\d.]/g, "");
    var dot = clean.indexOf(".");
    var integer = dot === -1 ? clean : clean.slice(0, dot);
    var decimals = dot === -1 ? null : clean.slice(dot + 1).replace(/\./g, "");
    integer = integer.replace(/^0+(?=\d)/, "");
    if (integer === "" && decimals !== null) { integer = "0"; }
    var out = grouped(integer) + (decimals === null ? "" : "." + decimals);
    return out === "" ? "" : (negative ? "-" : "") + out;
  }

  /* Two decimals, rounded half up by digits (never through a float of the amount). */
  function finished(text) {
    var value = typed(text);
    if (value === null) { return text; }
    if (value === "" || value === "-") { return ""; }
    var negative = value.charAt(0) === "-";
    var parts = value.replace(/[-,]/g, "").split(".");
    var integer = parts[0] || "0";
    var decimals = ((parts[1] || "") + "000").slice(0, 3);
    var cents = parseInt(decimals.slice(0, 2), 10) + (decimals.charAt(2) >= "5" ? 1 : 0);
    if (cents === 100) {
      cents = 0;
      integer = addOne(integer);
    }
    var out = grouped(integer.replace(/^0+(?=\d)/, "")) + "." + (cents < 10 ? "0" : "") + cents;
    return (negative && /[1-9]/.test(out) ? "-" : "") + out;
  }

  function addOne(digits) {
    var out = "", carry = 1;
    for (var i = digits.length - 1; i >= 0; i--) {
      var d = digits.charCodeAt(i) - 48 + carry;
      carry = d > 9 ? 1 : 0;
      out = String(d % 10) + out;
    }
    return carry ? "1" + out : out;
  }

  function significant(text, end) {
    return text.slice(0, end).replace(/[^\d.-]/g, "").length;
  }

  function caretAfter(text, count) {
    if (count === 0) { return 0; }
    var seen = 0;
    for (var i = 0; i < text.length; i++) {
      if (/[\d.-]/.test(text.charAt(i))) { seen++; }
      if (seen === count) { return i + 1; }
    }
    return text.length;
  }

  function onMoneyInput(event) {
    var input = event.target;
    if (event.isComposing) { return; }
    var before = input.value;
    var value = typed(before);
    if (value === null || value === before) { return; }
    var count = significant(halfWidth(before), input.selectionStart || 0);
    input.value = value;
    var at = caretAfter(value, count);
    try { input.setSelectionRange(at, at); } catch (e) { /* not focused */ }
  }

  document.querySelectorAll("input[data-zwt-money]").forEach(function (input) {
    input.addEventListener("input", onMoneyInput);
    input.addEventListener("compositionend", onMoneyInput);
    input.addEventListener("blur", function () { input.value = finished(input.value); });
  });

  // -- leaving a changed form ---------------------------------------------------------------------
  var IGNORED = { csrf_token: true, zwt_version: true };
  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-zwt-form]"));
  var leaving = false;

  function state(form) {
    var parts = [];
    new FormData(form).forEach(function (value, name) {
      if (!IGNORED[name]) { parts.push(name + "=" + (typeof value === "string" ? value : value.name)); }
    });
    return parts.join("&");
  }

  function changed() {
    return forms.some(function (form) {
      return !form.zwtSubmitted && (form.zwtUnsaved || state(form) !== form.zwtInitial);
    });
  }

  function watch() {
    forms.forEach(function (form) {
      form.zwtInitial = state(form);
      // A form that came back from the server (a message next to a field, a stale save) holds
      // typing that is not saved yet.
      form.zwtUnsaved = form.getAttribute("data-zwt-unsaved") === "true";
      form.addEventListener("submit", function () { form.zwtSubmitted = true; });
    });
  }

  if (forms.length) {
    // After FAB's set-up of select boxes and date pickers (it runs when the DOM is ready).
    if (window.jQuery) { window.jQuery(watch); } else { watch(); }

    window.addEventListener("beforeunload", function (event) {
      if (leaving || !changed()) { return; }
      event.preventDefault();
      event.returnValue = "";
    });

    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href]") : null;
      if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey ||
          event.shiftKey || event.altKey || link.target === "_blank" || link.hasAttribute("download") ||
          link.hasAttribute("data-toggle")) { return; }
      var href = link.getAttribute("href");
      if (!href || href.charAt(0) === "#" || href.indexOf("javascript:") === 0 || !changed()) { return; }
      if (window.confirm(forms[0].getAttribute("data-zwt-leave"))) {
        leaving = true;
      } else {
        event.preventDefault();
      }
    });
  }

  // -- the record bar: 更多 menu ------------------------------------------------------------------
  function menuItems(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll(".zwt-menu-item"));
  }

  document.querySelectorAll("[data-zwt-menu]").forEach(function (box) {
    var toggle = box.querySelector(".zwt-actions-more-toggle");
    var menu = box.querySelector(".zwt-actions-menu");
    if (!toggle || !menu) { return; }

    function open(focusFirst) {
      menu.hidden = false;
      box.classList.add("open");
      toggle.setAttribute("aria-expanded", "true");
      if (focusFirst && menuItems(menu).length) { menuItems(menu)[0].focus(); }
    }
    function close(refocus) {
      if (menu.hidden) { return; }
      menu.hidden = true;
      box.classList.remove("open");
      toggle.setAttribute("aria-expanded", "false");
      menu.querySelectorAll("details[open]").forEach(function (d) { d.open = false; });
      if (refocus) { toggle.focus(); }
    }

    toggle.addEventListener("click", function (event) {
      if (menu.hidden) { open(event.detail === 0); } else { close(false); }
    });
    toggle.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        open(true);
      }
    });
    menu.addEventListener("keydown", function (event) {
      var items = menuItems(menu);
      var at = items.indexOf(document.activeElement);
      var next = null;
      if (event.key === "ArrowDown") { next = items[(at + 1) % items.length]; }
      else if (event.key === "ArrowUp") { next = items[(at - 1 + items.length) % items.length]; }
      else if (event.key === "Home") { next = items[0]; }
      else if (event.key === "End") { next = items[items.length - 1]; }
      else if (event.key === "Escape") {
        var confirm = document.activeElement && document.activeElement.closest("details[open]");
        if (!confirm) { event.preventDefault(); close(true); }
        return;
      }
      if (next && at !== -1) {
        event.preventDefault();
        next.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!box.contains(event.target)) { close(false); }
    });
    box.addEventListener("focusout", function (event) {
      if (event.relatedTarget && !box.contains(event.relatedTarget)) { close(false); }
    });
  });

  // -- confirmations in the page ------------------------------------------------------------------
  var confirms = Array.prototype.slice.call(document.querySelectorAll("details.zwt-confirm"));
  confirms.forEach(function (details) {
    var summary = details.querySelector("summary");
    details.addEventListener("toggle", function () {
      if (!details.open) { return; }
      confirms.forEach(function (other) { if (other !== details && other.open && !other.contains(details)) { other.open = false; } });
      var cancel = details.querySelector("[data-zwt-close]");
      if (cancel && document.activeElement === summary) { cancel.focus(); }
    });
    details.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && details.open) {
        event.preventDefault();
        event.stopPropagation();
        details.open = false;
        summary.focus();
      }
    });
    details.querySelectorAll("[data-zwt-close]").forEach(function (button) {
      button.addEventListener("click", function () {
        details.open = false;
        summary.focus();
      });
    });
  });
  document.addEventListener("click", function (event) {
    confirms.forEach(function (details) {
      if (details.open && details.classList.contains("zwt-popconfirm") && !details.contains(event.target)) {
        details.open = false;
      }
    });
  });

  // -- tabs: the chosen tab comes into view in its strip ----------------------------------------------
  if (window.jQuery) {
    window.jQuery(document).on("shown.bs.tab", "#zwt-show-tabs a", function (event) {
      var strip = event.target.closest(".zwt-tabs-strip");
      if (strip && strip.scrollWidth > strip.clientWidth) {
        var left = event.target.offsetLeft - (strip.clientWidth - event.target.offsetWidth) / 2;
        strip.scrollLeft = Math.max(0, left);
      }
    });
  }

  // -- choosers that depend on another field: the contacts of the chosen customer ------------------
  if (window.jQuery) {
    window.jQuery.ajaxPrefilter(function (options) {
      document.querySelectorAll("select[data-zwt-with]").forEach(function (select) {
        var base = select.getAttribute("data-ajax--url");
        var name = select.getAttribute("data-zwt-with");
        var other = document.getElementById(name);
        if (base && options.url && options.url.indexOf(base) === 0 && other && other.value) {
          options.url += (options.url.indexOf("?") < 0 ? "?" : "&") + encodeURIComponent(name) + "=" +
            encodeURIComponent(other.value);
        }
      });
    });
  }
})();

/* Lists: a row's actions (⋯ menu) post through one hidden form per list, with the CSRF token and
   the version of the row as the page showed it, after asking when the action says so. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-zwt-post]") : null;
    if (!link) { return; }
    event.preventDefault();
    var question = link.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { return; }
    var list = link.closest(".zwt-list-body");
    var form = list && document.getElementById(list.getAttribute("data-row-form"));
    if (!form) { return; }
    var version = list.querySelector('input[name="zwt_version"]');
    if (version) {
      var copy = document.createElement("input");
      copy.type = "hidden";
      copy.name = version.name;
      copy.value = version.value;
      form.appendChild(copy);
    }
    form.action = link.getAttribute("data-zwt-post");
    form.submit();
  });
})();

/* A form that says what it will do (deleting a saved view) asks first. */
document.addEventListener("submit", function (event) {
  "use strict";
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});

/* Where a table scrolls inside its card (narrow desktops), a row's menu near the bottom opens
   upwards rather than being cut off by the card's edge. */
(function ($) {
  "use strict";
  if (!$) { return; }
  $(document).on("show.bs.dropdown", ".zwt-row-menu", function () {
    var wrap = this.closest(".table-responsive");
    var menu = this.querySelector(".dropdown-menu");
    if (!wrap || !menu || getComputedStyle(wrap).overflowX === "visible") {
      this.classList.remove("dropup");
      return;
    }
    var needed = menu.children.length * 32 + 12;
    var box = this.getBoundingClientRect(), area = wrap.getBoundingClientRect();
    var below = area.bottom - box.bottom, above = box.top - area.top;
    this.classList.toggle("dropup", below < needed && above > below);
  });
})(window.jQuery);

/* The advanced filter panel: FAB's filter rows from the page's settings (#zwt-filter-config); a
   filter that chooses a record (owner, customer, department) asks the server as the user types
   (at most 20 choices, only what the user may see). */
(function ($) {
  "use strict";
  if (!$) { return; }
  function relationBoxes(root) {
    $(root).find("select.zwt-relation-filter").each(function () {
      var $box = $(this);
      if ($box.data("select2") || !$box.select2) { return; }
      $box.select2({
        theme: "bootstrap",
        width: "100%",
        allowClear: false,
        minimumInputLength: 0,
        placeholder: $box.attr("data-placeholder") || "",
        ajax: {
          url: $box.attr("data-url"),
          dataType: "json",
          delay: 250,
          data: function (params) { return { q: params.term || "" }; },
          processResults: function (data) { return { results: (data && data.results) || [] }; }
        }
      });
    });
  }
  function draw(config) {
    // The 添加筛选条件 menu, when the page came without it (no active filter).
    var $menu = $("#filter_form .dropdown-menu");
    if (!$menu.children().length) {
      (config.columns || Object.keys(config.labels || {})).forEach(function (col) {
        $("<li>").append($("<a>", {href: "#", name: col, "class": "filter"}).text((config.labels || {})[col] || col)).appendTo($menu);
      });
    }
    new window.AdminFilters("#filter_form", config.labels || {}, config.fields || {},
                            config.filters || {}, config.active || []);
    var $form = $("#filter_form");
    relationBoxes($form);
    // Bound after AdminFilters' own handler, so it runs right after the new row is drawn: the
    // row's search box is ready before anything else can happen on the page.
    $form.find("a.filter").on("click", function () { relationBoxes($form); });
  }
  /* With an active filter the settings are on the page, drawn as soon as this script runs (the
     end of the page), before the page is first shown. Otherwise they are fetched when the panel
     is first opened; a filter chosen before they arrive is added once they have. */
  (function () {
    var node = document.getElementById("zwt-filter-config");
    if (!node || typeof window.AdminFilters !== "function") { return; }
    var url = node.getAttribute("data-url");
    if (!url) { draw(JSON.parse(node.textContent || "{}")); return; }
    var loading = null, drawn = false;
    function load() {
      if (!loading) {
        loading = $.ajax({ url: url, dataType: "json" }).then(function (config) {
          draw(config);
          drawn = true;
        }, function (xhr) {
          loading = null;
          var message = (xhr.responseJSON && xhr.responseJSON.error) || node.getAttribute("data-error") || "";
          if (message) { window.alert(message); }
          return $.Deferred().reject().promise();
        });
      }
      return loading;
    }
    $("#accordion1_href").on("show.bs.collapse", load);
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("#filter_form a.filter") : null;
      if (!link || drawn) { return; }
      event.preventDefault();
      event.stopPropagation();
      load().then(function () { if (drawn) { $(link).trigger("click"); } });
    }, true);
  })();
})(window.jQuery);

/* A row's ⋯ menu is built from its list's one <template> when it opens: the page carries, per
   row, its key and the items that apply to it where they are not the list's own; its name is
   read from the row's name cell. The ⋯ buttons come bare (a page of rows is mostly repeated
   attributes): each is made a dropdown named "更多操作 <the row's name>" here. */
(function () {
  "use strict";
  var PK = "__zwt_pk__", RECORD = "\u00a7\u00a7";
  function swap(value, from, to) { return value.split(from).join(to); }
  function recordName(menu) {
    if (menu.hasAttribute("data-record")) { return menu.getAttribute("data-record"); }
    var button = menu.querySelector("[aria-labelledby]");
    var ids = button ? button.getAttribute("aria-labelledby").split(" ") : [];
    var cell = ids.length > 1 ? document.getElementById(ids[ids.length - 1]) : null;
    return cell ? cell.textContent.trim() : "";
  }
  function build(menu) {
    var list = menu.querySelector(".dropdown-menu");
    if (list && list.children.length) { return; }
    var table = menu.closest("table");
    var template = table && table.parentNode.querySelector("template.zwt-row-menu-items");
    if (!template) { return; }
    if (!list) {
      list = document.createElement("ul");
      list.className = "dropdown-menu dropdown-menu-right";
      menu.appendChild(list);
    }
    var pk = menu.getAttribute("data-pk") || "", record = recordName(menu);
    var names = (menu.getAttribute("data-items") || template.getAttribute("data-items") || "").split(" ").filter(Boolean);
    var all = template.content.querySelectorAll("li[data-item]");
    names.forEach(function (name, index) {
      // A row names its items by their place in the template (0 1 3), the template by name.
      var item = /^\d+$/.test(name) ? all[+name] : template.content.querySelector('li[data-item="' + name + '"]');
      if (!item) { return; }
      name = item.getAttribute("data-item");
      var divider = template.content.querySelector('li[data-divider-of="' + name + '"]');
      if (divider && index > 0) { list.appendChild(divider.cloneNode(true)); }
      var copy = item.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll("a[data-zwt-post]"), function (link) {
        var post = link.getAttribute("data-zwt-post");
        if (post.indexOf("/") < 0) { link.setAttribute("data-zwt-post", template.getAttribute("data-post").replace("__name__", post)); }
      });
      Array.prototype.forEach.call(copy.querySelectorAll("a"), function (link) {
        ["href", "data-zwt-post"].forEach(function (attr) {
          if (link.hasAttribute(attr)) { link.setAttribute(attr, swap(link.getAttribute(attr), PK, encodeURIComponent(pk))); }
        });
        if (link.hasAttribute("data-pk")) { link.setAttribute("data-pk", pk); }
        if (link.hasAttribute("data-confirm")) { link.setAttribute("data-confirm", swap(link.getAttribute("data-confirm"), RECORD, record)); }
      });
      list.appendChild(copy);
    });
  }
  function keyOf(row, rid) {
    var cell = row && row.querySelector("td[id]");
    return cell && cell.id.indexOf(rid) === 0 ? cell.id.slice(rid.length) : "";
  }
  function arm(root) {
    Array.prototype.forEach.call(root.querySelectorAll("table.zwt-has-check[data-rid] > tbody > tr > td:first-child:empty"), function (cell) {
      var box = document.createElement("input");
      box.type = "checkbox";
      box.className = "action_check";
      box.name = "rowid";
      box.value = keyOf(cell.parentNode, cell.closest("table").getAttribute("data-rid"));
      cell.appendChild(box);
    });
    Array.prototype.forEach.call(root.querySelectorAll("table[data-rid] input.action_check:not([aria-labelledby])"), function (box) {
      var rid = box.closest("table").getAttribute("data-rid");
      box.setAttribute("aria-labelledby", rid + "sel " + rid + keyOf(box.closest("tr"), rid));
    });
    Array.prototype.forEach.call(root.querySelectorAll("table[data-rid] .zwt-row-menu:empty"), function (menu) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "zwt-row-more";
      menu.appendChild(button);
    });
    Array.prototype.forEach.call(root.querySelectorAll(".zwt-row-more:not([data-toggle])"), function (button) {
      var menu = button.parentNode, table = button.closest("table");
      var rid = table && table.getAttribute("data-rid");
      button.setAttribute("data-toggle", "dropdown");
      button.setAttribute("aria-haspopup", "true");
      if (rid && !menu.hasAttribute("data-pk")) { menu.setAttribute("data-pk", keyOf(menu.closest("tr"), rid)); }
      if (rid && !button.hasAttribute("aria-label")) {
        button.setAttribute("aria-labelledby", rid + "more " + rid + menu.getAttribute("data-pk"));
      }
    });
  }
  arm(document);
  // Related lists fetched into a detail page's tabs (tabs.js) arrive later.
  if (window.MutationObserver) {
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) { if (node.querySelectorAll) { arm(node); } });
      });
    }).observe(document.body, {childList: true, subtree: true});
  }
  // Capturing, so that the menu has its items before Bootstrap opens it (a click, Enter or Space).
  document.addEventListener("click", function (event) {
    var menu = event.target.closest ? event.target.closest(".zwt-row-menu") : null;
    if (menu) { arm(menu); build(menu); }
  }, true);
})();

/* The column chooser (列设置): its boxes from the menu's data-columns when it is first opened. */
document.addEventListener("click", function (event) {
  "use strict";
  var menu = event.target.closest ? event.target.closest(".zwt-columns") : null;
  var set = menu && menu.querySelector("fieldset[data-columns]");
  if (!set || set.querySelector("input")) { return; }
  JSON.parse(set.getAttribute("data-columns") || "[]").forEach(function (column) {
    var label = document.createElement("label"), box = document.createElement("input");
    box.type = "checkbox";
    box.name = "columns";
    box.value = column[0];
    box.checked = !!column[2];
    box.disabled = !!column[3];
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + column[1]));
    set.appendChild(label);
  });
}, true);

/* The actions on the checked rows (批量操作): FAB's AdminActions runs them, asking first where the
   action says so. A batch menu whose entries are all row actions too takes them (names, icons,
   questions) from the list's ⋯ <template> when it is first opened. */
document.addEventListener("click", function (event) {
  "use strict";
  var menu = event.target.closest ? event.target.closest(".zwt-batch") : null;
  var list = menu && menu.querySelector("ul[data-batch]");
  var template = list && !list.children.length && menu.closest(".zwt-list-body").querySelector("template.zwt-row-menu-items");
  if (template) {
    list.getAttribute("data-batch").split(" ").forEach(function (name) {
      var item = template.content.querySelector('li[data-item="' + name + '"]');
      if (!item) { return; }
      var copy = item.cloneNode(true), link = copy.querySelector("a");
      copy.removeAttribute("data-item");
      link.removeAttribute("data-zwt-post");
      link.removeAttribute("role");
      link.setAttribute("data-zwt-batch", name);
      list.appendChild(copy);
    });
  }
}, true);
document.addEventListener("click", function (event) {
  "use strict";
  var link = event.target.closest ? event.target.closest("[data-zwt-batch]") : null;
  if (!link || !window.modelActions) { return; }
  event.preventDefault();
  window.modelActions.execute_multiple(link.getAttribute("data-zwt-batch"), link.getAttribute("data-confirm") || false);
});

/* A time in a list shows its full date and time on hover (the page carries it once, in
   `datetime`). */
document.addEventListener("mouseover", function (event) {
  "use strict";
  var time = event.target.closest ? event.target.closest("time[datetime]:not([title])") : null;
  if (time) { time.title = time.getAttribute("datetime").slice(0, 16).replace("T", " "); }
});

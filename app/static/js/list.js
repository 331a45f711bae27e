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
   row, its key and the names of the items that apply to it where they are not the list's own;
   its name is read from the row's name cell. */
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
    names.forEach(function (name, index) {
      var item = template.content.querySelector('li[data-item="' + name + '"]');
      if (!item) { return; }
      var divider = template.content.querySelector('li[data-divider-of="' + name + '"]');
      if (divider && index > 0) { list.appendChild(divider.cloneNode(true)); }
      var copy = item.cloneNode(true);
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
  // Capturing, so that the menu has its items before Bootstrap opens it (a click, Enter or Space).
  document.addEventListener("click", function (event) {
    var menu = event.target.closest ? event.target.closest(".zwt-row-menu") : null;
    if (menu) { build(menu); }
  }, true);
})();

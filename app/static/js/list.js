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
    var pk = link.getAttribute("data-pk");
    var version = pk && document.querySelector('input[name="zwt_version_' + pk + '"]');
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
  /* Drawn as soon as this script runs (the end of the page), before the page is first shown. */
  (function () {
    var node = document.getElementById("zwt-filter-config");
    if (!node || typeof window.AdminFilters !== "function") { return; }
    var config = JSON.parse(node.textContent || "{}");
    new window.AdminFilters("#filter_form", config.labels || {}, config.fields || {},
                            config.filters || {}, config.active || []);
    var $form = $("#filter_form");
    relationBoxes($form);
    $form.on("click", "a.filter", function () { window.setTimeout(function () { relationBoxes($form); }, 0); });
  })();
})(window.jQuery);

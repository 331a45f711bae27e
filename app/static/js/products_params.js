/* The product form's parameters: choosing another category redraws them, keeping what was typed. */
(function () {
  "use strict";
  function setup(box) {
    if (box.dataset.ready) { return; }
    box.dataset.ready = "1";
    var form = box.closest("form");
    var select = form && form.querySelector("[name='category']");
    if (!select) { return; }
    function redraw() {
      var values = {};
      box.querySelectorAll("[name^='param__']").forEach(function (input) {
        if (input.value) { values[input.name.slice(7)] = input.value; }
      });
      var url = box.dataset.url + "?category_id=" + encodeURIComponent(select.value || "") +
        "&values=" + encodeURIComponent(JSON.stringify(values));
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          // The server's fragment (its text escaped there), parsed apart and moved in.
          var parsed = new DOMParser().parseFromString("<body>" + html, "text/html");
          box.replaceChildren.apply(box, Array.prototype.slice.call(parsed.body.childNodes));
        });
    }
    // select2 announces a choice through jQuery, which also hears the native event.
    if (window.jQuery) { window.jQuery(select).on("change", redraw); } else { select.addEventListener("change", redraw); }
  }
  function all() { document.querySelectorAll(".zwt-params[data-url]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", all); } else { all(); }
})();

/* FAB's date pickers and select boxes speak the page's language, with the bundled locale files.
   This runs before FAB's own set-up (ab.js waits for DOM ready), so the defaults set here and the
   placeholders written on the select boxes (data-* attributes win over FAB's English options)
   are what FAB's set-up uses. */
(function ($) {
  "use strict";
  var script = document.currentScript;
  var language = script.getAttribute("data-language");
  var placeholder = script.getAttribute("data-placeholder");
  if ($.fn.datepicker && $.fn.datepicker.dates[language]) {
    $.fn.datepicker.defaults.language = language;
  }
  if ($.fn.select2) {
    $.fn.select2.defaults.set("language", language);
  }
  document.querySelectorAll(".my_select2, .my_select2_ajax, .my_select2_ajax_slave").forEach(function (el) {
    if (!el.hasAttribute("data-placeholder")) {
      el.setAttribute("data-placeholder", placeholder);
    }
  });
})(jQuery);

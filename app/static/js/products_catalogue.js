/* The catalogue: choosing a category shows its parameters at once; the print button prints the cards. */
(function () {
  "use strict";
  var category = document.getElementById("zwt-cat-category");
  if (category) {
    category.addEventListener("change", function () {
      // Parameter filters belong to the category they were chosen in.
      category.form.querySelectorAll("[name^='p']").forEach(function (input) {
        if (/^p\d+/.test(input.name)) { input.disabled = true; }
      });
      category.form.submit();
    });
  }
  document.querySelectorAll(".zwt-cat-print").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();

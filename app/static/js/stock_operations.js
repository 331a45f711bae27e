// 库存操作: the destination fields show for a move between bins or warehouses, the sign hint for an adjustment.
(function () {
  "use strict";
  var form = document.getElementById("zwt-stock-operation");
  if (!form) { return; }
  var operation = form.querySelector("#operation");
  var label = form.querySelector("label[for=warehouse_id]");
  function show() {
    var kind = operation.value;
    form.querySelectorAll(".zwt-transfer-only").forEach(function (el) { el.hidden = kind !== "transfer"; });
    form.querySelectorAll(".zwt-adjust-only").forEach(function (el) { el.hidden = kind !== "adjust"; });
    label.textContent = label.getAttribute(kind === "transfer" ? "data-from" : "data-at");
  }
  operation.addEventListener("change", show);
  show();
})();

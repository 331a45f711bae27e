/* Filling in an approval form: add lines to a table, sum its amount columns as they are typed,
   and show the route the request would take (the server's route preview) before submitting. */
(function () {
  "use strict";
  var form = document.getElementById("zwt-request-form");
  if (!form) { return; }

  function money(n) {
    return n.toLocaleString("zh-CN", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  }

  function sums() {
    form.querySelectorAll("table.zwt-lines").forEach(function (table) {
      table.querySelectorAll(".zwt-column-sum").forEach(function (cell) {
        var column = cell.getAttribute("data-sum-of"), total = 0;
        table.querySelectorAll("tbody input[data-amount-column='" + column + "']").forEach(function (input) {
          var v = parseFloat((input.value || "").replace(/[,，¥￥\s]/g, ""));
          if (!isNaN(v)) { total += v; }
        });
        cell.textContent = "¥" + money(total);
      });
    });
  }

  function addLine(name) {
    var table = document.getElementById("f-" + name);
    var body = table.querySelector("tbody"), rows = body.querySelectorAll("tr.zwt-line");
    var last = rows[rows.length - 1], n = rows.length;
    var copy = last.cloneNode(true);
    copy.setAttribute("data-row", String(n));
    copy.querySelector(".zwt-line-no").textContent = String(n + 1);
    copy.querySelectorAll("[name]").forEach(function (el) {
      var renamed = el.name.replace(/^(f-[a-z0-9_]+-)\d+(-[a-z0-9_]+)$/, "$1" + n + "$2");
      el.name = renamed;
      el.id = renamed;
      if (el.type === "file") { el.value = ""; } else if (el.tagName === "SELECT") { el.selectedIndex = 0; } else { el.value = ""; }
    });
    copy.querySelectorAll(".zwt-field-error").forEach(function (el) { el.remove(); });
    body.appendChild(copy);
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest(".zwt-add-line");
    if (button) { event.preventDefault(); addLine(button.getAttribute("data-table")); sums(); }
  });

  var timer = null;
  function preview() {
    var data = new FormData(form);
    form.querySelectorAll("input[type=file]").forEach(function (el) { data.delete(el.name); });
    fetch(form.getAttribute("data-preview"), {method: "POST", body: data, credentials: "same-origin",
                                             headers: {"X-CSRFToken": data.get("csrf_token") || ""}})
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        var list = document.getElementById("zwt-route-steps"), note = document.getElementById("zwt-route-note");
        list.innerHTML = "";
        (answer.steps || []).forEach(function (step) {
          var li = document.createElement("li");
          li.className = "zwt-route-step";
          li.textContent = step.name + (step.people && step.people.length ? "：" + step.people.join("、") : "");
          list.appendChild(li);
        });
        var errors = answer.errors || {};
        note.textContent = answer.problem || (Object.keys(errors).length ? Object.values(errors)[0][0] : "");
      })
      .catch(function () { /* the preview is a help; submitting still checks everything */ });
  }
  function later() { sums(); clearTimeout(timer); timer = setTimeout(preview, 400); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  sums();
  preview();
})();

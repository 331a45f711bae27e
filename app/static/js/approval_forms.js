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

  // 发起人自选: one select per choice the route needs, options from the server (or searched as you
  // type when the allowed set is large); redrawn only when the route's choices change, keeping
  // what was chosen.
  var pickers = document.getElementById("zwt-pickers");
  var chosenAtStart = pickers ? JSON.parse(pickers.getAttribute("data-chosen") || "{}") : {};
  function chosenNow() {
    var found = {};
    if (!pickers) { return found; }
    pickers.querySelectorAll("select[data-key]").forEach(function (sel) {
      found[sel.getAttribute("data-key")] = Array.prototype.filter.call(sel.options, function (o) { return o.selected && o.value; })
        .map(function (o) { return o.value; });
    });
    return found;
  }
  function drawPickers(list) {
    if (!pickers) { return; }
    var keys = list.map(function (p) { return p.key; }).join("|");
    if (pickers.getAttribute("data-keys") === keys) { return; }
    var kept = pickers.getAttribute("data-keys") === null ? chosenAtStart : chosenNow();
    pickers.setAttribute("data-keys", keys);
    pickers.textContent = "";
    list.forEach(function (p) {
      var group = document.createElement("div"), label = document.createElement("label"), sel = document.createElement("select");
      group.className = "form-group zwt-picker";
      group.setAttribute("data-pick", p.key);
      sel.className = "form-control";
      sel.id = "zwt-" + p.field.replace(/:/g, "-");
      sel.name = p.field;
      sel.setAttribute("data-key", p.key);
      label.setAttribute("for", sel.id);
      label.textContent = p.label + (p.min > 0 ? " *" : "");
      var was = (kept[p.key] || p.chosen || []).map(String);
      if (p.multiple) { sel.multiple = true; sel.size = 5; } else {
        var none = document.createElement("option");
        none.value = ""; none.textContent = pickers.getAttribute("data-choose");
        sel.appendChild(none);
      }
      p.options.forEach(function (o) {
        var opt = document.createElement("option");
        opt.value = String(o.id); opt.textContent = o.text; opt.selected = was.indexOf(String(o.id)) >= 0;
        sel.appendChild(opt);
      });
      var help = document.createElement("p");
      help.className = "help-block";
      help.textContent = p.help;
      group.appendChild(label); group.appendChild(sel); group.appendChild(help);
      pickers.appendChild(group);
      if (p.remote && window.jQuery && window.jQuery.fn.select2) {
        window.jQuery(sel).select2({
          ajax: {url: pickers.getAttribute("data-people"), delay: 250, dataType: "json",
                 data: function (params) { return {key: p.key, q: params.term || ""}; },
                 processResults: function (data) { return {results: data.results || []}; }},
          minimumInputLength: 1, allowClear: true, placeholder: pickers.getAttribute("data-search"), width: "100%"});
      }
    });
  }

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
        drawPickers(answer.pickers || []);
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

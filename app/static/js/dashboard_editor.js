/* The dashboard composer: drag reports from the list onto the dashboard (or press Enter on one), drag widgets
   to reorder them, choose chart or number and the width of each; the layout is posted as JSON. */
(function () {
  "use strict";
  var target = document.getElementById("zwt-layout-target");
  var field = document.getElementById("zwt-layout");
  if (!target || !field) { return; }
  var text = function (name) { return target.getAttribute("data-" + name) || name; };
  var dragged = null;

  function option(value, label, selected) {
    var o = document.createElement("option");
    o.value = value; o.textContent = label; o.selected = selected;
    return o;
  }
  function widget(w) {
    var li = document.createElement("li");
    li.className = "zwt-card zwt-widget zwt-layout-item" + (w.width === 2 ? " zwt-widget-wide" : "");
    li.draggable = true;
    li.setAttribute("data-report", w.report);
    var title = document.createElement("strong");
    title.textContent = w.title || w.report;
    var kind = document.createElement("select");
    kind.className = "form-control input-sm zwt-kind";
    kind.setAttribute("aria-label", text("chart") + " / " + text("number"));
    kind.appendChild(option("chart", text("chart"), w.kind !== "number"));
    kind.appendChild(option("number", text("number"), w.kind === "number"));
    var width = document.createElement("select");
    width.className = "form-control input-sm zwt-width";
    width.setAttribute("aria-label", text("narrow") + " / " + text("wide"));
    width.appendChild(option("1", text("narrow"), w.width !== 2));
    width.appendChild(option("2", text("wide"), w.width === 2));
    width.addEventListener("change", function () { li.classList.toggle("zwt-widget-wide", width.value === "2"); });
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "btn btn-xs btn-default zwt-remove"; remove.textContent = text("remove");
    remove.addEventListener("click", function () { li.remove(); });
    li.appendChild(title); li.appendChild(kind); li.appendChild(width); li.appendChild(remove);
    li.addEventListener("dragstart", function (e) { dragged = li; e.dataTransfer.setData("text/plain", "move"); });
    li.addEventListener("dragend", function () { dragged = null; });
    return li;
  }
  function add(report, title, before) {
    var li = widget({report: report, title: title, kind: "chart", width: 1});
    target.insertBefore(li, before || null);
    return li;
  }
  function itemAt(y) {
    var items = Array.prototype.slice.call(target.querySelectorAll(".zwt-layout-item"));
    return items.find(function (item) { var box = item.getBoundingClientRect(); return y < box.top + box.height / 2; });
  }
  var start;
  try { start = JSON.parse(field.value || "[]"); } catch (e) { start = []; }
  start.forEach(function (w) { target.appendChild(widget(w)); });

  document.querySelectorAll(".zwt-source-item").forEach(function (item) {
    item.addEventListener("dragstart", function (e) {
      dragged = null;
      e.dataTransfer.setData("text/plain", "new:" + item.getAttribute("data-report"));
      e.dataTransfer.setData("application/x-zwt-title", item.getAttribute("data-title"));
    });
    item.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); add(item.getAttribute("data-report"), item.getAttribute("data-title")).focus(); }
    });
  });
  target.addEventListener("dragover", function (e) { e.preventDefault(); target.classList.add("zwt-drop-over"); });
  target.addEventListener("dragleave", function () { target.classList.remove("zwt-drop-over"); });
  target.addEventListener("drop", function (e) {
    e.preventDefault();
    target.classList.remove("zwt-drop-over");
    var before = itemAt(e.clientY);
    if (dragged) {
      if (before !== dragged) { target.insertBefore(dragged, before || null); }
      return;
    }
    var data = e.dataTransfer.getData("text/plain") || "";
    if (data.indexOf("new:") === 0) {
      add(data.substring(4), e.dataTransfer.getData("application/x-zwt-title"), before);
    }
  });
  document.getElementById("zwt-dashboard-form").addEventListener("submit", function () {
    var layout = Array.prototype.map.call(target.querySelectorAll(".zwt-layout-item"), function (li) {
      return {report: li.getAttribute("data-report"), kind: li.querySelector(".zwt-kind").value,
              width: parseInt(li.querySelector(".zwt-width").value, 10)};
    });
    field.value = JSON.stringify(layout);
  });
  document.querySelectorAll(".zwt-confirm-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
})();

/* Draws every [data-chart-url] element with the vendored ECharts from the JSON the server
   aggregates in SQL: {option: <ECharts option>, table: [[label, value], ...]}. */
(function () {
  "use strict";
  function fill(table, rows) {
    var body = table.querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (cell) {
        var td = document.createElement("td");
        td.textContent = cell;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }
  function draw(el) {
    var chart = echarts.init(el);
    chart.showLoading({text: el.getAttribute("data-loading-text") || ""});
    fetch(el.getAttribute("data-chart-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        chart.hideLoading();
        chart.on("finished", function () { el.setAttribute("data-rendered", "1"); });
        chart.setOption(data.option);
        var table = document.getElementById("table-" + el.id.substring(6));
        if (table) { fill(table, data.table); }
      })
      .catch(function (err) { chart.hideLoading(); el.setAttribute("data-error", String(err)); el.textContent = String(err); });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.querySelectorAll("[data-chart-url]").forEach(draw);
})();

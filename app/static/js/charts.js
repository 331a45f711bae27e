/* Draws every [data-chart-url] element with the vendored ECharts from the JSON the server
   aggregates in SQL: {option: <ECharts option>, table: [[label, value], ...], drill: [url per
   element, optional]}; a click on an element with a url opens the rows behind it. An element with
   data-refresh="N" draws again every N seconds (a dashboard on a wall). Charts do not animate for
   a user whose system asks for reduced motion. */
(function () {
  "use strict";
  // Who asked their system for less motion gets the charts drawn at once, without their animation.
  var still = !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
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
    var drill = [];
    chart.on("click", function (params) {
      var url = drill[params.dataIndex];
      if (url) { window.location.href = url; }
    });
    chart.on("finished", function () { el.setAttribute("data-rendered", "1"); });
    function load(first) {
      if (first) { chart.showLoading({text: el.getAttribute("data-loading-text") || ""}); }
      fetch(el.getAttribute("data-chart-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          chart.hideLoading();
          drill = data.drill || [];
          if (still) { data.option.animation = false; }
          chart.setOption(data.option, true);
          el.setAttribute("data-loaded", String(Date.now()));
          var table = document.getElementById("table-" + el.id.substring(6));
          if (table) { fill(table, data.table); }
        })
        .catch(function (err) { chart.hideLoading(); el.setAttribute("data-error", String(err)); if (first) { el.textContent = String(err); } });
    }
    load(true);
    var every = parseInt(el.getAttribute("data-refresh") || "0", 10);
    if (every > 0) { window.setInterval(function () { load(false); }, every * 1000); }
    window.addEventListener("resize", function () { chart.resize(); });
  }
  document.querySelectorAll("[data-chart-url]").forEach(draw);
})();

// A product's 库存 tab: while it is shown, its figures are asked for again every few seconds (and at once
// when the window comes back), so a receipt or shipment made elsewhere shows without reloading the page.
(function () {
  "use strict";
  var box = document.getElementById("zwt-stock");
  if (!box || box.getAttribute("data-live")) { return; }
  box.setAttribute("data-live", "1");
  var every = Math.max(parseInt(box.getAttribute("data-refresh"), 10) || 3, 1) * 1000;
  var busy = false;
  var COLUMNS = {
    warehouses: ["warehouse", "on_hand", "reserved", "available", "in_transit"],
    bins: ["warehouse", "bin", "on_hand", "reserved", "available"],
    moves: ["at", "kind", "warehouse", "quantity", "document"]
  };
  var RIGHT = {on_hand: 1, reserved: 1, available: 1, in_transit: 1, quantity: 1};

  function part(name) { return box.querySelector('[data-stock="' + name + '"]'); }

  function fillRows(name, rows) {
    var body = part(name);
    if (!body) { return; }
    var made = [];
    (rows || []).forEach(function (row) {
      var tr = document.createElement("tr");
      COLUMNS[name].forEach(function (key) {
        var td = document.createElement("td");
        if (RIGHT[key]) { td.className = "text-right"; }
        td.textContent = row[key] == null ? "" : String(row[key]);
        tr.appendChild(td);
      });
      made.push(tr);
    });
    if (!made.length) {
      var tr = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = COLUMNS[name].length;
      td.className = "text-muted";
      td.textContent = body.getAttribute("data-empty") || "";
      tr.appendChild(td);
      made.push(tr);
    }
    body.replaceChildren.apply(body, made);
  }

  function shown() { return document.body.contains(box) && box.offsetParent !== null && !document.hidden; }

  function refresh() {
    if (busy || !shown()) { return; }
    busy = true;
    fetch(box.getAttribute("data-src"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (stock) {
        part("available").textContent = stock.available;
        fillRows("warehouses", stock.warehouses);
        fillRows("bins", stock.bins);
        fillRows("moves", stock.moves);
        box.setAttribute("data-version", String(stock.version));
        part("status").textContent = "";
      })
      .catch(function () { part("status").textContent = box.getAttribute("data-failed"); })
      .then(function () { busy = false; });
  }

  var timer = window.setInterval(function () {
    if (!document.body.contains(box)) { window.clearInterval(timer); return; }
    refresh();
  }, every);
  document.addEventListener("visibilitychange", refresh);
})();

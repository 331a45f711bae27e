// 订单看板: a card dragged to another column (or moved from its menu, by keyboard or on a phone) asks the
// server to make that move; the server applies the order's own rules and says why when it refuses.
(function () {
  "use strict";
  var board = document.getElementById("zwt-order-board");
  if (!board) { return; }
  var token = (document.getElementById("zwt-board-token") || {}).value || "";
  var note = document.getElementById("zwt-board-message");
  var dragged = null;

  function say(text, ok) {
    note.hidden = false;
    note.className = "alert " + (ok ? "alert-success" : "alert-danger");
    note.textContent = text;
  }

  function move(card, status) {
    var body = new FormData();
    body.append("id", card.getAttribute("data-id"));
    body.append("to", status);
    body.append("csrf_token", token);
    card.classList.add("zwt-board-busy");
    fetch(board.getAttribute("data-move"), {method: "POST", body: body, credentials: "same-origin",
                                           headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (response) { return response.json().then(function (data) { return [response, data]; }); })
      .then(function (pair) {
        var response = pair[0], data = pair[1];
        card.classList.remove("zwt-board-busy");
        if (data.redirect) { window.location.href = data.redirect; return; }
        if (!response.ok) { say(data.message || "", false); return; }
        say(data.message || "", true);
        window.location.reload();
      })
      .catch(function () { card.classList.remove("zwt-board-busy"); say(board.getAttribute("data-failed") || "", false); });
  }

  board.addEventListener("dragstart", function (event) {
    dragged = event.target.closest ? event.target.closest(".zwt-board-card") : null;
    if (dragged && event.dataTransfer) { event.dataTransfer.setData("text/plain", dragged.getAttribute("data-id")); }
  });
  board.addEventListener("dragover", function (event) {
    if (dragged && event.target.closest && event.target.closest(".zwt-board-column")) { event.preventDefault(); }
  });
  board.addEventListener("drop", function (event) {
    var column = event.target.closest ? event.target.closest(".zwt-board-column") : null;
    if (!dragged || !column) { return; }
    event.preventDefault();
    var to = column.getAttribute("data-status");
    if (to !== dragged.getAttribute("data-status")) { move(dragged, to); }
    dragged = null;
  });
  board.addEventListener("change", function (event) {
    if (event.target.classList.contains("zwt-board-move") && event.target.value) {
      move(event.target.closest(".zwt-board-card"), event.target.value);
    }
  });
})();

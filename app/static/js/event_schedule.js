// 活动日程: a task bar dragged along the timeline (mouse, finger or pen) moves the task by whole days; the left and
// right arrow keys do the same from the keyboard. The server applies the task's rules and says why when it refuses.
(function () {
  "use strict";
  var timeline = document.getElementById("zwt-timeline");
  if (!timeline) { return; }
  var days = parseInt(timeline.getAttribute("data-days"), 10) || 35;
  var token = (document.getElementById("zwt-timeline-token") || {}).value || "";
  var note = document.getElementById("zwt-timeline-message");

  function say(text, ok) {
    note.hidden = false;
    note.className = "alert " + (ok ? "alert-success" : "alert-danger");
    note.textContent = text;
  }

  function shift(iso, by) {
    var parts = iso.split("-");
    var day = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2] + by));
    return day.toISOString().slice(0, 10);
  }

  function save(bar, by) {
    if (!by) { bar.style.transform = ""; return; }
    var body = new FormData();
    body.append("starts_on", shift(bar.getAttribute("data-starts"), by));
    body.append("due_on", shift(bar.getAttribute("data-due"), by));
    body.append("csrf_token", token);
    fetch(timeline.getAttribute("data-move") + bar.getAttribute("data-id"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (response) { return response.json().then(function (data) { return [response, data]; }); })
      .then(function (pair) {
        var response = pair[0], data = pair[1];
        if (!response.ok) { bar.style.transform = ""; say(data.message || "", false); return; }
        var left = parseFloat(bar.style.left) + by * 100 / days;
        bar.style.transform = "";
        bar.style.left = left + "%";
        bar.setAttribute("data-starts", data.starts_on);
        bar.setAttribute("data-due", data.due_on);
        bar.title = data.starts_on + " – " + data.due_on;
        say(data.message || "", true);
      })
      .catch(function () { bar.style.transform = ""; say(timeline.getAttribute("data-failed") || "", false); });
  }

  var dragging = null;
  timeline.addEventListener("pointerdown", function (event) {
    var bar = event.target.closest ? event.target.closest(".zwt-draggable") : null;
    if (!bar) { return; }
    dragging = {bar: bar, x: event.clientX, width: bar.parentNode.getBoundingClientRect().width / days, by: 0};
    bar.classList.add("zwt-dragging");
    if (bar.setPointerCapture) { bar.setPointerCapture(event.pointerId); }
    event.preventDefault();
  });
  timeline.addEventListener("pointermove", function (event) {
    if (!dragging) { return; }
    dragging.by = Math.round((event.clientX - dragging.x) / dragging.width);
    dragging.bar.style.transform = "translateX(" + (dragging.by * dragging.width) + "px)";
  });
  function drop() {
    if (!dragging) { return; }
    var done = dragging;
    dragging = null;
    done.bar.classList.remove("zwt-dragging");
    save(done.bar, done.by);
  }
  timeline.addEventListener("pointerup", drop);
  timeline.addEventListener("pointercancel", function () {
    if (dragging) { dragging.bar.style.transform = ""; dragging.bar.classList.remove("zwt-dragging"); dragging = null; }
  });
  timeline.addEventListener("keydown", function (event) {
    var bar = event.target.closest ? event.target.closest(".zwt-draggable") : null;
    if (!bar || (event.key !== "ArrowLeft" && event.key !== "ArrowRight")) { return; }
    event.preventDefault();
    save(bar, event.key === "ArrowLeft" ? -1 : 1);
  });
})();

// 签到台: a scanned QR code (the camera reads it where the browser has a BarcodeDetector; a scanner gun or a
// person types it) checks the person in at once and says who it is; a second check-in is refused with the time
// of the first. Walk-ins are registered and checked in on the spot. The counters follow every check-in and are
// refreshed every 15 seconds (other desks check people in too).
(function () {
  "use strict";
  var box = document.getElementById("zwt-checkin");
  var form = document.getElementById("zwt-checkin-form");
  if (!box || !form) { return; }
  var code = document.getElementById("zwt-checkin-code");
  var result = document.getElementById("zwt-checkin-result");
  var log = document.getElementById("zwt-checkin-log");
  var csrf = document.getElementById("zwt-checkin-csrf").value;
  var busy = false;

  function say(text, tone) {
    result.textContent = text;
    result.className = "zwt-count-result " + (tone === "error" ? "text-danger" : "text-success");
  }

  function show(counts) {
    if (!counts) { return; }
    Object.keys(counts).forEach(function (key) {
      var cell = box.querySelector('[data-count="' + key + '"]');
      if (cell && counts[key] !== null) { cell.textContent = counts[key]; }
    });
  }

  function post(url, data) {
    var body = new URLSearchParams(data);
    return fetch(url, {method: "POST", credentials: "same-origin", body: body,
                       headers: {"X-CSRFToken": csrf, "X-Requested-With": "XMLHttpRequest"}})
      .then(function (response) { return response.json().then(function (json) { return [response.ok, json]; }); });
  }

  function checkIn() {
    var value = code.value.trim();
    if (busy || !value) { code.focus(); return; }
    busy = true;
    post(box.getAttribute("data-scan-url"), {code: value}).then(function (pair) {
      var data = pair[1];
      if (!pair[0]) { say(data.message || box.getAttribute("data-failed"), "error"); return; }
      say(data.message + (data.company ? " · " + data.company : ""), "ok");
      var item = document.createElement("li");
      item.textContent = data.name + " · " + data.code;
      log.insertBefore(item, log.firstChild);
      show(data.counts);
      code.value = "";
    }).catch(function () { say(box.getAttribute("data-failed"), "error"); })
      .then(function () { busy = false; code.focus(); });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); checkIn(); });

  var walkIn = document.getElementById("zwt-walk-in-form");
  walkIn.addEventListener("submit", function (event) {
    event.preventDefault();
    post(box.getAttribute("data-walk-in-url"), {
      name: walkIn.elements.name.value, phone: walkIn.elements.phone.value, company: walkIn.elements.company.value
    }).then(function (pair) {
      var data = pair[1];
      if (!pair[0]) { say(data.message || box.getAttribute("data-failed"), "error"); return; }
      say(data.message, "ok");
      show(data.counts);
      walkIn.reset();
    }).catch(function () { say(box.getAttribute("data-failed"), "error"); });
  });

  window.setInterval(function () {
    fetch(box.getAttribute("data-counts-url"), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; }).then(show)
      .catch(function () { return null; });
  }, 15000);

  window.zwtCameraScan(document.getElementById("zwt-checkin-camera"), document.getElementById("zwt-checkin-video"),
    function (text) { code.value = text; checkIn(); },
    function () { say(box.getAttribute("data-camera-off"), "error"); code.focus(); }, ["qr_code"]);
})();

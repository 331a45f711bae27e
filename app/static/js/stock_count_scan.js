// 扫码盘点: each scan (a scanner gun types the code and Enter, the camera reads it where the browser has a
// BarcodeDetector, or a person types it) records the quantity for that product at once and says what was
// counted; the bin stays filled for the next products.
(function () {
  "use strict";
  var box = document.getElementById("zwt-count-scan");
  var form = document.getElementById("zwt-count-form");
  if (!box || !form) { return; }
  var code = document.getElementById("zwt-count-code");
  var qty = document.getElementById("zwt-count-qty");
  var bin = document.getElementById("zwt-count-bin");
  var result = document.getElementById("zwt-count-result");
  var log = document.getElementById("zwt-count-log");
  var progress = document.getElementById("zwt-count-progress");
  var csrf = document.getElementById("zwt-count-csrf");
  var busy = false;

  function say(text, tone) {
    result.textContent = text;
    result.className = "zwt-count-result " + (tone === "error" ? "text-danger" : "text-success");
  }

  function save() {
    if (busy || !code.value.trim()) { code.focus(); return; }
    busy = true;
    var mode = form.querySelector('input[name="mode"]:checked');
    var body = {code: code.value.trim(), quantity: qty.value.trim() || "1", mode: mode ? mode.value : "add"};
    if (bin) { body.bin = bin.value.trim(); }
    var headers = {"Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest"};
    if (csrf) { headers["X-CSRFToken"] = csrf.value; }
    fetch(box.getAttribute("data-url"), {method: "POST", credentials: "same-origin", headers: headers,
                                         body: JSON.stringify(body)})
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (pair) {
        var data = pair[1];
        if (!pair[0]) { say(data.message || box.getAttribute("data-failed"), "error"); return; }
        var line = data.product + " (" + data.sku + ")" + (data.bin ? " · " + data.bin : "") + ": " + data.counted;
        say(line, "ok");
        var item = document.createElement("li");
        item.textContent = line;
        log.insertBefore(item, log.firstChild);
        progress.textContent = progress.getAttribute("data-template")
          .replace("%(done)s", data.counted_lines).replace("%(total)s", data.lines);
        code.value = "";
        qty.value = "1";
      })
      .catch(function () { say(box.getAttribute("data-failed"), "error"); })
      .then(function () { busy = false; code.focus(); });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); save(); });

  window.zwtCameraScan(document.getElementById("zwt-count-camera"), document.getElementById("zwt-count-video"),
    function (text) { code.value = text; save(); },
    function () { say(box.getAttribute("data-camera-off"), "error"); code.focus(); });
})();

/* 掌务通 360° view (虚拟展示): turn a product through its frames by dragging or swiping, zoom with the
   wheel, a pinch, double-tap or the buttons, and the arrow keys. The first frame shows at once; the
   others load in an order that covers the circle coarsely first (every 1/2, 1/4, 1/8 … turn). */
(function () {
  "use strict";

  function coarseOrder(n) {
    var order = [], seen = {}, step = 1;
    while (step * 2 < n) { step *= 2; }
    for (; step >= 1; step = Math.floor(step / 2)) {
      for (var i = 0; i < n; i += step) {
        if (!seen[i]) { seen[i] = true; order.push(i); }
      }
      if (step === 1) { break; }
    }
    return order;
  }

  function Spin(root) {
    var frames = JSON.parse(root.getAttribute("data-frames") || "[]");
    var n = frames.length;
    if (!n || root.zwtSpin) { return; }
    root.zwtSpin = this;
    var stage = root.querySelector(".zwt-spin-stage");
    var img = root.querySelector(".zwt-spin-frame");
    var progress = root.querySelector(".zwt-spin-progress");
    var loaded = new Array(n), loadedCount = 1, current = 0, zoom = 1;
    loaded[0] = true;
    var pointers = {}, dragStartX = 0, dragStartFrame = 0, pinchStart = 0, pinchZoom = 1, lastTap = 0;

    function report() {
      root.setAttribute("data-frame", String(current));
      root.setAttribute("data-loaded", String(loadedCount));
      root.setAttribute("data-zoom", zoom.toFixed(2));
      if (progress) {
        progress.textContent = (current + 1) + " / " + n + (loadedCount < n ? " · " + Math.round(100 * loadedCount / n) + "%" : "");
      }
    }
    function nearestLoaded(index) {
      for (var d = 0; d < n; d++) {
        if (loaded[(index + d) % n]) { return (index + d) % n; }
        if (loaded[(index - d + n) % n]) { return (index - d + n) % n; }
      }
      return 0;
    }
    function show(index) {
      current = ((index % n) + n) % n;
      var src = frames[nearestLoaded(current)];
      if (img.getAttribute("src") !== src) { img.setAttribute("src", src); }
      report();
    }
    function setZoom(value) {
      zoom = Math.max(1, Math.min(4, value));
      img.style.transform = "scale(" + zoom + ")";
      report();
    }
    function preload() {
      var queue = coarseOrder(n).slice(1), active = 0, limit = 4;
      function next() {
        while (active < limit && queue.length) {
          (function (index) {
            var probe = new Image();
            active++;
            probe.onload = probe.onerror = function () {
              active--;
              if (!loaded[index]) { loaded[index] = true; loadedCount++; }
              if (index === current) { show(current); } else { report(); }
              next();
            };
            probe.src = frames[index];
          })(queue.shift());
        }
      }
      next();
    }
    function pointerCount() { return Object.keys(pointers).length; }
    function distance() {
      var p = Object.keys(pointers).map(function (k) { return pointers[k]; });
      return p.length < 2 ? 0 : Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y);
    }

    stage.addEventListener("pointerdown", function (e) {
      stage.setPointerCapture(e.pointerId);
      pointers[e.pointerId] = {x: e.clientX, y: e.clientY};
      if (pointerCount() === 1) {
        dragStartX = e.clientX; dragStartFrame = current;
        stage.classList.add("zwt-dragging");
        var now = Date.now();
        if (e.pointerType !== "mouse" && now - lastTap < 300) { setZoom(zoom > 1 ? 1 : 2); }
        lastTap = now;
      } else if (pointerCount() === 2) {
        pinchStart = distance(); pinchZoom = zoom;
      }
    });
    stage.addEventListener("pointermove", function (e) {
      if (!pointers[e.pointerId]) { return; }
      pointers[e.pointerId] = {x: e.clientX, y: e.clientY};
      if (pointerCount() === 2 && pinchStart) {
        setZoom(pinchZoom * distance() / pinchStart);
      } else if (pointerCount() === 1) {
        var perFrame = Math.max(4, stage.clientWidth / n);
        show(dragStartFrame - Math.round((e.clientX - dragStartX) / perFrame));
      }
    });
    function release(e) {
      delete pointers[e.pointerId];
      if (pointerCount() < 2) { pinchStart = 0; }
      if (pointerCount() === 1) {
        var k = Object.keys(pointers)[0];
        dragStartX = pointers[k].x; dragStartFrame = current;
      }
      if (!pointerCount()) { stage.classList.remove("zwt-dragging"); }
    }
    stage.addEventListener("pointerup", release);
    stage.addEventListener("pointercancel", release);
    stage.addEventListener("dblclick", function () { setZoom(zoom > 1 ? 1 : 2); });
    stage.addEventListener("wheel", function (e) {
      e.preventDefault();
      setZoom(zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15));
    }, {passive: false});
    root.addEventListener("keydown", function (e) {
      if (e.key === "ArrowLeft") { show(current - 1); e.preventDefault(); }
      else if (e.key === "ArrowRight") { show(current + 1); e.preventDefault(); }
      else if (e.key === "+" || e.key === "=") { setZoom(zoom * 1.25); }
      else if (e.key === "-") { setZoom(zoom / 1.25); }
    });
    var zoomIn = root.querySelector(".zwt-spin-in"), zoomOut = root.querySelector(".zwt-spin-out");
    if (zoomIn) { zoomIn.addEventListener("click", function () { setZoom(zoom * 1.25); }); }
    if (zoomOut) { zoomOut.addEventListener("click", function () { setZoom(zoom / 1.25); }); }
    report();
    if (img.complete) { preload(); } else { img.addEventListener("load", preload, {once: true}); img.addEventListener("error", preload, {once: true}); }
  }

  function uploads(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("form.zwt-spin-upload"), function (form) {
      if (form.zwtBound) { return; }
      form.zwtBound = true;
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var message = form.querySelector(".zwt-spin-upload-message");
        var csrf = document.querySelector("meta[name=csrf-token]");
        var headers = csrf ? {"X-CSRFToken": csrf.getAttribute("content")} : {};
        fetch(form.action, {method: "POST", body: new FormData(form), headers: headers, credentials: "same-origin"})
          .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
          .then(function (r) {
            if (r.ok) { window.location.reload(); } else if (message) { message.textContent = r.body.message || ""; }
          });
      });
    });
  }

  function start(scope) {
    Array.prototype.forEach.call((scope || document).querySelectorAll(".zwt-spin[data-frames]"), function (el) { new Spin(el); });
    uploads(scope || document);
  }
  window.zwtSpin360 = {start: start, coarseOrder: coarseOrder};
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", function () { start(); }); } else { start(); }
})();

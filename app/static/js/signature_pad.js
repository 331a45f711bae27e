/* Handwritten signatures on approval forms: draw on the <canvas> of each [data-zwt-signature]
   with a mouse, a pen or a finger (pointer events; the page does not scroll while drawing),
   undo the last stroke or clear all. After each stroke the drawing goes into the hidden
   `signature` field as a PNG data URL (empty when nothing is drawn); the server checks it is a
   real PNG of at most 512 KB. Without script the forms still post, without a signature. */
(function () {
  "use strict";

  function setup(box) {
    if (box.getAttribute("data-ready")) { return; }
    box.setAttribute("data-ready", "1");
    var canvas = box.querySelector("canvas");
    var field = box.querySelector("input[name=signature]");
    var context = canvas.getContext("2d");
    var strokes = [];
    var current = null;

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return [(event.clientX - rect.left) * canvas.width / rect.width,
              (event.clientY - rect.top) * canvas.height / rect.height];
    }

    function drawStroke(stroke) {
      context.beginPath();
      context.moveTo(stroke[0][0], stroke[0][1]);
      if (stroke.length === 1) {
        context.lineTo(stroke[0][0] + 0.1, stroke[0][1] + 0.1);
      }
      for (var i = 1; i < stroke.length; i++) { context.lineTo(stroke[i][0], stroke[i][1]); }
      context.stroke();
    }

    function redraw() {
      context.clearRect(0, 0, canvas.width, canvas.height);
      context.lineWidth = 3;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#1f1f1f";
      strokes.forEach(drawStroke);
      field.value = strokes.length ? canvas.toDataURL("image/png") : "";
      var missing = box.querySelector(".zwt-signature-missing");
      if (missing && strokes.length) { missing.parentNode.removeChild(missing); }
      box.classList.toggle("zwt-signed", strokes.length > 0);
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      if (canvas.setPointerCapture) {
        try { canvas.setPointerCapture(event.pointerId); } catch (ignored) { /* synthetic pointers */ }
      }
      current = [point(event)];
      strokes.push(current);
      redraw();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!current) { return; }
      event.preventDefault();
      current.push(point(event));
      redraw();
    });
    function end() {
      if (!current) { return; }
      current = null;
      redraw();
    }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    canvas.addEventListener("pointerleave", end);
    // Older mobile browsers without pointer events: touches draw the same way.
    if (!window.PointerEvent) {
      canvas.addEventListener("touchstart", function (event) {
        event.preventDefault();
        current = [point(event.touches[0])];
        strokes.push(current);
        redraw();
      }, {passive: false});
      canvas.addEventListener("touchmove", function (event) {
        if (!current) { return; }
        event.preventDefault();
        current.push(point(event.touches[0]));
        redraw();
      }, {passive: false});
      canvas.addEventListener("touchend", end);
    }

    // A step that asks for a signature: the form is not sent without one (the server refuses too).
    var form = box.closest("form");
    if (form && box.hasAttribute("data-required")) {
      form.addEventListener("submit", function (event) {
        if (strokes.length) { return; }
        event.preventDefault();
        box.open = true;
        var note = box.querySelector(".zwt-signature-missing");
        if (!note) {
          note = document.createElement("p");
          note.className = "help-block zwt-action-error zwt-signature-missing";
          note.setAttribute("role", "alert");
          note.textContent = box.getAttribute("data-required-message");
          box.appendChild(note);
        }
        canvas.focus();
      });
    }

    box.querySelector("[data-signature-undo]").addEventListener("click", function () {
      strokes.pop();
      redraw();
    });
    box.querySelector("[data-signature-clear]").addEventListener("click", function () {
      strokes = [];
      redraw();
    });
    redraw();
  }

  function setupAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-zwt-signature]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupAll);
  } else {
    setupAll();
  }
})();

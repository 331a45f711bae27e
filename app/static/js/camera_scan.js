// The phone's camera as a scanner, for the pages that read codes (扫码盘点, 签到台): where the browser has a
// BarcodeDetector, a tap on the button shows the camera until a code is read, then onCode(text) gets it; a second
// tap stops it. Without a detector or a camera, onUnavailable() says so (the page falls back to typing).
window.zwtCameraScan = function (button, video, onCode, onUnavailable, formats) {
  "use strict";
  var stream = null;
  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.hidden = true;
  }
  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      onUnavailable();
      return;
    }
    var detector = formats ? new window.BarcodeDetector({formats: formats}) : new window.BarcodeDetector();
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      video.play();
      function look() {
        if (!stream) { return; }
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stop();
            onCode(codes[0].rawValue);
          } else {
            window.requestAnimationFrame(look);
          }
        }).catch(function () { window.requestAnimationFrame(look); });
      }
      look();
    }).catch(onUnavailable);
  });
};

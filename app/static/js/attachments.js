/* The 附件 tab: files dropped on (or chosen in) the upload form are sent one by one as the
   request body, each with its own progress bar (XHR upload progress); the list is reloaded when
   all are done. Delete asks for confirmation and posts. Without this script the form posts the
   chosen files and delete opens a confirmation page. */
(function () {
  "use strict";

  function setup(root) {
    if (!root || root.getAttribute("data-ready")) { return; }
    root.setAttribute("data-ready", "1");
    var form = root.querySelector("#zwt-files-form");
    var token = form ? form.querySelector("input[name=csrf_token]").value : null;

    root.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest(".zwt-files-delete") : null;
      if (!link) { return; }
      event.preventDefault();
      if (!window.confirm(link.getAttribute("data-confirm"))) { return; }
      var csrf = token || (document.querySelector("input[name=csrf_token]") || {}).value || "";
      var post = document.createElement("form");
      post.method = "post";
      post.action = link.getAttribute("href");
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "csrf_token"; input.value = csrf;
      post.appendChild(input);
      document.body.appendChild(post);
      post.submit();
    });

    if (!form) { return; }
    var input = form.querySelector("#zwt-files-input");
    var list = form.querySelector("#zwt-files-progress");
    var maxBytes = parseInt(root.getAttribute("data-max-mb"), 10) * 1024 * 1024;

    function row(file) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.textContent = file.name + " ";
      var bar = document.createElement("progress");
      bar.max = 100; bar.value = 0;
      var note = document.createElement("span");
      note.className = "zwt-files-note";
      li.appendChild(name); li.appendChild(bar); li.appendChild(note);
      list.appendChild(li);
      return {li: li, bar: bar, note: note};
    }

    function send(file, shown) {
      return new Promise(function (resolve) {
        if (file.size > maxBytes) {
          shown.note.textContent = " " + form.getAttribute("data-too-large").replace("__NAME__", file.name);
          shown.li.className = "text-danger";
          resolve(false);
          return;
        }
        var xhr = new XMLHttpRequest();
        xhr.open("POST", form.getAttribute("action"));
        xhr.setRequestHeader("X-CSRFToken", token);
        xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
        xhr.setRequestHeader("Accept", "application/json");
        xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.upload.addEventListener("progress", function (e) {
          if (e.lengthComputable) { shown.bar.value = Math.round(e.loaded * 100 / e.total); }
        });
        xhr.onload = function () {
          var ok = xhr.status === 201;
          var message = "";
          if (!ok) {
            try { message = JSON.parse(xhr.responseText).message; } catch (err) { message = ""; }
            if (message && typeof message === "object") {
              message = Object.keys(message).map(function (k) { return message[k].join(" "); }).join(" ");
            }
          }
          shown.bar.value = ok ? 100 : shown.bar.value;
          shown.note.textContent = " " + (ok ? form.getAttribute("data-done") : (message || form.getAttribute("data-failed")));
          shown.li.className = ok ? "text-success" : "text-danger";
          resolve(ok);
        };
        xhr.onerror = function () {
          shown.note.textContent = " " + form.getAttribute("data-failed");
          shown.li.className = "text-danger";
          resolve(false);
        };
        xhr.send(file);
      });
    }

    function upload(files) {
      if (!files || !files.length) { return; }
      var all = Array.prototype.slice.call(files);
      var rows = all.map(row);
      var chain = Promise.resolve(true), anyDone = false, anyFailed = false;
      all.forEach(function (file, i) {
        chain = chain.then(function () {
          return send(file, rows[i]).then(function (ok) { if (ok) { anyDone = true; } else { anyFailed = true; } });
        });
      });
      chain.then(function () {
        input.value = "";
        // Failures stay on screen to be read; a clean run shows the new list at once.
        if (anyDone && !anyFailed) { window.location.reload(); }
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      upload(input.files);
    });
    input.addEventListener("change", function () { upload(input.files); });
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.add("zwt-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function (event) {
        event.preventDefault();
        form.classList.remove("zwt-over");
      });
    });
    form.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files) { upload(event.dataTransfer.files); }
    });
  }

  function start() { setup(document.getElementById("zwt-files")); }
  // Loaded again with each drawing of the tab: one watcher is enough.
  if (window.zwtAttachments) { start(); return; }
  window.zwtAttachments = true;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  // The tab may be drawn later (when it is first opened): set it up then.
  if (window.MutationObserver) {
    new MutationObserver(function () { start(); }).observe(document.documentElement, {childList: true, subtree: true});
  }
}());

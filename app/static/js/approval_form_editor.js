/* The fields of an approval form as rows to fill in (label, kind, required, help, options,
   columns of a table), kept in the YAML box below as JSON (which is YAML too): the box is what
   is saved, and stays there for those who prefer to type. */
(function () {
  "use strict";
  var root = document.getElementById("zwt-field-editor"), box = document.getElementById("fields");
  if (!root || !box) { return; }
  var t = JSON.parse(root.getAttribute("data-text"));
  var kinds = JSON.parse(root.getAttribute("data-kinds")), lineKinds = JSON.parse(root.getAttribute("data-line-kinds"));
  var fields;
  try { fields = JSON.parse(root.getAttribute("data-fields")); } catch (e) { fields = null; }
  if (!Array.isArray(fields)) { root.textContent = t.typed; return; }

  function save() { box.value = JSON.stringify(fields, null, 1); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k in node && k !== "list") { node[k] = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function input(field, key, label, width) {
    var i = el("input", {className: "form-control input-sm", value: field[key] || "", "aria-label": label, placeholder: label});
    i.style.width = width || "140px";
    i.addEventListener("input", function () { field[key] = i.value; save(); });
    return i;
  }

  function check(field, key, label) {
    var c = el("input", {type: "checkbox", checked: !!field[key]});
    c.addEventListener("change", function () { field[key] = c.checked; save(); });
    return el("label", {className: "checkbox-inline"}, [c, document.createTextNode(" " + label)]);
  }

  function list(items, allowed, nested) {
    var wrap = el("div", {className: "zwt-field-rows"});
    function draw() {
      wrap.innerHTML = "";
      items.forEach(function (field, n) {
        var kind = el("select", {className: "form-control input-sm", "aria-label": t.kind});
        kind.style.width = "auto";
        allowed.forEach(function (k) { kind.appendChild(el("option", {value: k, text: kinds[k], selected: field.kind === k})); });
        kind.addEventListener("change", function () { field.kind = kind.value; if (field.kind === "table" && !field.columns) { field.columns = []; } save(); draw(); });
        var row = el("div", {className: "zwt-field-row"}, [
          el("strong", {text: String(n + 1) + "."}), input(field, "label", t.label), input(field, "name", t.name, "120px"), kind,
          check(field, "required", t.required), input(field, "help", t.help, "180px")]);
        row.style.cssText = "display:flex;flex-wrap:wrap;gap:6px;align-items:center;padding:6px 0;border-bottom:1px solid #eee";
        if (field.kind === "choice" || field.kind === "multichoice") {
          var opts = el("input", {className: "form-control input-sm", value: (field.options || []).join("、"), placeholder: t.options, "aria-label": t.options});
          opts.style.width = "220px";
          opts.addEventListener("input", function () { field.options = opts.value.split(/[、,，\n]/).map(function (s) { return s.trim(); }).filter(Boolean); save(); });
          row.appendChild(opts);
        }
        if (field.kind === "daterange") { row.appendChild(check(field, "half_day", t.half_day)); }
        [["↑", -1], ["↓", 1]].forEach(function (m) {
          var b = el("button", {type: "button", className: "btn btn-default btn-xs", text: m[0], "aria-label": m[1] < 0 ? t.up : t.down});
          b.addEventListener("click", function () { var to = n + m[1]; if (to < 0 || to >= items.length) { return; } items.splice(to, 0, items.splice(n, 1)[0]); save(); draw(); });
          row.appendChild(b);
        });
        var del = el("button", {type: "button", className: "btn btn-default btn-xs", text: t.remove});
        del.addEventListener("click", function () { items.splice(n, 1); save(); draw(); });
        row.appendChild(del);
        wrap.appendChild(row);
        if (field.kind === "table" && !nested) {
          var sub = el("div", {}, [el("div", {className: "zwt-muted", text: t.columns}), list(field.columns, lineKinds, true)]);
          sub.style.cssText = "margin-left:32px;padding:4px 8px;border-left:3px solid #e5e7eb";
          wrap.appendChild(sub);
        }
      });
      var add = el("button", {type: "button", className: "btn btn-default btn-sm", text: "+ " + (nested ? t.add_column : t.add)});
      add.addEventListener("click", function () { items.push({name: "", label: "", kind: "text", required: false, help: ""}); save(); draw(); });
      wrap.appendChild(add);
    }
    draw();
    return wrap;
  }
  root.appendChild(list(fields, Object.keys(kinds), false));
})();

/* The visual approval chain builder: steps, approvers, mode, quorum, time limits and conditions
   (field, operator fitting the field's kind, value; combined with 且/或), drawn and checked by the
   server as the chain is built. Save publishes the chain as YAML, as the YAML editor does. */
(function () {
  "use strict";
  var root = document.getElementById("zwt-builder");
  if (!root) { return; }
  var config = JSON.parse(root.getAttribute("data-config"));
  var t = JSON.parse(root.getAttribute("data-text"));
  var chain = config.chain;
  chain.steps = chain.steps || [];
  var fields = {};
  config.fields.forEach(function (f) { fields[f.name] = f; });
  var OPS = {number: ["==", "!=", ">", ">=", "<", "<="], date: ["==", "!=", ">", ">=", "<", "<="],
             yesno: ["==", "!="], text: ["==", "!="]};
  var stepsBox = document.getElementById("zwt-builder-steps");
  var result = document.getElementById("zwt-builder-result");
  var timer = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k in node) { node[k] = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }
  function changed() { clearTimeout(timer); timer = setTimeout(function () { send(config.check_url); }, 400); }
  function select(options, value, label, onchange) {
    var s = el("select", {className: "form-control input-sm", "aria-label": label});
    options.forEach(function (o) { s.appendChild(el("option", {value: o[0], text: o[1], selected: String(o[0]) === String(value)})); });
    s.addEventListener("change", function () { onchange(s.value); });
    return s;
  }
  function input(obj, key, label, cls) {
    var i = el("input", {className: "form-control input-sm " + (cls || ""), value: obj[key] == null ? "" : obj[key], "aria-label": label, placeholder: label});
    i.addEventListener("input", function () { obj[key] = i.value; changed(); });
    return i;
  }
  function kindOf(rule) { return config.kinds.filter(function (k) { return k in rule; })[0] || "role"; }
  function button(text, onclick, cls) {
    var b = el("button", {type: "button", className: "btn btn-default btn-xs " + (cls || ""), text: text});
    b.addEventListener("click", onclick);
    return b;
  }

  function number(value, label, min, max, onchange) {
    var i = el("input", {className: "form-control input-sm zwt-builder-num", type: "number", min: min, max: max,
                         value: value == null ? "" : value, "aria-label": label, title: label, placeholder: label});
    i.addEventListener("input", function () { onchange(i.value === "" ? null : parseInt(i.value, 10)); changed(); });
    return i;
  }
  // 连续多级主管: {levels, until_role}
  function managerChain(row, rule) {
    var spec = rule.manager_chain = rule.manager_chain || {};
    row.appendChild(number(spec.levels, t.levels, 1, 20, function (v) { if (v) { spec.levels = v; } else { delete spec.levels; } }));
    row.appendChild(input(spec, "until_role", t.until_role));
  }
  // 部门负责人: a department named by code or name, or the one a field holds
  function departmentFrom(row, rule) {
    var value = rule.department_head, byField = typeof value === "object" && value !== null && "field" in value;
    row.appendChild(select([["department", t.department_from.department], ["field", t.department_from.field]],
      byField ? "field" : "department", t.department, function (v) {
        rule.department_head = v === "field" ? {field: ""} : ""; draw(); changed();
      }));
    if (byField) {
      row.appendChild(select([["", "—"]].concat(config.fields.filter(function (f) { return /_id$/.test(f.name); })
        .map(function (f) { return [f.name, f.label]; })), value.field, t.field, function (v) { value.field = v; changed(); }));
    } else if (typeof value === "object" && value !== null) {
      row.appendChild(input(value, "department", t.department));   // written as {department: …}: kept so
    } else {
      row.appendChild(input(rule, "department_head", t.department));
    }
  }
  // 发起人自选: {from: any | {role} | {users: [..]} | {department}, multiple, min}
  function submitterPicks(row, rule) {
    var spec = rule.submitter_picks = rule.submitter_picks || {from: "any"};
    var from = spec.from, kind = typeof from === "object" && from !== null ? Object.keys(from)[0] : "any";
    row.appendChild(select(["any", "role", "users", "department"].map(function (k) { return [k, t.picks_from[k]]; }), kind,
      t.picks_value, function (v) { spec.from = v === "any" ? "any" : (v === "users" ? {users: []} : {}); if (v !== "any" && v !== "users") { spec.from[v] = ""; } draw(); changed(); }));
    if (kind !== "any") {
      var shown = {v: kind === "users" ? (from.users || []).join(", ") : from[kind]};
      var box = input(shown, "v", t.picks_value);
      box.addEventListener("input", function () {
        from[kind] = kind === "users" ? shown.v.split(/[,，\s]+/).filter(Boolean) : shown.v;
      });
      row.appendChild(box);
    }
    var several = el("input", {type: "checkbox", checked: !!spec.multiple, "aria-label": t.multiple, title: t.multiple});
    several.addEventListener("change", function () { if (several.checked) { spec.multiple = true; } else { delete spec.multiple; } changed(); });
    row.appendChild(el("label", {className: "zwt-builder-check"}, [several, document.createTextNode(" " + t.multiple)]));
    row.appendChild(number(spec.min, t.min, 0, 50, function (v) { if (v === null) { delete spec.min; } else { spec.min = v; } }));
  }

  function approverRow(step, rule, n) {
    var kind = kindOf(rule);
    var row = el("div", {className: "zwt-builder-row zwt-builder-approver"});
    row.appendChild(select(config.kinds.map(function (k) { return [k, t.kinds[k] || k]; }), kind, t.approvers, function (v) {
      var old = rule[kind]; delete rule[kind]; delete rule.levels;
      if (v === "manager_chain") { rule[v] = {levels: 2}; step.mode = "sequential"; }
      else if (v === "submitter_picks") { rule[v] = {from: "any"}; }
      else { rule[v] = v === "manager_of" ? "submitter" : (v === "admin" ? true : (old === true || typeof old === "object" ? "" : old)); }
      draw(); changed();
    }));
    if (kind === "field") {
      var people = config.fields.filter(function (f) { return /_id$/.test(f.name); })
        .concat((config.person_fields || []).map(function (n) { return {name: n, label: n}; }));
      row.appendChild(select([["", "—"]].concat(people.map(function (f) { return [f.name, f.label]; })), rule.field, t.field,
        function (v) { rule.field = v; changed(); }));
    } else if (kind === "manager_chain") {
      managerChain(row, rule);
    } else if (kind === "submitter_picks") {
      submitterPicks(row, rule);
    } else if (kind === "department_head") {
      departmentFrom(row, rule);
    } else if (kind !== "admin") {
      row.appendChild(input(rule, kind, t.value));
    }
    if (kind === "manager_of") {
      var lv = el("input", {className: "form-control input-sm zwt-builder-num", type: "number", min: 1, value: rule.levels || 1, "aria-label": t.levels, title: t.levels});
      lv.addEventListener("input", function () { rule.levels = parseInt(lv.value, 10) || 1; changed(); });
      row.appendChild(lv);
    }
    row.appendChild(button(t.remove, function () { step.approvers.splice(n, 1); draw(); changed(); }));
    return row;
  }

  function clauseRow(cond, clause, n) {
    var f = fields[clause.field] || {kind: "text"};
    var row = el("div", {className: "zwt-builder-row zwt-builder-clause"});
    row.appendChild(select([["", "—"]].concat(config.fields.map(function (x) { return [x.name, x.label]; })), clause.field, t.field,
      function (v) { clause.field = v; var k = (fields[v] || {}).kind; if (k === "yesno") { clause.op = "=="; clause.value = true; } else if (OPS[k].indexOf(clause.op) < 0) { clause.op = "=="; } draw(); changed(); }));
    row.appendChild(select(OPS[f.kind].map(function (o) { return [o, t.ops[o]]; }), clause.op || "==", t.operator,
      function (v) { clause.op = v; changed(); }));
    if (f.kind === "yesno") {
      row.appendChild(select([["true", t.yes], ["false", t.no]], String(clause.value), t.value, function (v) { clause.value = v === "true"; changed(); }));
    } else {
      var v = el("input", {className: "form-control input-sm", type: f.kind === "number" ? "number" : (f.kind === "date" ? "date" : "text"), step: "any",
                           value: clause.value == null ? "" : clause.value, "aria-label": t.value, placeholder: t.value});
      v.addEventListener("input", function () { clause.value = f.kind === "number" && v.value !== "" ? Number(v.value) : v.value; changed(); });
      row.appendChild(v);
    }
    row.appendChild(button(t.remove, function () { cond.clauses.splice(n, 1); draw(); changed(); }));
    return row;
  }

  function conditionBox(step) {
    var box = el("div", {className: "zwt-builder-condition"}, [el("strong", {text: t.condition + " "})]);
    var cond = step.when;
    if (cond && cond.expression !== undefined) {
      box.appendChild(el("code", {text: cond.expression}));
      box.appendChild(button(t.remove, function () { delete step.when; draw(); changed(); }));
      return box;
    }
    if (cond && cond.clauses && cond.clauses.length) {
      box.appendChild(select([["and", t.and], ["or", t.or]], cond.join || "and", t.condition, function (v) { cond.join = v; changed(); }));
      cond.clauses.forEach(function (c, n) { box.appendChild(clauseRow(cond, c, n)); });
    }
    box.appendChild(button("+ " + t.add_clause, function () {
      if (!step.when || !step.when.clauses) { step.when = {join: "and", clauses: []}; }
      var first = config.fields[0] || {name: "", kind: "text"};
      step.when.clauses.push({field: first.name, op: first.kind === "number" ? ">" : "==", value: first.kind === "yesno" ? true : ""});
      draw(); changed();
    }, "zwt-builder-add-clause"));
    return box;
  }

  function stepCard(step, n) {
    step.approvers = step.approvers || [];
    var card = el("fieldset", {className: "zwt-builder-step"});
    card.appendChild(el("legend", {text: t.step + " " + (n + 1)}));
    var head = el("div", {className: "zwt-builder-row"}, [input(step, "id", t.step_id, "zwt-builder-step-id"), input(step, "name", t.step_name, "zwt-builder-step-name"),
      select(config.modes.map(function (m) { return [m, t.modes[m] || m]; }), step.mode || "any", t.mode, function (v) { step.mode = v; if (v !== "quorum") { delete step.quorum; } draw(); changed(); })]);
    if (step.mode === "quorum") {
      var q = el("input", {className: "form-control input-sm zwt-builder-num", type: "number", min: 1, value: step.quorum || 2, "aria-label": t.quorum, title: t.quorum});
      q.addEventListener("input", function () { step.quorum = parseInt(q.value, 10) || 1; changed(); });
      if (!step.quorum) { step.quorum = 2; }
      head.appendChild(q);
    }
    card.appendChild(head);
    card.appendChild(el("div", {text: t.approvers, className: "zwt-muted"}));
    step.approvers.forEach(function (r, i) { card.appendChild(approverRow(step, r, i)); });
    card.appendChild(button("+ " + t.add_approver, function () { step.approvers.push({role: ""}); draw(); changed(); }));
    step.sla = step.sla || {};
    card.appendChild(el("div", {className: "zwt-builder-row"}, [input(step.sla, "remind_after", t.remind_after), input(step.sla, "escalate_after", t.escalate_after),
      select([["", t.on_timeout + ": —"]].concat(["escalate", "auto_approve", "auto_reject"].map(function (k) { return [k, t.timeouts[k]]; })),
             step.sla.on_timeout || "", t.on_timeout, function (v) { step.sla.on_timeout = v; changed(); }),
      select([["", t.escalate_to + ": —"], ["manager", t.escalate_manager], ["admin", t.escalate_admin]],
             step.sla.escalate_to || "", t.escalate_to, function (v) { step.sla.escalate_to = v; changed(); })]));
    card.appendChild(conditionBox(step));
    card.appendChild(el("div", {className: "zwt-builder-row"}, [
      button(t.up, function () { if (n > 0) { chain.steps.splice(n - 1, 0, chain.steps.splice(n, 1)[0]); draw(); changed(); } }),
      button(t.down, function () { if (n < chain.steps.length - 1) { chain.steps.splice(n + 1, 0, chain.steps.splice(n, 1)[0]); draw(); changed(); } }),
      button(t.remove, function () { chain.steps.splice(n, 1); draw(); changed(); }, "zwt-builder-remove-step")]));
    return card;
  }

  function draw() {
    stepsBox.innerHTML = "";
    chain.steps.forEach(function (s, n) { stepsBox.appendChild(stepCard(s, n)); });
  }

  function show(data, ok) {
    result.innerHTML = "";
    var box = el("div", {className: "alert " + (ok ? (data.number ? "alert-success" : "alert-info") : "alert-danger"), role: "alert"});
    box.appendChild(el("div", {text: data.message || (ok ? t.valid : t.failed)}));
    (data.problems || []).concat(data.notices || []).forEach(function (p) { box.appendChild(el("div", {text: p, className: "zwt-builder-problem"})); });
    result.appendChild(box);
    if (data.diagram) {
      // The server draws the diagram as SVG (names escaped there); it is parsed as a separate
      // document and moved in, never assigned as markup.
      var svg = new DOMParser().parseFromString(data.diagram, "image/svg+xml").documentElement;
      var holder = document.getElementById("zwt-builder-diagram");
      if (svg && svg.nodeName.toLowerCase() === "svg") { holder.replaceChildren(document.importNode(svg, true)); }
      else { holder.replaceChildren(); }
    }
    if (data.yaml) { document.getElementById("zwt-builder-yaml").textContent = data.yaml; }
  }

  function send(url) {
    clearTimeout(timer);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRFToken", document.getElementById("zwt-builder-csrf").value);
    xhr.onload = function () {
      var data;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
      show(data, xhr.status < 300);
    };
    xhr.onerror = function () { show({}, false); };
    xhr.send(JSON.stringify({chain: chain, note: document.getElementById("zwt-builder-note").value}));
  }

  var title = document.getElementById("zwt-builder-title");
  title.value = chain.title || "";
  title.addEventListener("input", function () { chain.title = title.value; changed(); });
  document.getElementById("zwt-builder-add-step").addEventListener("click", function () {
    chain.steps.push({id: "step" + (chain.steps.length + 1), name: "", approvers: [{manager_of: "submitter", levels: 1}], mode: "any"});
    draw(); changed();
  });
  document.getElementById("zwt-builder-check").addEventListener("click", function () { send(config.check_url); });
  document.getElementById("zwt-builder-save").addEventListener("click", function () { send(config.save_url); });
  draw();
  send(config.check_url);
})();

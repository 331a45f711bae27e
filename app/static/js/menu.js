/* The sidebar's entries after 首页 (app/core/shell.py): drawn from the copy this browser keeps under the menu's
   address before the page is painted; shell.js fetches the entries when it has none. Built with createElement and
   textContent: labels are text, never markup. */
(function () {
  "use strict";
  var nav = document.getElementById("zwt-nav");
  if (!nav) { return; }

  function icon(name, extra) {
    var i = document.createElement("i");
    i.className = "fa " + name + (extra ? " " + extra : "");
    i.setAttribute("aria-hidden", "true");
    return i;
  }
  function link(label, iconName, url, titled) {
    var a = document.createElement("a");
    var span = document.createElement("span");
    a.setAttribute("href", url);
    if (titled) { a.title = label; }
    span.textContent = label;
    a.appendChild(icon(iconName));
    a.appendChild(span);
    return a;
  }

  window.zwtMenu = function (entries) {
    var list = nav.firstElementChild;
    var active = nav.getAttribute("data-active");
    var found = null;
    entries.forEach(function (entry, index) {
      var li = document.createElement("li");
      var children = entry[4];
      if (children) {
        var button = document.createElement("button");
        var label = document.createElement("span");
        var sub = document.createElement("ul");
        var title = document.createElement("li");
        li.className = "zwt-nav-group";
        li.setAttribute("data-name", entry[0]);
        button.type = "button";
        button.className = "zwt-nav-toggle";
        button.setAttribute("aria-expanded", "false");
        button.setAttribute("aria-controls", "zwt-nav-" + (index + 1));
        button.title = entry[1];
        label.textContent = entry[1];
        button.appendChild(icon(entry[2]));
        button.appendChild(label);
        button.appendChild(icon("fa-angle-down", "zwt-nav-caret"));
        sub.className = "zwt-nav-sub";
        sub.id = "zwt-nav-" + (index + 1);
        title.className = "zwt-nav-sub-title";
        title.setAttribute("aria-hidden", "true");
        title.textContent = entry[1];
        sub.appendChild(title);
        children.forEach(function (child) {
          var item = document.createElement("li");
          var a = link(child[1], child[2], child[3], false);
          item.appendChild(a);
          sub.appendChild(item);
          if (!found && active && child[3] === active) { found = [item, a, li, button]; }
        });
        li.appendChild(button);
        li.appendChild(sub);
      } else {
        var a = link(entry[1], entry[2], entry[3], true);
        li.appendChild(a);
        if (!found && active && entry[3] === active) { found = [li, a, null, null]; }
      }
      list.appendChild(li);
    });
    if (found) {
      found[0].classList.add("zwt-active");
      found[1].setAttribute("aria-current", "page");
      if (found[2]) {
        found[2].classList.add("zwt-open", "zwt-active");
        found[3].setAttribute("aria-expanded", "true");
      }
    }
    nav.setAttribute("data-ready", "");
  };

  try {
    var kept = JSON.parse(localStorage.getItem("zwt_menu") || "null");
    if (kept && kept.d === nav.getAttribute("data-menu") && Array.isArray(kept.e)) { window.zwtMenu(kept.e); }
  } catch (e) { /* nothing kept, or not readable: shell.js fetches the menu */ }
})();

"""The frame around every page: sidebar menu, top bar, breadcrumbs, theme and the user's
folded-sidebar choice.

The sidebar's folded state and the theme are remembered in two small cookies the page's script
writes (zwt_sidebar, zwt_theme) and read here when the page is drawn, so a page never jumps
after load. The menu is FAB's, filtered by the same `menu_access` permissions FAB checks.

A page does not carry the menu's entries (a hundred links that are the same on every page and
grow with every module): it names the menu by a digest of what it holds (`/menu/<digest>`,
the same for everyone with the same roles and language, and new whenever an entry, a label, an
icon or an address changes) and the entry of this page. static/js/menu.js, run where the menu
stands, draws the menu the browser kept under that digest before the page is first painted;
otherwise shell.js fetches it (JSON, kept for good by the browser, since a changed menu has a
new address). Either way this page's entry is marked.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import g, make_response, request
from flask_babel import gettext as _

THEMES = ("light", "dark", "auto")


@dataclass
class NavEntry:
    name: str
    label: str
    icon: str
    url: str = ""
    active: bool = False
    children: list = field(default_factory=list)


def _item_url(item) -> str:
    try:
        return item.get_url() or ""
    except Exception:   # a menu link to a view that is not registered in this app
        return ""


def _base_of(url: str) -> str:
    """/customers/list/ -> /customers/ : every page of a generated module lives under its base."""
    path = urlsplit(url).path
    for tail in ("list/", "list"):
        if path.endswith(tail):
            return path[: -len(tail)]
    return path


def _matches(url: str, path: str) -> int:
    """How well a menu entry's URL matches the current path (0: not at all)."""
    if not url or url.startswith(("http://", "https://", "#")):
        return 0
    target = urlsplit(url).path
    if target == path:
        return 10_000 + len(target)
    base = _base_of(url)
    if base not in ("", "/") and path.startswith(base):
        return len(base)
    return 0


_menus: dict = {}   # (permission version, roles, language) → (the menu those roles may open, its digest)
_MAX_MENUS = 256


def _allowed_menu(appbuilder) -> list[tuple]:
    return _menu_and_digest(appbuilder)[0]


def menu_digest(appbuilder) -> str:
    """The address of the current user's menu: a digest of its entries, labels, icons and addresses."""
    return _menu_and_digest(appbuilder)[1]


def _menu_and_digest(appbuilder) -> tuple[list[tuple], str]:
    """[(name, label, icon, url, [(name, label, icon, url)…])] the current user may open. The
    same for everyone with the same roles and language until the access rules change: kept per
    process under the permission cache's version (see permission_cache)."""
    from flask_babel import get_locale
    from flask_login import current_user

    sm = appbuilder.sm
    key = None
    access_of = getattr(sm, "access_of", None)
    if access_of is not None:
        access = access_of(current_user if getattr(current_user, "is_authenticated", False) else None)
        if access.version is not None:
            key = (access.version, access.role_ids, str(get_locale()))
            found = _menus.get(key)
            if found is not None:
                return found
    menu = []
    for item in appbuilder.menu.get_list():
        if not sm.has_access("menu_access", item.name):
            continue
        if item.childs:
            children = [(child.name, _(str(child.label)), child.icon or "fa-circle-o", _item_url(child))
                        for child in item.childs
                        if child and child.name != "-" and sm.has_access("menu_access", child.name)]
            if children:
                menu.append((item.name, _(str(item.label)), item.icon or "fa-folder", "", children))
        else:
            menu.append((item.name, _(str(item.label)), item.icon or "fa-circle-o", _item_url(item), None))
    digest = hashlib.sha1(json.dumps(menu, ensure_ascii=False).encode()).hexdigest()[:16]
    if key is not None:
        if len(_menus) >= _MAX_MENUS:
            _menus.clear()
        _menus[key] = (menu, digest)
    return menu, digest


def active_url(appbuilder) -> str:
    """The address of the menu entry of the current page ("" when none is)."""
    for entry in navigation(appbuilder):
        for member in entry.children or [entry]:
            if member.active:
                return member.url
    return ""


def menu_page(appbuilder, digest: str):
    """GET /menu/<digest>: the entries of the signed-in user's menu, as JSON: [[name, label, icon, url,
    [[name, label, icon, url], …] or null], …] (static/js/menu.js draws them). Asked under its own
    digest, the answer never changes and the browser keeps it; asked under another (a page drawn
    before the roles changed), the current menu is sent, not to be kept."""
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False):
        response = make_response(_("Please sign in first."), 401)
        response.headers["Content-Type"] = "text/plain; charset=utf-8"
        response.headers["Cache-Control"] = "no-store"
        return response
    menu, current = _menu_and_digest(appbuilder)
    response = make_response(json.dumps(menu, ensure_ascii=False, separators=(",", ":")))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["X-Menu-Digest"] = current
    if digest == current:
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-store"
    response.vary.add("Cookie")
    return response


def navigation(appbuilder) -> list[NavEntry]:
    """The menu the current user may open, with the entry of the current page marked active."""
    cached = getattr(g, "_zwt_navigation", None)
    if cached is not None:
        return cached
    path = request.path
    entries: list[NavEntry] = []
    best: tuple[int, NavEntry | None, NavEntry | None] = (0, None, None)
    for name, label, icon, url, children in _allowed_menu(appbuilder):
        if children is not None:
            group = NavEntry(name=name, label=label, icon=icon)
            for child_name, child_label, child_icon, child_url in children:
                entry = NavEntry(name=child_name, label=child_label, icon=child_icon, url=child_url)
                group.children.append(entry)
                score = _matches(child_url, path)
                if score > best[0]:
                    best = (score, group, entry)
            entries.append(group)
        else:
            entry = NavEntry(name=name, label=label, icon=icon, url=url)
            entries.append(entry)
            score = _matches(url, path)
            if score > best[0]:
                best = (score, None, entry)
    _score, group, entry = best
    if entry is not None:
        entry.active = True
    if group is not None:
        group.active = True
    g._zwt_navigation = entries
    return entries


def breadcrumbs(appbuilder, title: Any = None) -> list[dict]:
    """首页 › group › module › this page: [{label, url}], the last one without a link."""
    crumbs = [{"label": _("Home"), "url": appbuilder.get_url_for_index}]
    if request.path == appbuilder.get_url_for_index:
        return []
    for group in navigation(appbuilder):
        members = group.children or [group]
        active = next((e for e in members if e.active), None)
        if active is None:
            continue
        if group.children:
            crumbs.append({"label": group.label, "url": ""})
        crumbs.append({"label": active.label, "url": active.url})
        break
    page = str(title) if title else ""
    if page and page != crumbs[-1]["label"]:
        crumbs.append({"label": page, "url": ""})
    crumbs[-1] = {"label": crumbs[-1]["label"], "url": ""}
    return crumbs if len(crumbs) > 1 else []


def sidebar_folded() -> bool:
    return request.cookies.get("zwt_sidebar") == "folded"


def theme() -> str:
    value = request.cookies.get("zwt_theme", "light")
    return value if value in THEMES else "light"


def install(app, appbuilder) -> None:
    """Template globals the base layout uses."""
    app.jinja_env.globals.update(
        zwt_navigation=lambda: navigation(appbuilder),
        zwt_breadcrumbs=lambda title=None: breadcrumbs(appbuilder, title),
        zwt_sidebar_folded=sidebar_folded,
        zwt_theme=theme,
        zwt_menu_digest=lambda: menu_digest(appbuilder),
        zwt_menu_active=lambda: active_url(appbuilder),
    )
    app.add_url_rule("/menu/<digest>", "zwt_menu", lambda digest: menu_page(appbuilder, digest))
    _find_views_through_the_index()


def _find_views_through_the_index() -> None:
    """FAB's `is_item_visible` template filter finds its view by walking every registered view
    (three hundred, several times a page): through the app's view index instead."""
    from flask import current_app
    from flask_appbuilder.filters import TemplateFilters

    from app.core.view_index import views_named

    if getattr(TemplateFilters.find_views_by_name, "zwt_by_dict", False):
        return

    def find_views_by_name(view_name):
        return next(iter(views_named(current_app.appbuilder, view_name)), None)

    find_views_by_name.zwt_by_dict = True
    TemplateFilters.find_views_by_name = staticmethod(find_views_by_name)

"""Extra tabs on every generated show page (approval timeline, comments, interactions...), and
notices above edit forms.

A part of the frame or a module registers a tab once, at start-up:

    register_tab(ShowTab(key="comments", label=_l("Comments"), render=render_comments,
                         applies=lambda spec: True, order=50))

`render(spec, item)` returns markup (a Markup / safe HTML string) drawn inside the tab, or None
to leave the tab out for this record; `badge(spec, item)` may return a number shown beside
the label. The show page calls them for the record it displays, already checked against the
user's permission and data scope.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass(frozen=True)
class ShowTab:
    key: str                                   # HTML id and stable name
    label: Any                                 # lazy gettext
    render: Callable                           # (spec, item) -> Markup | None
    applies: Callable = lambda spec: True      # (spec) -> bool
    badge: Optional[Callable] = None           # (spec, item) -> int | None
    order: int = 50                            # tabs sort by order, then key


_tabs: dict[str, ShowTab] = {}


def register_tab(tab: ShowTab) -> None:
    """Register (or replace, by key) a show-page tab."""
    _tabs[tab.key] = tab


def tabs_for(spec, item) -> list[dict]:
    """The tabs to draw on `item`'s show page: [{key, label, html, badge}], in order."""
    out = []
    for tab in sorted(_tabs.values(), key=lambda t: (t.order, t.key)):
        if not tab.applies(spec):
            continue
        html = tab.render(spec, item)
        if html is None:
            continue
        out.append({"key": tab.key, "label": tab.label, "html": html,
                    "badge": tab.badge(spec, item) if tab.badge else None})
    return out


# Notices shown above the edit form of a record: fn(spec, item) -> message or None
# (e.g. "in approval: only these fields may change").
_edit_notices: list[Callable] = []


def register_edit_notice(fn: Callable) -> None:
    if fn not in _edit_notices:
        _edit_notices.append(fn)


def edit_notices(spec, item) -> list[str]:
    return [message for message in (fn(spec, item) for fn in _edit_notices) if message]

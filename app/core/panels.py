"""Extra tabs on every generated show page (approval timeline, comments, interactions...), and
notices above edit forms.

A part of the frame or a module registers a tab once, at start-up:

    register_tab(ShowTab(key="comments", label=_l("Comments"), render=render_comments,
                         applies=lambda spec: True, order=50))

`render(spec, item)` returns markup (a Markup / safe HTML string) drawn inside the tab, or None
to leave the tab out for this record; `badge(spec, item)` may return a number shown beside
the label. The show page calls them for the record it displays, already checked against the
user's permission and data scope.

A tab is drawn when it is opened (`lazy`, the default): the page carries its label and badge,
and its content comes from /<module>/show/<pk>/tab/<key> (or the page with ?tab=<key> without
script). `count(spec, item)` may give the badge as a SQL select of one number instead of
`badge`: the page reads all its tabs' counts in one statement. A tab with `lazy=False` is drawn
with the page.
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
    lazy: bool = True                          # drawn when opened, not with the page
    count: Optional[Callable] = None           # (spec, item) -> Select of one number (the badge)


_tabs: dict[str, ShowTab] = {}


def register_tab(tab: ShowTab) -> None:
    """Register (or replace, by key) a show-page tab."""
    _tabs[tab.key] = tab


def tab_of(spec, key: str) -> ShowTab | None:
    """The registered tab `key` when it applies to `spec`'s pages."""
    tab = _tabs.get(key)
    return tab if tab is not None and tab.applies(spec) else None


def tabs_for(spec, item, active: str | None = None, every: bool = False) -> list[dict]:
    """The tabs of `item`'s show page: [{key, label, html, badge, count}], in order. A lazy tab's
    html is None (drawn when opened) unless it is `active` or `every` tab is asked for; `count`
    is the select of its badge, for the page to read with its other counts."""
    out = []
    for tab in sorted(_tabs.values(), key=lambda t: (t.order, t.key)):
        if not tab.applies(spec):
            continue
        draw = every or not tab.lazy or tab.key == active
        html = tab.render(spec, item) if draw else None
        if draw and html is None:
            continue
        count = tab.count(spec, item) if tab.count else None
        badge = tab.badge(spec, item) if tab.badge and count is None else None
        out.append({"key": tab.key, "label": tab.label, "html": html, "badge": badge, "count": count})
    return out


# Notices shown above the edit form of a record: fn(spec, item) -> message or None
# (e.g. "in approval: only these fields may change").
_edit_notices: list[Callable] = []


def register_edit_notice(fn: Callable) -> None:
    if fn not in _edit_notices:
        _edit_notices.append(fn)


def edit_notices(spec, item) -> list[str]:
    return [message for message in (fn(spec, item) for fn in _edit_notices) if message]


# Warnings at the top of a record's page, per module spec: fn(item) -> [message] (e.g. "over the credit limit"
# on a customer, and on their orders). Each costs the page what its function reads: keep it to one statement.
_record_flags: dict[str, list[Callable]] = {}


def register_record_flag(spec_name: str, fn: Callable) -> None:
    flags = _record_flags.setdefault(spec_name, [])
    if fn not in flags:
        flags.append(fn)


def record_flags(spec, item) -> list[str]:
    return [message for fn in _record_flags.get(spec.name, []) for message in (fn(item) or [])]


# -- what a detail page offers -----------------------------------------------------------------
# Rules saying whether an action, editing or deleting applies to one record as it is now:
# fn(actor, item) -> bool, registered per module spec and per action name ("edit", "delete" or
# an ActionSpec name). Every rule of a name must agree; a name without rules applies whenever
# the role grants it.
_record_rules: dict[tuple[str, str], list[Callable]] = {}


def register_record_rule(spec_name: str, what: str, fn: Callable) -> None:
    rules = _record_rules.setdefault((spec_name, what), [])
    if fn not in rules:
        rules.append(fn)


def prepare_rules(spec, actor, items) -> None:
    """Before a list asks its rules row by row: a rule with a `prepare(actor, items)` attribute
    reads what it needs for all the rows at once (one statement instead of one per row)."""
    seen = set()
    for (name, _what), rules in _record_rules.items():
        if name != spec.name:
            continue
        for fn in rules:
            prepare = getattr(fn, "prepare", None)
            if prepare is not None and prepare not in seen:
                seen.add(prepare)
                prepare(actor, items)


def applies_to(spec, what: str, actor, item) -> bool:
    """Whether `what` (edit, delete or an action name) may be done to `item` now, by its state."""
    return all(fn(actor, item) for fn in _record_rules.get((spec.name, what), ()))


def applies_each(spec, whats, actor, item) -> set:
    """The names of `whats` that apply to `item` (applies_to for each), every rule asked once:
    a list row asks a rule shared by its eight actions once, not eight times."""
    answers, rules_of, out = {}, _record_rules.get, set()
    for what in whats:
        for fn in rules_of((spec.name, what), ()):
            answer = answers.get(fn)
            if answer is None:
                answer = answers[fn] = bool(fn(actor, item))
            if not answer:
                break
        else:
            out.add(what)
    return out


def record_bar(view, item) -> dict:
    """The buttons of `item`'s detail page in `view` (a generated ModelView): the actions the
    user's role grants that apply to the record now, and the edit and delete links when the
    role and the record's state allow them. The screens behind them check again."""
    from app.core.datamodel import current_actor

    spec, actor, sm = view.spec, current_actor(), view.appbuilder.sm
    actions = {}
    for name, action in view.actions.items():
        if not action.single or not sm.has_access(view.get_action_permission_name(name), view.class_permission_name):
            continue
        if applies_to(spec, name, actor, item):
            actions[name] = action
    may = {what: sm.has_access(f"can_{perm}", view.class_permission_name) and applies_to(spec, what, actor, item)
           for what, perm in (("edit", "write"), ("delete", "delete"))}
    return {"actions": actions, "edit": may["edit"], "delete": may["delete"], "label": str(item)}

"""A list's rows: each row's cells (list_cells.py draws them), links and the actions the user may
take on it as it is now, the ⋯ menu's items once per list, and the table's <tr>s."""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

from flask import has_request_context
from flask_babel import gettext as _
from markupsafe import Markup, escape

from app.core import list_cells
from app.core.datamodel import current_actor
from app.core.panels import applies_each, prepare_rules


@dataclass
class Row:
    pk: object
    cells: list
    show_url: str = ""
    edit_url: str = ""
    delete_url: str = ""
    actions: list = field(default_factory=list)
    label: str = ""
    menu_numbers: str = ""   # the ⋯ menu's items by their place in the list's template

    @property
    def has_menu(self) -> bool:
        return bool(self.show_url or self.delete_url or self.actions)

    @property
    def menu(self) -> str:
        """The names of the ⋯ menu's items for this row (drawn from the list's one template)."""
        names = (["show"] if self.show_url else []) + [a["name"] for a in self.actions]
        return " ".join(names + (["delete"] if self.delete_url else []))


PK_MARK, RECORD_MARK = "__zwt_pk__", "§§"   # RECORD_MARK: no word a reader could see


def row_texts() -> dict:
    """The words every row repeats, translated once per page (RECORD_MARK for the row's name)."""
    return {"select": _("Select %(record)s", record=RECORD_MARK),
            "more": _("More actions on %(record)s", record=RECORD_MARK), "edit": _("Edit"), "mark": RECORD_MARK}


def menu_items(view) -> list[dict]:
    """Every item a row's ⋯ menu can hold, once per list, with PK_MARK (and RECORD_MARK) where
    each row's key (and name) go: a page carries them once instead of once per row."""
    from flask import url_for

    endpoint, may = view.__class__.__name__, _permissions(view)
    items = []
    if may["show"]:
        items.append({"name": "show", "label": _("View"), "url": url_for(f"{endpoint}.show", pk=PK_MARK)})
    for a in may["actions"]:
        items.append({"name": a.name, "label": str(a.text), "icon": a.icon, "confirmation": str(a.confirmation or ""),
                      "post": url_for(f"{endpoint}.action", name=a.name, pk=PK_MARK)})
    if may["delete"]:
        items.append({"name": "delete", "label": _("Delete"), "icon": "fa-trash-o", "divider": True,
                      "confirmation": _("Delete “%(record)s”? This cannot be undone.", record=RECORD_MARK),
                      "post": url_for(f"{endpoint}.delete", pk=PK_MARK)})
    return items


def _permissions(view) -> dict:
    """What the user may do on the rows of `view`, worked out once per request (the rows and the
    ⋯ menu's template both ask)."""
    from flask import g

    kept = g.setdefault("_zwt_row_permissions", {}) if has_request_context() else {}
    key = type(view).__name__
    if key not in kept:
        kept[key] = _work_out_permissions(view)
    return kept[key]


def _work_out_permissions(view) -> dict:
    sm, name = view.appbuilder.sm, view.class_permission_name
    order = {action.name: i for i, action in enumerate(view.spec.actions)}
    return {
        "show": sm.has_access("can_read", name),
        "edit": sm.has_access("can_write", name),
        "delete": sm.has_access("can_delete", name),
        "actions": sorted((action for key, action in view.actions.items()
                           if action.single and sm.has_access(view.get_action_permission_name(key), name)),
                          key=lambda action: order.get(action.name, len(order))),
    }


def rows(view, items, pks, columns: list[str], leave_out=frozenset()) -> list[Row]:
    """Each row's cells (the shown columns, then the phone card's other fields) and the actions the
    user may take on it as it is now."""
    from flask import url_for

    from app.core.listing import _text_column, locked_columns

    spec, actor, endpoint = view.spec, current_actor(), view.__class__.__name__
    may = _permissions(view)
    title = locked_columns(view)[0] if view.list_columns else None
    card_only = [c for c in spec.card_columns if c not in columns and c in view.list_columns and c not in leave_out]
    if spec.title_column and spec.title_column not in columns and _text_column(spec.model, spec.title_column) is not None:
        card_only.insert(0, spec.title_column)
        title = spec.title_column
    if may["edit"] or may["delete"] or may["actions"]:
        prepare_rules(spec, actor, items)
    # Each kind of link is built once and given each row's key (url_for per row and link was a
    # tenth of a list page's time).
    links = {what: url_for(f"{endpoint}.{what}", pk=PK_MARK) for what in ("show", "edit", "delete")}

    def link(what, pk) -> str:
        return links[what].replace(PK_MARK, urllib.parse.quote(str(pk), safe=""))

    plans = [list_cells.ColumnPlan(view, column, title=column == title, card=column in spec.card_columns,
                                   desktop=column in columns) for column in columns + card_only]
    asked = (["edit"] if may["edit"] else []) + (["delete"] if may["delete"] else []) + [a.name for a in may["actions"]]
    out = []
    for item, pk in zip(items, pks):
        row = Row(pk=pk, cells=[], label=str(item))
        applies = applies_each(spec, asked, actor, item)
        if may["show"]:
            row.show_url = link("show", pk)
        if may["edit"] and "edit" in applies:
            row.edit_url = link("edit", pk)
        if may["delete"] and "delete" in applies:
            row.delete_url = link("delete", pk)
        # Only the names: the ⋯ menu's items are drawn once per list (menu_items).
        row.actions = [{"name": a.name} for a in may["actions"] if a.name in applies]
        row.cells = [plan.draw(item, row.show_url if plan.title else "") for plan in plans]
        out.append(row)
    return out


def rows_html(rows: list[Row], *, actions, named, main: bool, rid: str, texts: dict, menu_column,
              all_items: str) -> Markup:
    """The table's <tr>s (zwt/widgets/list.html draws the rest of the table). Drawn here rather than
    in the template: 25 rows of a dozen cells were a tenth of a list page's time in Jinja.
    `named`: the rows have a name cell (the row's checkbox and ⋯ button are then drawn by
    js/list.js from its id); `all_items`: the ⋯ menu most rows have (a row with other items
    says them in data-items)."""
    actions, named, menu_column = bool(actions), bool(named), bool(menu_column)
    out = []
    add = out.append
    check = actions and not (main and named)
    mark = texts["mark"]
    edit = escape(texts["edit"])
    for row in rows:
        pk = escape(row.pk)
        add("\n<tr>")
        if actions:
            add("<td>")
            if check:
                add(f'<input class="action_check" name="rowid" value="{pk}" type="checkbox"')
                if not named:
                    add(f' aria-label="{escape(texts["select"].replace(mark, row.label))}"')
                add(">")
            add("</td>")
        for cell in row.cells:
            add(f'<td id="{escape(rid)}{pk}">{cell.html}</td>' if cell.title else f"<td>{cell.html}</td>")
        if menu_column:
            add("<td>")
            if row.edit_url:
                add(f'<a href="{escape(row.edit_url)}">{edit}</a>')
            if row.has_menu:
                add('<span class="zwt-row-menu"')
                if not named:
                    add(f' data-pk="{pk}" data-record="{escape(row.label)}"')
                if row.menu != all_items:
                    add(f' data-items="{escape(row.menu_numbers)}"')
                add(">")
                if not named:
                    add(f'<button type="button" class="zwt-row-more" '
                        f'aria-label="{escape(texts["more"].replace(mark, row.label))}"></button>')
                add("</span>")
            add("</td>")
        add("</tr>\n    ")
    return Markup("".join(out))

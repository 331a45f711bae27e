"""What a generated detail page shows above its tabs: the header card (name, code, status or
lifecycle, owner, key figures), the order of its actions, and the layout of its fields."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import Text, inspect as sa_inspect

from app.core.forms import format_amount, is_money
from app.core.localise import shown
from app.core.panels import record_flags

TONES = ("default", "processing", "success", "warning", "error")
EMPTY = "—"


def money(value) -> str:
    """¥1,234,567.80 (negative: -¥1,234.00); "" for no value."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{'-' if amount < 0 else ''}¥{format_amount(abs(amount))}"


def _empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str) and not value.strip():
        return True
    if isinstance(value, (list, tuple, set)) or type(value).__name__ == "InstrumentedList":
        return len(value) == 0
    return False


def _columns(view) -> dict:
    model = view.datamodel.obj
    return dict(model.__table__.columns) if hasattr(model, "__table__") else {}


def _value(view, item, name: str):
    """(markup or text, kind) of one field of `item` as the page shows it: kind is "empty",
    "money" or "text"."""
    try:
        raw = view.datamodel._get_attr_value(item, name)
    except (AttributeError, KeyError, TypeError):   # a dotted path through an empty relation
        raw = None
    column = _columns(view).get(name)
    formatter = view.formatters_columns.get(name)
    spec_formatter = name in (getattr(view.spec, "formatters", None) or {})
    if column is not None and is_money(column) and not spec_formatter:
        return (money(raw), "money") if raw is not None else (EMPTY, "empty")
    if formatter is not None:
        drawn = formatter(raw)
        if _empty(drawn):
            return EMPTY, "empty"
        return drawn, "text"
    if _empty(raw):
        return EMPTY, "empty"
    drawn = shown(raw)
    return (EMPTY, "empty") if _empty(drawn) else (drawn, "text")


def _relation_to(model, local_column: str) -> str:
    """The many-to-one relation held by `local_column` (owner_id -> owner), or ""."""
    for rel in sa_inspect(model).relationships:
        if [c.key for c in rel.local_columns] == [local_column]:
            return rel.key
    return ""


def _linked(view, item, name: str, value):
    """A related record's name as a link to its own detail page, when it is a module's record
    the user may read; otherwise the name as it is."""
    from flask import url_for

    from app.core.registry import registry

    rel = sa_inspect(view.datamodel.obj).relationships.get(name)
    target = getattr(item, name, None) if rel is not None and rel.direction.name == "MANYTOONE" else None
    if target is None:
        return value
    spec = next((s for s in registry.specs.values() if s.model is rel.mapper.class_ and s.name in registry.views), None)
    if spec is None or not view.appbuilder.sm.has_access("can_read", spec.permission_name):
        return value
    pk = sa_inspect(target).identity
    if not pk:
        return value
    href = url_for(f"{registry.views[spec.name].__name__}.show", pk=pk[0])
    return Markup('<a href="{}">{}</a>').format(href, value)


def _label(view, name: str, fallback: str = "") -> str:
    label = view.label_columns.get(name)
    return str(label) if label else (fallback or name)


def _status(view, item) -> dict | None:
    spec = view.spec
    name = spec.status_column
    column = _columns(view).get(name) if name else None
    if column is None:
        return None
    value = getattr(item, name, None)
    if value is None:
        return None
    choices = [(v, str(label)) for v, label in column.info.get("choices", ())]
    label = dict(choices).get(value, str(value))
    tone = spec.status_tones.get(value, "default")
    return {"value": value, "label": label, "tone": tone if tone in TONES else "default", "choices": choices}


def _path(spec, status: dict, steps: list) -> list[dict]:
    """A module's own lifecycle: the record's path as steps, those before its status done, its status current
    (in red when its tone is an error), the rest waiting; the last step reached is finished."""
    labels = dict(status["choices"])
    current = status["value"]
    if current not in steps:
        return []
    position = steps.index(current)
    out = []
    for index, value in enumerate(steps):
        state = "done" if index < position else "wait"
        if index == position:
            state = "error" if spec.status_tones.get(value) in ("error", "warning") else "current"
            if state == "current" and index == len(steps) - 1:
                state = "done"
        out.append({"value": value, "label": labels.get(value, value), "state": state, "number": index + 1})
    return out


def _lifecycle(view, status: dict | None, item=None) -> list[dict]:
    """The approval lifecycle as steps: draft → in approval → approved → …, each "done",
    "current", "error" (rejected, in red) or "wait"."""
    workflow = view.spec.workflow
    if view.spec.lifecycle is not None and status is not None and item is not None:
        return _path(view.spec, status, view.spec.lifecycle(item))
    if workflow is None or status is None or not status["choices"]:
        return []
    current = status["value"]
    values = [v for v, _label in status["choices"]]
    labels = dict(status["choices"])
    if current == workflow.rejected:
        # Rejected takes the place of "approved"; the steps after it are not reached.
        steps = [v for v in values if v != workflow.approved]
    else:
        steps = [v for v in values if v != workflow.rejected]
    if current not in steps:
        return []
    position = steps.index(current)
    out = []
    for index, value in enumerate(steps):
        if index < position:
            state = "done"
        elif index == position:
            state = "error" if value == workflow.rejected else "current"
        else:
            state = "wait"
        out.append({"value": value, "label": labels[value], "state": state, "number": index + 1})
    # The last step reached is finished, not under way.
    if out and position == len(out) - 1 and out[-1]["state"] == "current":
        out[-1]["state"] = "done"
    return out


def _header(view, item) -> dict:
    spec, columns = view.spec, _columns(view)
    model = view.datamodel.obj
    title = getattr(item, spec.title_column, None) if spec.title_column else None
    code = getattr(item, spec.code_column, None) if spec.code_column else None
    meta = []
    if code:
        meta.append({"label": _label(view, spec.code_column, _("Code")), "value": code, "key": "code"})
    scope = spec.scope
    if scope is not None and not scope.via:
        for key, column in (("owner", scope.owner), ("department", scope.department)):
            relation = _relation_to(model, column) if column else ""
            if relation:
                value, kind = _value(view, item, relation)
                if kind != "empty":
                    value = _linked(view, item, relation, value)
                meta.append({"label": _label(view, relation, _("Owner") if key == "owner" else _("Department")),
                             "value": value, "key": key})
    if "created_at" in columns:
        value, _kind = _value(view, item, "created_at")
        meta.append({"label": _label(view, "created_at", _("Created at")), "value": value, "key": "created_at"})
    figures = []
    for name in spec.key_figures:
        value, kind = _value(view, item, name)
        figures.append({"name": name, "label": _label(view, name), "value": value, "kind": kind})
    status = _status(view, item)
    return {
        "title": str(title) if title not in (None, "") else str(item),
        "code": code or "",
        "status": status,
        "lifecycle": _lifecycle(view, status, item),
        "flags": record_flags(spec, item),
        "meta": meta,
        "figures": figures,
    }


def _sections(view, item, status: dict | None) -> list[dict]:
    """The fields in their titled groups (show_fieldsets), or in one untitled group."""
    columns = _columns(view)
    groups = view.show_fieldsets or [(None, {"fields": list(view.show_columns)})]
    out = []
    for title, options in groups:
        fields = []
        for name in options.get("fields", []):
            value, kind = _value(view, item, name)
            if status is not None and name == view.spec.status_column:
                value = Markup('<span class="zwt-tag zwt-tag-{}">{}</span>').format(status["tone"], status["label"])
            elif kind == "text":
                value = _linked(view, item, name, value)
            column = columns.get(name)
            wide = column is not None and isinstance(column.type, Text)
            fields.append({"name": name, "label": _label(view, name), "value": value, "kind": kind, "wide": wide})
        if not fields:
            continue
        filled = any(f["kind"] != "empty" for f in fields)
        folded = options.get("expanded") is False and not filled
        out.append({"title": str(title) if title else "", "fields": fields, "folded": folded,
                    "key": f"zwt-section-{len(out) + 1}"})
    return out


def show_context(view, item) -> dict:
    """Extra template arguments for `item`'s show page (empty when there is no item)."""
    if item is None or getattr(view, "spec", None) is None:
        return {}
    header = _header(view, item)
    sections = _sections(view, item, header["status"])
    from app.core.custom_fields import record as custom_record

    custom = custom_record.shown_section(custom_record.active_fields(view.spec), item)
    if custom is not None:
        sections.append({**custom, "key": f"zwt-section-{len(sections) + 1}"})
    return {
        "detail": {
            "header": header,
            "sections": sections,
        },
        # The record bar's actions in the order the module declares them: the first that may be
        # is the main one (printing never is: editing stays the main button beside it).
        "action_order": [action.name for action in view.spec.actions],
        "action_main": [action.name for action in view.spec.actions if action.main],
        "tab_count": tab_count,
    }


def tab_count(widget) -> str:
    """The number shown on a related view's tab: its (capped) row count, "1,000+" past the cap."""
    args = getattr(widget, "template_args", None) or {}
    count = args.get("count")
    if count is None:
        return ""
    cap = args.get("count_cap")
    if cap is None:
        cap = getattr(getattr(widget, "spec", None), "count_cap", None)
    if cap is not None and count > cap:
        return f"{cap:,}+"
    return f"{count:,}"


def capped(count, cap) -> str | None:
    """A related list's count as its tab shows it: "1,000+" past the cap; None when unknown."""
    if count is None:
        return None
    if cap is not None and count > cap:
        return f"{cap:,}+"
    return f"{count:,}"

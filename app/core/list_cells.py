"""A list cell as people read it: amounts with ¥ and thousands separators, times in the short
form of the user's language (the full local time as a tooltip), statuses as coloured badges,
yes / no; the module's own formatters win for their columns."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import g, has_request_context
from flask_babel import get_locale
from markupsafe import Markup, escape
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric

from app.core.localise import shown
from app.core.webhooks import user_zone

# Short forms: this year's dates without the year, other years' without the time.
PATTERNS = {
    "zh": {"time": "M月d日 HH:mm", "time_old": "y年M月d日", "date": "M月d日", "date_old": "y年M月d日"},
    "en": {"time": "MMM d, HH:mm", "time_old": "MMM d, y", "date": "MMM d", "date_old": "MMM d, y"},
}


@dataclass
class Cell:
    column: str
    label: str
    html: Markup
    classes: str          # how the column is laid out (list_layout.py says it once per table)
    card: bool = False    # a phone card's "label: value" line
    title: bool = False   # the row's name: what its checkbox and ⋯ menu are named after
    kind: str = "text"    # text, formatted, money, number, datetime, date, status, bool
    code: bool = False    # the module's code column (KH-2026-00001)
    desktop: bool = True  # shown in the table, not only on the phone card


def _kinds(view) -> dict:
    """column -> how its cells are drawn, worked out once per screen."""
    kinds = view.__dict__.get("_zwt_cell_kinds")
    if kinds is not None:
        return kinds
    from app.core.custom_fields.listing import cell_kind, field_of_column, is_custom_column

    spec = view.spec
    columns = spec.model.__table__.columns
    kinds = {}
    for name in view.list_columns + [c for c in spec.card_columns + [spec.title_column] if c]:
        column = columns.get(name)
        if is_custom_column(name) and column is None:
            field = field_of_column(spec, name)
            kind = cell_kind(field) if field is not None else "text"
        elif name == spec.status_column:
            kind = "status"
        elif name in spec.formatters:
            kind = "formatted"
        elif column is None:
            kind = "text"
        elif isinstance(column.type, Numeric) and not isinstance(column.type, Float):
            kind = "money" if column.type.scale == 2 else "number"
        elif isinstance(column.type, (Integer, Float)):
            kind = "number"
        elif isinstance(column.type, DateTime):
            kind = "datetime"
        elif isinstance(column.type, Date):
            kind = "date"
        elif isinstance(column.type, Boolean):
            kind = "bool"
        else:
            kind = "text"
        kinds[name] = kind
    view._zwt_cell_kinds = kinds
    return kinds


def _language() -> str:
    locale = get_locale()
    return "zh" if locale is None or str(locale).startswith("zh") else "en"


def money(value) -> str:
    """¥1,234,567.80 (and -¥1,234.00)."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"¥{abs(amount):,.2f}"
    return "-" + text if amount < 0 else text


_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _zone():
    """The reader's time zone, looked up once per request (a list shows two times a row)."""
    kept = _per_request("_zwt_cell_zone")
    if "zone" not in kept:
        kept["zone"] = user_zone()
    return kept["zone"]


def short_time(value, now: dt.datetime | None = None) -> str:
    """12月4日 10:07 this year, 2025年8月4日 before (Dec 4, 10:07 / Aug 4, 2025 in English):
    PATTERNS, written out directly for the two languages (Babel's formatter took a fifth of a
    list page's time)."""
    language = _language()
    zone = _zone()
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone)
    if isinstance(value, dt.datetime):
        local = (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(zone)
        this_year, clock = local.year == now.year, f"{local.hour:02d}:{local.minute:02d}"
    else:
        local, this_year, clock = value, value.year == now.year, ""
    if language == "zh":
        day = f"{local.month}月{local.day}日"
        if not this_year:
            return f"{local.year}年{day}"
        return f"{day} {clock}" if clock else day
    day = f"{_EN_MONTHS[local.month - 1]} {local.day}"
    if not this_year:
        return f"{day}, {local.year}"
    return f"{day}, {clock}" if clock else day


def _time_html(value) -> Markup:
    if isinstance(value, dt.datetime):
        # the machine-readable time in the reader's zone with its offset, like the text beside it
        local = (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(_zone())
        # the reader's local time, as the text beside it (the zone is the reader's, said once by the page)
        stamp = local.strftime("%Y-%m-%dT%H:%M")
    else:
        stamp = value.isoformat()
    # The full time shows on hover: js/list.js gives the element its title from `datetime`.
    return Markup('<time datetime="{}">{}</time>').format(stamp, short_time(value))


def _per_request(name: str) -> dict:
    """A dict kept for this request only (empty outside one)."""
    if not has_request_context():
        return {}
    found = g.get(name)
    if found is None:
        found = {}
        setattr(g, name, found)
    return found


def _formatted(view, column, value):
    # A page shows the same choice (状态, 行业 …) on many rows: each is translated once.
    try:
        key = (type(view).__name__, column, type(value).__name__, value)
        hash(key)
    except TypeError:
        key = None
    drawn_before = _per_request("_zwt_cells") if key is not None else {}
    if key is not None and key in drawn_before:
        return drawn_before[key]
    formatter = view.formatters_columns.get(column)
    drawn = formatter(value) if formatter is not None else shown(value)
    drawn = drawn if isinstance(drawn, Markup) else escape("" if drawn is None else str(drawn))
    if key is not None:
        drawn_before[key] = drawn
    return drawn


def _label(view, column: str) -> str:
    labels = _per_request("_zwt_cell_labels")
    key = (type(view).__name__, column)
    if key not in labels:
        labels[key] = str(view.label_columns.get(column, column))
    return labels[key]


def head_classes(view, column: str) -> str:
    """The classes of a column's heading: aligned as its cells are."""
    kind = _kinds(view).get(column, "text")
    return f"zwt-c-{kind}" + (" zwt-num" if kind in ("money", "number") else "")


def cell(view, item, column: str, link: str = "", title: bool = False, card: bool = False,
         desktop: bool = True) -> Cell:
    """The cell of `column` for `item`. `title`: the row's name (the phone card's heading),
    linking to `link`; `card`: shown on the phone card; `desktop`: shown in the table."""
    from app.core.custom_fields.listing import cell_html, field_of_column, is_custom_column, value_of

    field = field_of_column(view.spec, column) if is_custom_column(column) else None
    value = value_of(item, field) if field is not None else view.datamodel._get_attr_value(item, column)
    kind = _kinds(view).get(column, "text")
    classes = [f"zwt-c-{kind}"]
    if value is None or value == "" or value == []:
        html = Markup("")
    elif field is not None:
        html = cell_html(field, value)
    elif kind == "money":
        html = escape(money(value))
    elif kind == "number":
        html = escape(f"{value:,}" if isinstance(value, int) else str(value))
    elif kind in ("datetime", "date") and isinstance(value, (dt.date, dt.datetime)):
        html = _time_html(value)
    elif kind == "status":
        tone = view.spec.status_tones.get(value, "default")
        html = Markup('<span class="zwt-tag zwt-tag-{}">{}</span>').format(tone, _formatted(view, column, value))
    else:
        html = _formatted(view, column, value)
    if kind in ("money", "number"):
        classes.append("zwt-num")
    if column == view.spec.code_column:
        classes.append("zwt-c-code")
    if title:
        classes.append("zwt-c-title")
        if link:
            html = Markup('<a href="{}">{}</a>').format(link, html if html else "—")
    elif card and kind != "status":
        classes.append("zwt-c-card")
    if not desktop:
        classes.append("zwt-card-only")
    card_line = "zwt-c-card" in classes
    return Cell(column, _label(view, column) if card_line else "", html, " ".join(classes), card=card_line,
                title=title, kind=kind, code=column == view.spec.code_column, desktop=desktop)

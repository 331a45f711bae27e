"""A list cell as people read it: amounts with ¥ and thousands separators, times in the short
form of the user's language (the full local time as a tooltip), statuses as coloured badges,
yes / no; the module's own formatters win for their columns."""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import g, has_request_context
from flask_babel import get_locale
from markupsafe import Markup, escape
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, inspect as sa_inspect

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


def _moment(value, zone, now: dt.datetime):
    """(local time or date, this year?, "HH:MM" or "") of `value` for a reader in `zone`."""
    if isinstance(value, dt.datetime):
        local = (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(zone)
        return local, local.year == now.year, f"{local.hour:02d}:{local.minute:02d}"
    return value, value.year == now.year, ""


def _short(language: str, local, this_year: bool, clock: str) -> str:
    if language == "zh":
        day = f"{local.month}月{local.day}日"
        if not this_year:
            return f"{local.year}年{day}"
        return f"{day} {clock}" if clock else day
    day = f"{_EN_MONTHS[local.month - 1]} {local.day}"
    if not this_year:
        return f"{day}, {local.year}"
    return f"{day}, {clock}" if clock else day


def short_time(value, now: dt.datetime | None = None) -> str:
    """12月4日 10:07 this year, 2025年8月4日 before (Dec 4, 10:07 / Aug 4, 2025 in English):
    PATTERNS, written out directly for the two languages (Babel's formatter took a fifth of a
    list page's time)."""
    zone = _zone()
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zone)
    return _short(_language(), *_moment(value, zone, now))


def _time_html(value, language: str, zone, now: dt.datetime) -> Markup:
    """<time datetime="…">short form</time>: the machine-readable time in the reader's zone, like
    the text beside it (the zone is the reader's, said once by the page). The full time shows on
    hover: js/list.js gives the element its title from `datetime`."""
    local, this_year, clock = _moment(value, zone, now)
    stamp = local.strftime("%Y-%m-%dT%H:%M") if clock else local.isoformat()
    return Markup(f'<time datetime="{escape(stamp)}">{escape(_short(language, local, this_year, clock))}</time>')


def _per_request(name: str) -> dict:
    """A dict kept for this request only (empty outside one)."""
    if not has_request_context():
        return {}
    found = g.get(name)
    if found is None:
        found = {}
        setattr(g, name, found)
    return found


def head_classes(view, column: str) -> str:
    """The classes of a column's heading: aligned as its cells are."""
    kind = _kinds(view).get(column, "text")
    return f"zwt-c-{kind}" + (" zwt-num" if kind in ("money", "number") else "")


class ColumnPlan:
    """How one column's cells of one page are drawn, worked out once for the page: its kind, its
    classes, its phone-card label, its formatter; `draw(item)` then does only what each row needs.
    A page shows the same choice (状态, 行业 …) on many rows: each is translated once."""

    __slots__ = ("view", "column", "field", "kind", "classes", "label", "card", "title", "code", "desktop",
                 "formatter", "tone", "drawn", "language", "zone", "now", "plain")

    def __init__(self, view, column: str, title: bool = False, card: bool = False, desktop: bool = True):
        from app.core.custom_fields.listing import field_of_column, is_custom_column

        spec = view.spec
        self.view, self.column, self.title, self.desktop = view, column, title, desktop
        self.field = field_of_column(spec, column) if is_custom_column(column) else None
        # A column of the model's own table is read as the attribute it is (FAB's reader also
        # tries dotted names and methods, three lookups a cell).
        mapper = sa_inspect(view.datamodel.obj, raiseerr=False)
        self.plain = self.field is None and mapper is not None and column in mapper.column_attrs
        self.kind = kind = _kinds(view).get(column, "text")
        self.code = column == spec.code_column
        classes = [f"zwt-c-{kind}"]
        if kind in ("money", "number"):
            classes.append("zwt-num")
        if self.code:
            classes.append("zwt-c-code")
        if title:
            classes.append("zwt-c-title")
        elif card and kind != "status":
            classes.append("zwt-c-card")
        if not desktop:
            classes.append("zwt-card-only")
        self.classes = " ".join(classes)
        self.card = "zwt-c-card" in classes
        self.label = str(view.label_columns.get(column, column)) if self.card else ""
        self.formatter = view.formatters_columns.get(column)
        self.tone = spec.status_tones if kind == "status" else None
        self.drawn: dict = {}
        if kind in ("datetime", "date"):
            self.language, self.zone = _language(), _zone()
            self.now = dt.datetime.now(dt.timezone.utc).astimezone(self.zone)

    def _formatted(self, value) -> Markup:
        key = (value.__class__, value)   # 1 and True are equal keys, not equal cells
        try:
            found = self.drawn.get(key)
        except TypeError:     # an unhashable value: drawn each time
            return self._format(value)
        if found is None:
            found = self.drawn[key] = self._format(value)
        return found

    def _format(self, value) -> Markup:
        drawn = self.formatter(value) if self.formatter is not None else shown(value)
        return drawn if isinstance(drawn, Markup) else escape("" if drawn is None else str(drawn))

    def draw(self, item, link: str = "") -> Cell:
        """The cell of this column for `item`; `link`: where the row's name leads."""
        field, kind = self.field, self.kind
        if field is not None:
            from app.core.custom_fields.listing import cell_html, value_of

            value = value_of(item, field)
        elif self.plain:
            value = getattr(item, self.column)
            if isinstance(value, enum.Enum):
                value = value.value
        else:
            value = self.view.datamodel._get_attr_value(item, self.column)
        if value is None or value == "" or value == []:
            html = Markup("")
        elif field is not None:
            html = cell_html(field, value)
        elif kind == "money":
            html = escape(money(value))
        elif kind == "number":
            html = escape(f"{value:,}" if isinstance(value, int) else str(value))
        elif kind in ("datetime", "date") and isinstance(value, (dt.date, dt.datetime)):
            html = _time_html(value, self.language, self.zone, self.now)
        elif kind == "status":
            try:
                html = self.drawn.get(("status", value))
            except TypeError:
                html = None
            if html is None:
                html = Markup(f'<span class="zwt-tag zwt-tag-{escape(self.tone.get(value, "default"))}">'
                              f'{self._format(value)}</span>')
                try:
                    self.drawn[("status", value)] = html
                except TypeError:
                    pass
        else:
            html = self._formatted(value)
        if self.title and link:
            html = Markup(f'<a href="{escape(link)}">{html if html else "—"}</a>')
        return Cell(self.column, self.label, html, self.classes, card=self.card, title=self.title, kind=kind,
                    code=self.code, desktop=self.desktop)


def cell(view, item, column: str, link: str = "", title: bool = False, card: bool = False,
         desktop: bool = True) -> Cell:
    """The cell of `column` for `item` (one cell; a page draws its columns through ColumnPlan).
    `title`: the row's name (the phone card's heading), linking to `link`; `card`: shown on the
    phone card; `desktop`: shown in the table."""
    return ColumnPlan(view, column, title=title, card=card, desktop=desktop).draw(item, link)

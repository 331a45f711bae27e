"""The fields of an approval form: what an administrator may declare, and how a submitted value
of each kind is checked and stored.

A form's fields are a list of mappings (kept as JSON, written by administrators as YAML):

    - name: leave_type          # [a-z][a-z0-9_]*, unique in the form, never shown
      label: 请假类型
      kind: choice              # see KINDS
      required: true
      help: 年假需提前三天申请
      options: [年假, 事假, 病假, 调休]     # choice / multichoice
      half_day: true            # daterange: whole or half days
      columns: [...]            # table: its columns, fields of the kinds in LINE_KINDS

Stored values (JSON): text as text, numbers and amounts as text ("1234.50"), dates as ISO
text, a date range as {"start", "end", "start_half", "end_half", "days"}, choices as text (a
list for multichoice), a person or department as its id, attachments as a list of attachment
ids, a table as a list of rows (mappings of column name to stored value).
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _, lazy_pgettext as _k
from sqlalchemy import select

from app.core.org import Department, User
from app.extensions import db

KINDS = {
    "text": _k("field kind", "Text"), "textarea": _k("field kind", "Long text"),
    "number": _k("field kind", "Number"), "amount": _k("field kind", "Amount"), "date": _k("field kind", "Date"),
    "daterange": _k("field kind", "Date range"), "choice": _k("field kind", "Single choice"),
    "multichoice": _k("field kind", "Multiple choice"), "user": _k("field kind", "Person"),
    "department": _k("field kind", "Department"), "attachment": _k("field kind", "Attachment"),
    "table": _k("field kind", "Table of lines"),
}
# Kinds whose values are checked as custom fields of the same kind are (field kind -> custom field kind).
SHARED_KINDS = {"text": "text", "textarea": "textarea", "number": "decimal", "date": "date", "choice": "choice",
                "multichoice": "multichoice", "user": "user"}
LINE_KINDS = ("text", "number", "amount", "date", "choice", "attachment")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CENT = Decimal("0.01")
HALF = Decimal("0.5")
AMOUNT_MAX = Decimal("9999999999999999.99")
MAX_LINES = 200
MORNING, AFTERNOON = "am", "pm"


class DefinitionProblem(ValueError):
    """A form definition that cannot be used: the message says which field and why."""


# -- definitions ---------------------------------------------------------------------------------
def check_definition(fields) -> list[dict]:
    """The fields, normalised (defaults filled in); DefinitionProblem for the first problem."""
    if not isinstance(fields, list) or not fields:
        raise DefinitionProblem(_("A form needs at least one field, written as a list."))
    return _check_fields(fields, line=False)


def _check_fields(fields, *, line: bool) -> list[dict]:
    out, seen = [], set()
    for n, raw in enumerate(fields, 1):
        if not isinstance(raw, dict):
            raise DefinitionProblem(_("Field %(n)s is not a mapping of name, label and kind.", n=n))
        name = str(raw.get("name") or "").strip()
        label = str(raw.get("label") or "").strip()
        kind = str(raw.get("kind") or "").strip()
        where = label or name or str(n)
        if not NAME.match(name):
            raise DefinitionProblem(_("Field %(field)s: the name must start with a small letter and hold only small "
                                      "letters, digits and _ (at most 40).", field=where))
        if name in seen:
            raise DefinitionProblem(_("Two fields are named %(name)s.", name=name))
        seen.add(name)
        if not label:
            raise DefinitionProblem(_("Field %(field)s has no label.", field=name))
        allowed = LINE_KINDS if line else tuple(KINDS)
        if kind not in allowed:
            raise DefinitionProblem(_("Field %(field)s: the kind must be one of %(kinds)s.", field=label,
                                      kinds=", ".join(allowed)))
        field = {"name": name, "label": label[:60], "kind": kind, "required": bool(raw.get("required", False)),
                 "help": str(raw.get("help") or "")[:300]}
        if kind in ("choice", "multichoice"):
            options = raw.get("options")
            if not isinstance(options, list) or not options or not all(str(o).strip() for o in options):
                raise DefinitionProblem(_("Field %(field)s: a choice needs its options, as a list.", field=label))
            field["options"] = [str(o).strip()[:60] for o in options]
        if kind == "daterange":
            field["half_day"] = bool(raw.get("half_day", False))
        if kind == "table":
            columns = raw.get("columns")
            if not isinstance(columns, list) or not columns:
                raise DefinitionProblem(_("Field %(field)s: a table needs its columns, as a list.", field=label))
            field["columns"] = _check_fields(columns, line=True)
        out.append(field)
    return out


# -- values ----------------------------------------------------------------------------------------
class Values:
    """Checks a submission against the fields: `values` (what is stored), `errors` (field key →
    Chinese messages), `uploads` (field key → files to attach once the request exists)."""

    def __init__(self, fields: list[dict], raw: dict):
        self.fields, self.raw = fields, raw or {}
        self.values: dict = {}
        self.errors: dict[str, list[str]] = {}
        self.uploads: dict[tuple, list] = {}

    def check(self) -> "Values":
        for field in self.fields:
            value = self._field(field, self.raw.get(field["name"]), (field["name"],))
            if value is not None:
                self.values[field["name"]] = value
        return self

    def fail(self, key: tuple, message: str) -> None:
        self.errors.setdefault(".".join(str(k) for k in key), []).append(message)

    # each kind: the stored value, or None (after a message when it is wrong)
    def _field(self, field, raw, key):
        kind, label = field["kind"], field["label"]
        if kind == "table":
            return self._table(field, raw, key)
        if kind == "daterange":
            return self._daterange(field, raw, key)
        if kind == "attachment":
            files = [f for f in (raw if isinstance(raw, (list, tuple)) else [raw]) if _is_upload(f)]
            if not files:
                if field["required"]:
                    self.fail(key, _("Please add %(field)s.", field=label))
                return None
            self.uploads[key] = files
            return []
        if kind == "multichoice":
            chosen = [str(v).strip() for v in (raw if isinstance(raw, (list, tuple)) else [raw]) if str(v or "").strip()]
            if not chosen:
                return self._missing(field, key)
            wrong = [v for v in chosen if v not in field["options"]]
            if wrong:
                self.fail(key, _("%(field)s: “%(value)s” is not one of the options.", field=label, value=wrong[0]))
                return None
            return [o for o in field["options"] if o in chosen]
        if kind in SHARED_KINDS:
            return self._shared(field, raw, key)
        text = "" if raw is None else str(raw).strip()
        if not text:
            return self._missing(field, key)
        if kind == "amount":
            number = _decimal(text)
            if number is None or abs(number) > AMOUNT_MAX:
                self.fail(key, _("%(field)s must be a number, such as 1280.50.", field=label))
                return None
            if number.quantize(CENT, rounding=ROUND_HALF_UP) != number:
                self.fail(key, _("%(field)s has at most two decimals (yuan and fen).", field=label))
                return None
            if number <= 0:
                self.fail(key, _("%(field)s must be more than zero.", field=label))
                return None
            return str(number.quantize(CENT))
        if kind == "department":
            dept = db.session.get(Department, int(text)) if text.isdigit() and int(text) < 2**31 else None
            if dept is None:
                self.fail(key, _("%(field)s: choose an existing department.", field=label))
                return None
            return dept.id
        raise AssertionError(kind)

    def _shared(self, field, raw, key):
        """Kinds custom fields have too are checked by their rules (app.core.custom_fields)."""
        from app.core.custom_fields.definitions import FieldDef
        from app.core.custom_fields.values import CustomValueError, coerce, dump

        options = tuple((o, o) for o in field.get("options", ()))
        definition = FieldDef(module="approval_forms", name=key[-1] if isinstance(key[-1], str) else field["name"],
                              label=field["label"], kind=SHARED_KINDS[field["kind"]], required=field["required"],
                              choices=options)
        try:
            value = coerce(definition, raw)
        except CustomValueError as exc:
            self.fail(key, exc.message)
            return None
        if value is None or value == []:
            return None
        return dump(definition, value)

    def _missing(self, field, key):
        if field["required"]:
            self.fail(key, _("Please fill in %(field)s.", field=field["label"]))
        return None

    def _daterange(self, field, raw, key):
        raw = raw if isinstance(raw, dict) else {}
        label = field["label"]
        start_text, end_text = str(raw.get("start") or "").strip(), str(raw.get("end") or "").strip()
        if not start_text and not end_text:
            return self._missing(field, key)
        start, end = _date(start_text), _date(end_text)
        if start is None or end is None:
            self.fail(key, _("%(field)s: give both the start and the end date, such as 2026-03-01.", field=label))
            return None
        if end < start:
            self.fail(key, _("%(field)s: the end date is before the start date.", field=label))
            return None
        if (end - start).days > 366:
            self.fail(key, _("%(field)s may cover at most a year.", field=label))
            return None
        start_half = AFTERNOON if field.get("half_day") and raw.get("start_half") == AFTERNOON else MORNING
        end_half = MORNING if field.get("half_day") and raw.get("end_half") == MORNING else AFTERNOON
        days = Decimal((end - start).days + 1)
        days -= HALF if start_half == AFTERNOON else 0
        days -= HALF if end_half == MORNING else 0
        if days <= 0:
            self.fail(key, _("%(field)s: the end is before the start.", field=label))
            return None
        return {"start": start.isoformat(), "end": end.isoformat(), "start_half": start_half, "end_half": end_half,
                "days": str(days)}

    def _table(self, field, raw, key):
        rows = [r for r in (raw if isinstance(raw, (list, tuple)) else []) if isinstance(r, dict) and _filled(r)]
        if not rows:
            if field["required"]:
                self.fail(key, _("%(field)s: add at least one line.", field=field["label"]))
            return None
        if len(rows) > MAX_LINES:
            self.fail(key, _("%(field)s may have at most %(n)s lines.", field=field["label"], n=MAX_LINES))
            return None
        out = []
        for n, row in enumerate(rows):
            line = {}
            for column in field["columns"]:
                column = dict(column, label=_("%(field)s line %(n)s: %(column)s", field=field["label"], n=n + 1,
                                              column=column["label"]))
                value = self._field(column, row.get(column["name"]), (*key, n, column["name"]))
                if value is not None:
                    line[column["name"]] = value
            out.append(line)
        return out


def _filled(row: dict) -> bool:
    return any((_is_upload(v) or (v is not None and str(v).strip())) for v in row.values())


def _is_upload(value) -> bool:
    """A file from the form (werkzeug's FileStorage, or anything with `stream` and `filename`)."""
    return bool(getattr(value, "filename", "")) and hasattr(value, "stream")


def _decimal(text: str) -> Decimal | None:
    text = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        return None


# -- what chains read ---------------------------------------------------------------------------
def summary(fields: list[dict], values: dict) -> dict:
    """{days, total, category}: the days of the date ranges, the sum of the amounts (fields and
    table columns), the first single choice."""
    days, total, category, any_days, any_total = Decimal(0), Decimal(0), None, False, False
    for field in fields:
        value = values.get(field["name"])
        if value is None:
            continue
        if field["kind"] == "daterange":
            days += Decimal(value["days"])
            any_days = True
        elif field["kind"] == "amount":
            total += Decimal(value)
            any_total = True
        elif field["kind"] == "choice" and category is None:
            category = value
        elif field["kind"] == "table":
            for column in field["columns"]:
                if column["kind"] == "amount":
                    any_total = True
                    total += sum((Decimal(row[column["name"]]) for row in value if column["name"] in row), Decimal(0))
    return {"days": days if any_days else None, "total": total.quantize(CENT) if any_total else None,
            "category": category}


def column_sums(field: dict, rows: list) -> dict:
    """{column name: sum} of a table's amount columns."""
    return {c["name"]: sum((Decimal(r[c["name"]]) for r in rows or [] if c["name"] in r), Decimal(0)).quantize(CENT)
            for c in field["columns"] if c["kind"] == "amount"}


def attachment_ids(fields: list[dict], values: dict) -> set[int]:
    """Ids of every attachment the values name."""
    found = set()
    for field in fields:
        value = values.get(field["name"])
        if field["kind"] == "attachment":
            found.update(value or [])
        elif field["kind"] == "table":
            for row in value or []:
                for column in field["columns"]:
                    if column["kind"] == "attachment":
                        found.update(row.get(column["name"]) or [])
    return found


def people_named(fields: list[dict], values: dict) -> tuple[set, set]:
    """(user ids, department ids) the values name, to show their names in one query each."""
    users, depts = set(), set()
    for field in fields:
        value = values.get(field["name"])
        if field["kind"] == "user" and value:
            users.add(value)
        elif field["kind"] == "department" and value:
            depts.add(value)
    return users, depts


def names_of(users: set, depts: set) -> tuple[dict, dict]:
    u = {pk: f"{last or ''}{first or ''}" or name for pk, first, last, name in db.session.execute(
        select(User.id, User.first_name, User.last_name, User.username).where(User.id.in_(users)))} if users else {}
    d = dict(db.session.execute(select(Department.id, Department.name).where(Department.id.in_(depts))).all()) \
        if depts else {}
    return u, d

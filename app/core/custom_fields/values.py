"""A custom field's value in its three forms: as given (form text, API JSON, an import cell), as
stored in the record's `custom` column (JSON), and as Python (Decimal, date, datetime, list, int).

    coerce(field, raw)    given -> Python, checked by the field's rules (CustomValueError otherwise)
    dump(field, value)    Python -> stored:  Decimal "12.30", date "2026-03-31", UTC datetime
                          "2026-03-31T02:00:00" (so text order is time order), choices as values
    load(field, stored)   stored -> Python
    expression(model, f)  the SQL expression of the stored value, typed, for filters, sort and search
    display(field, v)     the text a list, export or page shows
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import BigInteger, cast

from app.core.custom_fields.definitions import FieldDef
from app.core.errors import DomainError

TEXT_MAX, TEXTAREA_MAX = 200, 5000
INT_RANGE = (-(2 ** 53), 2 ** 53)
DECIMAL_PLACES = 4
DECIMAL_MAX = Decimal(10) ** 14
_TRUE = {"1", "true", "yes", "y", "是", "对", "√", "on"}
_FALSE = {"0", "false", "no", "n", "否", "不是", "×", "off"}


class CustomValueError(DomainError):
    """A value a custom field does not accept; the message names the field."""

    def __init__(self, field: FieldDef, message: str):
        super().__init__("custom_field.invalid", f"{field.label}：{message}", field=field.key)


def _text(raw) -> str:
    return unicodedata.normalize("NFKC", str(raw)).strip() if isinstance(raw, str) else str(raw)


def _empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw)


def _number_text(raw) -> str:
    text = _text(raw).replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    return text.removesuffix("元").strip()


def _integer(field, raw) -> int:
    if isinstance(raw, bool):
        raise CustomValueError(field, _("enter a whole number."))
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    else:
        text = _number_text(raw)
        if not re.fullmatch(r"[-+]?\d{1,18}", text):
            raise CustomValueError(field, _("enter a whole number."))
        value = int(text)
    if not INT_RANGE[0] < value < INT_RANGE[1]:
        raise CustomValueError(field, _("the number is out of range."))
    return value


def _decimal(field, raw) -> Decimal:
    if isinstance(raw, bool):
        raise CustomValueError(field, _("enter a number."))
    text = _number_text(raw) if not isinstance(raw, (int, Decimal)) else str(raw)
    if isinstance(raw, float):
        text = repr(raw)
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", text):
        raise CustomValueError(field, _("enter a number."))
    try:
        value = Decimal(text).quantize(Decimal(1).scaleb(-DECIMAL_PLACES), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise CustomValueError(field, _("enter a number.")) from None
    if abs(value) >= DECIMAL_MAX:
        raise CustomValueError(field, _("the number is out of range."))
    text = format(value, "f")
    return Decimal(text.rstrip("0").rstrip(".") if "." in text else text)


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def _date(field, raw) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _text(raw)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CustomValueError(field, _("enter a date such as 2026-03-31."))


def _datetime(field, raw) -> dt.datetime:
    """Aware times are turned into UTC; naive ones are taken as UTC (forms convert local time first)."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, dt.date):
        value = dt.datetime(raw.year, raw.month, raw.day)
    else:
        text = _text(raw).replace("Z", "+00:00")
        try:
            value = dt.datetime.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise CustomValueError(field, _("enter a date and time such as 2026-03-31 14:30.")) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if not 1900 <= value.year <= 9999:
        raise CustomValueError(field, _("enter a date and time such as 2026-03-31 14:30."))
    return value.replace(microsecond=0)


def _choice_value(field, raw) -> str:
    text = _text(raw)
    for value, label in field.choices:
        if text == value or text == label or text.casefold() == value.casefold():
            return value
    raise CustomValueError(field, _("“%(value)s” is not one of the choices.", value=text[:50]))


def _boolean(field, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _text(raw).casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CustomValueError(field, _("answer yes or no."))


def _user(field, raw) -> int:
    from app.extensions import db

    user_model = _user_model()
    user = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        user = db.session.get(user_model, raw) if 0 < raw < 2 ** 31 else None
    else:
        text = _text(raw)
        if text.isdigit():
            user = db.session.get(user_model, int(text)) if 0 < int(text) < 2 ** 31 else None
        if user is None:
            matches = db.session.query(user_model).filter(user_model.username == text).all()
            user = matches[0] if len(matches) == 1 else None
    if user is None or not user.active:
        raise CustomValueError(field, _("no active user “%(value)s”.", value=_text(raw)[:50]))
    return user.id


def _user_model():
    from app.core.org import AppUser

    return AppUser


def coerce(field: FieldDef, raw):
    """The Python value of `raw` for `field`; None for no value. Raises CustomValueError."""
    if _empty(raw):
        if field.required:
            raise CustomValueError(field, _("this field is required."))
        return [] if field.kind == "multichoice" and raw is not None and not isinstance(raw, str) else None
    kind = field.kind
    if kind in ("text", "textarea"):
        if not isinstance(raw, (str, int, float, Decimal)) or isinstance(raw, bool):
            raise CustomValueError(field, _("enter text."))
        text = str(raw).strip() if kind == "text" else str(raw).replace("\r\n", "\n").strip()
        if "\x00" in text:
            raise CustomValueError(field, _("enter text."))
        limit = TEXT_MAX if kind == "text" else TEXTAREA_MAX
        if len(text) > limit:
            raise CustomValueError(field, _("at most %(count)d characters.", count=limit))
        return text
    if kind == "integer":
        return _integer(field, raw)
    if kind == "decimal":
        return _decimal(field, raw)
    if kind == "date":
        return _date(field, raw)
    if kind == "datetime":
        return _datetime(field, raw)
    if kind == "choice":
        if isinstance(raw, (list, dict)):
            raise CustomValueError(field, _("choose one of the choices."))
        return _choice_value(field, raw)
    if kind == "multichoice":
        items = raw if isinstance(raw, (list, tuple)) else re.split(r"[,，、;；\n]", str(raw))
        chosen = []
        for item in items:
            if isinstance(item, (list, dict)):
                raise CustomValueError(field, _("choose one of the choices."))
            if not _empty(item):
                value = _choice_value(field, item)
                if value not in chosen:
                    chosen.append(value)
        if not chosen and field.required:
            raise CustomValueError(field, _("this field is required."))
        order = [v for v, _label in field.choices]
        return sorted(chosen, key=order.index)
    if kind == "boolean":
        return _boolean(field, raw)
    if kind == "user":
        return _user(field, raw)
    raise CustomValueError(field, _("this field cannot be filled in."))


def dump(field: FieldDef, value):
    """The stored (JSON) form of a Python value."""
    if value is None:
        return None
    if field.kind == "decimal":
        return str(value)
    if field.kind == "date":
        return value.isoformat()
    if field.kind == "datetime":
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if field.kind == "multichoice":
        return list(value)
    return value


def load(field: FieldDef, stored):
    """The Python value of a stored one; a value that no longer fits (the field's kind was another
    once, or a choice was removed) comes back as it is rather than failing a page."""
    if stored is None:
        return None
    try:
        if field.kind == "decimal":
            return Decimal(str(stored))
        if field.kind == "date":
            return dt.date.fromisoformat(str(stored))
        if field.kind == "datetime":
            return dt.datetime.fromisoformat(str(stored))
        if field.kind == "integer":
            return int(stored)
        if field.kind == "multichoice":
            return list(stored) if isinstance(stored, list) else [stored]
    except (ValueError, TypeError, InvalidOperation):
        return stored
    return stored


def get(item, name: str, field: FieldDef | None = None):
    stored = (getattr(item, "custom", None) or {}).get(name)
    return load(field, stored) if field is not None else stored


def put(item, name: str, value, field: FieldDef | None = None) -> None:
    """Set one value; the dict is replaced so the ORM sees the change."""
    values = dict(getattr(item, "custom", None) or {})
    stored = dump(field, value) if field is not None else value
    if stored is None or stored == []:
        values.pop(name, None)
    else:
        values[name] = stored
    item.custom = values


def defaults(fields) -> dict:
    """The stored values a new record starts with."""
    return {f.name: f.default for f in fields if f.default not in (None, "", [])}


def expression(model, field: FieldDef):
    """The field's stored value in SQL, typed: text for text, choices, dates and times (ISO text
    sorts as time does), numbers for numbers, a boolean, an integer user id; the JSON array for
    multiple choice."""
    element = model.custom[field.name]
    if field.kind == "integer":
        # Whole numbers go up to ±2^53: a 32-bit INTEGER cast would fail on PostgreSQL.
        return cast(element.as_string(), BigInteger)
    if field.kind == "user":
        return element.as_integer()
    if field.kind == "decimal":
        return element.as_numeric(28, DECIMAL_PLACES)
    if field.kind == "boolean":
        return element.as_boolean()
    if field.kind == "multichoice":
        return element
    return element.as_string()


def display(field: FieldDef, value) -> str:
    """The text shown for a value (a Python value or a stored one)."""
    if value is None or value == "" or value == []:
        return ""
    labels = dict(field.choices)
    kind = field.kind
    if kind == "choice":
        return labels.get(str(value), str(value))
    if kind == "multichoice":
        items = value if isinstance(value, list) else [value]
        return "、".join(labels.get(str(v), str(v)) for v in items)
    if kind == "boolean":
        return _("Yes") if value in (True, "true", 1) else _("No")
    if kind == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        places = max(0, -number.as_tuple().exponent) if number.as_tuple().exponent < 0 else 0
        return f"{number:,.{min(places, DECIMAL_PLACES)}f}"
    if kind == "integer":
        try:
            return f"{int(value):,}"
        except (TypeError, ValueError):
            return str(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == "datetime":
        from app.core.webhooks import local_time

        moment = value if isinstance(value, dt.datetime) else load(field, value)
        return local_time(moment) if isinstance(moment, dt.datetime) else str(value)
    if kind == "user":
        return _user_name(value)
    return str(value)


def _user_name(user_id) -> str:
    from app.extensions import db

    try:
        user = db.session.get(_user_model(), int(user_id))
    except (TypeError, ValueError):
        return str(user_id)
    if user is None:
        return str(user_id)
    name = f"{user.last_name or ''}{user.first_name or ''}".strip()
    return name or user.username

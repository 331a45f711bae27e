"""The columns of a module's import and how a cell becomes a value.

A module's columns come from its spec (ImportSpec.columns, else the add form's columns) and, once
an admin has added some, its custom fields (header: the field's label). Headers and choice values
are accepted in Chinese and English alike. Cells are read as people type them in Excel:
amounts as 1,234.50 / ¥1,234.50 / 1234.5元, dates as 2026-03-31, 2026/3/31 or 2026年3月31日,
yes/no as 是/否, Y/N, true/false. A relation is given by a human key: a user by user name (or
name, when only one user has it), a record by its code or its name — one the importing user may
see; a name two records share is refused naming their codes.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, func, inspect as sa_inspect, select

from app.core.scope import may_assign_to, scope_clause
from app.extensions import db

MONEY_NOISE = str.maketrans("", "", ",，¥￥元 \u00a0")
YES = {"是", "y", "yes", "true", "1", "对", "√", "有"}
NO = {"否", "n", "no", "false", "0", "不", "×", "无"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
CENT = Decimal("0.01")


@dataclass
class Column:
    """One column of the template: `name` is the spec's column (or relation, or custom field)."""

    name: str
    kind: str                      # text, choice, decimal, integer, boolean, date, datetime, user, record, custom
    label: object = ""             # the field's label (lazy)
    header_override: object = None
    choices: tuple = ()            # (value, label) for a choice
    length: int | None = None
    scale: int | None = None
    required: bool = False
    default: object = None
    target: type | None = None     # the related model of a relation
    target_spec: object = None     # its module's spec, when it has one (code, name, data scope)
    foreign_key: str = ""          # the relation's column, e.g. owner_id
    assigns_owner: bool = False    # the relation is the module's owner (may_assign_to applies)
    field: object = None           # the custom field's definition
    text_format: bool = False      # kept as text in the workbook

    def header(self) -> str:
        """The column's header in the current language (负责人(用户名) for a user)."""
        if self.header_override:
            return str(self.header_override)
        if self.kind == "user":
            return _("%(label)s (user name)", label=str(self.label))
        return str(self.label)


def normalise_header(text) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    return "".join(ch for ch in text if ch not in " *\t")


def custom_fields(spec) -> list:
    """The module's active custom fields (app/core/custom_fields), [] where there are none."""
    try:
        from app.core.custom_fields.definitions import fields_of, has_custom
    except ImportError:
        return []
    if not has_custom(spec.model):
        return []
    return list(fields_of(spec.name))


def coerce_custom(field, text: str):
    """A custom field's cell as its value, checked by the field's own rules (required, kind,
    choices); a DomainError with the field's message when it is not one."""
    from app.core.custom_fields.values import coerce

    return coerce(field, text)


def columns_of(spec) -> list[Column]:
    """The import's columns in template order."""
    from app.core.org import User
    from app.core.registry import registry

    declared = spec.importing
    names = list(declared.columns or spec.add_columns)
    mapper = sa_inspect(spec.model)
    table = spec.model.__table__.columns
    owner_column = spec.scope.owner if spec.scope is not None and not spec.scope.via else ""
    by_model = {s.model: s for s in registry.specs.values()}
    found = []
    for name in names:
        label = spec.label_columns.get(name, name)
        common = dict(name=name, label=label, header_override=declared.headers.get(name),
                      required=name in declared.required, default=declared.defaults.get(name),
                      text_format=name in declared.text_columns)
        if name in mapper.relationships:
            rel = mapper.relationships[name]
            target = rel.mapper.class_
            fk = next(iter(rel.local_columns)).key
            if issubclass(target, User) or target is User:
                found.append(Column(kind="user", target=target, foreign_key=fk,
                                    assigns_owner=fk == owner_column, **common))
            else:
                found.append(Column(kind="record", target=target, target_spec=by_model.get(target), foreign_key=fk,
                                    **common))
            continue
        column = table[name]
        kind, length, scale, choices = "text", None, None, ()
        if "choices" in column.info:
            kind = "choice"
            allowed = declared.choices.get(name)
            choices = tuple((v, l) for v, l in column.info["choices"] if allowed is None or v in allowed)
        elif isinstance(column.type, Boolean):
            kind = "boolean"
        elif isinstance(column.type, Numeric):
            kind, scale = "decimal", column.type.scale
        elif isinstance(column.type, Integer):
            kind = "integer"
        elif isinstance(column.type, DateTime):
            kind = "datetime"
        elif isinstance(column.type, Date):
            kind = "date"
        elif isinstance(column.type, String):
            length = column.type.length
        found.append(Column(kind=kind, length=length, scale=scale, choices=choices, **common))
    taken = set()
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            taken |= {normalise_header(column.header()) for column in found}
            taken |= {normalise_header(str(column.label)) for column in found}
    for definition in custom_fields(spec):
        # A label another column already has is told apart by the field's name: 预算 (budget_2).
        header = None
        if normalise_header(definition.label) in taken:
            header = f"{definition.label} ({definition.name})"
        taken.add(normalise_header(header or definition.label))
        found.append(Column(name=f"custom.{definition.name}", kind="custom", label=definition.label,
                            header_override=header, required=bool(definition.required), field=definition,
                            choices=tuple(definition.choices or ())))
    return found


def header_names(columns: list[Column]) -> dict:
    """{normalised header: column name} for the headers of both languages and the names."""
    names = {}
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            for column in columns:
                names[normalise_header(column.header())] = column.name
                if not (column.kind == "custom" and column.header_override):   # a label shared with another column
                    names[normalise_header(str(column.label))] = column.name
    for column in columns:
        names[normalise_header(column.name)] = column.name
    return names


def choice_labels(column: Column) -> list[str]:
    return [str(label) for _value, label in column.choices]


def choice_map(column: Column) -> dict:
    """{normalised label or value: value} in both languages."""
    mapping = {}
    for value, label in column.choices:
        mapping[normalise_header(value)] = value
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                mapping[normalise_header(str(label))] = value
    return mapping


# -- cells -----------------------------------------------------------------------------------
def parse_decimal(text: str, scale: int | None = 2):
    """Decimal from 1,234.50 / ¥1,234.50 / 1234.5元; ValueError when it is no amount."""
    cleaned = text.translate(MONEY_NOISE)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    if scale is not None:
        value = value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    return value


def parse_date(text: str) -> dt.date:
    text = unicodedata.normalize("NFKC", text).strip()
    head = text.split(" ")[0].split("T")[0]
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(head, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_datetime(text: str) -> dt.datetime:
    """A time as the company's clocks show it (or with its offset), stored in UTC."""
    from zoneinfo import ZoneInfo

    text = unicodedata.normalize("NFKC", text).strip().replace("/", "-")
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = dt.datetime.combine(parse_date(text), dt.time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return value.astimezone(dt.timezone.utc)


def parse_boolean(text: str) -> bool:
    key = unicodedata.normalize("NFKC", text).strip().lower()
    if key in YES:
        return True
    if key in NO:
        return False
    raise ValueError(text)


# -- relations by a human key ----------------------------------------------------------------
class Lookups:
    """Finds related records by what people write, once per distinct key per import."""

    def __init__(self, actor, spec):
        self.actor = actor
        self.spec = spec
        self.cache: dict = {}

    def user(self, column: Column, text: str):
        """(user or None, message or None)."""
        key = ("user", column.name, text.lower())
        if key not in self.cache:
            self.cache[key] = self._user(column, text)
        return self.cache[key]

    def _user(self, column: Column, text: str):
        User = column.target
        if not text:
            owner = self.actor if column.assigns_owner else None
            if owner is None:
                return None, None
        else:
            owner = db.session.scalar(select(User).where(func.lower(User.username) == text.lower(),
                                                         User.active.is_(True)))
            if owner is None:
                display = func.coalesce(User.last_name, "") + func.coalesce(User.first_name, "")
                matches = list(db.session.scalars(select(User).where(display == text, User.active.is_(True)).limit(2)))
                if len(matches) > 1:
                    return None, _("More than one user is called “%(name)s”; please enter the user name.", name=text)
                owner = matches[0] if matches else None
            if owner is None:
                return None, _("No active user is called “%(name)s”; please enter a user name.", name=text)
        if column.assigns_owner and not may_assign_to(self.actor, self.spec.permission_name, owner):
            return None, _("You may not assign %(things)s to %(name)s.", things=str(self.spec.label_plural),
                           name=owner.display_name)
        return owner, None

    def record(self, column: Column, text: str):
        """(record or None, message or None): by code, else by name, among those the actor sees."""
        key = ("record", column.name, text.lower())
        if key not in self.cache:
            self.cache[key] = self._record(column, text)
        return self.cache[key]

    def _record(self, column: Column, text: str):
        if not text:
            return None, None
        model, target_spec = column.target, column.target_spec
        columns = model.__table__.columns
        code = (target_spec.code_column if target_spec is not None else "") or ("code" if "code" in columns else "")
        title = (target_spec.title_column if target_spec is not None else "") or \
            next((c for c in ("name", "title") if c in columns), "")
        clause = scope_clause(target_spec, self.actor) if target_spec is not None else None
        thing = str(column.label)

        def visible(stmt):
            return stmt.where(clause) if clause is not None else stmt

        if code:   # codes are written in capitals (KH-2026-00001): the code's own index finds either
            found = db.session.scalar(visible(select(model).where(getattr(model, code).in_({text, text.upper()}))))
            if found is not None:
                return found, None
        if title:   # names ignoring case, as the duplicate rules compare them (an index on lower(name))
            matches = list(db.session.scalars(visible(select(model).where(func.lower(getattr(model, title))
                                                                          == text.lower()))
                                              .order_by(model.id).limit(6)))
            if len(matches) == 1:
                return matches[0], None
            if len(matches) > 1:
                codes = "、".join(str(getattr(m, code) if code else m.id) for m in matches[:5])
                return None, _("More than one %(thing)s is called “%(name)s” (%(codes)s); please enter the code.",
                               thing=thing, name=text, codes=codes)
        return None, _("No %(thing)s “%(name)s” was found; please enter its code or name.", thing=thing, name=text)

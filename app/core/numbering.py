"""Document numbers from admin-editable rules, e.g. KH-{yyyy}-{seq:05d} → KH-2026-00001.

Gap-free under concurrency: the counter row is incremented with UPDATE … RETURNING inside the
caller's transaction, so concurrent writers queue on the row lock and a rolled-back document
gives its number back.
"""
from __future__ import annotations

import datetime as dt
import re

from flask_appbuilder import Model
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Column, Integer, String, UniqueConstraint, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.core.audit import Audited
from app.core.errors import DomainError
from app.extensions import db

RESET_CHOICES = [("yearly", _l("Every year")), ("monthly", _l("Every month")), ("never", _l("Never"))]
_TOKEN = re.compile(r"\{(yyyy|yy|mm|dd|seq(?::0?\d+d)?)\}")


class NumberingRule(Audited, Model):
    __tablename__ = "numbering_rule"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    code = Column(String(64), unique=True, nullable=False)  # e.g. "customer"
    name = Column(String(100), nullable=False)
    pattern = Column(String(100), nullable=False)
    reset = Column(String(16), nullable=False, default="yearly", info={"choices": RESET_CHOICES})

    def __str__(self) -> str:
        return f"{self.name} ({self.pattern})"


class NumberingCounter(Model):
    __tablename__ = "numbering_counter"
    __table_args__ = (UniqueConstraint("rule_code", "period", name="uq_numbering_counter"),)

    id = Column(Integer, primary_key=True)
    rule_code = Column(String(64), nullable=False)
    period = Column(String(8), nullable=False, default="")
    value = Column(Integer, nullable=False, default=0)


def check_pattern(pattern: str) -> None:
    """Raise DomainError unless `pattern` has exactly one {seq…} and only known tokens."""
    tokens = re.findall(r"\{([^}]*)\}", pattern)
    unknown = [t for t in tokens if not _TOKEN.fullmatch("{" + t + "}")]
    if unknown:
        raise DomainError("numbering.unknown_token", _("Unknown placeholder {%(token)s} in the numbering pattern.", token=unknown[0]), field="pattern")
    if sum(1 for t in tokens if t.startswith("seq")) != 1:
        raise DomainError("numbering.no_seq", _("The numbering pattern needs exactly one {seq} placeholder, e.g. {seq:05d}."), field="pattern")


def _period(reset: str, when: dt.date) -> str:
    if reset == "yearly":
        return f"{when:%Y}"
    if reset == "monthly":
        return f"{when:%Y%m}"
    return ""


def render(pattern: str, when: dt.date, seq: int) -> str:
    def sub(match: re.Match) -> str:
        token = match.group(1)
        if token.startswith("seq"):
            fmt = token[4:] or "d"
            return format(seq, fmt)
        return {"yyyy": f"{when:%Y}", "yy": f"{when:%y}", "mm": f"{when:%m}", "dd": f"{when:%d}"}[token]

    return _TOKEN.sub(sub, pattern)


def ensure_rule(code: str, name: str, pattern: str, reset: str = "yearly") -> NumberingRule:
    """Create the rule if it does not exist yet (an admin's edits are kept)."""
    rule = db.session.scalar(select(NumberingRule).where(NumberingRule.code == code))
    if rule is None:
        check_pattern(pattern)
        rule = NumberingRule(code=code, name=name, pattern=pattern, reset=reset)
        db.session.add(rule)
    return rule


def next_number(code: str, when: dt.date | None = None) -> str:
    """The next number of rule `code`, taken inside the caller's transaction."""
    return next_numbers(code, 1, when)[0]


def next_numbers(code: str, count: int, when: dt.date | None = None) -> list[str]:
    """The next `count` numbers of rule `code` in one step (an import numbers a whole batch of
    documents at once), taken inside the caller's transaction, gap-free like next_number."""
    session = db.session
    rule = session.scalar(select(NumberingRule).where(NumberingRule.code == code))
    if rule is None:
        raise DomainError("numbering.no_rule", _("No numbering rule named %(code)s.", code=code))
    when = when or dt.date.today()
    period = _period(rule.reset, when)
    table = NumberingCounter.__table__
    for _attempt in range(5):
        value = session.execute(
            update(table)
            .where(table.c.rule_code == code, table.c.period == period)
            .values(value=table.c.value + count)
            .returning(table.c.value)
        ).scalar()
        if value is not None:
            return [render(rule.pattern, when, seq) for seq in range(value - count + 1, value + 1)]
        try:
            with session.begin_nested():
                session.execute(insert(table).values(rule_code=code, period=period, value=count))
            return [render(rule.pattern, when, seq) for seq in range(1, count + 1)]
        except IntegrityError:
            continue  # another transaction created the counter first: take the UPDATE path
    raise DomainError("numbering.busy", _("Could not allocate a number, please try again."))

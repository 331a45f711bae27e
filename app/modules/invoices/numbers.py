"""The numbering report (号码报告): for one series and one period, every number from the first to the last used,
each as issued, voided, reversed (红冲) or red-letter, and the numbers missing in between."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.numbering import NumberingRule, render
from app.extensions import db
from app.modules.invoices.models import Invoice
from app.modules.invoices.service import RED, RULES

MAX_NUMBERS = 100_000


def series() -> list[tuple[str, str]]:
    """(key, name) of each invoice series."""
    return [(key, str(name)) for key, (_code, name, _pattern, _reset) in RULES.items()]


def _prefix(pattern: str, period: str) -> tuple[str, str] | None:
    """The text before and after {seq…} in a number of `period` (YYYY or YYYYMM)."""
    import datetime as dt

    year, month = int(period[:4]), int(period[4:6] or 1)
    when = dt.date(year, month, 1)
    parts = re.split(r"\{seq(?::0?\d+d)?\}", pattern, maxsplit=1)
    if len(parts) != 2:
        return None
    return render(parts[0], when, 0), render(parts[1], when, 0)


def report(key: str, period: str) -> dict:
    """{rows: [(number, state)], counts: {state: n}} for the series `key` in `period` (YYYYMM or YYYY)."""
    if key not in RULES:
        raise ValueError(_("Choose a series."))
    if not re.fullmatch(r"\d{4}(\d{2})?", period or "") or (len(period) == 6 and not 1 <= int(period[4:]) <= 12):
        raise ValueError(_("Enter the period as YYYYMM or YYYY."))
    code = RULES[key][0]
    rule = db.session.scalar(select(NumberingRule).where(NumberingRule.code == code))
    found = _prefix(rule.pattern, period) if rule is not None else None
    if found is None:
        return {"rows": [], "counts": {}}
    head, tail = found
    stmt = select(Invoice.code, Invoice.status, Invoice.red).where(Invoice.code.startswith(head, autoescape=True))
    numbered = {}
    for code_, status, red in db.session.execute(stmt):
        middle = code_[len(head):len(code_) - len(tail) if tail else None]
        if (not tail or code_.endswith(tail)) and middle.isdigit() and (key == RED) == bool(red):
            numbered[int(middle)] = (code_, "red" if red else status)
    rows, counts = [], {}
    if numbered:
        width = len(next(iter(numbered.values()))[0]) - len(head) - len(tail)
        for seq in range(1, min(max(numbered), MAX_NUMBERS) + 1):
            code_, state = numbered.get(seq, (f"{head}{seq:0{width}d}{tail}", "missing"))
            rows.append((code_, state))
            counts[state] = counts.get(state, 0) + 1
    return {"rows": rows, "counts": counts}

"""Numbering rules: patterns, periods, admin edits, and no duplicates or gaps under concurrency."""
import datetime as dt
import threading

import pytest

from app.core.errors import DomainError
from app.core.numbering import NumberingRule, check_pattern, ensure_rule, next_number, render
from app.core.transaction import unit_of_work
from app.extensions import db
from tests.conftest import unique


def test_pattern_placeholders():
    assert render("KH-{yyyy}-{seq:05d}", dt.date(2026, 3, 9), 7) == "KH-2026-00007"
    assert render("HT{yy}{mm}{dd}-{seq:03d}", dt.date(2026, 3, 9), 12) == "HT260309-012"
    with pytest.raises(DomainError):
        check_pattern("KH-{yyyy}")
    with pytest.raises(DomainError):
        check_pattern("KH-{year}-{seq}")


def test_yearly_rule_restarts_each_year(ctx):
    code = unique("rule")
    with unit_of_work(None):
        ensure_rule(code, "测试", "T-{yyyy}-{seq:03d}", "yearly")
    with unit_of_work(None):
        a = next_number(code, dt.date(2025, 12, 31))
        b = next_number(code, dt.date(2025, 12, 31))
        c = next_number(code, dt.date(2026, 1, 1))
    assert (a, b, c) == ("T-2025-001", "T-2025-002", "T-2026-001")


def test_admin_edit_of_the_pattern_applies_to_the_next_number(ctx):
    code = unique("rule")
    with unit_of_work(None):
        rule = ensure_rule(code, "测试", "A-{seq:02d}", "never")
    with unit_of_work(None):
        assert next_number(code) == "A-01"
    rule = db.session.query(NumberingRule).filter_by(code=code).one()
    rule.pattern = "B{yy}-{seq:04d}"
    db.session.commit()
    with unit_of_work(None):
        assert next_number(code) == f"B{dt.date.today():%y}-0002"


def test_concurrent_writers_get_distinct_consecutive_numbers(app, ctx):
    code = unique("rule")
    with unit_of_work(None):
        ensure_rule(code, "并发", "{seq}", "never")
    results, errors = [], []

    def take(n):
        with app.app_context():
            try:
                for _ in range(n):
                    with unit_of_work(None):
                        results.append(int(next_number(code)))
            except Exception as exc:  # surfaced by the assertion below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take, args=(15,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(results) == list(range(1, 61))

"""Record rules (panels.register_record_rule): what a record's state allows, asked for a list's rows
with every rule asked once per row however many actions share it."""
from __future__ import annotations

from types import SimpleNamespace

from app.core import panels
from tests.conftest import unique


def test_each_name_applies_when_all_its_rules_agree_and_a_shared_rule_is_asked_once():
    spec = SimpleNamespace(name=unique("rules"))
    asked = []

    def open_record(actor, item):
        asked.append(("open", item.id))
        return not item.closed

    def mine(actor, item):
        asked.append(("mine", item.id))
        return item.owner == actor

    for what in ("edit", "delete", "tag"):
        panels.register_record_rule(spec.name, what, open_record)
    panels.register_record_rule(spec.name, "delete", mine)
    names = ["edit", "delete", "tag", "print"]         # print: no rule, applies whenever the role grants it

    def both(item, actor):
        each = panels.applies_each(spec, names, actor, item)
        assert each == {n for n in names if panels.applies_to(spec, n, actor, item)}
        return each

    asked.clear()
    assert panels.applies_each(spec, names, "li", SimpleNamespace(id=1, closed=False, owner="li")) == set(names)
    assert asked == [("open", 1), ("mine", 1)]           # open_record once for its three names
    assert both(SimpleNamespace(id=2, closed=False, owner="wang"), "li") == {"edit", "tag", "print"}
    assert both(SimpleNamespace(id=3, closed=True, owner="li"), "li") == {"print"}

"""Rules compile their URL builders on first use and build the same URLs as Werkzeug's own."""
from __future__ import annotations

from flask import url_for
from werkzeug.routing import Map, Rule

from app.core.routing import LazilyBuiltRule


def test_a_lazily_built_rule_builds_what_werkzeugs_rule_builds():
    plain = Map([Rule("/customers/show/<int:pk>", endpoint="show"), Rule("/menu/<digest>", endpoint="menu")])
    lazy = Map([LazilyBuiltRule("/customers/show/<int:pk>", endpoint="show"),
                LazilyBuiltRule("/menu/<digest>", endpoint="menu")])
    for endpoint, values in (("show", {"pk": 7}), ("show", {"pk": 7, "tab": "联系人", "q": "a&b"}),
                             ("menu", {"digest": "ab/cd"})):
        assert lazy.bind("x").build(endpoint, values) == plain.bind("x").build(endpoint, values)
    assert lazy.bind("x").match("/customers/show/12") == ("show", {"pk": 12})


def test_the_app_uses_them_and_builds_its_urls(app):
    assert app.url_rule_class is LazilyBuiltRule
    assert all(isinstance(rule, LazilyBuiltRule) for rule in app.url_map.iter_rules() if rule.endpoint != "static")
    with app.test_request_context():
        assert url_for("zwt_menu", digest="0123", v=2) == "/menu/0123?v=2"

"""Every icon the app shows is in its small icon font: app/static/icons holds Font Awesome cut to
the icons the app names (a few KB instead of FAB's 300 KB of Font Awesome style sheets and
fonts), so an icon added to a template, a module's menu or an action without rebuilding the cut
(`python -m app.core.icon_font`) fails here instead of showing an empty square."""
from __future__ import annotations

import re

import pytest

from app.core import icon_font

FONT_LIMIT = 20 * 1024


def _icons(*values) -> set[str]:
    return {m for value in values if value for m in icon_font.NAME.findall(value)}


def test_the_icon_style_sheet_is_built_from_the_icons_the_code_names():
    wanted = icon_font.icons_used() & icon_font.known_icons()
    expected, _points = icon_font.style_sheet(wanted)
    assert icon_font.STYLE_SHEET.read_text(encoding="utf-8") == expected, (
        "app/static/icons is out of date: run `python -m app.core.icon_font`")


def test_every_menu_entry_and_action_has_an_icon_the_font_draws(app):
    known = icon_font.known_icons()
    drawn = set(icon_font.icon_rules(icon_font.STYLE_SHEET.read_text(encoding="utf-8")))
    named: dict[str, str] = {}
    with app.app_context():
        stack = list(app.appbuilder.menu.get_list())
        while stack:
            item = stack.pop()
            stack.extend(item.childs or [])
            for name in _icons(item.icon):
                named.setdefault(name, f"menu entry {item.name}")
        for view in app.appbuilder.baseviews:
            for action in (getattr(view, "actions", None) or {}).values():
                for name in _icons(action.icon):
                    named.setdefault(name, f"action {action.name} of {type(view).__name__}")
    assert len(named) > 20, named
    unknown = {name: where for name, where in named.items() if name not in known}
    assert not unknown, f"icons Font Awesome does not have: {unknown}"
    missing = {name: where for name, where in named.items() if name not in drawn}
    assert not missing, f"icons missing from app/static/icons (run `python -m app.core.icon_font`): {missing}"


def test_the_style_sheet_names_only_the_small_fonts_beside_it():
    css = icon_font.STYLE_SHEET.read_text(encoding="utf-8")
    fonts = re.findall(r"url\(([^)]+)\)", css)
    assert sorted(fonts) == ["fa-regular-400.woff2", "fa-solid-900.woff2"]
    for font in fonts:
        size = (icon_font.OUT / font).stat().st_size
        assert 0 < size < FONT_LIMIT, f"{font}: {size} B"
    assert "Brands" not in re.sub(r"\.fa-brands,\.fab\{[^}]*\}", "", css), "no rule needs the brands font"
    assert "Font Awesome Free" in css.split("*/", 1)[0], "the licence notice stays"


def test_the_fonts_hold_every_glyph_the_style_sheet_draws():
    ttLib = pytest.importorskip("fontTools.ttLib")
    css = icon_font.STYLE_SHEET.read_text(encoding="utf-8")
    points = {int(cp, 16) for cp in re.findall(r'content:"\\([0-9a-f]+)"', css)}
    assert len(points) > 50
    for font, _weight in icon_font.FONTS.values():
        full = set(ttLib.TTFont(icon_font.FA_FONTS / f"{font}.ttf").getBestCmap())
        cut = set(ttLib.TTFont(icon_font.OUT / f"{font}.woff2").getBestCmap())
        assert points & full <= cut, f"{font} lacks {sorted(hex(p) for p in (points & full) - cut)}"
        assert cut <= points, f"{font} holds glyphs no icon uses"
    regular = set(ttLib.TTFont(icon_font.OUT / "fa-regular-400.woff2").getBestCmap())
    solid = set(ttLib.TTFont(icon_font.OUT / "fa-solid-900.woff2").getBestCmap())
    assert points <= regular | solid

"""A list's columns are laid out by one <style> per table (app/core/list_layout.py): amounts
right-aligned, the name as the phone card's heading, the card's lines labelled, card-only cells
hidden on a desktop; a label someone typed (a custom field's) cannot end the rule or the style."""
from __future__ import annotations

import re

from markupsafe import Markup

from app.core.list_cells import Cell
from app.core.list_layout import table_style


def _cell(column, kind="text", **kw):
    return Cell(column, kw.pop("label", ""), Markup(""), "", kind=kind, **kw)


def test_each_kind_of_column_is_placed_by_its_position():
    css = str(table_style("zwt-lt", [_cell("code", code=True, card=True, label="客户编号"),
                                     _cell("name", title=True), _cell("amount", "money"),
                                     _cell("status", "status"), _cell("owner", card=True, label="负责人", desktop=False)],
                          first=2))
    desktop, narrow, phone = re.split(r"@media ", css)[1:]
    assert "#zwt-lt td:nth-child(4){text-align:right" in desktop                  # the amount, after checkbox, code, name
    assert "#zwt-lt td:nth-child(6){display:none}" in desktop                     # the owner: on the card only
    assert "#zwt-lt td:nth-child(3){min-width:9em" in desktop and "#zwt-lt td:nth-child(3)>a{font-weight:500}" in desktop
    assert "#zwt-lt td:nth-child(2)" in narrow                                      # codes may break on narrower screens
    assert "#zwt-lt td:nth-child(3){display:block;order:1" in phone                 # the name heads the card
    assert "#zwt-lt td:nth-child(5){display:block;order:2}" in phone                # then the status
    assert '#zwt-lt td:nth-child(2)::before{content:"客户编号"}' in phone
    assert '#zwt-lt td:nth-child(6)::before{content:"负责人"}' in phone
    assert "#zwt-lt td:nth-child(4)::before" not in phone                         # not a card line: no label


def test_a_typed_label_cannot_leave_its_string_or_the_style():
    css = str(table_style("zwt-lt", [_cell("custom.x", card=True, label='合同"}</style><script>alert(1)</script>')]))
    assert css.count("</style>") == 1 and "<script>" not in css
    label = re.search(r'::before\{content:("(?:[^"\\]|\\.)*")\}', css).group(1)
    assert label.startswith('"合同\\22 ') and "}" in label and "\\3c " in label


def test_a_table_without_rows_has_no_style():
    assert table_style("zwt-lt", []) == ""

"""How a list's columns are laid out, said once per table instead of on every cell.

A page of 25 rows repeated each cell's classes and, for the phone card's lines, its label: a fifth
of a list page. Every row of a table has the same columns, so one <style> per table places them by
position (`td:nth-child(n)`): amounts right-aligned, codes, statuses and times on one line, the
name as the card's heading, the card's lines with their labels, the card-only cells hidden on a
desktop. list.css keeps what does not depend on the columns (the checkbox and operations cells,
the plain text cell every other cell starts from).
"""
from __future__ import annotations

from markupsafe import Markup

NUMBERS, TIMES, ONE_LINE = ("money", "number"), ("datetime", "date"), ("status", "bool")

# What each kind of cell looks like, on a desktop, a narrower desktop (≤ 1439 px) and a phone.
DESKTOP = {
    "number": "text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums",
    "time": "white-space:nowrap;font-variant-numeric:tabular-nums",
    "line": "white-space:nowrap",
    "short": "min-width:0",
    "title": "min-width:9em;word-break:normal",
    "link": "font-weight:500",
    "hidden": "display:none",
}
NARROW = {
    "wrap": "white-space:normal;word-break:keep-all",
    "title": "min-width:6em",
}
PHONE = {
    "title": "display:block;order:1;flex:1 1 0;min-width:0;font-size:15px;font-weight:600",
    "status": "display:block;order:2",
    "card": "display:flex;order:3;flex:0 0 100%;gap:8px;font-size:13px;text-align:left",
    "empty": 'content:"—";color:var(--zwt-text-3)',
}


def _css_string(text: str) -> str:
    """`text` as a CSS string that cannot end the rule or the <style> element."""
    out = []
    for char in str(text):
        if char in '"\\<>&' or ord(char) < 0x20:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def table_style(table_id: str, cells: list, first: int = 1) -> Markup:
    """The <style> placing `cells` (one row's, list_cells.Cell) in the table `table_id`, whose
    first cell of data is child number `first` of its row (2 after the checkboxes)."""
    if not cells:
        return Markup("")
    groups: dict[tuple[str, str], list[str]] = {}
    labels = []

    def add(where: str, what: str, selector: str) -> None:
        groups.setdefault((where, what), []).append(selector)

    for offset, cell in enumerate(cells):
        td = f"#{table_id} td:nth-child({first + offset})"
        if cell.kind in NUMBERS:
            add("", "number", td)
        elif cell.kind in TIMES:
            add("", "time", td)
        elif cell.kind in ONE_LINE or cell.code:
            add("", "line", td)
        if cell.kind in ONE_LINE:
            add("", "short", td)
        if cell.code or cell.kind == "datetime":
            add("narrow", "wrap", td)
        if not cell.desktop:
            add("", "hidden", td)
        if cell.title:
            add("", "title", td)
            add("", "link", td + ">a")
            add("narrow", "title", td)
            add("phone", "title", td)
        elif cell.kind == "status":
            add("phone", "status", td)
        elif cell.card:
            add("phone", "card", td)
            add("phone", "empty", td + ":empty::after")
            labels.append(f"{td}::before{{content:{_css_string(cell.label)}}}")
    rules = {"": DESKTOP, "narrow": NARROW, "phone": PHONE}

    def block(where: str) -> str:
        return "".join(f"{','.join(selectors)}{{{rules[where][what]}}}"
                       for (at, what), selectors in groups.items() if at == where)

    # Desktop rules stop at the phone's width: a card's lines wrap.
    css = f"@media (min-width:768px){{{block('')}}}"
    narrow = block("narrow")
    if narrow:
        css += f"@media (min-width:768px) and (max-width:1439px){{{narrow}}}"
    phone = block("phone") + "".join(labels)
    if phone:
        css += f"@media (max-width:767px){{{phone}}}"
    return Markup(f"<style>{css}</style>")

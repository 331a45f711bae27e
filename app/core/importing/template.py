"""The import templates of a module: its headers in the user's language as CSV (UTF-8 with BOM,
so Excel shows the Chinese), or as a workbook with drop-down lists for the columns with choices,
text-formatted columns where Excel would drop leading zeros, and a second sheet saying what each
column takes."""
from __future__ import annotations

import codecs
import csv
import io

from flask_babel import gettext as _

from app.core.importing.columns import Column, choice_labels, columns_of
from app.core.importing.run import key_column


def template_csv(spec) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow([c.header() for c in columns_of(spec)])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _label_of(column: Column, value) -> str:
    return str(dict(column.choices).get(value, value))


def explanation(spec, column: Column) -> str:
    """What to enter in a column (the template's second sheet)."""
    declared = spec.importing.help.get(column.name)
    if declared:
        return str(declared)
    kind = column.kind
    if kind == "custom":
        if column.choices:
            return _("One of: %(choices)s.", choices="、".join(str(l) for _v, l in column.choices))
        return str(getattr(column.field, "help_text", "") or "")
    if kind == "choice":
        if column.default is not None:
            return _("One of: %(choices)s. Empty: %(default)s.", choices="、".join(choice_labels(column)),
                     default=_label_of(column, column.default))
        return _("One of: %(choices)s.", choices="、".join(choice_labels(column)))
    if kind == "decimal":
        return _("An amount in yuan, e.g. 50000 or 50,000.00.")
    if kind == "integer":
        return _("A whole number.")
    if kind == "boolean":
        return _("是 or 否 (also Y/N, true/false).")
    if kind == "date":
        return _("A date such as 2026-03-31 (also 2026/3/31 or 2026年3月31日).")
    if kind == "datetime":
        return _("A date and time such as 2026-03-31 14:30.")
    if kind == "user":
        if column.assigns_owner:
            return _("The user name (or name) of a user. Empty: you.")
        return _("The user name (or name) of a user.")
    if kind == "record":
        return _("The code or the name of the %(thing)s.", thing=str(column.label))
    if column.length:
        return _("Text, at most %(n)d characters.", n=column.length)
    return ""


def template_xlsx(spec) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = columns_of(spec)
    key = key_column(spec, columns)
    wb = Workbook()
    ws = wb.active
    ws.title = str(spec.label_plural)[:31]
    ws.append([c.header() for c in columns])
    ws.freeze_panes = "A2"
    required_font = Font(bold=True, color="C00000")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        required = column.required or column.name == key
        cell.font = required_font if required else Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        wide = column.kind == "text" and (column.length or 1000) > 100
        ws.column_dimensions[letter].width = 28 if wide or column.name == key else 16
        if column.text_format or column.kind in ("user", "record"):
            for row in range(2, 1002):
                ws.cell(row=row, column=index).number_format = "@"
        labels = choice_labels(column) if column.kind == "choice" else (
            [str(l) for _v, l in column.choices] if column.kind == "custom" and column.choices
            and getattr(column.field, "kind", "") == "choice" else [])
        if column.kind == "boolean" or (column.kind == "custom" and getattr(column.field, "kind", "") == "boolean"):
            labels = ["是", "否"]
        if labels and len(",".join(labels)) < 250:   # Excel's limit for a list written in place
            check = DataValidation(type="list", formula1='"{}"'.format(",".join(labels)), allow_blank=True)
            check.error = _("Please choose a value from the list.")
            ws.add_data_validation(check)
            check.add(f"{letter}2:{letter}100000")
    notes = wb.create_sheet(_("Instructions"))
    notes.append([_("Column"), _("Required"), _("What to enter")])
    for column in columns:
        notes.append([column.header(), _("Yes") if (column.required or column.name == key) else "",
                      explanation(spec, column)])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["C"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

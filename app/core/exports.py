"""CSV and XLSX export of any filtered list.

CSV streams row by row (UTF-8 with BOM so Excel opens Chinese correctly); XLSX uses openpyxl's
write-only mode, so memory stays flat however many rows there are.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from decimal import Decimal
from urllib.parse import quote

from flask import Response, send_file, stream_with_context
from flask_babel import gettext as _
from markupsafe import Markup

BATCH = 1000


def cell_value(item, column: str, formatters: dict):
    value = item
    for part in column.split("."):
        value = getattr(value, part, None) if value is not None else None
    if column in formatters:
        shown = formatters[column](value)
        # A label the screens draw as markup (a coloured tag) is its text in a file.
        return shown.striptags() if isinstance(shown, Markup) else shown
    if value is None or isinstance(value, (int, Decimal, dt.date, dt.datetime, bool)):
        return value
    return str(value)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def _disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def csv_response(query, columns: list[str], labels: list[str], filename: str, formatters: dict, max_rows: int) -> Response:
    def generate():
        buf = io.StringIO()
        writer = csv.writer(buf)
        buf.write("\ufeff")
        writer.writerow(labels)
        for n, item in enumerate(query.yield_per(BATCH)):
            if n >= max_rows:
                break
            writer.writerow([_text(cell_value(item, c, formatters)) for c in columns])
            if buf.tell() > 64 * 1024:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": _disposition(filename + ".csv")},
    )


def xlsx_response(query, columns: list[str], labels: list[str], filename: str, formatters: dict, max_rows: int):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=filename[:31])
    ws.append(labels)

    def cell(value):
        if isinstance(value, Decimal):
            # Money stays a number Excel can sum, shown with its two decimals.
            money = WriteOnlyCell(ws, value=value)
            money.number_format = "#,##0.00"
            return money
        if isinstance(value, (int, dt.date, dt.datetime)) and not isinstance(value, bool):
            return value
        return _text(value)

    for n, item in enumerate(query.yield_per(BATCH)):
        if n >= max_rows:
            break
        ws.append([cell(cell_value(item, c, formatters)) for c in columns])
    tmp = tempfile.TemporaryFile()
    wb.save(tmp)
    tmp.seek(0)
    return send_file(
        tmp,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=filename + ".xlsx",
    )

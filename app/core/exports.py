"""CSV and XLSX export of any filtered list.

CSV streams row by row (UTF-8 with BOM so Excel opens Chinese correctly); XLSX uses openpyxl's
write-only mode, so memory stays flat however many rows there are.

Text a user typed may look like a formula (a customer named =HYPERLINK(...)); a spreadsheet
would run it. Every text cell that starts like a formula gets a leading apostrophe, as OWASP
recommends for CSV injection; numbers, amounts and dates stay numbers and dates.
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
# What makes Excel, LibreOffice and Google Sheets read a cell as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text as a spreadsheet shows it and never runs it."""
    return "'" + text if isinstance(text, str) and text.startswith(FORMULA_START) else text


def text_cell(value) -> str:
    """A cell of a CSV file: its text, neutralised unless it is a number, amount or date."""
    text = _text(value)
    return text if value is None or isinstance(value, (int, Decimal, float, dt.date)) else neutralise(text)


def cell_value(item, column: str, formatters: dict):
    if getattr(formatters.get(column), "reads_item", False):   # a custom field's cell
        return formatters[column](item)
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
        from app.extensions import db

        try:
            buf = io.StringIO()
            writer = csv.writer(buf)
            buf.write("\ufeff")
            writer.writerow([neutralise(str(label)) for label in labels])
            for n, item in enumerate(query.yield_per(BATCH)):
                if n >= max_rows:
                    break
                writer.writerow([text_cell(cell_value(item, c, formatters)) for c in columns])
                if buf.tell() > 64 * 1024:
                    yield buf.getvalue()
                    buf.seek(0)
                    buf.truncate()
            yield buf.getvalue()
        finally:
            # The rows are out: the read transaction ends now, not when the client gets round to closing the
            # response (an open transaction holds up index builds and VACUUM). It is the transaction of the
            # session the query was made in, which need not be the context's session by the time the body is
            # read.
            session = getattr(query, "session", None)
            if session is not None:
                session.rollback()
            db.session.rollback()

    return Response(
        stream_with_context(generate()),
        # content_type, not mimetype: Flask would add "; charset=utf-8" a second time.
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _disposition(filename + ".csv")},
    )


def xlsx_response(query, columns: list[str], labels: list[str], filename: str, formatters: dict, max_rows: int):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=filename[:31])
    ws.append([neutralise(str(label)) for label in labels])

    def cell(value):
        if isinstance(value, Decimal):
            # Money stays a number Excel can sum, shown with its two decimals.
            money = WriteOnlyCell(ws, value=value)
            money.number_format = "#,##0.00"
            return money
        if isinstance(value, (int, dt.date, dt.datetime)) and not isinstance(value, bool):
            return value
        return neutralise(_text(value))

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


class AggregateRows(list):
    """Aggregated rows (dicts: column → value) handed to the exporters above, which read a query in batches."""

    def yield_per(self, _n):
        return iter([type("Row", (), row) for row in self])

"""A report as a file: an Excel workbook of its table, or a PDF (the frame's PDF drawing, Chinese font embedded)
with its chart drawn as an image above the table — for downloads and for scheduled reports sent by mail."""
from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

from flask_babel import gettext as _
from markupsafe import escape

from app.core import reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
COLOURS = ["#1677ff", "#52c41a", "#faad14", "#f5222d", "#722ed1", "#13c2c2", "#eb2f96", "#fa8c16"]


def _period(params: reports.Params) -> str:
    if params.start and params.end:
        return _("%(start)s to %(end)s", start=params.start.isoformat(), end=params.end.isoformat())
    if params.start:
        return _("From %(start)s", start=params.start.isoformat())
    if params.end:
        return _("Up to %(end)s", end=params.end.isoformat())
    return _("All dates")


def xlsx_bytes(report: reports.ReportSpec, result: reports.Result) -> bytes:
    from openpyxl import Workbook

    from app.core.exports import neutralise

    wb = Workbook()
    ws = wb.active
    ws.title = str(report.title)[:31]
    ws.append([neutralise(result.key_label), *[neutralise(str(m.label)) for m in result.measures]])
    for row in result.table():
        cells = [neutralise(str(row["key"]))]
        for m in result.measures:
            value = row.get(m.name)
            cells.append(value if isinstance(value, (int, Decimal)) else ("" if value is None else str(value)))
        ws.append(cells)
    for cells in ws.iter_rows(min_row=2, min_col=2):
        for cell in cells:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def chart_png(result: reports.Result, width: int = 900, height: int = 360) -> bytes | None:
    """The result's first measure drawn as bars (a line for months, slices for a pie), with the Chinese font."""
    from PIL import Image, ImageDraw, ImageFont

    from app.core.printing.render import font_path

    measure = result.measures[0]
    points = [(r.label, float(r.values.get(measure.name) or 0)) for r in result.rows][:30]
    if not points:
        return None
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(font_path(), 13)
    if result.chart == "pie":
        total = sum(max(v, 0) for _l, v in points) or 1
        box, start = (40, 30, 40 + height - 60, height - 30), -90.0
        for n, (label, value) in enumerate(points):
            sweep = 360.0 * max(value, 0) / total
            draw.pieslice(box, start, start + sweep, fill=COLOURS[n % len(COLOURS)])
            start += sweep
            if n < 14:
                y = 30 + n * 20
                draw.rectangle((height + 20, y + 2, height + 32, y + 14), fill=COLOURS[n % len(COLOURS)])
                draw.text((height + 40, y), f"{label}  {value:,.2f}".rstrip("0").rstrip("."), fill="#333333", font=font)
        out = io.BytesIO()
        image.save(out, "PNG")
        return out.getvalue()
    left, bottom, top, right = 80, height - 60, 20, width - 20
    high = max(max(v for _l, v in points), 0) or 1
    low = min(min(v for _l, v in points), 0)
    span = high - low or 1

    def y_of(value):
        return bottom - (value - low) / span * (bottom - top)

    draw.line((left, top, left, bottom), fill="#999999")
    draw.line((left, y_of(0), right, y_of(0)), fill="#999999")
    for k in range(5):
        value = low + span * k / 4
        draw.text((4, y_of(value) - 7), f"{value:,.0f}", fill="#666666", font=font)
    step = (right - left) / len(points)
    previous = None
    for n, (label, value) in enumerate(points):
        x = left + step * n + step / 2
        if result.chart == "line":
            if previous:
                draw.line((previous, (x, y_of(value))), fill=COLOURS[0], width=3)
            previous = (x, y_of(value))
            draw.ellipse((x - 3, y_of(value) - 3, x + 3, y_of(value) + 3), fill=COLOURS[0])
        else:
            draw.rectangle((x - step * 0.35, min(y_of(value), y_of(0)), x + step * 0.35, max(y_of(value), y_of(0))),
                           fill=COLOURS[0])
        if len(points) <= 12 or n % max(1, len(points) // 12) == 0:
            text = label if len(label) <= 8 else label[:7] + "…"
            draw.text((x - draw.textlength(text, font=font) / 2, bottom + 8), text, fill="#333333", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def pdf_bytes(report: reports.ReportSpec, result: reports.Result, params: reports.Params, made_for: str = "") -> bytes:
    from app.core.clock import utcnow
    from app.core.printing.render import html_to_pdf
    from app.core.webhooks import local_time

    png = chart_png(result)
    image = (f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" width="640" height="256">'
             if png else "")

    def cell(measure, value):
        return escape(formatted(measure, value))

    head = "".join(f"<th>{escape(str(m.label))}</th>" for m in result.measures)
    rows = "".join(f"<tr><td>{escape(r.label)}</td>" + "".join(f'<td class="n">{cell(m, r.values.get(m.name))}</td>'
                                                             for m in result.measures) + "</tr>" for r in result.rows)
    total = ""
    total_label = _("Total")
    drawn = _("Drawn at %(time)s", time=local_time(utcnow()))
    if result.total is not None:
        total = f"<tr><th>{escape(total_label)}</th>" + "".join(
            f'<th class="n">{cell(m, result.total.get(m.name))}</th>' for m in result.measures) + "</tr>"
    html = f"""<html><head><meta charset="utf-8"><style>
      @page {{ size: a4 landscape; margin: 1.5cm; }}
      body {{ font-size: 10pt; }} h1 {{ font-size: 16pt; margin: 0 0 4pt 0; }}
      table {{ width: 100%; }} th, td {{ border: 0.5pt solid #999; padding: 3pt; }}
      .n {{ text-align: right; }} .muted {{ color: #666; }}
    </style></head><body>
      <h1>{escape(str(report.title))}</h1>
      <p class="muted">{escape(_period(params))} · {escape(made_for)} · {escape(drawn)}</p>
      {image}
      <table><thead><tr><th>{escape(result.key_label)}</th>{head}</tr></thead><tbody>{rows}{total}</tbody></table>
      <p class="muted">{escape(result.note or "")}</p>
    </body></html>"""
    return html_to_pdf(html)


def formatted(measure: reports.Measure, value) -> str:
    if value is None:
        return "—"
    if measure.kind == reports.MONEY:
        return f"{value:,.2f}"
    if measure.kind == reports.PERCENT:
        return f"{value}%"
    return f"{value:,}" if isinstance(value, int) else str(value)


def filename(report: reports.ReportSpec, day: dt.date, extension: str) -> str:
    return f"{report.title}-{day.isoformat()}.{extension}"

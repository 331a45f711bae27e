"""The records behind a report's group exported by an RQ job (they may be a million rows): streamed from the
database in batches into an Excel (write-only) or CSV file on disk, progress kept in the job's meta for the page's
progress bar, the file put in the file store, and the reader notified with its download link. The job runs with
the reader's permissions and data scope, checked again when it starts."""
from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from decimal import Decimal

from flask_babel import force_locale, gettext as _
from sqlalchemy import Boolean, select

from app.core import reports
from app.core.exports import neutralise
from app.core.errors import DomainError
from app.extensions import db

BATCH = 2000
KEEP_SECONDS = 7 * 24 * 3600          # the job (and so its download link) is kept a week
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def columns_of(spec) -> list:
    """The table's columns worth exporting (not secrets), in table order."""
    return [c for c in spec.model.__table__.columns
            if not c.key.endswith(("_hash", "_token", "_secret", "password")) and c.key not in ("signing_sha256",)]


def _converters(columns) -> list:
    """Per column, how a value becomes a cell: choices and yes/no translated once, not once per row."""
    out = []
    for column in columns:
        choices = column.info.get("choices")
        if choices:
            out.append(("choice", {key: str(label) for key, label in choices}))
        elif isinstance(column.type, Boolean):
            out.append(("bool", (str(_("No")), str(_("Yes")))))
        else:
            out.append(("plain", None))
    return out


def _cell(column, how, value, names: dict):
    if value is None:
        return ""
    if column.key in names:
        return neutralise(names[column.key].get(value, str(value)))
    kind, table = how
    if kind == "choice":
        return table.get(value, str(value))
    if kind == "bool":
        return table[bool(value)]
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value if isinstance(value, (int, Decimal, dt.date)) else neutralise(str(value))


def export_rows(job, user, report: reports.ReportSpec, params: reports.Params, key: str, fmt: str) -> dict:
    """Write the rows behind `key` to a file in the store; returns {key, name, rows}."""
    from app.core.files import store
    from app.core.registry import registry

    spec = registry.get(report.module)
    model = spec.model
    where = reports.drill_conditions(report, user, params, key)
    total = db.session.scalar(select(db.func.count()).select_from(select(model.id).where(*where).subquery())) or 0
    columns = columns_of(spec)
    converters = _converters(columns)
    related = {c.key: reports._target_model(c) for c in columns if c.foreign_keys}
    labels = [str(spec.label_columns.get(c.key[:-3] if c.key.endswith("_id") else c.key,
                                         spec.label_columns.get(c.key, c.key))) for c in columns]
    handle, path = tempfile.mkstemp(suffix="." + fmt)
    os.close(handle)
    done = 0
    try:
        if fmt == "xlsx":
            from openpyxl import Workbook

            book = Workbook(write_only=True)
            sheet = book.create_sheet(title=str(report.title)[:31])
            write = sheet.append
        else:
            out = open(path, "w", encoding="utf-8-sig", newline="")
            writer = csv.writer(out)
            write = writer.writerow
        write([neutralise(label) for label in labels])
        stmt = select(*[model.__table__.c[c.key] for c in columns]).where(*where).order_by(model.id)
        result = db.session.execute(stmt.execution_options(stream_results=True, yield_per=BATCH))
        for batch in result.partitions(BATCH):
            names = {}
            for i, column in enumerate(columns):
                if related.get(column.key) is not None:
                    names[column.key] = reports.names_of(related[column.key], {row[i] for row in batch})
            for row in batch:
                write([_cell(c, converters[i], row[i], names) for i, c in enumerate(columns)])
            done += len(batch)
            if job is not None:
                job.meta.update(done=done, total=total)
                job.save_meta()
        if fmt == "xlsx":
            book.save(path)
        else:
            out.close()
        name = f"{report.title}-{dt.date.today().isoformat()}.{fmt}"
        with open(path, "rb") as stream:
            stored = store().put(stream, content_type=XLSX_TYPE if fmt == "xlsx" else "text/csv")
    finally:
        os.unlink(path)
    return {"key": stored, "name": name, "rows": done, "type": XLSX_TYPE if fmt == "xlsx" else "text/csv"}


def run_export(actor_id: int, report_name: str, query: dict, key: str, fmt: str) -> dict:
    """The job's body: the reader as they are now, the report, the rows, the notice with the download link."""
    from flask import current_app
    from rq import get_current_job

    from app.core.notify import notify
    from app.core.org import User
    from app.core.transaction import unit_of_work
    from app.modules.reports.schedule import _may_read
    from app.modules.reports.catalogue import find

    job = get_current_job()
    user = db.session.get(User, actor_id)
    report = find(report_name)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        if user is None or not user.active or report is None or not report.module or not _may_read(user, report):
            raise DomainError("reports.export_refused", _("You may not export this report any more."))
        params = reports.parse_params(query, report)
        made = export_rows(job, user, report, params, key, fmt)
        link = f"/reports/exports/{job.id}/file" if job is not None else ""
        with unit_of_work(None) as uow:
            notify(uow, [user], _("Export ready: %(title)s", title=str(report.title)),
                   _("%(rows)s records, kept for seven days.", rows=f"{made['rows']:,}"), link=link, mail=False)
    if job is not None:
        job.meta.update(file=made)
        job.save_meta()
    return made

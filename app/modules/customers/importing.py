"""Importing customers from Excel (.xlsx) or CSV files.

The template's headers are the customer labels in the user's language (客户名称, 客户类型, 行业 …);
files with Chinese or English headers are both read. A CSV may be UTF-8 (with or without BOM)
or GBK, as Excel in China saves it. How each row is checked is in import_rows; an import
writes all rows in one transaction or nothing.

Rows are streamed and checked in batches, so memory stays flat however long the file is:
created customers are flushed and let go batch by batch. Small files are previewed before they
are imported; large ones are checked and imported by a background job that reports its
progress in Redis.
"""
from __future__ import annotations

import codecs
import contextvars
import csv
import io
import json
import queue
import secrets
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, gettext as _

from app.core.audit import AuditLog, _plain
from app.core.clock import utcnow
from app.core.jobs import enqueue_after_commit, in_app_context, redis_connection
from app.core.numbering import next_numbers
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers import service
from app.modules.customers.import_files import ImportFileError, check_file, file_format  # noqa: F401
from app.modules.customers.import_files import drop_upload, keep_upload, local_upload
from app.modules.customers.import_files import cell_text as _text, raw_rows as _raw_rows
from app.modules.customers.import_rows import (FIELDS, RowChecker, choice_label, choice_labels, header_names,
                                               header_of, headers, normalise_header)
from app.modules.customers.models import Customer

BATCH = 1000
ZERO = Decimal("0.00")
# The columns a row of the file gives (the owner by its ids).
WRITTEN_FIELDS = [f for f in FIELDS if f != "owner"]
MAX_LISTED_ERRORS = 500      # rows with errors listed in full; the rest are only counted
PREVIEW_ROWS = 20
SYNC_ROWS = 2000             # larger files are imported by a background job
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
STATE_TTL = 7 * 24 * 3600


# -- templates ---------------------------------------------------------------------------------
def template_csv() -> bytes:
    """The header row as CSV, UTF-8 with BOM so that Excel shows the Chinese headers."""
    out = io.StringIO()
    csv.writer(out).writerow(headers())
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def template_xlsx() -> bytes:
    """A workbook with the header row, drop-down lists for the fields with choices, phone and
    tax id columns formatted as text (so Excel keeps leading zeros and long numbers), and a
    second sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = _("Customers")
    ws.append(headers())
    ws.freeze_panes = "A2"
    required = Font(bold=True, color="C00000")
    for index, field_name in enumerate(FIELDS, start=1):
        letter = get_column_letter(index)
        cell = ws.cell(row=1, column=index)
        cell.font = required if field_name == "name" else Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        ws.column_dimensions[letter].width = 28 if field_name in ("name", "address", "notes") else 16
        if field_name in ("phone", "tax_id", "owner"):
            for row in range(2, 1002):
                ws.cell(row=row, column=index).number_format = "@"
        if field_name in ("kind", "industry", "source", "status"):
            options = ",".join(choice_labels(field_name))
            check = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
            check.error = _("Please choose a value from the list.")
            ws.add_data_validation(check)
            check.add(f"{letter}2:{letter}100000")
    notes = wb.create_sheet(_("Instructions"))
    notes.append([_("Column"), _("Required"), _("What to enter")])
    explanations = {
        "name": _("The customer's name; must not exist yet."),
        "kind": _("One of: %(choices)s. Empty: %(default)s.", choices="、".join(choice_labels("kind")),
                  default=choice_label("kind", "company")),
        "industry": _("One of: %(choices)s.", choices="、".join(choice_labels("industry"))),
        "source": _("One of: %(choices)s.", choices="、".join(choice_labels("source"))),
        "status": _("One of: %(choices)s. Empty: %(default)s.", choices="、".join(choice_labels("status")),
                    default=choice_label("status", "potential")),
        "phone": _("A mobile number (13912345678) or a landline (010-12345678); must not be used by another customer."),
        "credit_limit": _("An amount in yuan, e.g. 50000 or 50,000.00. Empty: 0."),
        "tax_id": _("The 18-character unified social credit code; must not be used by another customer."),
        "owner": _("The owner's user name (or name). Empty: you."),
    }
    for field_name in FIELDS:
        notes.append([header_of(field_name), _("Yes") if field_name == "name" else "",
                      str(explanations.get(field_name, ""))])
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["C"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- reading files -----------------------------------------------------------------------------
def read_rows(path: Path, fmt: str):
    """(header map, iterator of (row number, {field: text})) of a file; empty rows skipped.
    Row numbers are the ones Excel shows (the header is row 1)."""
    rows = _raw_rows(path, fmt)
    header = None
    for header in rows:
        if any(_text(v) for v in header):
            break
    else:
        raise ImportFileError("customers.import_empty", _("The file is empty."), field="file")
    names = header_names()
    columns, unknown = {}, []
    for index, cell in enumerate(header):
        text = _text(cell)
        if not text:
            continue
        field_name = names.get(normalise_header(text))
        if field_name is None:
            unknown.append(text)
        elif field_name in columns.values():
            raise ImportFileError("customers.import_header_twice",
                                  _("The column “%(column)s” appears twice.", column=text), field="file")
        else:
            columns[index] = field_name
    if unknown:
        raise ImportFileError("customers.import_unknown_columns",
                              _("Unknown columns: %(columns)s. Please use the headers of the template.",
                                columns="、".join(unknown)), field="file")
    if "name" not in columns.values():
        raise ImportFileError("customers.import_no_name",
                              _("The column “%(column)s” is missing. Please use the headers of the template.",
                                column=header_of("name")), field="file")

    def body():
        number = 1
        for cells in rows:
            number += 1
            values = {}
            for index, field_name in columns.items():
                values[field_name] = _text(cells[index]) if index < len(cells) else ""
            if any(values.values()):
                yield number, values

    return columns, body()


def estimate_rows(path: Path, fmt: str) -> int:
    """About how many data rows the file has, cheaply, for a progress bar: the sheet's stated
    size for a workbook, the line count for CSV."""
    if fmt == "xlsx":
        from app.modules.customers.import_xlsx import READ_ERRORS, stated_rows

        try:
            return max((stated_rows(path) or 1) - 1, 0)
        except READ_ERRORS:
            return 0
    lines = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def more_rows_than(path: Path, fmt: str, limit: int) -> bool:
    """Whether the file has more than `limit` data rows (reads at most limit + 1 of them)."""
    _columns, rows = read_rows(path, fmt)
    for count, _row in enumerate(rows, start=1):
        if count > limit:
            return True
    return False


# -- importing -------------------------------------------------------------------------------
@dataclass
class RowProblem:
    row: int
    name: str
    messages: list[str]


@dataclass
class ImportResult:
    rows: int = 0                 # data rows read
    created: int = 0              # customers written (0 unless the whole file was good)
    error_rows: int = 0           # rows with at least one problem
    problems: list = field(default_factory=list)   # RowProblem, the first MAX_LISTED_ERRORS
    preview: list = field(default_factory=list)    # the first good rows, as {field: text}
    committed: bool = False

    @property
    def ok(self) -> bool:
        return self.error_rows == 0 and self.rows > 0

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "error_rows": self.error_rows,
                "committed": self.committed,
                "problems": [{"row": p.row, "name": p.name, "messages": p.messages} for p in self.problems]}


class _RollBack(Exception):
    """Raised inside the import's unit of work to undo it when any row has a problem."""


def run_import(actor, path: Path, fmt: str, commit: bool, progress=None) -> ImportResult:
    """Check every row of the file and, with `commit`, create all its customers in one
    transaction: every customer gets its code (KH-…), the importer is recorded in each one's
    history, and if any row has a problem, none is created.

    Rows are checked and written a batch at a time: one look-up per batch for each kind of
    duplicate, one numbering step, one INSERT of the customers and one of their history rows;
    the next batch is read from the file meanwhile (read_ahead).
    `progress(rows done)` is called after every batch. Raises ImportFileError for a file that
    cannot be read or whose headers are not the template's.
    """
    result = ImportResult()
    checker = RowChecker(actor)
    _columns, rows = read_rows(path, fmt)

    def work():
        writer = _Writer(actor, checker) if commit else None
        for batch in read_ahead(rows, BATCH):
            good = []
            for (number, customer, errors), (_n, values) in zip(checker.check_batch(batch), batch):
                result.rows += 1
                if errors:
                    result.error_rows += 1
                    if len(result.problems) < MAX_LISTED_ERRORS:
                        result.problems.append(RowProblem(number, customer.name or "", checker.messages(errors)))
                    continue
                if len(result.preview) < PREVIEW_ROWS:
                    result.preview.append(values)
                good.append(customer)
            if writer is not None and good and not result.error_rows:
                result.created += writer.write(good)
            if progress is not None:
                progress(result.rows)

    if not commit:
        work()
        _check_has_rows(result)
        return result
    try:
        with unit_of_work(actor):
            work()
            _check_has_rows(result)
            if result.error_rows:
                raise _RollBack()
    except _RollBack:
        result.created = 0
        return result
    result.committed = True
    return result


_END = object()


def read_ahead(rows, size: int):
    """Batches of `size` rows, read from the file by a thread of its own while the caller checks
    and writes the batch before, so reading the file overlaps the database's share of the work
    (COPY, its indexes). At most two batches wait; an error reading the file is raised here, at
    the batch it stopped at, and leaving early stops the reading."""
    waiting: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            batch = []
            for item in rows:
                batch.append(item)
                if len(batch) >= size:
                    if not put(batch):
                        return
                    batch = []
            if batch and not put(batch):
                return
            put(_END)
        except BaseException as exc:   # handed to the caller, raised there
            put(exc)

    # The reader sees the caller's application context and locale (its messages are translated).
    reader = threading.Thread(target=contextvars.copy_context().run, args=(read,), daemon=True,
                              name="customer-import-reader")
    reader.start()
    try:
        while True:
            item = waiting.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def _check_has_rows(result: ImportResult) -> None:
    if not result.rows:
        raise ImportFileError("customers.import_no_rows",
                              _("The file has the headers but no customer rows. Fill in one customer per row "
                                "under the headers."), field="file")


class _Writer:
    """Writes checked rows as customers, a batch per statement, inside the import's unit of
    work: what creating a customer sets besides the typed fields (as the service does: owner
    and department, start of cooperation, since when lost), the next numbers of the "customer"
    rule in file order, and each customer's "created" entry in the history, as the audit trail
    records it for a customer saved through the service."""

    def __init__(self, actor, checker: RowChecker):
        self.actor = actor
        self.today = checker.today
        self.actor_department = service.department_for(actor, None) if actor is not None else None
        table = Customer.__table__
        self.customers = table
        self.columns = [c.key for c in table.columns if c.key != "id"]
        excluded = set(getattr(Customer, "__audit_exclude__", ()))
        self.audited = [c.key for c in table.columns if c.key not in excluded]
        self.history_columns = ["at", "actor_id", "table_name", "record_id", "action", "changes"]
        connection = db.session.connection()
        self.copy = connection.dialect.name == "postgresql"
        if self.copy:
            self.sequence = connection.exec_driver_sql("SELECT pg_get_serial_sequence('customer', 'id')").scalar()
        returning = connection.dialect.insert_executemany_returning_sort_by_parameter_order
        self.insert = table.insert().returning(table.c.id, sort_by_parameter_order=True) if returning else None
        self.history = AuditLog.__table__.insert()
        self.actor_id = db.session.info.get("actor_id")

    def write(self, rows: list) -> int:
        now = utcnow()
        records = []
        for row, code in zip(rows, next_numbers("customer", len(rows))):
            record = {name: getattr(row, name) for name in WRITTEN_FIELDS}
            if row.owner_id is None:
                record["owner_id"] = self.actor.id
                record["department_id"] = self.actor_department
            else:
                record["owner_id"], record["department_id"] = row.owner_id, row.department_id
            record.update(code=code, cooperating_since=self.today, created_at=now, updated_at=now,
                          lost_at=now if row.status == "lost" else None, pooled_at=None, paid_12m=ZERO,
                          total_ordered=ZERO, total_paid=ZERO, total_outstanding=ZERO,
                          last_interaction_at=None, next_follow_up_on=None)
            records.append(record)
        ids = self._store(records)
        entries = []
        for record, customer_id in zip(records, ids):
            record["id"] = customer_id
            entries.append({"at": now, "actor_id": self.actor_id, "table_name": "customer",
                            "record_id": str(customer_id), "action": "create",
                            "changes": {key: [None, _plain(record[key])] for key in self.audited
                                        if record[key] is not None}})
        self._store_history(entries)
        return len(records)

    def _store(self, records: list) -> list:
        """INSERT the customers; their ids in the order given. On PostgreSQL the ids are taken
        from the table's sequence and the rows sent with COPY."""
        connection = db.session.connection()
        if self.copy:
            raw = connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", (self.sequence, len(records)))
                ids = [row[0] for row in cursor.fetchall()]
                columns = self.columns
                with cursor.copy(f"COPY customer (id, {', '.join(columns)}) FROM STDIN") as copy:
                    for record, customer_id in zip(records, ids):
                        copy.write_row([customer_id, *[record[key] for key in columns]])
            return ids
        if self.insert is not None:
            return connection.execute(self.insert, records).scalars().all()
        return [connection.execute(self.customers.insert(), record).inserted_primary_key[0] for record in records]

    def _store_history(self, entries: list) -> None:
        connection = db.session.connection()
        if not self.copy:
            connection.execute(self.history, entries)
            return
        columns = self.history_columns
        with connection.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY audit_log ({', '.join(columns)}) FROM STDIN") as copy:
                for entry in entries:
                    entry["changes"] = json.dumps(entry["changes"])
                    copy.write_row([entry[key] for key in columns])


# -- uploads and background imports ------------------------------------------------------------
def _upload_dir() -> Path:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _state_key(token: str) -> str:
    return f"zwt:customers:import:{token}"


def _purge_old_uploads(folder: Path) -> None:
    """Uploads that were previewed and never imported do not stay for ever."""
    import time

    limit = time.time() - STATE_TTL
    for path in folder.glob("*.*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def claim_commit(state: dict) -> bool:
    """True for the one request that may import this upload (a double click sends two)."""
    return bool(redis_connection().set(_state_key(state["token"]) + ":claimed", "1", nx=True, ex=STATE_TTL))


def release_commit(state: dict) -> None:
    """After an import that wrote nothing, the corrected situation may be imported again."""
    redis_connection().delete(_state_key(state["token"]) + ":claimed")


def save_upload(actor, storage) -> dict:
    """Store an uploaded file for checking and importing; returns its state (token, name,
    format). Raises ImportFileError for a wrong type or an oversized or empty file."""
    filename = Path(storage.filename or "").name
    fmt = file_format(filename)
    token = secrets.token_urlsafe(16)
    _purge_old_uploads(_upload_dir())
    path = _upload_dir() / f"{token}.{fmt}"
    size = 0
    with open(path, "wb") as out:
        while True:
            chunk = storage.stream.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise ImportFileError("customers.import_too_large",
                                      _("The file is larger than %(mb)d MB.", mb=MAX_UPLOAD_BYTES // (1024 * 1024)),
                                      field="file")
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise ImportFileError("customers.import_empty", _("The file is empty."), field="file")
    try:
        check_file(path, fmt)
    except ImportFileError:
        path.unlink(missing_ok=True)
        raise
    keep_upload(path)   # a worker on another machine reads it from the file store
    state = {"token": token, "user_id": actor.id, "filename": filename, "fmt": fmt, "status": "uploaded",
             "rows": 0, "processed": 0, "created": 0, "error_rows": 0, "problems": [], "message": ""}
    save_state(state)
    return state


def discard_upload(state: dict) -> None:
    """Forget an upload that will not be imported (its file could not be read)."""
    drop_upload(_upload_dir(), f"{state['token']}.{state['fmt']}")
    redis_connection().delete(_state_key(state["token"]))


def upload_path(state: dict) -> Path:
    return local_upload(_upload_dir(), f"{state['token']}.{state['fmt']}")


def save_state(state: dict) -> None:
    redis_connection().set(_state_key(state["token"]), json.dumps(state, ensure_ascii=False), ex=STATE_TTL)


def load_state(token: str, actor=None) -> dict | None:
    """The state of an import; with `actor`, only if it is theirs."""
    if not token or len(token) > 64:
        return None
    raw = redis_connection().get(_state_key(token))
    if raw is None:
        return None
    state = json.loads(raw)
    if actor is not None and state.get("user_id") != actor.id:
        return None
    return state


def start_background_import(actor, state: dict) -> dict:
    """Hand a large file to the job queue (after the commit, by token: jobs carry ids)."""
    state.update(status="queued", message="", rows=estimate_rows(upload_path(state), state["fmt"]))
    save_state(state)
    with unit_of_work(actor) as uow:
        enqueue_after_commit(uow, import_job, state["token"], job_timeout=3600)
    return state


@in_app_context
def import_job(token: str) -> str:
    """Check and import an uploaded file as the user who uploaded it (their data scope and
    owners they may assign). Runs once per upload: a repeated or late run does nothing."""
    from app.core.org import User

    state = load_state(token)
    if state is None or state["status"] not in ("queued", "uploaded") or not claim_commit(state):
        return "skipped"
    actor = db.session.get(User, state["user_id"])
    if actor is None or not actor.active:
        state.update(status="failed", message="inactive user")
        save_state(state)
        return "failed"
    state.update(status="running")
    save_state(state)

    def progress(done: int) -> None:
        state["processed"] = done
        save_state(state)

    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            result = run_import(actor, upload_path(state), state["fmt"], commit=True, progress=progress)
    except ImportFileError as error:
        state.update(status="failed", message=error.message)
        save_state(state)
        return "failed"
    except Exception:
        state.update(status="failed", message="")
        save_state(state)
        raise
    finally:
        drop_upload(_upload_dir(), f"{state['token']}.{state['fmt']}")
    state.update(result.as_dict())
    state.update(status="done" if result.committed else "rejected", processed=result.rows)
    save_state(state)
    return state["status"]

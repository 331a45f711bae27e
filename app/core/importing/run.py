"""Checking and importing a file: every row checked, then all of them written in one transaction,
or none when any row has a problem.

Rows are streamed and checked in batches, so memory stays flat however long the file is: written
records are flushed and let go batch by batch; the next batch is read from the file meanwhile
(read_ahead).
"""
from __future__ import annotations

import contextvars
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from app.core.errors import DomainError, ValidationErrors
from app.core.importing.columns import header_names, normalise_header
from app.core.importing.files import ImportFileError, cell_text, raw_rows
from app.core.importing.rows import Importer
from app.core.transaction import unit_of_work
from app.extensions import db

BATCH = 1000
MAX_LISTED_ERRORS = 500      # rows with errors listed in full; the rest are only counted
PREVIEW_ROWS = 20


# -- reading files -----------------------------------------------------------------------------
def read_rows(path: Path, fmt: str, columns: list, key_column: str | None = None):
    """(header map, iterator of (row number, {column: text})) of a file; empty rows skipped.
    Row numbers are the ones Excel shows (the header is row 1). `key_column` must be present."""
    rows = raw_rows(path, fmt)
    header = None
    for header in rows:
        if any(cell_text(v) for v in header):
            break
    else:
        raise ImportFileError("import.import_empty", _("The file is empty."), field="file")
    names = header_names(columns)
    found, unknown = {}, []
    for index, cell in enumerate(header):
        text = cell_text(cell)
        if not text:
            continue
        name = names.get(normalise_header(text))
        if name is None:
            unknown.append(text)
        elif name in found.values():
            raise ImportFileError("import.import_header_twice",
                                  _("The column “%(column)s” appears twice.", column=text), field="file")
        else:
            found[index] = name
    if unknown:
        raise ImportFileError("import.import_unknown_columns",
                              _("Unknown columns: %(columns)s. Please use the headers of the template.",
                                columns="、".join(unknown)), field="file")
    if key_column and key_column not in found.values():
        header_of = next(c.header() for c in columns if c.name == key_column)
        raise ImportFileError("import.import_no_name",
                              _("The column “%(column)s” is missing. Please use the headers of the template.",
                                column=header_of), field="file")

    def body():
        number = 1
        for cells in rows:
            number += 1
            values = {}
            for index, name in found.items():
                values[name] = cell_text(cells[index]) if index < len(cells) else ""
            if any(values.values()):
                yield number, values

    return found, body()


def key_column(spec, columns) -> str | None:
    """The column a file must have: the record's name (or title) when the import has it."""
    names = {c.name for c in columns}
    return spec.title_column if spec.title_column in names else None


def estimate_rows(path: Path, fmt: str) -> int:
    """About how many data rows the file has, cheaply, for a progress bar: the sheet's stated
    size for a workbook, the line count for CSV."""
    if fmt == "xlsx":
        from app.core.importing.xlsx import READ_ERRORS, stated_rows

        try:
            return max((stated_rows(path) or 1) - 1, 0)
        except READ_ERRORS:
            return 0
    lines = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def more_rows_than(spec, path: Path, fmt: str, limit: int) -> bool:
    """Whether the file has more than `limit` data rows (reads at most limit + 1 of them)."""
    from app.core.importing.columns import columns_of

    columns = columns_of(spec)
    _found, rows = read_rows(path, fmt, columns, key_column(spec, columns))
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
    created: int = 0              # records written (0 unless the whole file was good)
    error_rows: int = 0           # rows with at least one problem
    problems: list = field(default_factory=list)   # RowProblem, the first MAX_LISTED_ERRORS
    preview: list = field(default_factory=list)    # the first good rows, as {column: text}
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


class RowRefused(Exception):
    """A writer refusing one row (the service said no): its messages by column."""

    def __init__(self, index: int, errors: dict):
        super().__init__(index)
        self.index, self.errors = index, errors


def run_import(spec, actor, path: Path, fmt: str, commit: bool, progress=None, batch_size: int = BATCH) -> ImportResult:
    """Check every row of the file and, with `commit`, write all its records in one transaction
    (the module's writer; by default its service's create(actor, item) per row): if any row has a
    problem, none is written.

    `progress(rows done)` is called after every batch. Raises ImportFileError for a file that
    cannot be read or whose headers are not the template's.
    """
    result = ImportResult()
    importer = Importer(spec, actor)
    _found, rows = read_rows(path, fmt, importer.columns, key_column(spec, importer.columns))

    def problem(number, row, messages):
        result.error_rows += 1
        if len(result.problems) < MAX_LISTED_ERRORS:
            result.problems.append(RowProblem(number, importer.title(row), messages))

    def work():
        write = _writer(spec, importer) if commit else None
        for batch in read_ahead(rows, batch_size):
            good = []
            for (number, row, errors), (_n, values) in zip(importer.check_batch(batch), batch):
                result.rows += 1
                if errors:
                    problem(number, row, importer.messages(errors))
                    continue
                if len(result.preview) < PREVIEW_ROWS:
                    result.preview.append(values)
                good.append((number, row))
            if write is not None and good and not result.error_rows:
                try:
                    result.created += write([row for _n, row in good])
                except RowRefused as refused:
                    number, row = good[refused.index]
                    problem(number, row, importer.messages(refused.errors))
            if progress is not None:
                progress(result.rows)

    if not commit:
        work()
        _check_has_rows(spec, result)
        return result
    try:
        with unit_of_work(actor):
            work()
            _check_has_rows(spec, result)
            if result.error_rows:
                raise _RollBack()
    except _RollBack:
        result.created = 0
        return result
    result.committed = True
    return result


def _check_has_rows(spec, result: ImportResult) -> None:
    if not result.rows:
        raise ImportFileError("import.import_no_rows",
                              _("The file has the headers but no rows. Fill in one %(thing)s per row under the "
                                "headers.", thing=str(spec.label)), field="file")


def _writer(spec, importer):
    declared = spec.importing
    if declared.writer is not None:
        return declared.writer(importer)
    return ServiceWriter(spec, importer).write


class ServiceWriter:
    """Writes rows through the module's service, as its add screen does: create(actor, item)
    for each row, inside the import's unit of work. A row the service refuses is a problem of
    that row; written records are flushed and let go after each batch."""

    def __init__(self, spec, importer):
        self.spec, self.importer = spec, importer
        self.create = spec.service.create

    def item(self, row):
        item = self.spec.model()
        for column in self.importer.columns:
            if column.kind == "custom":
                continue
            if column.kind in ("user", "record"):
                setattr(item, column.foreign_key, getattr(row, column.foreign_key))
            else:
                setattr(item, column.name, getattr(row, column.name))
        if row.custom:
            from app.core.custom_fields.values import put

            for name, value in row.custom.items():
                put(item, name, value, self.importer.by_name[f"custom.{name}"].field)
        return item

    def write(self, rows: list) -> int:
        made = []
        for index, row in enumerate(rows):
            item = self.item(row)
            try:
                self.create(self.importer.actor, item)
            except ValidationErrors as error:
                raise RowRefused(index, error.errors) from None
            except DomainError as error:
                raise RowRefused(index, {error.field or "": [error.message]}) from None
            made.append(item)
        db.session.flush()
        for item in made:
            db.session.expunge(item)
        return len(made)


_END = object()


def read_ahead(rows, size: int):
    """Batches of `size` rows, read from the file by a thread of its own while the caller checks
    and writes the batch before, so reading the file overlaps the database's share of the work.
    At most two batches wait; an error reading the file is raised here, at the batch it stopped
    at, and leaving early stops the reading."""
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
                              name="import-reader")
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

"""Reading the files given to an import: what a file must be before any row of it is looked at,
and its rows as cell values, streamed.

A file that is not what its name says (a picture or a workbook named .csv, text named .xlsx),
text in an encoding other than UTF-8 or GBK, bytes no text has (NUL), a zip that unpacks to far
more than it weighs, a sheet cut off half-way: each is an ImportFileError with a message in the
user's language, never an exception from a parser.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _

from app.core.errors import DomainError

FORMATS = ("xlsx", "csv")
CHUNK = 1 << 20
# A workbook's parts unpack to a few times their packed size (XML compresses about 10:1); far
# more is a zip made to exhaust the server.
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
MAX_SHARED_STRINGS_BYTES = 128 * 1024 * 1024   # openpyxl keeps every shared string in memory


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (format, encoding, size, headers)."""


def _refuse(code: str, message: str):
    raise ImportFileError(f"import.{code}", message, field="file")


def file_format(filename: str) -> str:
    """"xlsx" or "csv" from the file name, or ImportFileError."""
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        _refuse("import_format", _("Please upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    return suffix


# -- what a file must be -----------------------------------------------------------------------
def check_file(path: Path, fmt: str) -> None:
    """Refuse a file that cannot be the format its name says, before any row is read."""
    if fmt == "xlsx":
        _check_workbook(path)
    else:
        _check_text(path)


def _check_workbook(path: Path) -> None:
    not_a_workbook = _("The file could not be read as an Excel workbook (.xlsx). Save it from Excel as "
                       "“Excel Workbook (*.xlsx)” and upload it again.")
    if not zipfile.is_zipfile(path):
        _refuse("import_unreadable", not_a_workbook)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse("import_unreadable", not_a_workbook)
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        _refuse("import_unreadable", not_a_workbook)
    unpacked = sum(m.file_size for m in members)
    bomb = unpacked > MAX_UNPACKED_BYTES or any(
        m.file_size > CHUNK and m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members) or any(
        m.filename == "xl/sharedStrings.xml" and m.file_size > MAX_SHARED_STRINGS_BYTES for m in members)
    if bomb:
        _refuse("import_too_large", _("The workbook unpacks to far more data than an import holds; "
                                      "please split it into smaller files or save it as CSV."))


def _check_text(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PK\x03\x04"):
        _refuse("import_format", _("This is an Excel workbook saved with the extension .csv; rename it to .xlsx, "
                                   "or save it from Excel as CSV."))
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (head and head.count(b"\x00") * 4 > len(head)):
        _refuse("import_encoding", _("The file is Unicode (UTF-16) text, which the import does not read. "
                                     "Save it from Excel as “CSV UTF-8 (Comma delimited)” and upload it again."))
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            if b"\x00" in chunk:
                _refuse("import_binary", _("The file contains binary data, not text: it is not a CSV file. "
                                           "Please upload the template filled in, as .xlsx or .csv."))
    csv_encoding(path)


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the file decodes as such, else GB18030 (a superset of
    GBK, which Excel in China uses for CSV); ImportFileError when it is neither."""
    if _decodes(path, "utf-8"):
        return "utf-8-sig"
    if _decodes(path, "gb18030"):
        return "gb18030"
    _refuse("import_encoding", _("The file is neither UTF-8 nor GBK text. Save it from Excel as "
                                 "“CSV UTF-8 (Comma delimited)” and upload it again."))


# -- rows --------------------------------------------------------------------------------------
def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(str(value)))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def raw_rows(path: Path, fmt: str):
    """Every row of the file's first sheet as a list of cell values, streamed."""
    if fmt == "xlsx":
        yield from _workbook_rows(path)
    else:
        yield from _csv_rows(path)


def _workbook_rows(path: Path):
    from app.core.importing.xlsx import READ_ERRORS, WorkbookReader

    check_file(path, "xlsx")
    try:
        reader = WorkbookReader(path)
    except READ_ERRORS as exc:   # zip or XML errors: the upload is not a workbook
        raise ImportFileError("import.import_unreadable",
                              _("The file could not be read as an Excel workbook (.xlsx)."), field="file") from exc
    try:
        rows = reader.rows()
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except READ_ERRORS as exc:  # a sheet cut off or broken half-way
                raise ImportFileError("import.import_unreadable",
                                      _("The workbook is damaged: its sheet could not be read to the end. "
                                        "Open it in Excel, save it again and upload it."), field="file") from exc
            yield row
    finally:
        reader.close()


def _csv_rows(path: Path):
    encoding = csv_encoding(path)
    with open(path, encoding=encoding, newline="") as fh:
        try:
            yield from csv.reader(fh)
        except csv.Error as exc:
            too_long = "field larger than field limit" in str(exc)
            raise ImportFileError(
                "import.import_unreadable",
                _("A cell of the file is longer than %(n)d characters; no field ever is. "
                  "Please check the file.", n=csv.field_size_limit()) if too_long
                else _("The file could not be read as CSV: its quotes or line ends are broken. "
                       "Save it from Excel as CSV and upload it again."), field="file") from exc
        except UnicodeDecodeError as exc:
            raise ImportFileError("import.import_encoding",
                                  _("The file is neither UTF-8 nor GBK text. Save it from Excel as "
                                    "“CSV UTF-8 (Comma delimited)” and upload it again."), field="file") from exc

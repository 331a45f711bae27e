"""The first sheet of an Excel workbook (.xlsx) as rows of cell values, streamed.

The sheet's XML is fed piece by piece to the C parser of the standard library (expat), so a
100,000-row sheet is read in a few seconds with memory that does not grow with the sheet.
Values come out as openpyxl gives them in read-only mode: text, int or float numbers, True /
False, datetimes for numbers in a date format, None for empty cells; rows missing from the
sheet come out empty, so row numbers stay the ones Excel shows. Shared strings (which Excel
uses for every text cell) are kept packed, a few bytes per character.

Anything the workbook's parts do not say as expected raises WorkbookError; a sheet cut off
half-way raises it too, after the rows before the cut.
"""
from __future__ import annotations

import posixpath
import zipfile
import zlib
from array import array
from xml.parsers import expat

CHUNK = 1 << 16
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL = "http://purl.oclc.org/ooxml/officeDocument/relationships"
BLOCK = 4096   # shared strings packed per block


class WorkbookError(Exception):
    """The workbook's parts cannot be read as a workbook (raised with the parser's reason)."""


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _parse_part(archive: zipfile.ZipFile, name: str, start=None, end=None, text=None) -> None:
    """Feed part `name` to expat with element callbacks working on local names."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    with archive.open(name) as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(base_dir, target))


class SharedStrings:
    """The workbook's shared strings, packed: each block of BLOCK strings is one str with an
    array of offsets, instead of one Python object per string."""

    def __init__(self):
        self.blocks: list[str] = []
        self.offsets: list[array] = []
        self._pending: list[str] = []

    def append(self, text: str) -> None:
        self._pending.append(text)
        if len(self._pending) == BLOCK:
            self._pack()

    def _pack(self) -> None:
        if not self._pending:
            return
        offsets, at = array("I", [0]), 0
        for piece in self._pending:
            at += len(piece)
            offsets.append(at)
        self.blocks.append("".join(self._pending))
        self.offsets.append(offsets)
        self._pending = []

    def done(self) -> None:
        self._pack()

    def __getitem__(self, index: int) -> str:
        block, item = divmod(index, BLOCK)
        offsets = self.offsets[block]   # IndexError for an index past the table
        return self.blocks[block][offsets[item]:offsets[item + 1]]


class WorkbookReader:
    """Finds the first sheet, its shared strings and its date styles; `rows()` streams it."""

    def __init__(self, path):
        self.archive = zipfile.ZipFile(path)
        try:
            self._read_workbook()
        except BaseException:
            self.archive.close()
            raise

    def close(self) -> None:
        self.archive.close()

    # -- the workbook's parts --------------------------------------------------------------------
    def _relations(self, part: str) -> dict:
        """{relation id: (type, part name)} of `part` (from its _rels file)."""
        folder, name = posixpath.split(part)
        rels = posixpath.join(folder, "_rels", name + ".rels")
        found = {}
        if rels not in self.archive.namelist():
            return found

        def start(tag, attrs):
            if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
                found[attrs.get("Id")] = (attrs.get("Type", ""), _resolve(folder, attrs.get("Target", "")))

        _parse_part(self.archive, rels, start)
        return found

    def _read_workbook(self) -> None:
        workbook = "xl/workbook.xml"
        sheets, settings = [], {}

        def start(tag, attrs):
            local = _local(tag)
            if local == "sheet":
                rid = attrs.get(f"{REL}}}id") or attrs.get(f"{STRICT_REL}}}id")
                sheets.append(rid)
            elif local == "workbookPr":
                settings.update(attrs)

        _parse_part(self.archive, workbook, start)
        relations = self._relations(workbook)
        if not sheets or sheets[0] not in relations:
            raise WorkbookError("the workbook names no sheet")
        self.sheet = relations[sheets[0]][1]
        if self.sheet not in self.archive.namelist():
            raise WorkbookError("the first sheet is missing")
        self.date1904 = settings.get("date1904", "0").lower() in ("1", "true")
        self.parts = {kind.rpartition("/")[2]: part for kind, part in relations.values()}

    def _shared_strings(self, part) -> SharedStrings:
        strings = SharedStrings()
        if not part or part not in self.archive.namelist():
            strings.done()
            return strings
        pieces: list[str] = []
        state = {"text": False, "phonetic": 0}

        def start(tag, attrs):
            local = _local(tag)
            if local == "t":
                state["text"] = not state["phonetic"]
            elif local == "rPh":
                state["phonetic"] += 1
            elif local == "si":
                pieces.clear()

        def end(tag):
            local = _local(tag)
            if local == "t":
                state["text"] = False
            elif local == "rPh":
                state["phonetic"] -= 1
            elif local == "si":
                strings.append("".join(pieces))

        def text(data):
            if state["text"]:
                pieces.append(data)

        _parse_part(self.archive, part, start, end, text)
        strings.done()
        return strings

    def _date_styles(self, part) -> tuple[set, set]:
        """Indexes of the cell styles whose number format is a date (and of those a duration),
        as openpyxl decides it."""
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

        if not part or part not in self.archive.namelist():
            return set(), set()
        custom, xf_formats = {}, []
        where = {"cellXfs": False}

        def start(tag, attrs):
            local = _local(tag)
            if local == "numFmt":
                try:
                    custom[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
                except ValueError:
                    pass
            elif local == "cellXfs":
                where["cellXfs"] = True
            elif local == "xf" and where["cellXfs"]:
                try:
                    xf_formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xf_formats.append(0)

        def end(tag):
            if _local(tag) == "cellXfs":
                where["cellXfs"] = False

        _parse_part(self.archive, part, start, end)
        dates, durations = set(), set()
        for index, format_id in enumerate(xf_formats):
            code = custom.get(format_id, BUILTIN_FORMATS.get(format_id))
            if code and is_date_format(code):
                dates.add(index)
                if is_timedelta_format(code):
                    durations.add(index)
        return dates, durations

    # -- the sheet ---------------------------------------------------------------------------------
    def rows(self):
        """Every row of the first sheet as a list of values (cells missing on the left are None)."""
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_ISO8601, from_excel

        epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        strings = self._shared_strings(self.parts.get("sharedStrings"))
        date_styles, timedelta_styles = self._date_styles(self.parts.get("styles"))
        done: list[list] = []
        row: list = []
        pieces: list[str] = []
        # The cell being read: its column (1 = A), type and style; whether text is its value.
        column, kind, style, taking, phonetic, row_number = 0, "n", 0, False, 0, 0
        columns: dict[str, int] = {}
        names: dict[str, str] = {}   # element name as written (maybe with a prefix) → local name

        def local_of(tag: str) -> str:
            name = names.get(tag)
            if name is None:
                name = names[tag] = tag.rpartition(":")[2]
            return name

        def column_of(ref: str) -> int:
            letters = ref.rstrip("0123456789")
            number = columns.get(letters)
            if number is None:
                number = 0
                for ch in letters.upper():
                    number = number * 26 + (ord(ch) - 64)
                columns[letters] = number
            return number

        def value_of(raw):
            if kind == "inlineStr":
                return raw
            if not raw:
                return None
            if kind == "n":
                number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
                if style in date_styles:
                    try:
                        return from_excel(number, epoch, timedelta=style in timedelta_styles)
                    except (OverflowError, ValueError):
                        return "#VALUE!"
                return number
            if kind == "s":
                return strings[int(raw)]
            if kind == "b":
                return bool(int(raw))
            if kind == "d":
                return from_ISO8601(raw)
            return raw   # str (a formula's text), e (an error such as #N/A)

        def start(tag, attrs):
            nonlocal column, kind, style, taking, phonetic, row_number, row
            name = names.get(tag) or local_of(tag)
            if name == "c":
                ref = attrs.get("r")
                column = column_of(ref) if ref else column + 1
                kind = attrs.get("t", "n")
                style = attrs.get("s")
                style = int(style) if style else 0
                pieces.clear()
            elif name == "v":
                taking = kind != "inlineStr"
            elif name == "t":
                taking = kind == "inlineStr" and not phonetic
            elif name == "rPh":
                phonetic += 1
            elif name == "row":
                number = attrs.get("r")
                number = int(number) if number else row_number + 1
                while row_number + 1 < number:   # rows the sheet leaves out are empty rows
                    row_number += 1
                    done.append([])
                row_number = number
                row = []
                column = 0

        def end(tag):
            nonlocal taking, phonetic
            name = names.get(tag) or local_of(tag)
            if name == "c":
                value = value_of("".join(pieces) if pieces else None)
                if value is not None or column <= len(row):
                    while len(row) < column - 1:
                        row.append(None)
                    if len(row) < column:
                        row.append(value)
                    else:
                        row[column - 1] = value
            elif name == "v" or name == "t":
                taking = False
            elif name == "rPh":
                phonetic -= 1
            elif name == "row":
                done.append(row)

        def text(data):
            if taking:
                pieces.append(data)

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text
        with self.archive.open(self.sheet) as fh:
            while True:
                chunk = fh.read(CHUNK)
                parser.Parse(chunk, not chunk)
                if done:
                    yield from done
                    done.clear()
                if not chunk:
                    break


READ_ERRORS = (expat.ExpatError, zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, IndexError,
               ValueError, WorkbookError)


def first_sheet_rows(path):
    """Every row of the workbook's first sheet, streamed (see the module's description). Raises
    one of READ_ERRORS for a workbook that cannot be read."""
    reader = WorkbookReader(path)
    try:
        yield from reader.rows()
    finally:
        reader.close()


def stated_rows(path) -> int | None:
    """How many rows the first sheet says it has (its dimension), without reading them."""
    reader = WorkbookReader(path)
    found = {}

    class Stop(Exception):
        pass

    def start(tag, attrs):
        local = _local(tag)
        if local == "dimension":
            found["ref"] = attrs.get("ref", "")
            raise Stop
        if local == "sheetData":
            raise Stop

    try:
        _parse_part(reader.archive, reader.sheet, start)
    except Stop:
        pass
    finally:
        reader.close()
    last = found.get("ref", "").rpartition(":")[2].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return int(last) if last.isdigit() else None


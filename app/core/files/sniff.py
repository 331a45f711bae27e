"""What a file is, by its content, never by its name: the allow-list of attachment types.

A file is accepted when its first bytes (and, for zip containers, its table of contents) match
one of the types below; plain text must be valid UTF-8 or GBK without NUL bytes. The type found
decides the Content-Type a download is served with — whatever the uploader called the file.
"""
from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from pathlib import Path

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Kind:
    name: str            # pdf, png, …, text
    content_type: str
    inline: bool = False   # shown in the browser (images, PDF); everything else is downloaded


PDF = Kind("pdf", "application/pdf", inline=True)
PNG = Kind("png", "image/png", inline=True)
JPEG = Kind("jpeg", "image/jpeg", inline=True)
GIF = Kind("gif", "image/gif", inline=True)
WEBP = Kind("webp", "image/webp", inline=True)
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = Kind("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PPTX = Kind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")
ZIP = Kind("zip", "application/zip")
DOC = Kind("doc", "application/msword")
XLS = Kind("xls", "application/vnd.ms-excel")
PPT = Kind("ppt", "application/vnd.ms-powerpoint")
TEXT = Kind("text", "text/plain; charset=utf-8")
TEXT_GBK = Kind("text", "text/plain; charset=gbk")
CSV = Kind("csv", "text/csv; charset=utf-8")
CSV_GBK = Kind("csv", "text/csv; charset=gbk")

IMAGES = {PNG.name, JPEG.name, GIF.name, WEBP.name}
BY_TYPE = {k.content_type: k for k in (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ZIP, DOC, XLS, PPT,
                                         TEXT, TEXT_GBK, CSV, CSV_GBK)}


def kind_of_type(content_type: str) -> Kind | None:
    return BY_TYPE.get(content_type)


def _zip_kind(path: Path) -> Kind | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" in names:
        tops = {n.split("/", 1)[0] for n in names}
        if "word" in tops:
            return DOCX
        if "xl" in tops:
            return XLSX
        if "ppt" in tops:
            return PPTX
    return ZIP


# The stream a Word, Excel or PowerPoint file keeps its content in, named (UTF-16) in the compound
# file's directory; other compound files (installers, Outlook messages …) have none of them.
_OLE_STREAMS = ((DOC, "WordDocument"), (XLS, "Workbook"), (XLS, "Book"), (PPT, "PowerPoint Document"))


def _ole_kind(path: Path) -> Kind | None:
    wanted = [(kind, name.encode("utf-16-le")) for kind, name in _OLE_STREAMS]
    overlap = max(len(needle) for _kind, needle in wanted)
    tail = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            window = tail + chunk
            for kind, needle in wanted:
                if needle in window:
                    return kind
            tail = window[-overlap:]
    return None


def _text_kind(path: Path, file_name: str) -> Kind | None:
    is_csv = file_name.lower().endswith(".csv")
    for encoding, kinds in (("utf-8", (TEXT, CSV)), ("gbk", (TEXT_GBK, CSV_GBK))):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    if b"\0" in chunk:
                        return None
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return kinds[1] if is_csv else kinds[0]
    return None


def sniff(path: str | Path, head: bytes, file_name: str = "") -> Kind | None:
    """The allowed kind of the file at `path` (whose first bytes are `head`), or None: refused."""
    path = Path(path)
    if not head:
        return None
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_kind(path)
    if head.startswith(OLE):
        return _ole_kind(path)
    return _text_kind(path, file_name)

"""The fast paths of the customer import read and write what the slow ones did: the streamed
workbook reader gives the cell values openpyxl gives (shared strings, rich text, dates, gaps,
any namespace prefix, the workbook's first sheet), and a customer written in bulk has the same
fields and the same "created" history entry as one saved through the customers service."""
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from sqlalchemy import select

from app.core.audit import AuditLog
from app.extensions import db
from app.modules.customers import importing
from app.core.importing.files import ImportFileError, raw_rows
from app.core.importing.xlsx import first_sheet_rows, stated_rows
from app.modules.customers.models import Customer
from app.modules.customers.service import create_customer
from tests.conftest import unique
from tests.modules.customers.test_import import ZH_HEADERS, _mobile, _tax_id, _write


def _trimmed(row):
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


def test_the_workbook_reader_gives_the_values_openpyxl_gives(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["客户名称", "电话", "日期"])
    ws.append(["甲公司", 13912345678, dt.datetime(2024, 5, 1, 12, 30)])
    ws["A4"], ws["B4"], ws["C4"], ws["D4"] = "跳过第三行", "=1+1", 1.5, True
    ws["A6"] = CellRichText(["富", TextBlock(InlineFont(b=True), "文本")])
    ws["A7"], ws["B7"], ws["C7"] = dt.date(2020, 1, 2), dt.time(10, 30), dt.timedelta(hours=30)
    ws["A8"], ws["B8"], ws["C8"], ws["E8"] = "  带空格 ", 1e20, -0.25, "后面"
    path = tmp_path / "values.xlsx"
    wb.save(path)

    mine = [_trimmed(r) for r in first_sheet_rows(path)]
    theirs = [_trimmed(r) for r in load_workbook(path, read_only=True, data_only=True).worksheets[0]
              .iter_rows(values_only=True)]
    assert mine == theirs
    assert mine[2] == [] and mine[4] == []   # rows the sheet leaves out stay rows: numbers as in Excel
    assert mine[1][1] == 13912345678 and isinstance(mine[1][1], int)
    assert stated_rows(path) == 8


def _package(parts: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text)
    return out.getvalue()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"


def _excel_like_workbook(header: list[str], rows: list[list[str]]) -> bytes:
    """A workbook as Excel writes it: every text in the shared strings (one with a phonetic
    guide, one as rich text), elements with a namespace prefix, the data sheet second in the
    package but first in the workbook, cells without a reference."""
    strings = header + [v for row in rows for v in row]
    shared = "".join(f"<x:si><x:t>{s}</x:t></x:si>" for s in strings[:-2])
    shared += f"<x:si><x:t>{strings[-2]}</x:t><x:rPh sb=\"0\" eb=\"1\"><x:t>ピン</x:t></x:rPh></x:si>"
    half = len(strings[-1]) // 2
    shared += (f"<x:si><x:r><x:t>{strings[-1][:half]}</x:t></x:r>"
               f"<x:r><x:rPr><x:b/></x:rPr><x:t>{strings[-1][half:]}</x:t></x:r></x:si>")
    lines, index = [], 0
    for number, cells in enumerate([header] + rows, start=1):
        xml = []
        for position in range(len(cells)):
            ref = f' r="{chr(65 + position)}{number}"' if position % 2 == 0 else ""   # some cells unnamed
            xml.append(f'<x:c{ref} t="s"><x:v>{index}</x:v></x:c>')
            index += 1
        lines.append(f'<x:row r="{number}">{"".join(xml)}</x:row>')
    sheet = f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>{"".join(lines)}</x:sheetData></x:worksheet>'
    return _package({
        "[Content_Types].xml": "<Types/>",
        "xl/workbook.xml": (f'<x:workbook xmlns:x="{MAIN}" xmlns:rel="{RELS}"><x:sheets>'
                            f'<x:sheet name="客户" sheetId="2" rel:id="rIdData"/>'
                            f'<x:sheet name="说明" sheetId="1" rel:id="rIdNotes"/></x:sheets></x:workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PACKAGE}">'
            f'<Relationship Id="rIdNotes" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rIdData" Type="{RELS}/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
            f'<Relationship Id="rIdStrings" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
            f'</Relationships>'),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
                                    f'<is><t>说明</t></is></c></row></sheetData></worksheet>',
        "xl/worksheets/sheet2.xml": sheet,
        "xl/sharedStrings.xml": f'<x:sst xmlns:x="{MAIN}">{shared}</x:sst>',
    })


def test_a_workbook_as_excel_writes_it_is_read_and_imported(org, tmp_path):
    names = [unique("共享串甲"), unique("共享串乙"), unique("共享串丙")]
    rows = [[names[0], "企业", "制造业"], [names[1], "个人", "批发零售"], [names[2], "企业", "能源"]]
    path = tmp_path / "excel.xlsx"
    path.write_bytes(_excel_like_workbook(ZH_HEADERS[:3], rows))
    assert [_trimmed(r) for r in raw_rows(path, "xlsx")] == [ZH_HEADERS[:3]] + rows   # no phonetic guide

    result = importing.run_import(org.east_rep, path, "xlsx", commit=True)
    assert result.committed and result.created == 3, [p.messages for p in result.problems]
    stored = {c.name: c for c in db.session.scalars(select(Customer).where(Customer.name.in_(names)))}
    assert stored[names[1]].kind == "person" and stored[names[2]].industry == "energy"


def test_a_workbook_whose_first_sheet_is_missing_is_refused(org, tmp_path):
    data = _excel_like_workbook(ZH_HEADERS[:1], [["某公司"]])
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet2.xml":
                target.writestr(item, source.read(item.filename))
    path = tmp_path / "missing.xlsx"
    path.write_bytes(broken.getvalue())
    with pytest.raises(ImportFileError):
        importing.run_import(org.east_rep, path, "xlsx", commit=False)


def _created_entry(customer_id: int) -> dict:
    entry = db.session.scalar(select(AuditLog).where(AuditLog.table_name == "customer",
                                                     AuditLog.record_id == str(customer_id)))
    assert entry.action == "create"
    return entry


def test_an_imported_customer_is_stored_and_recorded_as_the_service_stores_it(org):
    fields = dict(kind="company", industry="manufacturing", region="江苏 苏州", address="工业园 1 号",
                  email="buy@example.com", source="referral", status="lost", notes="首批")
    by_service = create_customer(org.manager, Customer(
        name=unique("服务建"), phone=_mobile(), tax_id=_tax_id(), credit_limit=Decimal("50000.50"),
        owner_id=org.east_rep2.id, **fields))
    header = [importing.header_of(f) for f in importing.FIELDS]
    with db.session.no_autoflush:
        labels = {f: importing.choice_label(f, fields[f]) for f in ("kind", "industry", "source", "status")}
    name = unique("导入建")
    values = {**fields, **labels, "name": name, "phone": _mobile(), "tax_id": _tax_id(),
              "credit_limit": "50,000.50", "owner": org.east_rep2.username}
    result = importing.run_import(org.manager, _write([[values.get(f, "") for f in importing.FIELDS]], header=header),
                                  "csv", commit=True)
    assert result.committed, [p.messages for p in result.problems]
    db.session.expire_all()
    imported = db.session.scalar(select(Customer).where(Customer.name == name))
    service_made = db.session.get(Customer, by_service.id)

    differ = {"id", "code", "name", "phone", "tax_id", "created_at", "updated_at", "lost_at"}
    columns = [c.key for c in Customer.__table__.columns if c.key not in differ]
    assert {k: getattr(imported, k) for k in columns} == {k: getattr(service_made, k) for k in columns}
    assert imported.lost_at is not None and imported.code.startswith("KH-")
    assert int(imported.code.rsplit("-", 1)[1]) == int(service_made.code.rsplit("-", 1)[1]) + 1

    mine, theirs = _created_entry(imported.id), _created_entry(by_service.id)
    assert mine.actor_id == theirs.actor_id == org.manager.id
    assert set(mine.changes) == set(theirs.changes)
    same = set(mine.changes) - differ
    assert {k: mine.changes[k] for k in same} == {k: theirs.changes[k] for k in same}
    assert mine.changes["name"] == [None, name] and mine.changes["id"] == [None, imported.id]
    assert mine.changes["code"] == [None, imported.code]

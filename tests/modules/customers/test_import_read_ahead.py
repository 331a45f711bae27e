"""The import reads the next rows of the file while it writes the rows before: a file that turns
out to be broken after several batches were written still leaves no customer behind, with the
file's message in Chinese; and an import that stops early stops reading the file."""
import io
import threading
import zipfile

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from app.extensions import db
from app.modules.customers import importing
from app.core.importing.files import ImportFileError
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.modules.customers.test_import import ZH_HEADERS


def _workbook_cut_after(tmp_path, names, keep_rows: int):
    """An .xlsx whose sheet stops in the middle of row `keep_rows` + 1 (a file cut off while copied)."""
    wb = Workbook()
    ws = wb.active
    ws.append(ZH_HEADERS[:3])
    for name in names:
        ws.append([name, "企业", "制造业"])
    whole = io.BytesIO()
    wb.save(whole)
    cut = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                mark = f'<row r="{keep_rows + 2}"'.encode()
                data = data[:data.index(mark) + len(mark) + 3]
            target.writestr(item, data)
    path = tmp_path / "cut.xlsx"
    path.write_bytes(cut.getvalue())
    return path


def test_a_file_broken_after_several_written_batches_leaves_no_customer(org, app, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 4)
    prefix = unique("读到一半")
    names = [f"{prefix}{i:03d}" for i in range(30)]
    path = _workbook_cut_after(tmp_path, names, keep_rows=22)   # five batches of four written first
    with app.test_request_context(), force_locale("zh_CN"):
        with pytest.raises(ImportFileError) as refused:
            importing.run_import(org.east_rep, path, "xlsx", commit=True)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(refused.value.message))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Customer).where(Customer.name.like(f"{prefix}%"))) == 0


def test_the_whole_file_arrives_in_order_in_batches():
    rows = iter(range(10))
    assert list(importing.read_ahead(rows, 4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert list(importing.read_ahead(iter([]), 4)) == []


def test_stopping_early_stops_reading_the_file():
    read = []

    def endless():
        n = 0
        while True:
            read.append(n)
            yield n
            n += 1

    before = threading.active_count()
    batches = importing.read_ahead(endless(), 3)
    assert next(batches) == [0, 1, 2]
    batches.close()
    assert threading.active_count() == before
    assert len(read) <= 3 * 4   # the batch taken, at most two waiting and one being read

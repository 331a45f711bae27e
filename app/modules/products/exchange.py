"""The catalogue with its parameters to and from Excel / CSV (产品目录导出 / 导入).

The export has the product's fields (cost only for those who may read it) and one column per
parameter, headed "参数:<name>". The import reads the same columns (Chinese or English headers,
through the frame's file reader: .xlsx, or CSV in UTF-8 or GBK): a row with a known SKU updates that
product, any other creates one; each row is checked by the product rules (parameters per category,
as in the form). One bad row and nothing is written: every problem is listed with its row number.
"""
from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from flask_babel import force_locale, gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.products import service
from app.modules.products.models import STATUS_CHOICES, CategoryParameter, Product, ProductCategory

PARAM_HEADER = _l("Parameter:%(name)s")
FIELDS = [("sku", _l("SKU")), ("name", _l("Product name")), ("category", _l("Category code")),
          ("brand", _l("Brand")), ("model", _l("Model")), ("unit", _l("Unit")), ("barcode", _l("Barcode")),
          ("tax_rate", _l("Tax rate (%)")), ("list_price", _l("List price")), ("cost", _l("Cost")),
          ("status", _l("Status")), ("description", _l("Description"))]
MAX_ROWS = 20_000
MAX_LISTED = 200


class ImportRefused(DomainError):
    status = 400

    def __init__(self, message: str, problems: list | None = None):
        super().__init__("products.import_refused", message)
        self.problems = problems or []


def parameter_names() -> list[str]:
    """Every parameter name of every category, in a stable order (one export column each)."""
    names: list[str] = []
    for name in db.session.scalars(select(CategoryParameter.name)
                                   .order_by(CategoryParameter.sort_order, CategoryParameter.id)):
        if name not in names:
            names.append(name)
    return names


def _fields(with_cost: bool) -> list:
    return [(key, label) for key, label in FIELDS if with_cost or key != "cost"]


def _status_label(value) -> str:
    return next((str(label) for key, label in STATUS_CHOICES if key == value), value or "")


def export_rows(products, with_cost: bool):
    """The header and then one row per product (plain values: text, Decimal, None)."""
    names = parameter_names()
    fields = _fields(with_cost)
    yield [str(label) for _key, label in fields] + [str(PARAM_HEADER % {"name": n}) for n in names]
    for product in products:
        row = []
        for key, _label in fields:
            if key == "category":
                row.append(product.category.code if product.category is not None else "")
            elif key == "status":
                row.append(_status_label(product.status))
            else:
                row.append(getattr(product, key))
        params = product.params or {}
        row += [params.get(n, "") for n in names]
        yield row


def export_query(category_id: int | None = None):
    stmt = select(Product).order_by(Product.sku)
    if category_id is not None:
        stmt = stmt.where(Product.category_id.in_(service.descendants(category_id)))
    return db.session.scalars(stmt.execution_options(yield_per=1000))


def export_csv(products, with_cost: bool) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    from app.core.exports import text_cell

    for row in export_rows(products, with_cost):
        writer.writerow(["" if v is None else text_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(products, with_cost: bool) -> bytes:
    from decimal import Decimal

    from openpyxl import Workbook

    from app.core.exports import neutralise

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in export_rows(products, with_cost):
        sheet.append([v if v is None or isinstance(v, Decimal) else neutralise(str(v)) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- import ------------------------------------------------------------------------------------
def _normal(text) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKC", str(text or "")).strip().lower() if ch not in " *\t")


def _header_map(with_cost: bool) -> tuple[dict, list]:
    """{normalised header: field key} in Chinese and English, and the parameter header prefixes."""
    headers, prefixes = {}, []
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            for key, label in _fields(with_cost):
                headers[_normal(str(label))] = key
            prefixes.append(_normal(str(PARAM_HEADER % {"name": ""})))
    prefixes += ["参数:", "参数：", "parameter:"]
    return headers, [_normal(p) for p in prefixes]


def _read(path: Path, fmt: str, with_cost: bool):
    from app.core.importing.files import cell_text, raw_rows

    rows = raw_rows(path, fmt)
    header = next((r for r in rows if any(cell_text(v) for v in r)), None)
    if header is None:
        raise ImportRefused(_("The file is empty."))
    known, prefixes = _header_map(with_cost)
    columns, unknown = {}, []
    for index, cell in enumerate(header):
        text = cell_text(cell)
        norm = _normal(text)
        if not norm:
            continue
        prefix = next((p for p in prefixes if norm.startswith(p) and len(norm) > len(p)), None)
        if prefix is not None:
            raw = text.replace("：", ":", 1)
            columns[index] = ("param", raw.split(":", 1)[1].strip())
        elif norm in known:
            columns[index] = ("field", known[norm])
        else:
            unknown.append(text)
    if unknown:
        raise ImportRefused(_("Unknown columns: %(columns)s. Please use the headers of the export.",
                              columns="、".join(unknown)))
    if ("field", "sku") not in columns.values():
        raise ImportRefused(_("The column “%(column)s” is missing.", column=str(FIELDS[0][1])))
    has_params = any(kind == "param" for kind, _key in columns.values())
    number = 1
    for cells in rows:
        number += 1
        values, params = {}, {}
        for index, (kind, key) in columns.items():
            text = cell_text(cells[index]) if index < len(cells) else ""
            if kind == "param":
                if text:
                    params[key] = text
            else:
                values[key] = text
        if any(values.values()) or params:
            yield number, values, params, has_params


def _status_value(text: str):
    if not text:
        return None
    for key, label in STATUS_CHOICES:
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                if text in (key, str(label)):
                    return key
    return text   # refused by the product rules


def import_file(actor, stream, filename: str, with_cost: bool) -> dict:
    """Import the catalogue file; {"created": n, "updated": n}. ImportRefused listing every bad row
    ("第 3 行：…") and writing nothing when any row has a problem."""
    from app.core.importing.files import ImportFileError, file_format

    try:
        fmt = file_format(filename)
    except ImportFileError as exc:
        raise ImportRefused(exc.message) from None
    with tempfile.NamedTemporaryFile(suffix="." + fmt) as handle:
        while chunk := stream.read(1 << 20):
            handle.write(chunk)
        handle.flush()
        try:
            return _import_rows(actor, Path(handle.name), fmt, with_cost)
        except ImportFileError as exc:
            db.session.rollback()
            raise ImportRefused(exc.message) from None


def _import_rows(actor, path: Path, fmt: str, with_cost: bool) -> dict:
    categories = {code: cid for cid, code in db.session.execute(select(ProductCategory.id, ProductCategory.code))}
    problems, created, updated, seen = [], 0, 0, set()
    with unit_of_work(actor), db.session.no_autoflush:
        for number, values, params, has_params in _read(path, fmt, with_cost):
            if created + updated + len(problems) >= MAX_ROWS:
                problems.append(_("A file may hold at most %(count)s rows.", count=MAX_ROWS))
                break
            errors: list[str] = []
            sku = values.get("sku", "").strip()
            if sku and sku in seen:
                errors.append(_("The SKU %(sku)s appears twice in the file.", sku=sku))
            seen.add(sku)
            product = db.session.scalar(select(Product).where(Product.sku == sku)) if sku else None
            is_new = product is None
            if is_new:
                product = Product(params={})
            if "category" in values:
                code = values["category"].strip()
                if code and code not in categories:
                    errors.append(_("No category has the code %(code)s.", code=code))
                product.category_id = categories.get(code)
            for key, text in values.items():
                if key == "category":
                    continue
                if key == "status":
                    text = _status_value(text) or ("" if is_new else product.status)
                setattr(product, key, text if text != "" else None)
            if has_params or is_new:
                product.params = params
            if not errors:
                try:
                    service._check_product(product)
                except ValidationErrors as err:
                    errors += [m for messages in err.errors.values() for m in messages]
            if errors:
                problems.append(_("Row %(row)s: %(messages)s", row=number, messages="；".join(errors)))
                continue
            if is_new:
                db.session.add(product)
                created += 1
            else:
                updated += 1
            db.session.flush()
        if problems:
            # Raised inside the unit of work: everything this file changed is rolled back.
            raise ImportRefused(_("Nothing was imported: %(count)s rows have problems.", count=len(problems)),
                                problems[:MAX_LISTED])
    return {"created": created, "updated": updated}

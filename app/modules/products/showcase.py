"""The comparison of products (产品对比): two to four products, across categories, side by side.

A comparison is read-only: it names products by id (the shareable link /products/compare/?ids=1,2,3),
shows their basic fields and the union of the parameters their categories ask for (inherited from
parent categories, with units), and marks the rows whose values differ.
"""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.modules.products.models import Product
from app.modules.products.service import parameters_of

MIN_PRODUCTS, MAX_PRODUCTS = 2, 4
EMPTY = "—"

BASIC_FIELDS = [
    ("list_price", _l("List price")),
    ("brand", _l("Brand")),
    ("model", _l("Model")),
    ("unit", _l("Unit")),
    ("tax_rate", _l("Tax rate (%)")),
    ("category", _l("Category")),
]


class BadComparison(DomainError):
    status = 400


def parse_ids(raw) -> list[int]:
    """The product ids of `raw` ("1,2,3"), in order, without repeats; BadComparison when a part is
    not a whole number or there are fewer than two or more than four."""
    ids: list[int] = []
    for part in str(raw or "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or len(part) > 12:
            raise BadComparison("products.compare_bad_id", _("Products are named by their numbers, separated by commas."))
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) < MIN_PRODUCTS or len(ids) > MAX_PRODUCTS:
        raise BadComparison("products.compare_count",
                            _("Pick %(low)s to %(high)s products to compare.", low=MIN_PRODUCTS, high=MAX_PRODUCTS))
    return ids


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def compare_products(ids: list[int]) -> dict:
    """The comparison of the products `ids` (already checked by parse_ids): the products in the
    order asked, and rows of (label, unit, cells, differ). NotFound when any id is unknown."""
    found = {p.id: p for p in db.session.execute(select(Product).where(Product.id.in_(ids))).scalars()}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise NotFound("products.compare_unknown",
                       _("These products do not exist: %(ids)s.", ids=", ".join(missing)))
    products = [found[i] for i in ids]
    rows = []
    for field, label in BASIC_FIELDS:
        cells = [_shown(getattr(p, field)) for p in products]
        rows.append({"label": str(label), "unit": "", "cells": cells, "basic": True,
                     "differ": len(set(cells)) > 1})
    seen: dict[tuple, dict] = {}
    for product in products:
        for parameter in parameters_of(product.category_id):
            key = (parameter.name, parameter.unit or "")
            if key not in seen:
                seen[key] = {"label": parameter.name, "unit": parameter.unit or "", "basic": False}
    for (name, _unit), row in seen.items():
        row["cells"] = [_shown((p.params or {}).get(name)) for p in products]
        row["differ"] = len(set(row["cells"])) > 1
        rows.append(row)
    return {"products": products, "rows": rows, "ids": ids}


# -- 360° view (虚拟展示) -------------------------------------------------------------------------
# A product's frames are attachments of the product whose file name starts with FRAME_PREFIX and
# the frame's number, so they are served (and refused) exactly as its other files are.
FRAME_PREFIX = "360-"
MIN_FRAMES, MAX_FRAMES = 24, 72
_IMAGE_HEADS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")


class BadFrames(DomainError):
    status = 400


def _is_image(head: bytes) -> bool:
    return head.startswith(_IMAGE_HEADS) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _natural(name: str):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name or "")]


def spin_frames(actor, product_id) -> list:
    """The 360° frames of the product, in order; NotFound/Forbidden as for its attachments."""
    from app.core.files.service import attachments_on

    frames = [a for a in attachments_on(actor, "products", product_id) if a.file_name.startswith(FRAME_PREFIX)]
    return sorted(frames, key=lambda a: a.file_name)


def replace_spin_frames(actor, product_id, files: list) -> list:
    """Replace the product's 360° frames by `files` ([(file name, stream)]), ordered by file name.
    Refuses (BadFrames, nothing stored, the old frames kept) fewer than 24 or more than 72 files or
    any file whose content is not an image; Forbidden without write permission on products."""
    from app.core.errors import Forbidden
    from app.core.files.models import Attachment
    from app.core.files.service import may_upload, upload_attachment, visible_record
    from app.core.transaction import unit_of_work

    spec, record = visible_record(actor, "products", product_id)
    if not may_upload(actor, spec):
        raise Forbidden("files.forbidden", _("You may not add files to this record."))
    if not MIN_FRAMES <= len(files) <= MAX_FRAMES:
        raise BadFrames("products.spin_count", _(
            "A 360° view needs %(low)s to %(high)s images; %(count)s were chosen.",
            low=MIN_FRAMES, high=MAX_FRAMES, count=len(files)), field="frames")
    for name, stream in files:
        head = stream.read(16)
        stream.seek(0)
        if not _is_image(head):
            raise BadFrames("products.spin_not_image", _(
                "“%(name)s” is not an image (PNG, JPEG, GIF or WebP); nothing was stored.", name=name), field="frames")
    old = spin_frames(actor, record.id)
    added = []
    try:
        for number, (name, stream) in enumerate(sorted(files, key=lambda f: _natural(f[0])), start=1):
            added.append(upload_attachment(actor, "products", record.id, stream, f"{FRAME_PREFIX}{number:03d}-{name}"))
    except DomainError:
        db.session.rollback()
        with unit_of_work(actor):
            for attachment in added:
                db.session.get(Attachment, attachment.id).deleted = True
        raise
    with unit_of_work(actor):
        for attachment in old:
            db.session.get(Attachment, attachment.id).deleted = True
    return added

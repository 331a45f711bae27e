"""A product's images (产品图片): image attachments of the product (the frame's files, with the
thumbnails its job makes), one of them the main image shown on cards and the product page.

The 360° frames are attachments too, named "360-…": they are not gallery images. The main image is
the one the user chose (Product.main_image_id); until then, or once that file was deleted, the
first image uploaded is the main one.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.errors import DomainError, Forbidden
from app.extensions import db
from app.modules.products.models import Product
from app.modules.products.showcase import FRAME_PREFIX, _is_image

SPEC = "products"


class BadImage(DomainError):
    status = 400


def _gallery_clause(attachment_model):
    return (attachment_model.spec == SPEC, attachment_model.deleted.is_(False),
            attachment_model.content_type.like("image/%"),
            ~attachment_model.file_name.like(f"{FRAME_PREFIX}%"))


def product_images(actor, product_id) -> list:
    """The product's gallery images, oldest first; NotFound / Forbidden as for its attachments."""
    from app.core.files.models import Attachment
    from app.core.files.service import visible_record

    _spec, record = visible_record(actor, SPEC, product_id)
    return list(db.session.scalars(select(Attachment).where(Attachment.record_id == record.id,
                                                            *_gallery_clause(Attachment))
                                   .order_by(Attachment.id)))


def main_image(product: Product, images: list):
    """The main image among `images` (the chosen one, else the first uploaded), or None."""
    if not images:
        return None
    return next((a for a in images if a.id == product.main_image_id), images[0])


def main_images_for(products: list) -> dict:
    """{product id: (attachment id, has thumbnail)} of the main image of each product, two queries
    for a page of cards whatever its size."""
    from app.core.files.models import Attachment

    if not products:
        return {}
    ids = [p.id for p in products]
    chosen = {p.main_image_id for p in products if p.main_image_id}
    found: dict = {}
    if chosen:
        for row in db.session.execute(select(Attachment.id, Attachment.record_id, Attachment.thumbnail_key)
                                      .where(Attachment.id.in_(chosen), Attachment.record_id.in_(ids),
                                             *_gallery_clause(Attachment))):
            found[row.record_id] = (row.id, bool(row.thumbnail_key))
    rest = [i for i in ids if i not in found]
    if rest:
        first = (select(func.min(Attachment.id)).where(Attachment.record_id.in_(rest), *_gallery_clause(Attachment))
                 .group_by(Attachment.record_id))
        for row in db.session.execute(select(Attachment.id, Attachment.record_id, Attachment.thumbnail_key)
                                      .where(Attachment.id.in_(first))):
            found[row.record_id] = (row.id, bool(row.thumbnail_key))
    return found


def add_images(actor, product_id, files: list) -> list:
    """Add the images `files` ([(file name, stream)]) to the product's gallery. Refuses (BadImage,
    nothing stored) a file whose content is not an image; Forbidden without write permission on
    products. The first image a product gets becomes its main image."""
    from app.core.files.service import may_upload, upload_attachment, visible_record
    from app.core.transaction import unit_of_work

    spec, record = visible_record(actor, SPEC, product_id)
    if not may_upload(actor, spec):
        raise Forbidden("files.forbidden", _("You may not add files to this record."))
    if not files:
        raise BadImage("products.no_image", _("Choose one or more images."), field="images")
    for name, stream in files:
        head = stream.read(16)
        stream.seek(0)
        if not _is_image(head):
            raise BadImage("products.not_image", _(
                "“%(name)s” is not an image (PNG, JPEG, GIF or WebP); nothing was stored.", name=name), field="images")
    added = [upload_attachment(actor, SPEC, record.id, stream, name.removeprefix(FRAME_PREFIX))
             for name, stream in files]
    product = db.session.get(Product, record.id)
    if product.main_image_id is None and added:
        with unit_of_work(actor):
            product.main_image_id = added[0].id
    return added


def set_main_image(actor, product_id, attachment_id) -> Product:
    """Make the image `attachment_id` of the product its main image. Forbidden without write
    permission on products; BadImage when the file is not one of the product's images."""
    from app.core.files.service import may_upload, visible_record
    from app.core.transaction import unit_of_work

    spec, record = visible_record(actor, SPEC, product_id)
    if not may_upload(actor, spec):
        raise Forbidden("products.main_image_forbidden", _("You may not change this product."))
    images = product_images(actor, record.id)
    if not any(str(a.id) == str(attachment_id) for a in images):
        raise BadImage("products.main_image_unknown", _("This image does not belong to the product."))
    product = db.session.get(Product, record.id)
    with unit_of_work(actor):
        product.main_image_id = int(attachment_id)
    return product

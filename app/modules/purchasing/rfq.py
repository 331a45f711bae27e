"""询价 (requests for quotation): a buyer asks several suppliers for one product and quantity. Inviting a supplier
mails its first contact with an e-mail address (the request, the quantity, when it is needed and by when to
answer); its answer is entered as a quote of the request (price, currency, minimum quantity, lead time, validity),
and 报价对比 shows the request's answers side by side. A closed request takes no more invitations or answers."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.core.clock import company_today, utcnow
from app.core.errors import DomainError, ValidationErrors
from app.core.numbering import next_number
from app.core.scope import can_see
from app.core.transaction import each_record, unit_of_work
from app.extensions import db
from app.modules.products.api import Product
from app.modules.purchasing import service
from app.modules.purchasing.models import Supplier, SupplierContact, SupplierQuote, supplier_category
from app.modules.purchasing.order_service import WrongState, _number
from app.modules.purchasing.rfq_models import CLOSED, OPEN, QuoteRequest, QuoteRequestSupplier

NUMBERING = "quote_request"
SUGGESTIONS = 30


def _stored_status(request: QuoteRequest) -> str:
    if request.id is None:
        return OPEN
    return db.session.scalar(select(QuoteRequest.status).where(QuoteRequest.id == request.id)) or OPEN


def _check(actor, request: QuoteRequest) -> None:
    errors: dict[str, list[str]] = {}
    product_id = request.product.id if request.product is not None else request.product_id
    if not product_id or db.session.get(Product, product_id) is None:
        errors["product"] = [_("Choose a product from the list.")]
    quantity = _number(request.quantity if request.quantity not in (None, "") else "", "quantity", errors,
                       Decimal(0), "0.0001", strictly=True)
    today = company_today()
    if request.id is None and request.needed_by is not None and request.needed_by < today:
        errors["needed_by"] = [_("The date needed is in the past.")]
    if request.reply_by is not None and request.needed_by is not None and request.reply_by > request.needed_by:
        errors["reply_by"] = [_("Answers are asked for after the date the goods are needed.")]
    if errors:
        raise ValidationErrors(errors)
    request.product_id, request.quantity = product_id, quantity
    request.owner_id = (request.owner.id if request.owner is not None else request.owner_id) or getattr(actor, "id",
                                                                                                      None)
    if request.department_id is None and request.department is None and actor is not None:
        request.department_id = getattr(actor, "department_id", None)


def create(actor, request: QuoteRequest) -> QuoteRequest:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            _check(actor, request)
        request.status = OPEN
        request.code = next_number(NUMBERING)
        db.session.add(request)
    return request


def update(actor, request: QuoteRequest) -> QuoteRequest:
    with unit_of_work(actor):
        with db.session.no_autoflush:
            if _stored_status(request) != OPEN:
                raise WrongState("purchasing.request_closed", _(
                    "Request for quotation %(code)s is closed.", code=request.code))
            _check(actor, request)
    return request


def delete(actor, request: QuoteRequest) -> None:
    with unit_of_work(actor):
        if db.session.scalar(select(SupplierQuote.id).where(SupplierQuote.request_id == request.id).limit(1)):
            raise WrongState("purchasing.request_answered", _(
                "Request for quotation %(code)s has answers; close it instead of deleting it.", code=request.code))
        db.session.delete(request)


def _open(actor, request_id: int) -> QuoteRequest:
    request = db.session.get(QuoteRequest, request_id) if 0 < int(request_id) < 2 ** 31 else None
    if request is None or (actor is not None and not can_see("quote_requests", actor, request.id)):
        raise DomainError("purchasing.no_request", _("The request for quotation does not exist."), field="request")
    if request.status != OPEN:
        raise WrongState("purchasing.request_closed", _("Request for quotation %(code)s is closed.",
                                                        code=request.code))
    return request


def suggestions(request: QuoteRequest, limit: int = SUGGESTIONS) -> list[Supplier]:
    """Suppliers not suspended and not asked yet that supply the product's category or have quoted it before."""
    asked = select(QuoteRequestSupplier.supplier_id).where(QuoteRequestSupplier.request_id == request.id)
    quoted = select(SupplierQuote.supplier_id).where(SupplierQuote.product_id == request.product_id)
    ways = [Supplier.id.in_(quoted)]
    if request.product.category_id is not None:
        ways.append(Supplier.id.in_(select(supplier_category.c.supplier_id).where(
            supplier_category.c.category_id == request.product.category_id)))
    return list(db.session.scalars(select(Supplier).where(or_(*ways), Supplier.status != "suspended",
                                                          Supplier.id.not_in(asked))
                                   .order_by(Supplier.score.desc().nulls_last(), Supplier.name).limit(limit)))


def _mail_address(supplier_id: int) -> SupplierContact | None:
    return db.session.scalars(select(SupplierContact).where(
        SupplierContact.supplier_id == supplier_id, SupplierContact.email.is_not(None), SupplierContact.email != "")
        .order_by(SupplierContact.id).limit(1)).first()


def invite(actor, request_id: int, supplier_ids) -> list[QuoteRequestSupplier]:
    """Asks the suppliers (not yet asked, not suspended, in the actor's scope) and mails each one's contact."""
    from app.core.notify import send_mail

    ids = {int(i) for i in supplier_ids or () if str(i).isdigit() and 0 < int(i) < 2 ** 31}
    with unit_of_work(actor) as uow:
        request = _open(actor, request_id)
        asked = {row.supplier_id for row in request.invited}
        chosen = [s for s in (db.session.get(Supplier, i) for i in sorted(ids - asked)) if s is not None
                  and s.status != "suspended" and (actor is None or can_see("suppliers", actor, s.id))]
        if not chosen:
            raise ValidationErrors({"suppliers": [_("Choose suppliers not asked yet and not suspended.")]})
        made = []
        for supplier in chosen:
            contact = _mail_address(supplier.id)
            row = QuoteRequestSupplier(request_id=request.id, supplier_id=supplier.id, invited_at=utcnow(),
                                       mailed_to=contact.email if contact is not None else None)
            db.session.add(row)
            made.append(row)
            if contact is not None:
                send_mail(uow, contact.email, _("Request for quotation %(code)s: %(product)s", code=request.code,
                                                product=request.product.name),
                          _("Dear %(name)s,\n\nplease quote for %(quantity)s × %(product)s (%(sku)s)%(needed)s: unit "
                            "price tax included, minimum quantity, lead time and how long the price is valid%(reply)s."
                            "\n\nRequest %(code)s\n%(buyer)s", name=contact.name, quantity=_plain(request.quantity),
                            product=request.product.name, sku=request.product.sku, code=request.code,
                            needed=_(", needed by %(day)s", day=request.needed_by) if request.needed_by else "",
                            reply=_(", by %(day)s", day=request.reply_by) if request.reply_by else "",
                            buyer=getattr(actor, "display_name", "")),
                          supplier_id=supplier.id)
    return made


def _plain(value) -> str:
    return format(Decimal(value).normalize(), "f")


def answer(actor, request_id: int, supplier_id: int, values: dict) -> SupplierQuote:
    """An invited supplier's answer as a quote of the request, valid from today; a second answer replaces the
    first as the supplier's answer (both stay among its quotes)."""
    with unit_of_work(actor):
        request = _open(actor, request_id)
        row = next((r for r in request.invited if r.supplier_id == supplier_id), None)
        if row is None:
            raise ValidationErrors({"supplier": [_("This supplier was not asked by the request.")]})
        valid_to = values.get("valid_to") or None
        if isinstance(valid_to, str):
            try:
                valid_to = dt.date.fromisoformat(valid_to.strip()[:10])
            except ValueError:
                raise ValidationErrors({"valid_to": [_("Please enter a date such as 2026-03-01.")]}) from None
        quote = service.save_quote(actor, SupplierQuote(
            supplier_id=supplier_id, product_id=request.product_id, request_id=request.id,
            price=values.get("price") if values.get("price") not in (None, "") else None,
            currency=values.get("currency") or "CNY", min_quantity=values.get("min_quantity") or 1,
            lead_days=values.get("lead_days") if values.get("lead_days") not in (None, "") else 0,
            valid_from=company_today(), valid_to=valid_to, notes=_("Answer to %(code)s", code=request.code)))
        db.session.flush()
        row.quote_id = quote.id
    return quote


def close(actor, request_id: int) -> QuoteRequest:
    with unit_of_work(actor):
        request = _open(actor, request_id)
        request.status = CLOSED
    return request


def close_action(actor, items):
    each_record(actor, items, close)


def work_action(actor, items):
    from flask import redirect

    return redirect(f"/quote_request_work/{items[0].id}")


class quote_requests:
    create = staticmethod(create)
    update = staticmethod(update)
    delete = staticmethod(delete)

"""Tags: admin-defined coloured labels, many per customer, for quick filtering."""
from __future__ import annotations

import re

from flask import has_request_context, request
from flask_appbuilder.models.filters import BaseFilter
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from markupsafe import Markup, escape
from sqlalchemy import delete, func, insert, select

from app.core.errors import DomainError, ValidationErrors
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import COLOUR_CHOICES, Customer, Tag, customer_tags
from app.modules.customers.service import check_may_manage

COLOURS = {c for c, _label in COLOUR_CHOICES}


# -- tags --------------------------------------------------------------------------------------
def _validate_tag(tag: Tag) -> None:
    errors: dict[str, list[str]] = {}
    tag.name = (tag.name or "").strip()
    if not tag.name:
        errors.setdefault("name", []).append(_("Please enter the tag name."))
    elif len(tag.name) > 32:
        errors.setdefault("name", []).append(_("The tag name is at most 32 characters."))
    else:
        stmt = select(Tag.id).where(func.lower(Tag.name) == tag.name.lower())
        if tag.id:
            stmt = stmt.where(Tag.id != tag.id)
        if db.session.scalar(stmt.limit(1)):
            errors.setdefault("name", []).append(_("A tag named “%(name)s” already exists.", name=tag.name))
    if tag.colour not in COLOURS:
        errors.setdefault("colour", []).append(_("Please choose one of the listed colours."))
    if errors:
        raise ValidationErrors(errors, code="tags.invalid")


def create_tag(actor, tag: Tag) -> Tag:
    """Add a tag; names are unique regardless of case."""
    with unit_of_work(actor):
        _validate_tag(tag)
        db.session.add(tag)
    return tag


def update_tag(actor, tag: Tag) -> Tag:
    """Rename or recolour a tag; its customers keep it."""
    with unit_of_work(actor):
        _validate_tag(tag)
    return tag


def delete_tag(actor, tag: Tag) -> None:
    """Delete a tag; it disappears from every customer."""
    with unit_of_work(actor):
        db.session.delete(tag)


class tags:
    """The hooks the generated screens and API call for tags."""
    create, update, delete = staticmethod(create_tag), staticmethod(update_tag), staticmethod(delete_tag)


def all_tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).order_by(Tag.name)))


# -- tagging customers -------------------------------------------------------------------------
def _parse_ids(values) -> list[int]:
    if values is None:
        return []
    if isinstance(values, (str, int)):
        values = [values]
    ids = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit():
                ids.append(int(part))
    return sorted(set(ids))


def _checked(actor, customer_ids, tag_ids) -> tuple[list[int], list[int]]:
    customer_ids, tag_ids = _parse_ids(customer_ids), _parse_ids(tag_ids)
    if not customer_ids:
        raise DomainError("tags.no_customers", _("Please select at least one customer."))
    if not tag_ids:
        raise DomainError("tags.no_tags", _("Please choose at least one tag."), field="tags")
    known = set(db.session.scalars(select(Tag.id).where(Tag.id.in_(tag_ids))))
    if known != set(tag_ids):
        raise DomainError("tags.unknown", _("A chosen tag no longer exists."), field="tags")
    for customer_id in customer_ids:
        customer = db.session.get(Customer, customer_id)
        if customer is None or not can_see("customers", actor, customer_id):
            raise DomainError("tags.no_customer", _("Customer not found."))
        check_may_manage(actor, customer)
    return customer_ids, tag_ids


def tag_customers(actor, customer_ids, tag_ids) -> str:
    """Give the chosen tags to the chosen customers (those they already have are kept). Only
    customers the actor may see and manage; all or nothing."""
    with unit_of_work(actor):
        customer_ids, tag_ids = _checked(actor, customer_ids, tag_ids)
        present = set(db.session.execute(select(customer_tags.c.customer_id, customer_tags.c.tag_id).where(
            customer_tags.c.customer_id.in_(customer_ids), customer_tags.c.tag_id.in_(tag_ids))).all())
        rows = [{"customer_id": c, "tag_id": t} for c in customer_ids for t in tag_ids if (c, t) not in present]
        if rows:
            db.session.execute(insert(customer_tags), rows)
        db.session.expire_all()
    return ngettext("Tags given to %(num)d customer.", "Tags given to %(num)d customers.", len(customer_ids))


def untag_customers(actor, customer_ids, tag_ids) -> str:
    """Take the chosen tags off the chosen customers. Only customers the actor may see and
    manage; all or nothing."""
    with unit_of_work(actor):
        customer_ids, tag_ids = _checked(actor, customer_ids, tag_ids)
        db.session.execute(delete(customer_tags).where(customer_tags.c.customer_id.in_(customer_ids),
                                                       customer_tags.c.tag_id.in_(tag_ids)))
        db.session.expire_all()
    return ngettext("Tags removed from %(num)d customer.", "Tags removed from %(num)d customers.", len(customer_ids))


# -- showing and filtering ---------------------------------------------------------------------
def tag_labels(tag_list) -> Markup:
    """Tags as coloured labels."""
    return Markup(" ").join(
        Markup('<span class="label label-{} zwt-tag">{}</span>').format(
            tag.colour if tag.colour in COLOURS else "default", escape(tag.name))
        for tag in tag_list or [])


def _sibling_values(column: str, value) -> list:
    """FAB applies a filter once per value of its URL argument (all must match). "Any of" needs
    them together: the values of the `_flt_<n>_<column>` argument this value came with."""
    if not has_request_context():
        return [value]
    wanted = {str(v) for v in (value if isinstance(value, (list, tuple)) else [value])}
    for key in request.args:
        if re.fullmatch(rf"_flt_\d_{re.escape(column)}", key):
            values = request.args.getlist(key)
            if wanted <= set(values):
                return values
    return [value]


class FilterHasAnyTag(BaseFilter):
    """Customers with at least one of the given tags: ids as a list, comma-separated ("3,5"),
    or several rows of this filter in the search panel."""

    name = _l("Has any of")
    arg_name = "tags_any"

    def apply(self, query, value):
        ids = _parse_ids(_sibling_values(self.column_name, value))
        if not ids:
            return query
        return query.filter(Customer.id.in_(
            select(customer_tags.c.customer_id).where(customer_tags.c.tag_id.in_(ids))))


class FilterHasAllTags(BaseFilter):
    """Customers with every one of the given tags."""

    name = _l("Has all of")
    arg_name = "tags_all"

    def apply(self, query, value):
        ids = _parse_ids(value)
        if not ids:
            return query
        return query.filter(Customer.id.in_(
            select(customer_tags.c.customer_id).where(customer_tags.c.tag_id.in_(ids))
            .group_by(customer_tags.c.customer_id).having(func.count() == len(ids))))

"""Reports built without code (saved in the centre) and each user's favourite and pinned reports."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.core.errors import DomainError, ValidationErrors
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.reports.models import KIND_CHOICES, ReportFavourite, SavedReport

MAX_FAVOURITES = 50


def buildable(spec_name: str) -> bool:
    """Whether reports can be built over a module: a listed module with rows of its own."""
    from app.core.registry import registry

    spec = registry.specs.get(spec_name)
    return spec is not None and spec.show_in_menu and hasattr(spec.model, "__table__") and spec.name != "saved_reports"


def check(item: SavedReport) -> None:
    """A saved report's module, grouping, measure and chart, each one the builder offers; ValidationErrors names
    every field that is not."""
    from app.core import reports
    from app.core.registry import registry

    errors: dict[str, list[str]] = {}
    item.name = (item.name or "").strip()[:100]
    if not item.name:
        errors["name"] = [_("Please enter the name.")]
    elif db.session.scalar(select(SavedReport.id).where(SavedReport.name == item.name, SavedReport.id != (item.id or 0))):
        errors["name"] = [_("A report of this name exists already.")]
    if not buildable(item.module or ""):
        errors["module"] = [_("Choose a module from the list.")]
    else:
        spec = registry.get(item.module)
        if item.group_by not in {c for c, _l, _p in reports.groupable_columns(spec)}:
            errors["group_by"] = [_("Choose a grouping from the list.")]
        numbers = {c for c, _l in reports.measurable_columns(spec)}
        how, _sep, column = (item.measure or "").partition(":")
        if not (item.measure == "count" or (how in ("sum", "avg") and column in numbers)):
            errors["measure"] = [_("Choose a measure from the list.")]
    if item.chart not in {k for k, _l in KIND_CHOICES}:
        errors["chart"] = [_("Choose a chart from the list.")]
    if errors:
        raise ValidationErrors(errors)


def save(actor, item: SavedReport) -> SavedReport:
    with unit_of_work(actor):
        check(item)
        if item.created_by_id is None and actor is not None:
            item.created_by_id = actor.id
        db.session.add(item)
    return item


def delete(actor, item: SavedReport) -> None:
    with unit_of_work(actor):
        db.session.execute(ReportFavourite.__table__.delete().where(ReportFavourite.report == f"saved.{item.id}"))
        db.session.delete(item)


class saved_reports:
    create = update = staticmethod(save)
    delete = staticmethod(delete)


# -- favourites ------------------------------------------------------------------------------------
def favourites(user) -> dict[str, ReportFavourite]:
    return {f.report: f for f in db.session.scalars(select(ReportFavourite).where(ReportFavourite.user_id == user.id))}


def set_favourite(actor, report: str, starred: bool, pinned: bool = False, query: str = "") -> ReportFavourite | None:
    """Star (and optionally pin to the home page, with its filters) or unstar one report for `actor`."""
    with unit_of_work(actor):
        found = db.session.scalar(select(ReportFavourite).where(ReportFavourite.user_id == actor.id,
                                                                ReportFavourite.report == report).with_for_update())
        if not starred:
            if found is not None:
                db.session.delete(found)
            return None
        if found is None:
            count = db.session.scalar(select(db.func.count()).select_from(ReportFavourite)
                                      .where(ReportFavourite.user_id == actor.id))
            if count >= MAX_FAVOURITES:
                raise DomainError("reports.too_many", _("You have %(count)d favourite reports already: remove one first.",
                                                        count=count))
            found = ReportFavourite(user_id=actor.id, report=report)
            db.session.add(found)
        found.pinned = bool(pinned)
        found.query = (query or "")[:255]
    return found

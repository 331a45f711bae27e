"""The events' screens beyond the generated ones: 取消活动 with a reason, the check-in desk (签到台) and staff
registering several people at once; the public registration page and ticket are in public_views.py."""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from markupsafe import Markup

from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.core.reason_form import ReasonForm, ReasonView
from app.core.scope import visible
from app.extensions import db
from app.modules.events import service
from app.modules.events.models import Event


def _cancel_form():
    return ReasonForm(
        module="events", model=Event, operation=service.cancel_event, title=_("Cancel events"),
        records_label=_("Events to cancel"),
        describe=lambda e: Markup("<strong>{}</strong> {}").format(e.code, e.title),
        note=_("Nobody registers or checks in afterwards; the registrations are kept."),
        label=_("Why cancelled"), button=_("Cancel the events"), icon="fa-ban",
        missing=_("None of these events exists or you may not see it."), form_id="zwt-event-cancel",
        back=lambda _rows: "/events/list/", done=lambda _rows: _("Cancelled."))


class EventCancelView(ReasonView):
    """/events_cancel/?ids=…: the reason, then the chosen events are cancelled (each on its own)."""

    route_base = "/events_cancel"
    class_permission_name = "events"

    def form(self):
        return _cancel_form()


def _visible(event_id: int) -> Event:
    event = visible("events", current_actor(), event_id)
    if event is None:
        raise NotFound("events.not_found", _("The event does not exist or you may not see it."))
    return event


class CheckInView(BaseView):
    """/event_checkin/<id>: the check-in desk on a phone — the camera reads the QR code (or the code is typed), the
    person shows at once, marked in; walk-ins registered on the spot; live counters."""

    route_base = "/event_checkin"
    default_view = "desk"
    class_permission_name = "events"
    method_permission_name = {"desk": "write", "scan": "write", "walk_in": "write", "counts": "read"}
    base_permissions = ["can_read", "can_write"]

    @expose("/<int:event_id>")
    @has_access
    def desk(self, event_id: int):
        try:
            event = _visible(event_id)
        except NotFound as exc:
            return self.render_template("events/message.html", title=_("Check-in desk"), message=exc.message), 404
        return self.render_template("events/checkin.html", title=_("Check-in desk"), event=event,
                                    counts=service.counters(event.id))

    @expose("/<int:event_id>/scan", methods=["POST"])
    @has_access
    def scan(self, event_id: int):
        try:
            event = _visible(event_id)
            done = service.check_in(current_actor(), event.id, request.form.get("code", ""))
        except ValidationErrors as exc:
            return jsonify(ok=False, message=next(iter(exc.errors.values()))[0]), 400
        except DomainError as exc:
            db.session.rollback()
            return jsonify(ok=False, message=exc.message), exc.status
        return jsonify(ok=True, message=_("%(name)s checked in.", name=done.name), name=done.name,
                       company=done.company or "", code=done.code, counts=service.counters(event_id))

    @expose("/<int:event_id>/walk_in", methods=["POST"])
    @has_access
    def walk_in(self, event_id: int):
        from app.modules.events.models import WALK_IN

        try:
            event = _visible(event_id)
            done = service.register(current_actor(), event.id, request.form.to_dict(), source=WALK_IN)
        except ValidationErrors as exc:
            return jsonify(ok=False, message=next(iter(exc.errors.values()))[0], errors=exc.errors), 400
        except DomainError as exc:
            db.session.rollback()
            return jsonify(ok=False, message=exc.message), exc.status
        return jsonify(ok=True, message=_("%(name)s registered and checked in.", name=done.name), name=done.name,
                       code=done.code, counts=service.counters(event_id))

    @expose("/<int:event_id>/counts")
    @has_access
    def counts(self, event_id: int):
        try:
            event = _visible(event_id)
        except NotFound as exc:
            return jsonify(message=exc.message), 404
        return jsonify(service.counters(event.id))


class BulkRegisterView(BaseView):
    """/event_register/<id>: staff register several people at once, one per line: name, mobile, company,
    e-mail (e.g. a customer's contacts); each line on its own, those refused named with the reason."""

    route_base = "/event_register"
    default_view = "form"
    class_permission_name = "events"
    method_permission_name = {"form": "write"}
    base_permissions = ["can_write"]
    LIMIT = 500

    @expose("/<int:event_id>", methods=["GET", "POST"])
    @has_access
    def form(self, event_id: int):
        try:
            event = _visible(event_id)
        except NotFound as exc:
            return self.render_template("events/message.html", title=_("Register people"), message=exc.message), 404
        text, done, refused, error = request.form.get("people", ""), [], {}, None
        if request.method == "POST":
            rows = []
            for line in text.splitlines():
                parts = [p.strip() for p in line.replace("，", ",").replace("\t", ",").split(",")]
                if any(parts):
                    rows.append(dict(zip(("name", "phone", "company", "email"), parts + [""] * 4)))
            if not rows:
                error = _("Enter one person per line: name, mobile, company, e-mail.")
            elif len(rows) > self.LIMIT:
                error = _("At most %(n)s people at once.", n=self.LIMIT)
            else:
                done, refused = service.internal_register(current_actor(), event.id, rows)
        status = 400 if error or (refused and not done) else 200
        return self.render_template("events/bulk_register.html", title=_("Register people"), event=event,
                                    text=text if refused or error else "", done=done, refused=refused,
                                    error=error), status


def register_views(appbuilder) -> None:
    from app.modules.events.public_views import PublicRegistrationView

    from flask_babel import lazy_pgettext

    from app.core.registry import registry
    from app.modules.events.analysis_views import EventAnalysisView
    from app.modules.events.plan_views import ScheduleView

    appbuilder.add_view(ScheduleView, "menu:event_schedule", label=lazy_pgettext("menu", "Event schedule"),
                        icon="fa-calendar-check-o", category="menu:events")
    appbuilder.add_view(EventAnalysisView, "menu:event_analysis", label=lazy_pgettext("menu", "Event effect analysis"),
                        icon="fa-line-chart", category="menu:events")
    readers = registry.menu_names.setdefault("events", ["menu:events"])
    for name in ("menu:event_schedule", "menu:event_analysis"):
        if name not in readers:
            readers.append(name)
    appbuilder.add_view_no_menu(EventCancelView)
    appbuilder.add_view_no_menu(CheckInView)
    appbuilder.add_view_no_menu(BulkRegisterView)
    appbuilder.add_view_no_menu(PublicRegistrationView)



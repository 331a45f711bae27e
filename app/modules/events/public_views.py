"""The public pages of an event (no login): /e/<key> to register — name, mobile, the fields the event asks, its
consent text and a drawn sum as the human check, posts limited per address — and /e/<key>/t/<code>, the
registrant's ticket with its QR code, where they may also cancel. Nothing else of the app is reachable from them:
an unknown key or code is a 404, and they show only the event's public facts and the registrant's own."""
from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.events import service
from app.modules.events.models import ASKED_CHOICES, CANCELLED, ENDED, Event, EventRegistration


def _page(template: str, status: int = 200, **context):
    appbuilder = current_app.appbuilder
    html = render_template(template, base_template=appbuilder.base_template, appbuilder=appbuilder, **context)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _event(key: str) -> Event | None:
    if not key or len(key) > 32:
        return None
    # The public pages show nothing of the owner: not read with it.
    return db.session.scalar(select(Event).where(Event.public_key == key).options(lazyload(Event.owner)))


def _missing():
    return _page("events/public_message.html", 404, title=_("Not found"),
                 message=_("This registration page does not exist. Please check the address."))


class PublicRegistrationView(BaseView):
    route_base = "/e"
    default_view = "register"

    @expose("/<key>", methods=["GET", "POST"])
    def register(self, key):
        from app.security import challenge
        from app.security.auth import rate_limited_response
        from app.security.lockout import RateLimited
        from app.security.registration_views import rate_check

        event = _event(key)
        if event is None:
            return _missing()
        errors: dict[str, list[str]] = {}
        status = 200
        if request.method == "POST" and request.form.get("new_challenge") != "1":
            try:
                rate_check("event_registration", request.remote_addr)
            except RateLimited as exc:
                return rate_limited_response(exc.retry_after)
            if not challenge.verify(request.form.get("answer")):
                errors["answer"] = [_("The answer is wrong or the question has expired. Please answer the new "
                                      "question.")]
            else:
                try:
                    done = service.register(None, event.id, request.form.to_dict())
                except ValidationErrors as exc:
                    errors = exc.errors
                except DomainError as exc:
                    db.session.rollback()
                    errors = {exc.field or "": [exc.message]}
                else:
                    # `key` is the event's public key (found by it): the committed event is not read again for it.
                    return redirect(f"/e/{key}/t/{done.code}")
            status = 400
        closed = None
        if event.status != "open":
            closed = _("Registration for this event is not open.") if event.status not in (CANCELLED, ENDED) \
                else (_("This event has been cancelled.") if event.status == CANCELLED else _("This event has ended."))
        asked = dict(ASKED_CHOICES)
        return _page("events/public_register.html", status, title=event.title, event=event, errors=errors,
                     form=request.form if request.method == "POST" else {}, closed=closed,
                     asked=[(name, asked[name]) for name in event.asked_fields],
                     left=None if event.capacity is None else max(event.capacity - event.registered, 0),
                     challenge_svg=challenge.issue())

    def _registration(self, key, code):
        event = _event(key)
        code = (code or "").upper()[:16]
        if event is None or not code:
            return None, None
        found = db.session.scalar(select(EventRegistration).where(EventRegistration.event_id == event.id,
                                                                  EventRegistration.code == code))
        return event, found

    @expose("/<key>/t/<code>")
    def ticket(self, key, code):
        from app.modules.events.notices import qr_svg

        event, registration = self._registration(key, code)
        if registration is None:
            return _missing()
        from markupsafe import Markup

        return _page("events/public_ticket.html", title=event.title, event=event, registration=registration,
                     qr=Markup(qr_svg(registration.code)))   # segno's drawing of the code: no text of the user

    @expose("/<key>/t/<code>/cancel", methods=["POST"])
    def cancel(self, key, code):
        from flask import flash

        event, registration = self._registration(key, code)
        if registration is None:
            return _missing()
        try:
            service.cancel_registration(None, registration.id)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(f"/e/{event.public_key}/t/{registration.code}"), 303
        flash(_("Your registration is cancelled."), "success")
        return redirect(f"/e/{event.public_key}/t/{registration.code}"), 303

"""What a registrant is sent (报名确认): an SMS with the registration code and the address of their ticket, and,
when they gave an e-mail address, a mail with the QR code attached as a picture. Written to the outboxes in the
registration's own transaction (sent after commit where a provider or SMTP is configured)."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext as _

from app.extensions import db
from app.modules.events.models import REGISTERED, Event, EventRegistration


def ticket_path(event: Event, registration: EventRegistration) -> str:
    return f"/e/{event.public_key}/t/{registration.code}"


def qr_png(text: str) -> bytes:
    import io

    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=8, border=2)
    return out.getvalue()


def qr_svg(text: str) -> str:
    import segno

    return segno.make(text, error="m").svg_inline(scale=6, dark="#000", light="#fff")


def confirm(uow, registration: EventRegistration, event: Event | None = None) -> list:
    """The registrant's confirmation for their status, written to the outboxes; returns the rows written."""
    from app.core.notify import mail_html, public_url, send_mail
    from app.core.webhooks import local_time
    from app.security.sms import send_sms

    event = event or db.session.get(Event, registration.event_id)
    link = public_url(ticket_path(event, registration))
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if registration.status == REGISTERED:
            title = _("You are registered for %(title)s", title=event.title)
            body = _("%(name)s, you are registered for %(title)s on %(at)s. Your registration code is %(code)s; "
                     "show its QR code at the entrance: %(link)s", name=registration.name, title=event.title,
                     at=local_time(event.starts_at), code=registration.code, link=link)
        else:
            title = _("You are on the waiting list of %(title)s", title=event.title)
            body = _("%(name)s, %(title)s is full; you are on its waiting list and will be told when a place is "
                     "yours. Your registration: %(link)s", name=registration.name, title=event.title, link=link)
        written = [send_sms(uow, registration.phone, body)]
        if registration.email:
            written.append(send_mail(uow, registration.email, title, body, html=mail_html(title, body, [(_("Your ticket"), link)]),
                      attachments=[("qr.png", qr_png(registration.code), "image/png")] if
                      registration.status == REGISTERED else None))
    return written


def moved_up(registration_id: int) -> None:
    """After a cancellation gave them its place: the one who moved up gets their confirmation."""
    from app.core.transaction import unit_of_work

    registration = db.session.get(EventRegistration, registration_id)
    if registration is None or registration.status != REGISTERED:
        return
    with unit_of_work(None) as uow:
        confirm(uow, registration)

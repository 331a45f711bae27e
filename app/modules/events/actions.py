"""The events' list and record actions: each event on its own (refusals said together)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.transaction import each_record
from app.modules.events import service


def _step(step):
    def run(actor, event_id):
        service.advance(actor, event_id, step)
    return run


def open_action(actor, items):
    each_record(actor, items, _step("open"))
    return _("Registration is open.")


def start_action(actor, items):
    each_record(actor, items, _step("start"))
    return _("Under way.")


def end_action(actor, items):
    each_record(actor, items, _step("end"))
    return _("Ended.")


def cancel_action(actor, items):
    from flask import redirect

    return redirect("/events_cancel/?ids=" + ",".join(str(item.id) for item in items))


def check_in_action(actor, items):
    from flask import redirect

    return redirect(f"/event_checkin/{items[0].id}")


def cancel_registrations_action(actor, items):
    each_record(actor, items, lambda who, registration_id: service.cancel_registration(who, registration_id))
    return _("Cancelled; their places went to the waiting list.")


def register_people_action(actor, items):
    from flask import redirect

    return redirect(f"/event_register/{items[0].id}")


def convert_action(actor, items):
    """转为客户: those who may add customers make the selected registrants customers (each on its own)."""
    from flask import current_app

    from app.core.errors import Forbidden
    from app.modules.events import leads

    if not current_app.appbuilder.sm.has_access("can_write", "customers"):
        raise Forbidden("events.no_customers", _("You may not add customers."))
    each_record(actor, items, leads.convert)
    return _("Linked to their customers.")


def effect_action(actor, items):
    """The chosen events' effect and cost (活动效果分析): one event alone, or the events chosen side by side."""
    from flask import redirect

    if len(items) == 1:
        return redirect(f"/event_analysis/?event={items[0].id}")
    first = min(item.starts_at for item in items).date().isoformat()
    last = max(item.starts_at for item in items).date().isoformat()
    return redirect(f"/event_analysis/?start={first}&end={last}")

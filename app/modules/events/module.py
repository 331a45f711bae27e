"""The events module (活动管理), declared once: marketing events and their registrations (报名, 签到)."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.panels import register_record_rule
from app.core.scope import ScopeSpec
from app.core.spec import READ, ActionSpec, ChartSpec, ModuleSpec, NumberingSpec, WorkflowSpec
from app.modules.events import actions, service
from app.modules.events.models import (APPROVAL_DONE, APPROVAL_DRAFT, APPROVAL_REJECTED, APPROVAL_RUNNING,
                                       ASKED_CHOICES, CANCELLED, ENDED, OPEN, PATH, PREPARING, REG_CANCELLED,
                                       REGISTERED, RUNNING, WAITING, Event, EventRegistration)
from app.modules.events.plan_module import PLAN_SPECS

EVENTS = lazy_pgettext("menu", "Events")
LABELS = {
    "code": _l("Event number"), "title": _l("Title"), "kind": _l("Kind"), "starts_at": _l("Starts at"),
    "ends_at": _l("Ends at"), "venue": _l("Venue"), "online_url": _l("Online link"), "capacity": _l("Capacity"),
    "registration_deadline": _l("Registration closes"), "budget": _l("Budget"), "status": _l("Status"),
    "description": _l("Description"), "asked": _l("Asked on the registration page"),
    "consent_text": _l("Consent text"), "public_key": _l("Registration page"), "registered": _l("Registered"),
    "waiting": _l("Waiting list"), "checked_in": _l("Checked in"), "cancel_reason": _l("Why cancelled"),
    "approval": _l("Budget approval"), "owner": _l("Owner"), "owner_id": _l("Owner"), "department": _l("Department"), "department_id": _l("Department"),
    "created_at": _l("Created at"), "updated_at": _l("Updated at"),
}
FORM = ["title", "kind", "starts_at", "ends_at", "venue", "online_url", "capacity", "registration_deadline",
        "budget", "asked", "consent_text", "description", "owner"]
REG_LABELS = {
    "event": _l("Event"), "event_id": _l("Event"), "event.title": _l("Event"), "code": _l("Registration code"),
    "name": _l("Name"), "phone": _l("Mobile"), "email": _l("E-mail"), "company": _l("Company"),
    "title": _l("Job title"), "remark": _l("Remarks"), "status": _l("Status"), "source": _l("Registered through"),
    "consented": _l("Agreed to the terms"), "customer": _l("Customer"), "customer_id": _l("Customer"),
    "customer.name": _l("Customer"), "contact": _l("Contact"), "contact_id": _l("Contact"),
    "checked_in_at": _l("Checked in at"), "checked_in_by": _l("Checked in by"), "cancelled_at": _l("Cancelled at"),
    "created_at": _l("Registered at"),
}

def _page_link(value) -> str:
    """The registration page's full address, as a link to share."""
    from markupsafe import Markup

    from app.core.notify import public_url

    if not value:
        return ""
    url = public_url(f"/e/{value}")
    return Markup('<a href="{}" target="_blank" rel="noopener" id="zwt-event-page">{}</a>').format(url, url)


def _asked_labels(value) -> str:
    labels = dict(ASKED_CHOICES)
    return "、".join(str(labels[name]) for name in (value or "").split(",") if name in labels)


register_record_rule("events", "edit", lambda actor, item: item.status not in (ENDED, CANCELLED))
register_record_rule("events", "delete", lambda actor, item: item.registered == 0 and item.waiting == 0)
register_record_rule("events", "open", lambda actor, item: item.status == PREPARING)
register_record_rule("events", "start", lambda actor, item: item.status in (PREPARING, OPEN))
register_record_rule("events", "end", lambda actor, item: item.status in (OPEN, RUNNING))
register_record_rule("events", "cancel", lambda actor, item: item.status not in (ENDED, CANCELLED))
register_record_rule("events", "check_in", lambda actor, item: item.status in (OPEN, RUNNING))
register_record_rule("events", "register_people", lambda actor, item: item.status == OPEN)
register_record_rule("event_registrations", "edit", lambda actor, item: False)
register_record_rule("event_registrations", "delete", lambda actor, item: False)
register_record_rule("event_registrations", "convert",
                     lambda actor, item: item.customer_id is None and item.status != REG_CANCELLED)
register_record_rule("event_registrations", "cancel_registration",
                     lambda actor, item: item.status != REG_CANCELLED and item.checked_in_at is None)

SPECS = [
    ModuleSpec(
        name="events",
        model=Event,
        label=_l("Event"),
        label_plural=_l("Events"),
        category=EVENTS,
        category_key="events",
        category_icon="fa-calendar",
        icon="fa-calendar",
        label_columns=LABELS,
        list_columns=["code", "title", "kind", "starts_at", "venue", "capacity", "registered", "waiting",
                      "checked_in", "status", "owner"],
        show_fieldsets=[
            (_l("Event"), {"fields": ["code", "title", "kind", "starts_at", "ends_at", "venue", "online_url",
                                      "status", "owner", "department"]}),
            (_l("Registration"), {"fields": ["public_key", "capacity", "registration_deadline", "registered",
                                             "waiting", "checked_in", "asked", "consent_text"]}),
            (_l("Budget and notes"), {"fields": ["budget", "approval", "description", "cancel_reason",
                                                 "created_at", "updated_at"], "expanded": False}),
        ],
        form_fieldsets=[(_l("Event"), {"fields": ["title", "kind", "starts_at", "ends_at", "venue", "online_url",
                                                  "owner"]}),
                        (_l("Registration"), {"fields": ["capacity", "registration_deadline", "asked",
                                                         "consent_text"]}),
                        (_l("Budget and notes"), {"fields": ["budget", "description"]})],
        add_columns=FORM,
        edit_columns=FORM,
        search_columns=["code", "title", "kind", "status", "starts_at", "venue", "owner", "department"],
        order_columns=["code", "title", "starts_at", "capacity", "registered", "checked_in", "budget"],
        text_search_columns=["title"],
        base_order=("starts_at", "desc"),
        export_columns=["code", "title", "kind", "starts_at", "ends_at", "venue", "online_url", "capacity",
                        "registration_deadline", "budget", "registered", "waiting", "checked_in", "status",
                        "owner.username"],
        api_columns=["id", "code", "title", "kind", "starts_at", "ends_at", "venue", "online_url", "capacity",
                     "registration_deadline", "budget", "status", "description", "asked", "consent_text",
                     "public_key", "registered", "waiting", "checked_in", "cancel_reason", "owner_id",
                     "department_id", "created_at"],
        api_write_columns=["title", "kind", "starts_at", "ends_at", "venue", "online_url", "capacity",
                           "registration_deadline", "budget", "description", "asked", "consent_text", "owner_id"],
        description_columns={
            "capacity": _l("How many may register; the rest go on the waiting list. Empty: no limit."),
            "asked": _l("Besides the name and the mobile number, comma separated: company, job title, e-mail, remarks."),
            "consent_text": _l("Shown on the registration page; registrants must agree to it."),
        },
        scope=ScopeSpec(owner="owner_id", department="department_id"),
        formatters={"public_key": _page_link, "asked": _asked_labels},
        status_tones={PREPARING: "default", OPEN: "processing", RUNNING: "processing", ENDED: "success",
                      CANCELLED: "warning"},
        title_column="title",
        code_column="code",
        status_column="status",
        workflow=WorkflowSpec(name="event_budget_approval", status_field="approval", draft=APPROVAL_DRAFT,
                              in_approval=APPROVAL_RUNNING, approved=APPROVAL_DONE, rejected=APPROVAL_REJECTED,
                              on_submit=service.before_submit),
        lifecycle=lambda event: [PREPARING, CANCELLED] if event.status == CANCELLED else PATH,
        key_figures=["registered", "checked_in", "starts_at"],
        card_columns=["title", "starts_at", "registered", "status"],
        global_search=["code"],
        date_column="starts_at",
        numbering=NumberingSpec(code=service.NUMBERING, name=_l("Event number"), pattern="HD-{yyyy}-{seq:05d}"),
        charts=[ChartSpec(name="by_month", title=_l("Events by month"), group_by="starts_at", period="month",
                          kind="line"),
                ChartSpec(name="by_kind", title=_l("Events by kind"), group_by="kind", kind="pie"),
                ChartSpec(name="registered_by_month", title=_l("Registrations by month"), group_by="starts_at",
                          period="month", measure="sum:registered")],
        actions=[
            ActionSpec(name="open", label=_l("Open registration"), handler=actions.open_action,
                       icon="fa-bullhorn"),
            ActionSpec(name="check_in", label=_l("Check-in desk"), handler=actions.check_in_action,
                       icon="fa-qrcode"),
            ActionSpec(name="register_people", label=_l("Register people"), handler=actions.register_people_action,
                       icon="fa-user-plus", main=False),
            ActionSpec(name="start", label=_l("Start"), handler=actions.start_action, icon="fa-play",
                       main=False),
            ActionSpec(name="end", label=_l("End"), handler=actions.end_action, icon="fa-stop", main=False,
                       confirmation=_l("End the selected events? Nobody registers or checks in afterwards.")),
            ActionSpec(name="cancel", label=_l("Cancel"), handler=actions.cancel_action, icon="fa-ban",
                       main=False),
            ActionSpec(name="effect", label=_l("Effect and cost"), handler=actions.effect_action,
                       icon="fa-line-chart", main=False, permission=READ),
        ],
        related=["event_registrations", "event_sessions", "event_tasks", "event_allocations", "event_expenses"],
        service=service.events,
    ),
    ModuleSpec(
        name="event_registrations",
        made_elsewhere=True,
        model=EventRegistration,
        label=_l("Registration"),
        label_plural=_l("Registrations"),
        category=EVENTS,
        category_key="events",
        permission_name="events",
        show_in_menu=False,
        label_columns=REG_LABELS,
        list_columns=["code", "name", "phone", "company", "status", "source", "customer", "checked_in_at"],
        show_fieldsets=[
            (_l("Registration"), {"fields": ["event", "code", "name", "phone", "email", "company", "title",
                                             "remark", "status", "source", "consented", "created_at"]}),
            (_l("Check-in"), {"fields": ["checked_in_at", "checked_in_by", "cancelled_at"]}),
            (_l("Customer"), {"fields": ["customer", "contact"]}),
        ],
        search_columns=["code", "name", "phone", "company", "status", "source", "customer"],
        order_columns=["code", "name", "created_at", "checked_in_at"],
        text_search_columns=["name", "phone"],
        base_order=("id", "asc"),
        export_columns=["event.title", "code", "name", "phone", "email", "company", "title", "remark", "status",
                        "source", "customer.name", "checked_in_at", "created_at"],
        api_columns=["id", "event_id", "code", "name", "phone", "email", "company", "title", "remark", "status",
                     "source", "customer_id", "contact_id", "checked_in_at", "cancelled_at", "created_at"],
        scope=ScopeSpec(via="event_id", via_module="events"),
        status_tones={REGISTERED: "success", WAITING: "processing", REG_CANCELLED: "default"},
        title_column="name",
        status_column="status",
        actions=[ActionSpec(name="convert", label=_l("Make customers"), handler=actions.convert_action,
                            icon="fa-user-plus",
                            confirmation=_l("Make the selected registrants customers? Each becomes a potential "
                                            "customer of yours with the registrant as its contact.")),
                 ActionSpec(name="cancel_registration", label=_l("Cancel the registration"),
                            handler=actions.cancel_registrations_action, icon="fa-times", main=False,
                            confirmation=_l("Cancel the selected registrations? Their places go to the waiting "
                                            "list."))],
        service=service.event_registrations,
    ),
]

SPECS += PLAN_SPECS

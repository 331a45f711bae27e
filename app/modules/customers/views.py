"""Screens of the customers module beyond the generated ones: the timeline and profile tabs,
the forms behind the tag and transfer actions, follow-ups due, the shared pool and the module's
settings (the analysis report and the profile page are in report_views.py)."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional as OptionalValidator

from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.core.jobs import queue
from app.core.org import User, subtree_ids
from app.core.panels import ShowTab, register_tab
from app.core.registry import registry
from app.core.scope import ALL, DEPARTMENT, effective_scope, scope_clause
from app.core.view_index import views_at
from app.extensions import db
from app.modules.customers.models import INTERACTION_KINDS, OUTCOME_CHOICES, Contact, Customer, Interaction
from app.modules.customers.screens import may as _may, parse_day as _parse_day, visible_customer as _visible_customer

MENU = "menu:customers"
PAGE = 50


# -- helpers -----------------------------------------------------------------------------------
def _customer_view():
    """The generated customers screen, whose field labels and value formats the timeline reuses."""
    # Matched by route, not by class: each app built in one process (tests, CLI) has its own classes.
    return views_at(current_app.appbuilder, "/customers")[0]


def _back() -> str:
    """Where a small form returns to: what it was given, else the page it was opened from."""
    given = _safe_next(request.values.get("next"))
    if given:
        return given
    referrer = request.referrer or ""
    root = request.host_url
    return _safe_next("/" + referrer[len(root):]) if referrer.startswith(root) else ""


def _ids(values) -> list[int]:
    return sorted({int(v) for raw in values for v in str(raw).split(",") if v.strip().isdigit()})


def _safe_next(url: str | None) -> str:
    """A path on this site to go back to; anything else is dropped."""
    from app.security.redirects import safe_next

    return safe_next((url or "").strip(), "") or ""


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _filter_index(column: str, filter_class) -> int:
    filters = _customer_view()._filters.get_search_filters()[column]
    return next(i for i, f in enumerate(filters) if isinstance(f, filter_class))


def customers_list_url(column: str, filter_class, value) -> str:
    """The customers list narrowed by one of the module's own filters."""
    return "/customers/list/?" + urlencode({f"_flt_{_filter_index(column, filter_class)}_{column}": value})


# -- list actions that ask for more ------------------------------------------------------------
def _ask(endpoint: str, items, **args):
    ids = ",".join(str(i.id) for i in items if i is not None)
    if not ids:
        raise DomainError("customers.none_selected", _("Please select at least one customer."))
    return redirect(url_for(endpoint, ids=ids, **args))


def ask_tags(actor, items):
    """List action: choose the tags to give the selected customers."""
    return _ask("CustomerBulkView.tags", items, mode="add")


def ask_untags(actor, items):
    """List action: choose the tags to take off the selected customers."""
    return _ask("CustomerBulkView.tags", items, mode="remove")


def ask_transfer(actor, items):
    """List and detail action: choose the new owner of the selected customers."""
    return _ask("CustomerBulkView.transfer", items)


def claim_selected(actor, items):
    """List and detail action: claim the chosen customers from the shared pool. The ids come
    from the request: a customer someone else claimed since the list was drawn is out of the
    user's sight by now, and they must hear who has it rather than that nothing was chosen."""
    from app.modules.customers.pool import claim

    asked = request.view_args.get("pk") if request.view_args else None
    ids = _ids(request.form.getlist("rowid") + ([asked] if asked is not None else []))
    return claim(actor, ids or [i for i in items if i is not None])


def assignable_owners(actor) -> list[User]:
    """Active users the actor may hand customers to, by name."""
    stmt = select(User).where(User.active.is_(True)).order_by(User.last_name, User.first_name, User.username)
    granted = effective_scope(actor, "customers")
    if granted == DEPARTMENT and actor.department_id:
        stmt = stmt.where((User.department_id.in_(subtree_ids(actor.department_id))) | (User.id == actor.id))
    elif granted != ALL:
        stmt = stmt.where(User.id == actor.id)
    return list(db.session.scalars(stmt))


class CustomerBulkView(BaseView):
    """The small forms behind the list's "add tags", "remove tags" and "transfer" actions."""

    route_base = "/customer_bulk"
    class_permission_name = "customers"
    method_permission_name = {"tags": "write", "transfer": "write"}
    base_permissions = ["can_write"]

    def _customers(self) -> list[Customer]:
        """The chosen customers the user may see (the service checks again when applying)."""
        ids = _ids(request.values.getlist("ids"))
        clause = scope_clause(registry.get("customers"), current_actor())
        stmt = select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)
        if clause is not None:
            stmt = stmt.where(clause)
        return list(db.session.scalars(stmt)) if ids else []

    @expose("/tags", methods=["GET", "POST"])
    @has_access
    def tags(self):
        from app.modules.customers import tags as tag_service

        mode = "remove" if request.values.get("mode") == "remove" else "add"
        customers = self._customers()
        if not customers:
            flash(_("Please select at least one customer."), "warning")
            return redirect("/customers/list/")
        chosen = _ids(request.form.getlist("tag_ids"))
        error = None
        if request.method == "POST":
            apply = tag_service.untag_customers if mode == "remove" else tag_service.tag_customers
            try:
                message = apply(current_actor(), [c.id for c in customers], chosen)
            except DomainError as exc:
                db.session.rollback()
                error = exc.message
            else:
                flash(message, "success")
                return redirect(_safe_next(request.form.get("next")) or "/customers/list/")
        return self.render_template(
            "customers/bulk_tags.html", title=_("Remove tags") if mode == "remove" else _("Add tags"),
            mode=mode, customers=customers, all_tags=tag_service.all_tags(), chosen=set(chosen), error=error,
            ids=",".join(str(c.id) for c in customers), next=_back())

    @expose("/transfer", methods=["GET", "POST"])
    @has_access
    def transfer(self):
        from app.modules.customers import pool

        actor = current_actor()
        customers = self._customers()
        if not customers:
            flash(_("Please select at least one customer."), "warning")
            return redirect("/customers/list/")
        error = None
        owner_id, note = request.form.get("owner", ""), request.form.get("note", "")
        if request.method == "POST":
            try:
                message = pool.transfer(actor, customers, owner_id, note)
            except DomainError as exc:
                db.session.rollback()
                error = exc.message
                customers = self._customers()
            else:
                flash(message, "success")
                return redirect(_safe_next(request.form.get("next")) or "/customers/list/")
        return self.render_template(
            "customers/transfer.html", title=_("Transfer customers"), customers=customers, error=error,
            owners=assignable_owners(actor), owner_id=owner_id, note=note,
            ids=",".join(str(c.id) for c in customers), next=_back())


# -- the timeline ------------------------------------------------------------------------------
class InteractionForm(FlaskForm):
    kind = SelectField(_l("Interaction kind"), choices=INTERACTION_KINDS, default="call")
    contact = SelectField(_l("Contact"), choices=[], validate_choice=False)
    occurred_at = StringField(_l("Time"), description=_l("Empty means now."))
    duration_minutes = IntegerField(_l("Duration (minutes)"), validators=[OptionalValidator()])
    outcome = SelectField(_l("Outcome"), choices=[("", "—")] + OUTCOME_CHOICES, default="")
    subject = StringField(_l("Subject"))
    content = TextAreaField(_l("Content"))
    next_follow_up_on = StringField(_l("Next follow-up"))


def _interaction_form(customer: Customer, formdata=None) -> InteractionForm:
    form = InteractionForm(formdata=formdata)
    contacts = db.session.scalars(select(Contact).where(Contact.customer_id == customer.id)
                                  .order_by(Contact.is_primary.desc(), Contact.id))
    form.contact.choices = [("", "—")] + [(str(c.id), c.name) for c in contacts]
    return form


def _parse_local(value: str, errors: dict, field: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            local = dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=_zone()).astimezone(dt.timezone.utc).replace(tzinfo=None)
    errors.setdefault(field, []).append(_("Please enter a time such as 2026-03-01 14:30."))
    return None


def _kinds_arg() -> set | None:
    kinds = {k for raw in request.args.getlist("kind") for k in raw.split(",") if k}
    return kinds or None


def render_timeline(customer: Customer, form=None, kinds=None, offset: int = 0, limit: int = PAGE,
                    standalone: bool = False) -> Markup:
    """The timeline with its filter and the form to log an interaction, as HTML."""
    from app.modules.customers.interactions import timeline, timeline_kinds
    from app.modules.customers.service import may_manage

    view = _customer_view()
    entries, more = timeline(customer, kinds=kinds, limit=limit, offset=offset, describe=view._describe)
    actor = current_actor()
    can_log = _may("write") and may_manage(actor, customer)
    if form is None and can_log:
        form = _interaction_form(customer)
    return Markup(render_template(
        "customers/_timeline.html", customer=customer, entries=entries, more=more, offset=offset, limit=limit,
        kinds=timeline_kinds(), chosen=kinds or set(), form=form if can_log else None, standalone=standalone,
        kind_labels=dict(timeline_kinds()),
        # A refused form posted from the customer's page returns there once it is right.
        next_url=_safe_next(request.form.get("next")) or _page_path()))


def _page_path() -> str:
    """Where a form in the timeline returns: the page it is on (the customer's page with its
    timeline tab open when the tab was fetched on its own)."""
    path, _sep, key = request.path.partition("/tab/")
    return f"{path}?tab={key}" if key else path


class TimelineView(BaseView):
    """A customer's whole timeline on its own page (more entries, filters) and the form that
    logs an interaction from the customer's page."""

    route_base = "/customer_timeline"
    class_permission_name = "customers"
    method_permission_name = {"show": "read", "log": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/<int:pk>/", methods=["GET"])
    @has_access
    def show(self, pk):
        customer = _visible_customer(pk)
        offset = max(request.args.get("offset", 0, type=int), 0)
        html = render_timeline(customer, kinds=_kinds_arg(), offset=offset, standalone=True)
        return self.render_template("customers/timeline_page.html", customer=customer, timeline=html,
                                    title=_("Timeline of %(name)s", name=customer.name))

    @expose("/<int:pk>/log", methods=["POST"])
    @has_access
    def log(self, pk):
        from app.modules.customers.interactions import log_interaction

        customer = _visible_customer(pk)
        form = _interaction_form(customer, request.form)
        back = _safe_next(request.form.get("next")) or f"/customers/show/{pk}"
        errors: dict[str, list[str]] = {}
        occurred_at = _parse_local(form.occurred_at.data, errors, "occurred_at")
        next_day = _parse_day(form.next_follow_up_on.data, errors, "next_follow_up_on")
        if not form.validate():
            for name, messages in form.errors.items():
                errors.setdefault(name, []).extend(messages)
        if not errors:
            contact_id = int(form.contact.data) if str(form.contact.data or "").isdigit() else None
            item = Interaction(customer_id=customer.id, contact_id=contact_id, kind=form.kind.data,
                               occurred_at=occurred_at, duration_minutes=form.duration_minutes.data,
                               outcome=form.outcome.data or None, subject=form.subject.data,
                               content=form.content.data, next_follow_up_on=next_day)
            try:
                log_interaction(current_actor(), item)
            except ValidationErrors as exc:
                db.session.rollback()
                errors = exc.errors
            except DomainError as exc:
                db.session.rollback()
                errors = {exc.field or "": [exc.message]}
            else:
                flash(_("Interaction logged."), "success")
                return redirect(back + ("#timeline" if "#" not in back else ""))
        customer = _visible_customer(pk)
        for name, messages in errors.items():
            if name in form:
                form[name].errors = list(messages)
            else:
                for message in messages:
                    flash(message, "danger")
        # The form comes back with everything typed and the messages next to the fields.
        html = render_timeline(customer, form=form, standalone=True)
        return self.render_template("customers/timeline_page.html", customer=customer, timeline=html,
                                    title=_("Timeline of %(name)s", name=customer.name)), 400


def _timeline_tab(spec, item):
    return render_timeline(item)


def _interaction_count(spec, item):
    return db.session.scalar(_interaction_count_query(spec, item))


def _interaction_count_query(spec, item):
    """The timeline tab's badge, read with the page's other counts."""
    return select(func.count()).select_from(
        select(Interaction.id).where(Interaction.customer_id == item.id).limit(1000).subquery())


# -- follow-ups --------------------------------------------------------------------------------
class FollowUpsView(BaseView):
    """The signed-in user's follow-ups: overdue, due today, and the next seven days."""

    route_base = "/my_follow_ups"
    default_view = "index"
    class_permission_name = "customers"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]

    @expose("/")
    @has_access
    def index(self):
        from app.modules.customers.service import local_today

        actor = current_actor()
        today = local_today()
        page = max(request.args.get("page", 0, type=int), 0)
        base = select(Customer).where(Customer.owner_id == actor.id, Customer.next_follow_up_on.isnot(None))
        overdue = list(db.session.scalars(base.where(Customer.next_follow_up_on < today)
                                          .order_by(Customer.next_follow_up_on, Customer.id)
                                          .limit(PAGE + 1).offset(page * PAGE)))
        upcoming = list(db.session.scalars(
            base.where(Customer.next_follow_up_on >= today,
                       Customer.next_follow_up_on <= today + dt.timedelta(days=7))
            .order_by(Customer.next_follow_up_on, Customer.id).limit(200))) if page == 0 else []
        return self.render_template("customers/follow_ups.html", title=_("My follow-ups"), today=today,
                                    overdue=overdue[:PAGE], more=len(overdue) > PAGE, page=page, upcoming=upcoming)


class PoolLinksView(BaseView):
    """Menu entries for ready-made views of the customers list."""

    route_base = "/customer_lists"
    default_view = "pool"
    class_permission_name = "customers"
    method_permission_name = {"pool": "read", "inactive": "read", "overdue": "read"}
    base_permissions = ["can_read"]

    @expose("/pool/")
    @has_access
    def pool(self):
        from app.modules.customers.filters import FilterInPool

        return redirect(customers_list_url("pooled_at", FilterInPool, "1"))

    @expose("/inactive/")
    @has_access
    def inactive(self):
        from app.modules.customers.filters import FilterNoInteractionFor
        from app.modules.customers.pool import get_settings

        return redirect(customers_list_url("last_interaction_at", FilterNoInteractionFor,
                                           str(get_settings().inactive_days)))

    @expose("/overdue/")
    @has_access
    def overdue(self):
        from app.modules.customers.filters import FilterFollowUpOverdue

        return redirect(customers_list_url("next_follow_up_on", FilterFollowUpOverdue, "overdue"))


# -- settings ----------------------------------------------------------------------------------
class SettingsForm(FlaskForm):
    inactive_days = StringField(_l("Days without interaction before a customer is flagged"))
    auto_release = BooleanField(_l("Release flagged customers to the shared pool every night"))


class CustomerSettingsView(BaseView):
    route_base = "/customer_settings"
    default_view = "edit"
    class_permission_name = "customer_settings"
    method_permission_name = {"edit": "read", "save": "write", "grade_all": "write"}
    base_permissions = ["can_read", "can_write"]

    def _render(self, form):
        return self.render_template("customers/settings.html", form=form, title=_("Customer settings"))

    @expose("/", methods=["GET"])
    @has_access
    def edit(self):
        from app.modules.customers.pool import get_settings

        settings = get_settings()
        form = SettingsForm()
        form.inactive_days.data, form.auto_release.data = str(settings.inactive_days), settings.auto_release
        return self._render(form)

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        from app.modules.customers.pool import update_settings

        form = SettingsForm()
        try:
            update_settings(current_actor(), inactive_days=form.inactive_days.data, auto_release=form.auto_release.data)
        except DomainError as exc:
            db.session.rollback()
            form.inactive_days.errors = [exc.message]
            return self._render(form)
        flash(_("Customer settings saved."), "success")
        return redirect(url_for("CustomerSettingsView.edit"))

    @expose("/grade", methods=["POST"])
    @has_access
    def grade_all(self):
        from app.modules.customers.jobs import grade_customers

        queue().enqueue(grade_customers, current_actor().id, job_timeout=3600)
        flash(_("Grading of all customers has started; you will be notified when it is done."), "info")
        return redirect(url_for("CustomerSettingsView.edit"))


def _document_source(spec):
    """Timeline entries for a module's documents of a customer (contracts, orders, invoices,
    payments: any spec whose rows carry customer_id, code and created_at), newest first, shown
    only to users who may read that module, in their data scope."""
    from app.modules.customers.interactions import TimelineEntry

    model = spec.model
    columns = model.__table__.columns
    choices = {c.key: dict(c.info["choices"]) for c in columns if "choices" in c.info}

    def fetch(customer_id: int, limit: int):
        actor = current_actor()
        if not _may("read", spec.permission_name):
            return []
        stmt = select(model).where(model.customer_id == customer_id)
        clause = scope_clause(spec, actor)
        if clause is not None:
            stmt = stmt.where(clause)
        entries = []
        # The document alone: its customer is this page's, its owner is read lazily (often in the session).
        for doc in db.session.scalars(stmt.order_by(model.id.desc()).limit(limit).options(lazyload("*"))):
            details = []
            if "amount" in columns and doc.amount is not None:
                details.append((str(spec.label_columns.get("amount", _("Amount"))), f"{doc.amount:,.2f}"))
            if "status" in columns and doc.status:
                details.append((str(spec.label_columns.get("status", _("Status"))),
                                str(choices.get("status", {}).get(doc.status, doc.status))))
            name = getattr(doc, "title", None) or getattr(doc, "name", None) or ""
            entries.append(TimelineEntry(kind=spec.name, at=doc.created_at, title=f"{doc.code} {name}".strip(),
                                         user=getattr(doc, "owner", None), details=details,
                                         link=f"/{spec.name}/show/{doc.id}"))
        return entries

    return fetch


# Each document source is one statement of the timeline tab, which keeps to the detail budget (10): invoices and
# payments show on their orders' and invoices' tabs until the sources are read in one statement.
NOT_ON_TIMELINE = {"invoices", "payments", "event_registrations"}


def register_document_sources() -> None:
    from app.modules.customers.interactions import TimelineSource, register_timeline_source

    for spec in registry.specs.values():
        columns = spec.model.__table__.columns
        if spec.model is not Customer and spec.name not in NOT_ON_TIMELINE and \
                all(c in columns for c in ("customer_id", "code", "created_at")):
            register_timeline_source(TimelineSource(key=spec.name, label=spec.label, fetch=_document_source(spec)))


def register_views(appbuilder) -> None:
    """Called once by the registry after the generated screens exist."""
    register_document_sources()

    register_tab(ShowTab(key="timeline", label=_l("Timeline"), render=_timeline_tab,
                         applies=lambda spec: spec.name == "customers", badge=_interaction_count,
                         count=_interaction_count_query, order=10))
    from app.modules.customers.report_views import profile_tab

    register_tab(ShowTab(key="profile", label=_l("Customer profile"), render=profile_tab,
                         applies=lambda spec: spec.name == "customers", order=20))
    from app.modules.customers.report_views import AnalysisView, ProfileView

    appbuilder.add_view_no_menu(CustomerBulkView)
    appbuilder.add_view_no_menu(TimelineView)
    appbuilder.add_view_no_menu(ProfileView)
    entries = [
        (FollowUpsView, "menu:customer_follow_ups", _l("My follow-ups"), "fa-calendar-check-o"),
        (PoolLinksView, "menu:customer_pool", _l("Shared pool"), "fa-inbox"),
        (AnalysisView, "menu:customer_analysis", _l("Customer analysis report"), "fa-pie-chart"),
    ]
    for view, name, label, icon in entries:
        appbuilder.add_view(view, name, label=label, icon=icon, category=MENU)
    appbuilder.add_link("menu:customer_inactive", href="/customer_lists/inactive/", label=_l("Customers without interaction"),
                        icon="fa-bell-slash", category=MENU)
    appbuilder.add_view(CustomerSettingsView, "menu:customer_settings", label=_l("Customer settings"),
                        icon="fa-sliders", category=MENU)
    # Whoever may read customers sees these menu entries (roles get them through access.csv).
    names = registry.menu_names.setdefault("customers", [MENU])
    for name in ("menu:customer_follow_ups", "menu:customer_pool", "menu:customer_analysis", "menu:customer_inactive"):
        if name not in names:
            names.append(name)
    settings_names = registry.menu_names.setdefault("customer_settings", [MENU])
    if "menu:customer_settings" not in settings_names:
        settings_names.append("menu:customer_settings")
    from app.modules.customers import import_views  # 导入客户, 疑似重复客户 and merging
    import_views.register_views(appbuilder)

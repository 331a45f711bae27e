"""The contracts module's own screen beyond the generated ones: the customer look-up behind the
customer chooser of the contract forms and search (forms.RemoteSelectField)."""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.core.datamodel import current_actor
from app.core.reason_form import ReasonView
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.customers.api import Customer

CHOICES_URL = "/contracts/customers/choices.json"
CONTACTS_URL = "/contracts/customers/contacts.json"
LIMIT = 20


def describe_customer(customer) -> str:
    return f"{customer.name}（{customer.code}）"


def customer_choices(actor, term: str, limit: int = LIMIT) -> list[dict]:
    """Up to `limit` customers the actor may see whose name contains `term` or whose code starts
    with it, newest first, as Select2 options."""
    stmt = select(Customer.id, Customer.name, Customer.code)
    clause = scope_clause(registry.get("customers"), actor)
    if clause is not None:
        stmt = stmt.where(clause)
    term = term.strip()
    if term:
        if term.upper().startswith("KH-"):
            stmt = stmt.where(Customer.code.startswith(term.upper(), autoescape=True))
        else:
            stmt = stmt.where(Customer.name.icontains(term, autoescape=True))
            if len(term) >= 2 and db.session.get_bind().dialect.name == "postgresql":
                # The bigram index finds the candidates; ILIKE still decides (see datamodel.py).
                stmt = stmt.where(func.zwt_bigrams(Customer.name).op("@>")(func.zwt_bigrams(term)))
    rows = db.session.execute(stmt.order_by(Customer.id.desc()).limit(limit)).all()
    return [{"id": pk, "text": f"{name}（{code}）"} for pk, name, code in rows]


class ContractCustomerChoicesView(BaseView):
    """/contracts/customers/choices.json?q=…: for people who may read contracts and customers."""

    route_base = "/contracts/customers"
    class_permission_name = "contracts"
    method_permission_name = {"choices": "read", "contacts": "read"}
    base_permissions = ["can_read"]

    @expose("/choices.json")
    @has_access
    def choices(self):
        if not self.appbuilder.sm.has_access("can_read", "customers"):
            return jsonify(results=[], pagination={"more": False})
        results = customer_choices(current_actor(), request.args.get("q", "")[:100])
        return jsonify(results=results, pagination={"more": False})


    @expose("/contacts.json")
    @has_access
    def contacts(self):
        """The contacts of the customer chosen in the form (?customer=…), by name."""
        from app.core.scope import can_see
        from app.modules.customers.api import Contact

        actor = current_actor()
        raw = request.args.get("customer", "")
        customer_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
        if customer_id is None or not self.appbuilder.sm.has_access("can_read", "customers") \
                or not can_see("customers", actor, customer_id):
            return jsonify(results=[], pagination={"more": False})
        stmt = select(Contact).where(Contact.customer_id == customer_id)
        term = request.args.get("q", "")[:100].strip()
        if term:
            stmt = stmt.where(Contact.name.icontains(term, autoescape=True))
        found = db.session.scalars(stmt.order_by(Contact.is_primary.desc(), Contact.id).limit(LIMIT)).all()
        return jsonify(results=[{"id": c.id, "text": describe_contact(c)} for c in found],
                       pagination={"more": False})


def describe_contact(contact) -> str:
    details = " ".join(part for part in (contact.title, contact.phone) if part)
    return f"{contact.name}（{details}）" if details else contact.name


def _terminate_form():
    from markupsafe import Markup

    from app.core.reason_form import ReasonForm
    from app.modules.contracts import lifecycle
    from app.modules.contracts.models import Contract

    return ReasonForm(
        module="contracts", model=Contract, operation=lifecycle.terminate, title=_("Terminate the contract"),
        records_label=_("Contract to terminate"),
        describe=lambda c: Markup("<strong>{}</strong> {}（{}）").format(c.code, c.title, c.customer.name),
        note=_("The contract stops being in force; its terms stay as signed and it can then be archived."),
        label=_("Why terminated"), button=_("Terminate the contract"), icon="fa-stop-circle",
        missing=_("The contract does not exist or you may not see it."), form_id="zwt-contract-terminate",
        back=lambda rows: f"/contracts/show/{rows[0].id}" if rows else "/contracts/list/",
        done=lambda rows: _("Contract %(code)s terminated.", code=rows[0].code))


class ContractTerminateView(ReasonView):
    """/contracts_terminate/<id>: the reason, then the contract is terminated (终止)."""

    route_base = "/contracts_terminate"
    class_permission_name = "contracts"

    def form(self):
        return _terminate_form()


class ContractArchiveView(BaseView):
    """/contracts_archive/: search the archived contracts (合同档案)."""

    route_base = "/contracts_archive"
    default_view = "index"
    class_permission_name = "contracts"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]

    @expose("/")
    @has_access
    def index(self):
        from urllib.parse import urlencode

        from app.modules.contracts import archive
        from app.modules.contracts.models import STATUS_CHOICES

        query, errors = archive.parse(request.args)
        rows, more = ([], False) if errors else archive.search(current_actor(), query)
        args = {k: v for k, v in request.args.items() if k != "page"}

        def page_url(number: int) -> str:
            return f"{request.path}?{urlencode({**args, 'page': number})}"

        return self.render_template("contracts/archive.html", title=_("Contract archive"), rows=rows, more=more,
                                    page=query.page, errors=errors, args=request.args, types=archive.types(),
                                    endings={k: str(v) for k, v in STATUS_CHOICES}, page_url=page_url
                                    ), 400 if errors else 200


def register_views(appbuilder) -> None:
    from flask_babel import lazy_pgettext

    from app.core.registry import registry

    appbuilder.add_view_no_menu(ContractTerminateView)
    appbuilder.add_view(ContractArchiveView, "menu:contract_archive", label=lazy_pgettext("menu", "Contract archive"),
                        icon="fa-archive", category="menu:contracts")
    names = registry.menu_names.setdefault("contracts", ["menu:contracts"])
    if "menu:contract_archive" not in names:
        names.append("menu:contract_archive")
    appbuilder.add_view_no_menu(ContractCustomerChoicesView)
    from app.modules.contracts import signing_views

    signing_views.register_views(appbuilder)

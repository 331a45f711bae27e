"""The contracts module's own screen beyond the generated ones: the customer look-up behind the
customer chooser of the contract forms and search (forms.RemoteSelectField)."""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select

from app.core.datamodel import current_actor
from app.core.registry import registry
from app.core.scope import scope_clause
from app.extensions import db
from app.modules.customers.api import Customer

CHOICES_URL = "/contracts/customers/choices.json"
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
    method_permission_name = {"choices": "read"}
    base_permissions = ["can_read"]

    @expose("/choices.json")
    @has_access
    def choices(self):
        if not self.appbuilder.sm.has_access("can_read", "customers"):
            return jsonify(results=[], pagination={"more": False})
        results = customer_choices(current_actor(), request.args.get("q", "")[:100])
        return jsonify(results=results, pagination={"more": False})


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(ContractCustomerChoicesView)

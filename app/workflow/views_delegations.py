"""/approvals/delegations/: each user's delegations (委托); admins see and manage everyone's."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound, ValidationErrors
from app.extensions import db
from app.workflow import delegations
from app.workflow.models import WorkflowDefinition
from app.workflow.resolver import company_today
from app.workflow.views_common import APPROVALS, APPROVALS_PERMISSIONS, active_users


def _date(text: str, field: str, errors: dict) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[field] = [_("Please enter a date as YYYY-MM-DD, e.g. 2026-12-31.")]
        return None


class DelegationsView(BaseView):
    route_base = "/approvals/delegations"
    default_view = "index"
    class_permission_name = APPROVALS
    base_permissions = APPROVALS_PERMISSIONS
    method_permission_name = {"index": "read", "add": "write", "confirm_delete": "write", "delete": "write"}

    def _manage_all(self) -> bool:
        return bool(self.appbuilder.sm.has_access("can_manage", APPROVALS))

    def _index(self, errors=None, form=None, status=200):
        actor = current_actor()
        manage_all = self._manage_all()
        chains = list(db.session.execute(select(WorkflowDefinition.name, WorkflowDefinition.title)
                                         .order_by(WorkflowDefinition.title)))
        return self.render_template(
            "workflow/delegations.html", title=_("Delegations"), manage_all=manage_all,
            rows=delegations.delegations(None if manage_all else actor), standing_in=delegations.delegated_to(actor),
            chains=chains, chain_titles=dict(chains), users=active_users(), actor=actor, today=company_today(),
            errors=errors or {}, form=form or {}), status

    @expose("/")
    @has_access
    def index(self):
        return self._index()

    @expose("/add", methods=["POST"])
    @has_access
    def add(self):
        actor = current_actor()
        form = request.form.to_dict()
        errors: dict = {}
        starts_on = _date(form.get("starts_on"), "starts_on", errors)
        ends_on = _date(form.get("ends_on"), "ends_on", errors)
        if errors:
            return self._index(errors, form, 400)
        manage_all = self._manage_all()
        user_id = request.form.get("user", type=int) if manage_all else actor.id
        try:
            row = delegations.create_delegation(actor, user_id, request.form.get("delegate", type=int), starts_on,
                                                ends_on, form.get("definition") or None, any_user=manage_all)
        except DomainError as error:
            db.session.rollback()
            errors = error.errors if isinstance(error, ValidationErrors) else {error.field or "delegate": [error.message]}
            return self._index(errors, form, error.status)
        flash(_("From %(start)s to %(end)s, %(name)s approves in place of %(user)s.", start=row.starts_on.isoformat(),
                end=row.ends_on.isoformat(), name=row.delegate.display_name, user=row.user.display_name), "success")
        return redirect(url_for("DelegationsView.index"))

    def _find(self, delegation_id):
        try:
            return delegations.find_delegation(current_actor(), delegation_id, any_user=self._manage_all())
        except NotFound:
            abort(404)

    @expose("/<int:delegation_id>/delete", methods=["GET"])
    @has_access
    def confirm_delete(self, delegation_id):
        row = self._find(delegation_id)
        return self.render_template("workflow/delegation_delete.html", title=_("Delete delegation"), row=row)

    @expose("/<int:delegation_id>/delete", methods=["POST"])
    @has_access
    def delete(self, delegation_id):
        self._find(delegation_id)
        delegations.delete_delegation(current_actor(), delegation_id, any_user=self._manage_all())
        flash(_("The delegation is deleted; new approvals go to the person again."), "success")
        return redirect(url_for("DelegationsView.index"))

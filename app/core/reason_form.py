"""Forms that ask why before an operation on chosen records (终止 a contract, 取消 orders …).

A module's view names its records and its service operation; `reason_form` shows the records, asks for the
reason and applies the operation to each record in the user's data scope: a missing reason is the form again
with its message (400), nothing changed; a record the operation refuses is named in a flash message while the
others go ahead."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import flash, redirect, request
from flask_appbuilder import BaseView, expose, has_access

from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.extensions import db


@dataclass(frozen=True)
class ReasonForm:
    module: str                       # the module whose data scope applies
    model: Any
    operation: Callable               # operation(actor, id, reason); ValidationErrors for the reason
    title: Any
    records_label: Any                # e.g. 要取消的订单
    describe: Callable                # describe(record) -> its text on the form
    note: Any                         # what the operation does
    label: Any                        # the reason's label, e.g. 取消原因
    button: Any
    icon: str
    missing: Any                      # shown when no chosen record exists or is the user's to see
    form_id: str
    back: Callable                    # back(records) -> the address of 返回 and of the page after success
    done: Callable                    # done(records) -> the success message


def visible_records(form: ReasonForm, ids: list[int]) -> list:
    from app.core.scope import can_see

    actor = current_actor()
    return [row for row in (db.session.get(form.model, i) for i in ids if 0 < i < 2 ** 31)
            if row is not None and can_see(form.module, actor, row.id)]


def reason_form(view, form: ReasonForm, records: list, ids_field: str = ""):
    """The page of `view` (GET, or POST refused) or the redirect after the operation (POST)."""
    actor, error = current_actor(), None
    if request.method == "POST" and records:
        reason, failed = request.form.get("reason", ""), []
        for record in records:
            try:
                form.operation(actor, record.id, reason)
            except ValidationErrors as exc:
                db.session.rollback()
                error = next(iter(exc.errors.values()))[0]
                break
            except DomainError as exc:
                db.session.rollback()
                failed.append(exc.message)
        if error is None:
            for message in failed:
                flash(message, "danger")
            if len(failed) < len(records):
                flash(form.done(records), "success")
            return redirect(form.back(records))
    status = 400 if error else (200 if records else 404)
    return view.render_template("zwt/reason_form.html", form=form, records=records, error=error, title=form.title,
                                reason=request.form.get("reason", ""), ids_field=ids_field,
                                back=form.back(records) if records else "/"), status


class ReasonView(BaseView):
    """A module's reason screen: /<route_base>/?ids=1,2 or /<route_base>/<id>. A subclass names its route,
    its permission (class_permission_name, needing write) and `form()`, the ReasonForm it shows."""

    method_permission_name = {"chosen": "write", "one": "write"}
    base_permissions = ["can_write"]

    def form(self) -> ReasonForm:
        raise NotImplementedError

    @expose("/", methods=["GET", "POST"])
    @has_access
    def chosen(self):
        form = self.form()
        ids = [int(part) for part in (request.values.get("ids") or "").split(",") if part.strip().isdigit()][:100]
        records = visible_records(form, ids)
        return reason_form(self, form, records, ids_field=",".join(str(r.id) for r in records))

    @expose("/<int:record_id>", methods=["GET", "POST"])
    @has_access
    def one(self, record_id: int):
        form = self.form()
        return reason_form(self, form, visible_records(form, [record_id]))

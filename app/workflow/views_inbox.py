"""The approvals inbox (/approvals/): four tabs with counts, title search, pages, and bulk
approval of selected waiting tasks after a confirmation; and the navbar count."""
from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_pgettext, pgettext

from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core import notify
from app.core.system import short_time
from app.extensions import db
from app.workflow import engine, inbox
from app.workflow.cc_reading import read_ids
from app.workflow.comment_files import check_signature
from app.workflow.models import PENDING, ApprovalTask
from app.workflow.views_common import (APPROVALS, APPROVALS_PERMISSIONS, INSTANCE_STATUS, INSTANCE_STATUS_CLASS,
                                       TASK_STATUS, step_name, waiting_for)
from app.workflow.views_task import check_task_seen

TAB_LABELS = {
    inbox.WAITING: lazy_pgettext("approvals inbox", "Waiting for me"),
    inbox.SUBMITTED: lazy_pgettext("approvals inbox", "I submitted"),
    inbox.CC: lazy_pgettext("approvals inbox", "CC to me"),
    inbox.HANDLED: lazy_pgettext("approvals inbox", "Handled by me"),
}
BULK_MAX = 100


def _describe(row, tab: str) -> dict:
    instance = row.instance
    definition = engine.definition_of(instance)
    out = {"instance": instance, "task": row.task, "at": row.at, "chain": definition.title,
           "status": str(INSTANCE_STATUS.get(instance.status, instance.status)),
           "status_css": INSTANCE_STATUS_CLASS.get(instance.status, "default"),
           "submitter": instance.submitter.display_name}
    if row.task is not None:
        out["step"] = step_name(definition, row.task.step_id)
        out["url"] = url_for("ApprovalTaskView.task", task_id=row.task.id)
        out["decision"] = str(TASK_STATUS.get(row.task.status, row.task.status))
        out["on_behalf_of"] = row.task.on_behalf_of.display_name if row.task.on_behalf_of else None
    else:
        out["step"] = step_name(definition, instance.current_step) if instance.status == "running" else ""
        out["url"] = url_for("ApprovalTaskView.instance", instance_id=instance.id)
    if tab == inbox.SUBMITTED:
        out["waiting_for"] = waiting_for(instance)
    return out


def _task_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("task"):
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    return ids[:BULK_MAX]


class ApprovalInboxView(BaseView):
    route_base = "/approvals"
    default_view = "index"
    class_permission_name = APPROVALS
    base_permissions = APPROVALS_PERMISSIONS
    method_permission_name = {"index": "read", "bulk_confirm": "write", "bulk_approve": "write"}

    @expose("/")
    @has_access
    def index(self):
        actor = current_actor()
        tab = request.args.get("tab", inbox.WAITING)
        if tab not in inbox.TABS:
            tab = inbox.WAITING
        search = request.args.get("q", "").strip()[:100]
        page = max(request.args.get("page", 0, type=int), 0)
        counts = inbox.counts(actor, search)
        pages = max((counts[tab] + inbox.PAGE_SIZE - 1) // inbox.PAGE_SIZE, 1)
        page = min(page, pages - 1)
        found = inbox.rows(actor, tab, search, page)
        read = read_ids(actor, [r.instance.id for r in found]) if tab == inbox.CC else set()
        rows = [{**_describe(r, tab), "unread": tab == inbox.CC and r.instance.id not in read} for r in found]
        return self.render_template("workflow/inbox.html", title=_("My approvals"), tab=tab, tabs=inbox.TABS,
                                    labels=TAB_LABELS, counts=counts, rows=rows, search=search, page=page,
                                    pages=pages, short_time=short_time)

    @expose("/bulk", methods=["POST"])
    @has_access
    def bulk_confirm(self):
        """The confirmation page: nothing is approved before the user confirms there."""
        actor = current_actor()
        ids = _task_ids()
        tasks = [t for t in (db.session.get(ApprovalTask, i) for i in ids)
                 if t is not None and t.assignee_id == actor.id and t.status == PENDING]
        if not tasks:
            flash(_("Tick the approvals to approve first."), "warning")
            return redirect(url_for("ApprovalInboxView.index"))
        rows = [{"task": t, "instance": t.instance, "chain": engine.definition_of(t.instance).title,
                 "step": step_name(engine.definition_of(t.instance), t.step_id)} for t in tasks]
        return self.render_template("workflow/bulk_confirm.html", title=_("Approve the selected documents"),
                                    rows=rows)

    @expose("/bulk/approve", methods=["POST"])
    @has_access
    def bulk_approve(self):
        """Each task is approved on its own (engine.approve); a refusal is reported on its row
        and the others still go through. A task reopened after the confirmation page showed it
        is refused (the user has not seen its new state)."""
        actor = current_actor()
        comment = request.form.get("comment", "").strip() or None
        results = []
        for task_id in _task_ids():
            task = db.session.get(ApprovalTask, task_id)
            title = task.instance.title if task is not None else f"#{task_id}"
            try:
                if task is not None:
                    check_task_seen(actor, task, request.form.get(f"version_{task_id}"))
                    check_signature(task, "approve", None)
                engine.approve(actor, task_id, comment)
            except DomainError as error:
                db.session.rollback()
                results.append({"task_id": task_id, "title": title, "ok": False, "message": error.message})
            else:
                results.append({"task_id": task_id, "title": title, "ok": True, "message": pgettext("approval action", "Approved")})
        done = sum(r["ok"] for r in results)
        return self.render_template("workflow/bulk_result.html", title=_("Bulk approval"), results=results,
                                    done=done, failed=len(results) - done, short_time=short_time)


def navbar_count() -> dict:
    """Template context: how many tasks wait for the signed-in user (one COUNT per page)."""
    user = getattr(g, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or getattr(g, "_api_key_user", False):
        return {"approvals_waiting": 0}
    cached = getattr(g, "_approvals_waiting", None)
    if cached is None:
        notify.unread_count(user)   # counts the waiting tasks in the same statement
        cached = getattr(g, "_approvals_waiting", None)
    if cached is None:
        cached = g._approvals_waiting = inbox.waiting_count(user)
    return {"approvals_waiting": cached}

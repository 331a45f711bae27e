"""The approval of one document on screen: the 审批 tab of its show page, the task page, the
confirmation pages behind the approve / reject links of notification e-mails, and the POST
forms for every action (each one calls engine.py; a GET never changes anything).

Who may look is the engine's rule (engine.may_view): participants — submitter, approvers and
their principals, CC recipients — even when the document lies outside their data scope, and
whoever may see the document. Everyone else gets 404, as if the approval did not exist.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l, pgettext
from markupsafe import Markup
from sqlalchemy import select

from app.core.datamodel import current_actor
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.registry import registry
from app.core.scope import can_see
from app.core.system import short_time
from app.extensions import db
from app.workflow import comment_files, engine, reading
from app.workflow.cc_reading import mark_read, read_ids
from app.workflow.submitter import next_urge_at
from app.workflow.models import APPROVED, PENDING, RUNNING, ApprovalCc, ApprovalInstance, ApprovalTask
from app.workflow.views_common import (APPROVALS, APPROVALS_PERMISSIONS, TASK_STATUS, active_users, document_link,
                                       may_write_module, safe_next, step_name, view_of)

TAB_KEY = "approval"
TAB_LABEL = _l("Approval")
# A decision that arrives after the task was closed: the page says who handled it.
TOO_LATE = ("workflow.already_handled", "workflow.on_hold", "workflow.task_changed", "workflow.not_your_turn")


class TaskChanged(DomainError):
    """The task was reopened or changed after the page the decision comes from was drawn."""

    status = 409


def check_task_seen(actor, task: ApprovalTask, seen: str | None) -> None:
    """A decision from a page carries the version of the task it showed (task_version): a task
    reopened since then (an added signer decided, a return) is decided on its current state only
    after the user has seen it. Forms without the field (API clients, old pages) are not checked."""
    seen = (seen or "").strip()
    if seen and task.assignee_id == actor.id and task.status == PENDING and seen != str(task.version):
        raise TaskChanged("workflow.task_changed",
                          _("This task changed after you opened it; please read it again before you decide."))


# -- the document's fields, read-only ---------------------------------------------------------
def _value(item, name: str):
    value = item
    for part in name.split("."):
        value = getattr(value, part, None) if value is not None else None
    return value


def document_fields(spec, item) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(fieldset title, [(label, value as the list shows it)])] from the spec's show fieldsets."""
    view = registry.views.get(spec.name)
    formatters = dict(getattr(view, "formatters_columns", {}) or {})
    fieldsets = spec.show_fieldsets or [(spec.label, {"fields": list(spec.list_columns)})]
    groups = []
    for title, fieldset in fieldsets:
        rows = []
        for name in fieldset.get("fields", []):
            value = _value(item, name)
            if name in formatters:
                shown = formatters[name](value)
            else:
                shown = "" if value is None else value
            rows.append((str(spec.label_columns.get(name, name)), "" if shown is None else str(shown)))
        groups.append((str(title), rows))
    return groups


def with_files(view, actor=None):
    """The view with what the timeline and the side forms show beside it: each entry's files
    (`entry_files`, in the timeline's order), when the submitter may urge again, and whether it
    was copied to `actor` since they last read it (`cc_unread`)."""
    view.entry_files = comment_files.files_in_timeline_order(view.instance)
    view.next_urge = next_urge_at(view.instance) if view.actions.urge else None
    view.signature_required = view.actions.task is not None and comment_files.signature_required(view.actions.task)
    view.cc_unread = actor is not None and view.instance.id not in read_ids(actor, [view.instance.id]) \
        and copied_to(actor, view.instance)
    return view


def copied_to(actor, instance) -> bool:
    return db.session.scalar(select(ApprovalCc.id).where(ApprovalCc.instance_id == instance.id,
                                                         ApprovalCc.user_id == actor.id).limit(1)) is not None


def prepared_files() -> comment_files.Prepared:
    """The files and drawn signature a form posted, checked (DomainError naming the field)."""
    return comment_files.prepare(request.files.getlist("files"),
                                 comment_files.signature_from_data_url(request.form.get("signature")))


# -- the tab on show pages -------------------------------------------------------------------
def render_tab(spec, item):
    actor = current_actor()
    if actor is None or item is None:
        return None
    wf = spec.workflow
    can_submit = getattr(item, wf.status_field) == wf.draft and may_write_module(spec)
    views = [with_files(view_of(instance, actor), actor) for instance in reading.instances_of(spec.name, item.id)]
    here = f"/{spec.name}/show/{item.id}#zwt-tab-{TAB_KEY}"
    html = render_template("workflow/tab.html", spec=spec, item=item, views=views, can_submit=can_submit,
                           here=here, users=active_users() if any(v.actions.task for v in views) else [],
                           error=None, form={}, short_time=short_time)
    return Markup(html)


# -- screens -----------------------------------------------------------------------------------
class ApprovalTaskView(BaseView):
    """Task and instance pages and every approval action (POST)."""

    route_base = "/approvals"
    class_permission_name = APPROVALS
    base_permissions = APPROVALS_PERMISSIONS
    method_permission_name = {
        "task": "read", "instance": "read", "confirm_approve": "read", "confirm_reject": "read",
        "approve": "write", "reject": "write", "return_to": "write", "transfer": "write", "add_signer": "write",
        "withdraw": "write", "urge": "write", "comment": "write", "submit": "write", "file": "read",
        "thumbnail": "read", "cc_read": "write",
    }

    # -- loading, with the engine's visibility rule
    def _task(self, task_id) -> ApprovalTask:
        task = db.session.get(ApprovalTask, task_id)
        if task is None or not reading.may_view(current_actor(), task.instance):
            abort(404)
        return task

    def _instance(self, instance_id) -> ApprovalInstance:
        instance = db.session.get(ApprovalInstance, instance_id)
        if instance is None or not reading.may_view(current_actor(), instance):
            abort(404)
        return instance

    def _page(self, instance, task=None, error=None, form=None, status=200):
        actor = current_actor()
        spec = registry.specs.get(instance.document)
        item = db.session.get(spec.model, instance.record_id) if spec is not None else None
        view = with_files(view_of(instance, actor), actor)
        closed = None
        if task is not None and (task.status != PENDING or instance.status != RUNNING):
            closed = _("This task is closed (%(status)s); handled by %(name)s.",
                       status=TASK_STATUS.get(task.status, task.status), name=engine.handled_by(task))
        here = url_for("ApprovalTaskView.task", task_id=task.id) if task is not None else \
            url_for("ApprovalTaskView.instance", instance_id=instance.id)
        may_open_document = item is not None and spec is not None and \
            self.appbuilder.sm.has_access("can_read", spec.permission_name) and \
            can_see(spec.name, actor, item.id)
        return self.render_template(
            "workflow/task.html", title=instance.title, spec=spec, item=item, task=task, v=view, closed=closed,
            fields=document_fields(spec, item) if item is not None else [], here=here,
            document_url=document_link(instance) if may_open_document else None,
            users=active_users(keep=(form or {}).get("user")) if view.actions.task is not None else [], error=error,
            form=form or {}, short_time=short_time, diagram=_diagram(view)), status

    @expose("/task/<int:task_id>")
    @has_access
    def task(self, task_id):
        task = self._task(task_id)
        return self._page(task.instance, task)

    @expose("/instance/<int:instance_id>")
    @has_access
    def instance(self, instance_id):
        return self._page(self._instance(instance_id))

    # -- e-mail links: GET shows what would happen, POST does it
    def _confirm_page(self, task, decision, error=None, comment="", status=200):
        actor = current_actor()
        instance = task.instance
        definition = engine.definition_of(instance)
        closed = None
        if task.status != PENDING or instance.status != RUNNING:
            closed = _("This task was already handled by %(name)s.", name=engine.handled_by(task))
        elif task.assignee_id != actor.id:
            closed = _("This task is not yours to handle.")
            status = 403
        spec = registry.specs.get(instance.document)
        item = db.session.get(spec.model, instance.record_id) if spec is not None else None
        return self.render_template(
            "workflow/confirm.html", title=pgettext("approval", "Approve") if decision == "approve" else pgettext("approval", "Reject"),
            task=task, instance=instance, decision=decision, chain=definition.title,
            step=step_name(definition, task.step_id), closed=closed, error=error, comment=comment,
            comment_required=decision in definition.settings.comment_required,
            on_behalf_of=task.on_behalf_of, fields=document_fields(spec, item)[:1] if item is not None else [],
            task_url=url_for("ApprovalTaskView.task", task_id=task.id)), status

    @expose("/task/<int:task_id>/approve", methods=["GET"])
    @has_access
    def confirm_approve(self, task_id):
        return self._confirm_page(self._task(task_id), "approve")

    @expose("/task/<int:task_id>/reject", methods=["GET"])
    @has_access
    def confirm_reject(self, task_id):
        return self._confirm_page(self._task(task_id), "reject")

    @expose("/task/<int:task_id>/approve", methods=["POST"])
    @has_access
    def approve(self, task_id):
        return self._decide(task_id, "approve", engine.approve, lambda doc: _("You approved “%(doc)s”.", doc=doc))

    @expose("/task/<int:task_id>/reject", methods=["POST"])
    @has_access
    def reject(self, task_id):
        return self._decide(task_id, "reject", engine.reject, lambda doc: _("You rejected “%(doc)s”.", doc=doc))

    def _decide(self, task_id, decision, action, done_message):
        task = self._task(task_id)
        comment = request.form.get("comment", "").strip()
        try:
            check_task_seen(current_actor(), task, request.form.get("task_version"))
            prepared = prepared_files()
            try:
                comment_files.check_signature(task, decision, prepared)
            except DomainError:
                prepared.discard()
                raise
            instance = comment_files.run_with_files(current_actor(), task.instance_id, decision, lambda: action(
                current_actor(), task.id, comment or None), prepared)
        except DomainError as error:
            db.session.rollback()
            task = self._task(task_id)
            if request.form.get("via") == "link":
                status = 409 if error.code in TOO_LATE else error.status
                return self._confirm_page(task, decision, error=error.message, comment=comment, status=status)
            return self._task_error(task, decision, error)
        flash(done_message(instance.title), "success")
        return redirect(safe_next(url_for("ApprovalTaskView.task", task_id=task_id)))

    # -- the other task actions
    def _task_error(self, task, action, error: DomainError):
        if isinstance(error, NotFound):
            abort(404)
        return self._page(task.instance, task, error={"instance": task.instance_id, "action": action,
                                                      "message": error.message, "field": error.field},
                          form=request.form.to_dict(), status=error.status)

    def _task_action(self, task_id, action, run, message):
        task = self._task(task_id)
        try:
            comment_files.run_with_files(current_actor(), task.instance_id, action, lambda: run(task), prepared_files())
        except DomainError as error:
            db.session.rollback()
            return self._task_error(self._task(task_id), action, error)
        flash(message, "success")
        return redirect(safe_next(url_for("ApprovalTaskView.task", task_id=task_id)))

    @expose("/task/<int:task_id>/return", methods=["POST"])
    @has_access
    def return_to(self, task_id):
        form = request.form
        return self._task_action(task_id, "return", lambda task: engine.return_to(
            current_actor(), task.id, form.get("step", ""), form.get("comment", "").strip() or None),
            _("The document was returned."))

    @expose("/task/<int:task_id>/transfer", methods=["POST"])
    @has_access
    def transfer(self, task_id):
        form = request.form
        return self._task_action(task_id, "transfer", lambda task: engine.transfer(
            current_actor(), task.id, form.get("user", type=int), form.get("comment", "").strip() or None),
            _("The task was transferred."))

    @expose("/task/<int:task_id>/add_signer", methods=["POST"])
    @has_access
    def add_signer(self, task_id):
        form = request.form
        return self._task_action(task_id, "add_signer", lambda task: engine.add_signer(
            current_actor(), task.id, form.get("user", type=int), form.get("position", ""),
            form.get("comment", "").strip() or None),
            _("The signer was added."))

    # -- actions on the whole instance
    def _instance_action(self, instance_id, action, run, message):
        instance = self._instance(instance_id)
        try:
            run(instance)
        except DomainError as error:
            db.session.rollback()
            if isinstance(error, NotFound):
                abort(404)
            return self._page(self._instance(instance_id), error={
                "instance": instance_id, "action": action, "message": error.message, "field": error.field},
                form=request.form.to_dict(), status=error.status)
        flash(message, "success")
        return redirect(safe_next(url_for("ApprovalTaskView.instance", instance_id=instance_id)))

    @expose("/instance/<int:instance_id>/withdraw", methods=["POST"])
    @has_access
    def withdraw(self, instance_id):
        return self._instance_action(instance_id, "withdraw", lambda i: engine.withdraw(
            current_actor(), i.id, request.form.get("comment", "").strip() or None),
            _("The document was withdrawn and is a draft again."))

    @expose("/instance/<int:instance_id>/urge", methods=["POST"])
    @has_access
    def urge(self, instance_id):
        return self._instance_action(instance_id, "urge", lambda i: engine.urge(
            current_actor(), i.id, request.form.get("comment", "").strip() or None),
            _("The approvers were reminded."))

    @expose("/instance/<int:instance_id>/comment", methods=["POST"])
    @has_access
    def comment(self, instance_id):
        return self._instance_action(instance_id, "comment", lambda i: engine.comment(
            current_actor(), i.id, request.form.get("comment", ""), prepared_files() or None), _("Comment added."))

    @expose("/instance/<int:instance_id>/cc_read", methods=["POST"])
    @has_access
    def cc_read(self, instance_id):
        instance = self._instance(instance_id)
        if not copied_to(current_actor(), instance):
            abort(404)
        mark_read(current_actor(), instance.id)
        flash(_("Marked as read."), "success")
        return redirect(safe_next(url_for("ApprovalTaskView.instance", instance_id=instance_id)))

    # -- files on the timeline: only for those who may see the approval (404 for anyone else)
    @expose("/file/<int:file_id>")
    @has_access
    def file(self, file_id):
        from app.core.files import store
        from app.core.files.views import file_response

        try:
            attachment, _instance = comment_files.visible_file(current_actor(), file_id)
        except NotFound:
            abort(404)
        return file_response(attachment, store().open(attachment.sha256), inline=request.args.get("inline") == "1")

    @expose("/file/<int:file_id>/thumbnail")
    @has_access
    def thumbnail(self, file_id):
        from app.core.files import store
        from app.core.files.views import file_response

        try:
            attachment, _instance = comment_files.visible_file(current_actor(), file_id)
        except NotFound:
            abort(404)
        if not attachment.thumbnail_key:   # not made yet (or a signature, small already): the image itself
            return file_response(attachment, store().open(attachment.sha256), inline=True)
        files = store()
        return file_response(attachment, files.open(attachment.thumbnail_key), inline=True, content_type="image/png",
                             size=files.size(attachment.thumbnail_key), name="thumbnail.png")

    # -- submitting a draft
    @expose("/submit/<document>/<int:record_id>", methods=["GET", "POST"])
    @has_access
    def submit(self, document, record_id):
        """The submit screen (route preview, 发起人自选 pickers) and the submission: views_submit.py."""
        from app.workflow.views_submit import handle

        spec = registry.specs.get(document)
        if spec is None or spec.workflow is None:
            abort(404)
        if not self.appbuilder.sm.has_access("can_write", spec.permission_name):
            abort(403)
        try:
            return handle(self, spec, record_id, f"/{spec.name}/show/{record_id}", f"#zwt-tab-{TAB_KEY}")
        except (NotFound, Forbidden) as error:
            db.session.rollback()
            abort(error.status)



def _diagram(view):
    """The chain the approval runs on, its current step highlighted (the end once approved)."""
    from app.workflow.definitions import END
    from app.workflow.diagram import render_svg

    instance = view.instance
    current = instance.current_step if instance.status == RUNNING else (END if instance.status == APPROVED else None)
    try:
        return render_svg(view.definition, current=current)
    except Exception:   # a drawing problem never hides the approval itself
        return None

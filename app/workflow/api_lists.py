"""/api/v1/approvals/submitted, /cc and /handled: the caller's lists beside their waiting tasks
(我发起的, 抄送我的 with an unread filter, 我已处理), newest first, with the inbox's title search."""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import protect
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.core.datamodel import current_actor
from app.extensions import db
from app.workflow import inbox
from app.workflow.api_common import instance_json, openapi, page_args, task_json
from app.workflow.api_tasks import PAGE
from app.workflow.cc_reading import read_ids, unread_clause
from app.workflow.models import ApprovalInstance

LIST_METHODS = {"submitted": "read", "cc": "read", "handled": "read"}
UNREAD = ("unread", {"type": "boolean", "description": "only the approvals not read since they were copied"})


class ListEndpoints:
    """Mixed into ApprovalsApi (api.py)."""

    @expose("/submitted", methods=["GET"])
    @protect()
    @safe
    @openapi("Approvals the caller submitted (我发起的), newest first", method="get", query=PAGE,
             ok="{count, result: [approval]}", errors=(400, 403))
    def submitted(self):
        actor = current_actor()
        page, size, search = page_args(inbox.PAGE_SIZE)
        rows = inbox.rows(actor, inbox.SUBMITTED, search, page, size)
        return self.response(200, count=inbox.counts(actor, search)[inbox.SUBMITTED],
                             result=[instance_json(r.instance) for r in rows])

    @expose("/handled", methods=["GET"])
    @protect()
    @safe
    @openapi("Tasks the caller decided, returned or transferred (我已处理), newest first", method="get",
             query=PAGE, ok="{count, result: [task]}", errors=(400, 403))
    def handled(self):
        actor = current_actor()
        page, size, search = page_args(inbox.PAGE_SIZE)
        rows = inbox.rows(actor, inbox.HANDLED, search, page, size)
        return self.response(200, count=inbox.counts(actor, search)[inbox.HANDLED],
                             result=[task_json(r.task) for r in rows])

    @expose("/cc", methods=["GET"])
    @protect()
    @safe
    @openapi("Approvals copied to the caller (抄送我的), newest copy first; `unread=true` for the unread ones",
             method="get", query=(*PAGE, UNREAD), ok="{count, result: [approval with copied_at, read]}",
             errors=(400, 403))
    def cc(self):
        actor = current_actor()
        page, size, search = page_args(inbox.PAGE_SIZE)
        unread = request.args.get("unread", "").lower() in ("1", "true", "yes")
        latest = inbox._cc_latest(actor)
        stmt = inbox._title_filter(select(ApprovalInstance, latest.c.at).join(
            latest, latest.c.instance_id == ApprovalInstance.id), search)
        if unread:
            stmt = stmt.where(unread_clause(actor, ApprovalInstance.id))
        count = db.session.scalar(select(func.count()).select_from(stmt.with_only_columns(ApprovalInstance.id)
                                                                   .subquery())) or 0
        offset = min(page, 1_000_000) * size
        found = db.session.execute(stmt.options(joinedload(ApprovalInstance.version)).order_by(
            latest.c.at.desc(), ApprovalInstance.id.desc()).offset(offset).limit(size)).all()
        read = read_ids(actor, [i.id for i, _at in found])
        return self.response(200, count=count, result=[
            {**instance_json(i), "copied_at": at.isoformat() + "Z", "read": i.id in read} for i, at in found])

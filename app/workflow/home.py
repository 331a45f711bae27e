"""Home page panel: the approvals waiting for the user's decision."""
from __future__ import annotations

from flask import g, has_request_context, url_for
from flask_babel import lazy_gettext as _l

from app.core.home import HomeItem, HomePanel
from app.core.webhooks import local_time
from app.workflow import inbox
from app.workflow.views_common import APPROVALS


def _waiting_count(user) -> int:
    """The tasks waiting for the user: counted with the top bar's badge in the request's one statement."""
    from app.core import notify

    if has_request_context() and getattr(g, "user", None) is not None and g.user.id == user.id:
        notify.unread_count(user)
        if g.get("_approvals_waiting") is not None:
            return g._approvals_waiting
    return inbox.waiting_count(user)


def _waiting(user, limit):
    return [HomeItem(row.instance.title, url_for("ApprovalTaskView.task", task_id=row.task.id), local_time(row.at))
            for row in inbox.rows(user, inbox.WAITING, page_size=limit)]


PANELS = [
    HomePanel(key="approvals", title=_l("Approvals waiting for me"), items=_waiting,
              permission=("can_read", APPROVALS), count=_waiting_count,
              more_url=lambda: url_for("ApprovalInboxView.index"), empty=_l("Nothing waits for your approval."),
              icon="fa-check-square-o", order=10),
]

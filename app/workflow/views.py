"""Approval screens: inbox, task page, e-mail link confirmations, chain editor, timeline tab."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.core import notify
from app.core.panels import ShowTab, register_edit_notice, register_tab


def register_views(appbuilder) -> None:
    from app.workflow import hooks, models  # noqa: F401  (listeners and tables)
    from app.workflow.api import ApprovalsApi
    from app.workflow.views_builder import ChainBuilderView
    from app.workflow.views_common import APPROVALS_MENU
    from app.workflow.views_delegations import DelegationsView
    from app.workflow.views_editor import WorkflowEditorView
    from app.workflow.views_inbox import ApprovalInboxView, navbar_count
    from app.workflow.views_stats import ApprovalStatisticsView
    from app.workflow.views_task import TAB_KEY, TAB_LABEL, ApprovalTaskView, render_tab

    register_edit_notice(hooks.edit_notice)
    notify.register_waiting_count(models.waiting_count_query)
    register_tab(ShowTab(key=TAB_KEY, label=TAB_LABEL, render=render_tab,
                         applies=lambda spec: spec.workflow is not None, order=20))
    category = {"category": "menu:approvals", "category_label": APPROVALS_MENU, "category_icon": "fa-check-square-o"}
    appbuilder.add_view(ApprovalInboxView, "menu:approvals_inbox", label=_l("My approvals"), icon="fa-inbox",
                        **category)
    appbuilder.add_view(DelegationsView, "menu:delegations", label=_l("Delegations"), icon="fa-exchange", **category)
    appbuilder.add_view(WorkflowEditorView, "menu:workflows", label=_l("Approval chains"), icon="fa-sitemap",
                        **category)
    appbuilder.add_view(ChainBuilderView, "menu:workflow_builder", label=_l("Chain builder"), icon="fa-sitemap",
                        **category)
    appbuilder.add_view(ApprovalStatisticsView, "menu:approval_statistics", label=_l("Approval statistics"),
                        icon="fa-bar-chart", **category)
    appbuilder.add_view_no_menu(ApprovalTaskView)
    appbuilder.add_api(ApprovalsApi)
    current_app.context_processor(navbar_count)

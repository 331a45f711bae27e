"""Approval screens: inbox, task page, e-mail link confirmations, chain editor, timeline tab."""
from __future__ import annotations


def register_views(appbuilder) -> None:
    from app.workflow import hooks, models  # noqa: F401  (listeners and tables)

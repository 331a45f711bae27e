"""`run.py init`: the shipped approval forms (请假, 报销, 用印, 通用审批) the database does not have yet."""
from __future__ import annotations


def initialise() -> list[str]:
    from app.modules.approval_forms.seed import ensure_shipped_forms

    return ensure_shipped_forms()

"""Home page panel: contracts in the reader's scope expiring soon (即将到期), the earliest end first."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core.clock import company_today
from app.core.home import HomeItem, HomePanel
from app.core.home_parts import capped, due_note
from app.core.registry import registry
from app.core.scope import scope_clause
from app.modules.contracts.models import EXPIRING, Contract


def _expiring(user):
    stmt = select(Contract.id).where(Contract.status == EXPIRING)
    clause = scope_clause(registry.get("contracts"), user)
    return stmt.where(clause) if clause is not None else stmt


def _items(user, limit):
    from app.extensions import db

    today = company_today()
    view = registry.views["contracts"].__name__
    rows = db.session.execute(select(Contract.id, Contract.code, Contract.title, Contract.ends_on)
                              .where(Contract.id.in_(_expiring(user))).order_by(Contract.ends_on, Contract.id).limit(limit))
    out = []
    for pk, code, title, ends_on in rows:
        note, tone = due_note(ends_on, today) if ends_on else ("", "")
        out.append(HomeItem(f"{code} {title}", url_for(f"{view}.show", pk=pk), note or "", "warning" if tone else ""))
    return out


PANELS = [
    HomePanel(key="contracts-expiring", title=_l("Contracts expiring"), items=_items,
              permission=("can_read", "contracts"), count=lambda user: capped(_expiring(user)),
              more_url=lambda: url_for(f"{registry.views['contracts'].__name__}.list") + f"?_flt_0_status={EXPIRING}",
              empty=_l("No contract is about to expire."), icon="fa-hourglass-half", order=30),
]

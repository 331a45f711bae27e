"""`run.py purchasing rebuild-spend`: the purchase spend kept for 采购分析报表 recomputed from the placed orders
(after loading orders in bulk outside the application, or to check the kept figures)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

purchasing_group = AppGroup("purchasing", help="Purchasing: recompute the spend kept for the analysis.")


@purchasing_group.command("rebuild-spend")
def rebuild_spend_command():
    """Recompute the purchase spend per month from the placed purchase orders."""
    from flask_babel import gettext as _
    from sqlalchemy import func, select

    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.purchasing import spend
    from app.modules.purchasing.spend_models import PurchaseSpend

    with unit_of_work(None):
        spend.rebuild()
    rows = db.session.scalar(select(func.count()).select_from(PurchaseSpend))
    click.echo(_("Purchase spend recomputed: %(n)s rows.", n=rows))

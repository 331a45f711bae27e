"""`run.py purchasing rebuild-spend` recomputes the kept spend: a row lost is back afterwards."""
from __future__ import annotations

from sqlalchemy import delete, func, select

from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.purchasing.spend_models import PurchaseSpend
from tests.modules.purchasing.test_analysis import buyer, known  # noqa: F401  (fixtures)


def test_rebuild_spend_brings_back_what_was_lost(app, known):  # noqa: F811
    from app.modules.purchasing.cli import rebuild_spend_command

    ours = known[0]
    mine = select(func.coalesce(func.sum(PurchaseSpend.amount), 0)).where(PurchaseSpend.supplier_id == ours.id)
    kept = db.session.scalar(mine)
    assert kept > 0
    with unit_of_work(None):
        db.session.execute(delete(PurchaseSpend).where(PurchaseSpend.supplier_id == ours.id))
    result = app.test_cli_runner().invoke(rebuild_spend_command)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(mine) == kept

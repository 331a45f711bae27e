"""The demo invoices: most shipped orders invoiced (some in part), one reversed by a red-letter invoice."""
from sqlalchemy import func, select

from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.invoices import seed
from app.modules.invoices.models import Invoice
from app.modules.orders.models import SalesOrder
from tests.modules.invoices.test_invoices import confirmed_order


def test_demo_invoices_bill_shipped_orders_and_one_is_reversed(org):
    orders = [confirmed_order(org) for _ in range(12)]
    with unit_of_work(None):
        for order in orders:
            db.session.get(SalesOrder, order.id).status = "shipped"     # as shipping leaves them
    summary = seed.load_demo(org.admin, {"liuyang": org.finance_user})
    made = int(summary.split()[0])
    assert made > 0
    demo = select(func.count()).select_from(Invoice).where(Invoice.notes == seed.DEMO_NOTE)
    assert db.session.scalar(demo) == made
    assert db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.red.is_(True))) >= 1
    assert seed.load_demo(org.admin, {"liuyang": org.finance_user}) == "0 invoices"

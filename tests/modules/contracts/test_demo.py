"""`run.py demo` on an empty database: realistic contracts with the demo customers, and the
legal department whose head reviews contracts on non-standard terms; loading it again adds nothing."""
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db


def test_demo_loads_contracts_and_the_legal_department_once(demo):
    """On the session's database holding exactly `run.py init` and `run.py demo` (conftest's `demo`)."""
    with demo.app_context():
        try:
            _demo_contracts_and_loading_again()
        finally:
            db.session.remove()


def _demo_contracts_and_loading_again():
    from app.core.org import Department, User
    from app.core.setup import load_demo
    from app.modules.contracts.models import Contract

    legal = db.session.scalar(select(Department).where(Department.code == "LEGAL"))
    assert legal is not None and legal.name == "法务部"
    head = db.session.get(User, legal.head_id)
    assert head.username == "legal" and head.department_id == legal.id
    assert [r.name for r in head.roles] == ["Manager"]

    contracts = list(db.session.scalars(select(Contract)))
    assert len(contracts) >= 50
    assert all(Decimal("20000") <= c.amount <= Decimal("800000") for c in contracts)
    assert any(not c.standard_terms for c in contracts) and any(c.standard_terms for c in contracts)
    assert {"draft", "signed"} <= {c.status for c in contracts}
    assert all(c.ends_on >= c.starts_on for c in contracts)
    assert all("合同" in c.title or "协议" in c.title for c in contracts)
    # Each contract belongs to its owner's department.
    assert all(c.department_id == c.owner.department_id for c in contracts)

    before = db.session.scalar(select(func.count()).select_from(Contract))
    load_demo()
    assert db.session.scalar(select(func.count()).select_from(Contract)) == before

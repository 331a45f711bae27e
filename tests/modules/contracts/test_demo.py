"""`run.py demo` on an empty database: realistic contracts with the demo customers, and the
legal department whose head reviews contracts on non-standard terms."""
import os
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text

from app.extensions import db


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the kind the suite runs on: a SQLite file, or a fresh PostgreSQL schema."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'demo.db'}"
        return
    url = "postgresql+psycopg://" + url.split("://", 1)[1]
    schema = f"demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def demo_app(empty_database, instance_dir):
    """A second app on the empty database, in its app context. It rebuilds the registry's
    views; afterwards the suite's app serves with its own again."""
    from app import create_app
    from app.core.registry import registry

    served = registry.views, registry.apis, registry.menu_names
    try:
        app = create_app(SQLALCHEMY_DATABASE_URI=empty_database, INSTANCE_DIR=str(instance_dir),
                         SECRET_KEY="d" * 40, FAB_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        registry.views, registry.apis, registry.menu_names = served


def test_demo_loads_contracts_and_the_legal_department_once(demo_app):
    from app.core.org import Department, User
    from app.core.setup import initialise, load_demo
    from app.modules.contracts.models import Contract

    initialise("admin", "admin-pass-123", "admin@example.com")
    load_demo()
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

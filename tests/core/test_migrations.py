"""The schema exists only through Alembic: an empty database upgrades to head, matches the
models exactly, and downgrades cleanly."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app.core.datamodel import include_in_migrations
from app.extensions import db


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of the kind the suite runs on: a SQLite file, or a fresh PostgreSQL schema."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = "postgresql+psycopg://" + url.split("://", 1)[1]
    schema = f"migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_empty_database_upgrades_to_head_matching_the_models_and_back(empty_database, instance_dir):
    from app import create_app

    app = create_app(SQLALCHEMY_DATABASE_URI=empty_database, INSTANCE_DIR=str(instance_dir), SECRET_KEY="m" * 40)
    with app.app_context():
        directory = app.extensions["migrate"].directory
        if db.engine.dialect.name == "postgresql":  # never the suite's own schema
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT current_schema()")).scalar() != "public"
        upgrade(directory=directory, revision="heads")
        tables = set(inspect(db.engine).get_table_names())
        assert {"ab_user", "department", "customer", "contact", "audit_log", "numbering_rule",
                "notification", "mail_outbox", "role_scope", "alembic_version"} <= tables
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": include_in_migrations})
            diff = compare_metadata(context, db.metadata)
        # Expression indexes cannot be reflected on every backend; everything else must match.
        assert [d for d in diff if not (d[0] == "add_index" and d[1].name == "ix_customer_name_lower")] == []
        downgrade(directory=directory, revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()

"""Indexes a migration adds to tables that may hold millions of rows (PostgreSQL).

A table that holds rows gets each index CONCURRENTLY, outside the migration's transaction, so
that the application keeps writing while it is built; an index a failed build left invalid is
dropped and built again, so a stopped upgrade can be run again. A small table (the planner's
estimate) is indexed inside the transaction. Other databases get nothing: SQLite scans the few
thousand rows it holds. `indexes` are (name, table, what follows "ON table").
"""
from __future__ import annotations

from alembic import op
from sqlalchemy import text

# Below this many rows (the planner's estimate) a table is indexed inside the transaction.
SMALL = 100_000


def rows(bind, table: str) -> float:
    """The planner's estimate of the rows `table` holds."""
    return bind.execute(text("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = CAST(:t AS regclass)"),
                        {"t": table}).scalar() or 0


def _invalid(bind, name: str) -> bool:
    return bool(bind.execute(text(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = :n AND c.relnamespace = CAST(current_schema() AS regnamespace)"), {"n": name}).scalar())


def build(indexes) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    for name, table, definition in indexes:
        if rows(bind, table) < SMALL:
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {definition}")
            continue
        with op.get_context().autocommit_block():
            if _invalid(bind, name):
                op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute("SET maintenance_work_mem = '256MB'")
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {definition}")
            op.execute("RESET maintenance_work_mem")


def drop(indexes) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, _table, _definition in indexes:
        op.execute(f"DROP INDEX IF EXISTS {name}")

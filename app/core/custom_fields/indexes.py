"""The PostgreSQL indexes behind filtering, sorting and searching on a custom field, so that a list
filtered on one at a million rows is as quick as on a native indexed column.

Each active field has an expression index on its typed value and the key, shaped like the lists'
native (column, id) indexes: `ix_cf_<table>_<name>` on ((custom ->> 'name') [cast], id). The
expression is values.expression compiled as is, so the planner matches the lists' conditions
and ORDER BY to it. A multiple choice has a GIN index on its JSON array (its "holds any of" filter
is `custom -> 'name' ?| array[…]`); a text field also a GIN index on the bigrams of its value
(`ix_cf_<table>_<name>_bigram`), which the search box uses as it does for names.

The indexes are built by a background job (CREATE INDEX CONCURRENTLY: the table stays writable
while a million rows are indexed) once a field is added or restored, and dropped once it is
retired: the admin's save calls `schedule(field, uow)`. The job looks at the field as it is when it
runs, so running it twice, late or after another change does the right thing. SQLite keeps no
such indexes: its embedded single-user lists are small.
"""
from __future__ import annotations

import logging

from sqlalchemy import func, text

log = logging.getLogger(__name__)
MAX_NAME = 63   # PostgreSQL's identifier length


def index_names(table: str, name: str) -> list[str]:
    """The names of the indexes a field of `table` may have."""
    base = f"ix_cf_{table}_{name}"[:MAX_NAME - len("_bigram")]
    return [base, base + "_bigram"]


def _sql(expression, dialect) -> str:
    """An expression as index SQL: literal values, columns without their table."""
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False}))


def statements(spec, field, dialect) -> list[tuple[str, str]]:
    """[(index name, CREATE INDEX CONCURRENTLY …)] of one field of `spec`'s table."""
    from app.core.custom_fields.values import expression

    model = spec.model
    table = model.__table__.name
    plain, bigram = index_names(table, field.name)
    key = model.__table__.primary_key.columns.values()[0].name
    if field.kind == "multichoice":
        return [(plain, f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{plain}" ON "{table}" USING gin '
                        f'(({_sql(model.custom[field.name], dialect)}))')]
    typed = _sql(expression(model, field), dialect)
    out = [(plain, f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{plain}" ON "{table}" (({typed}), "{key}")')]
    if field.kind in ("text", "textarea"):
        words = _sql(func.zwt_bigrams(expression(model, field)), dialect)
        out.append((bigram, f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{bigram}" ON "{table}" USING gin ({words})'))
    return out


def _engine():
    from app.extensions import db

    return db.engine


def _invalid(conn, name: str) -> bool:
    """Whether `name` is left invalid by a concurrent build that failed (it must be built again)."""
    return bool(conn.execute(text("SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                  "WHERE c.relname = :name"), {"name": name}).scalar())


# A concurrent build or drop waits for every transaction open on the table; one left open (a client that never
# closed a streamed response) must not hold the job for ever: it fails after this long and is tried again
# (a minute, ten minutes and an hour later).
WAIT_SECONDS = 120


def _bounded(conn) -> None:
    conn.execute(text(f"SET lock_timeout = '{WAIT_SECONDS}s'"))


def ensure(module: str, name: str) -> list[str]:
    """Build the indexes of an active field (nothing for a retired or unknown one, and nothing off
    PostgreSQL). Returns the names of the indexes it built."""
    from app.core.custom_fields.definitions import field_of
    from app.core.registry import registry

    from app.extensions import db

    engine = _engine()
    if engine.dialect.name != "postgresql":
        return []
    spec = registry.get(module)
    field = field_of(module, name)
    if spec is None or field is None:
        return drop(module, name)
    # A concurrent build waits for every transaction open on the table, this session's too.
    db.session.commit()
    built = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _bounded(conn)
        for index, statement in statements(spec, field, engine.dialect):
            if _invalid(conn, index):
                conn.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{index}"'))
            conn.execute(text(statement))
            built.append(index)
    log.info("custom field indexes of %s.%s: %s", module, name, ", ".join(built))
    return built


def drop(module: str, name: str) -> list[str]:
    """Drop the indexes of a field that is no longer active. Returns the names dropped."""
    from app.core.registry import registry

    from app.extensions import db

    engine = _engine()
    spec = registry.get(module)
    if engine.dialect.name != "postgresql" or spec is None:
        return []
    db.session.commit()   # as in ensure: no transaction of this session may hold the drop up
    names = index_names(spec.model.__table__.name, name)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _bounded(conn)
        for index in names:
            conn.execute(text(f'DROP INDEX CONCURRENTLY IF EXISTS "{index}"'))
    return names


def keep_index(module: str, name: str) -> list[str]:
    """The job: the field's indexes as the field is now (active: built; retired: dropped)."""
    from app.core.jobs import in_app_context

    return in_app_context(_keep)(module, name)


def _keep(module: str, name: str) -> list[str]:
    from app.core.custom_fields.definitions import field_of

    return ensure(module, name) if field_of(module, name) is not None else drop(module, name)


def schedule(field, uow=None) -> None:
    """Build or drop `field`'s indexes in the background once the change is committed (`uow`: the
    service's unit of work; without one, at once). `field`: a CustomField row or a FieldDef."""
    from flask import current_app

    from rq import Retry

    from app.core.jobs import queue

    if current_app.config.get("SQLALCHEMY_DATABASE_URI", "").startswith("sqlite"):
        return

    def enqueue():
        queue().enqueue(keep_index, field.module, field.name, job_timeout=6 * 3600,
                        retry=Retry(max=3, interval=[60, 600, 3600]))

    if uow is not None:
        uow.after_commit(enqueue)
    else:
        enqueue()

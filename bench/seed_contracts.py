"""Bulk-load N contracts for the benchmark customers (load those first with
bench/seed_customers.py, i.e. `python run.py bench seed`).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python -m bench.seed_contracts 1000000

Each contract goes to a customer's owner and department, as a salesperson makes contracts with
their own customers; some customers have none, a few have many. Amounts 20,000–800,000, a
quarter on non-standard terms; contracts older than four months are mostly signed or archived,
newer ones drafts, in approval, approved or rejected. Rows bypass the ORM (COPY on PostgreSQL,
executemany on SQLite) like the customers' generator, so they are not in the audit log and
have no approval history. Any contracts already there are replaced.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time

from sqlalchemy import select, text, update

from app.modules.contracts.seed import KINDS

CHUNK = 50_000
COLUMNS = ("id", "code", "title", "customer_id", "amount", "standard_terms", "signed_on", "starts_on", "ends_on",
           "status", "notes", "owner_id", "department_id", "created_at", "updated_at")
RECENT = ["draft", "in_approval", "approved", "rejected"]
RECENT_WEIGHTS = [5, 2, 3, 1]
OLD = ["signed", "archived", "rejected"]
OLD_WEIGHTS = [12, 6, 1]


def _say(message: str) -> None:
    print(message, flush=True)


def _customers(connection, chunk: int = CHUNK):
    """(id, name, owner id, department id, created at) of every customer, by id, in chunks."""
    from app.modules.customers.models import Customer

    last = 0
    while True:
        rows = connection.execute(select(Customer.id, Customer.name, Customer.owner_id, Customer.department_id,
                                      Customer.created_at).where(Customer.id > last).order_by(Customer.id)
                               .limit(chunk)).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def contract_rows(engine, n: int, customers: int, seed: int = 2028):
    """Yield chunks of n contract rows with ids 1..n over the customers (passing over them again
    when they run out). Customers are read on a connection of their own: the loading one is busy
    with COPY."""
    with engine.connect() as connection:
        yield from _contract_rows(connection, n, customers, seed)


def _contract_rows(connection, n: int, customers: int, seed: int):
    rng = random.Random(seed)
    mean = n / customers
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    made, rows = 0, []
    while made < n:
        for chunk in _customers(connection):
            for cid, name, owner_id, department_id, created in chunk:
                # Most customers sign a contract or two, a few sign many.
                for _k in range(int(rng.expovariate(1 / mean) + rng.random())):
                    if made == n:
                        break
                    made += 1
                    at = created + (now - created) * rng.random()
                    starts = at.date() + dt.timedelta(days=rng.randint(3, 30))
                    old = (now - at).days > 120
                    status = rng.choices(*((OLD, OLD_WEIGHTS) if old else (RECENT, RECENT_WEIGHTS)))[0]
                    signed = starts - dt.timedelta(days=rng.randint(1, 5)) if status in ("signed", "archived") else None
                    short = name.replace("股份有限公司", "").replace("有限公司", "")
                    rows.append((made, f"HT-{at.year}-{made:08d}", f"{short}{starts.year}年度{rng.choice(KINDS)}",
                                 cid, rng.randrange(200, 8001) * 100, rng.random() > 0.25, signed, starts,
                                 starts + dt.timedelta(days=365 * rng.choice([1, 1, 2, 3]) - 1), status, None,
                                 owner_id, department_id, at, at))
                    if len(rows) == CHUNK:
                        yield rows
                        rows = []
            if made == n:
                break
    if rows:
        yield rows


def _pg_load(session, chunks) -> int:
    """COPY into contract in one transaction, its secondary indexes dropped for the load and
    rebuilt afterwards (one sort each instead of a million random index insertions)."""
    conn = session.connection().connection.driver_connection
    cur = conn.cursor()
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cur.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                   WHERE i.indrelid = 'contract'::regclass
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""")
    indexes = cur.fetchall()
    for name, _definition in indexes:
        cur.execute(f"DROP INDEX {name}")
    cur.execute("TRUNCATE contract CASCADE")   # its lines, plan and orders made from it go with it
    done = 0
    with cur.copy(f"COPY contract ({', '.join(COLUMNS)}) FROM STDIN WITH (FREEZE)") as copy:
        for rows in chunks:
            for row in rows:
                copy.write_row(row)
            done += len(rows)
            if done % 200_000 < CHUNK:
                _say(f"  contract: {done:,}")
    _say("  rebuilding indexes")
    for _name, definition in indexes:
        cur.execute(definition)
    cur.execute("SELECT setval(pg_get_serial_sequence('contract', 'id'), (SELECT max(id) FROM contract))")
    return done


def _sqlite_load(session, chunks) -> int:
    conn = session.connection().connection.driver_connection
    conn.execute("DELETE FROM contract")
    sql = f"INSERT INTO contract ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    dates = [i for i, c in enumerate(COLUMNS) if c in ("signed_on", "starts_on", "ends_on")]
    stamps = [i for i, c in enumerate(COLUMNS) if c in ("created_at", "updated_at")]
    done = 0
    for rows in chunks:
        batch = [list(r) for r in rows]
        for row in batch:
            # Stored the way SQLAlchemy's SQLite Date, DateTime and Numeric types write them.
            for i in dates:
                row[i] = row[i].isoformat() if row[i] else None
            for i in stamps:
                row[i] = row[i].strftime("%Y-%m-%d %H:%M:%S.%f")
        conn.executemany(sql, batch)
        done += len(batch)
    _say(f"  contract: {done:,}")
    return done


def set_counter(session, value: int) -> None:
    """Make the contract numbering rule continue after the loaded codes."""
    from app.core.numbering import NumberingCounter, NumberingRule, _period

    rule = session.scalar(select(NumberingRule).where(NumberingRule.code == "contract"))
    period = _period(rule.reset if rule else "yearly", dt.date.today())
    done = session.execute(update(NumberingCounter).where(NumberingCounter.rule_code == "contract",
                                                           NumberingCounter.period == period).values(value=value))
    if not done.rowcount:
        session.add(NumberingCounter(rule_code="contract", period=period, value=value))


def main(n: int) -> None:
    from sqlalchemy import func

    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.customers.models import Customer

    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        _say(f"Database: {db.engine.url.render_as_string(hide_password=True)}")
        initialise("admin", os.environ.get("ADMIN_PASSWORD", ""))
        customers = db.session.scalar(select(func.count()).select_from(Customer))
        if not customers:
            sys.exit("No customers: load them first (python run.py bench seed --customers N).")
        postgres = db.engine.dialect.name == "postgresql"
        session = db.session
        loaded = (_pg_load if postgres else _sqlite_load)(session, contract_rows(db.engine, n, customers))
        set_counter(session, loaded)
        session.commit()
        took = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE contract" if postgres else "ANALYZE"))
    _say(f"Loaded {loaded:,} contracts for {customers:,} customers in {took:.1f}s ({loaded / took:,.0f} rows/s).")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)

"""The load test runs end to end in a bounded form: a small benchmark organisation seeded into a
database of its own (a fresh SQLite file, or a fresh PostgreSQL database beside DATABASE_URL's),
gunicorn with one web process, one RQ worker and the scheduler started for real, five simulated
clerks for twenty seconds. No request may fail, every kind of request the clerks make must have
been made, the figures must be printed, what the clerks wrote must be gone again and no process
it started may be left running."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import pytest
from sqlalchemy import DateTime, column, create_engine, func, select, table, text

from bench.bench_load import LOGGED_AT, _stored_time

ROOT = Path(__file__).resolve().parents[1]

ROUTES = [
    "sign-in page", "sign in (POST)", "REST sign in (POST)", "home", "global search",
    "customers list page 1", "contacts list page 1", "contracts list page 1", "interactions list page 1",
    "customer record", "contact record", "contract record", "interaction record",
    "customers list deeper page", "contacts list quick filter", "contracts list sorted", "interactions list search",
    "log interaction (POST)", "contract add form", "contract add (POST)", "contracts list search",
    "submit for approval (POST)", "approvals inbox", "approval task", "approve (POST)",
    "REST customers list", "REST customer",
]


def _run(args, env, timeout):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _table(out: str) -> dict[str, tuple[int, int]]:
    """route → (requests, errors) from the printed table."""
    rows = {}
    for line in out.splitlines():
        found = re.match(r"^(.{34}) +([\d,]+) +([\d,]+) +[\d,-]+ +[\d,-]+ +[\d,-]+ +[\d.]+$", line)
        if found:
            rows[found.group(1).strip()] = (int(found.group(2).replace(",", "")), int(found.group(3).replace(",", "")))
    return rows


def _left_running(instance) -> list[str]:
    """Processes still running with this test's instance folder (web, workers, scheduler, locust, Redis)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if proc.environ().get("ZWT_INSTANCE_DIR") == str(instance):
                found.append(" ".join(proc.info["cmdline"] or []))
        except psutil.Error:
            continue
    return found


def test_a_short_load_run_makes_every_kind_of_request_without_an_error(bench_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RQ_QUEUE", "PROMETHEUS_MULTIPROC_DIR")}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]         # else the bench opens an embedded Redis
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development",
               BENCH_INTERACTIONS_PER_CUSTOMER="2", BENCH_LOAD_WAIT="0.3,1")
    seeded = _run(["-m", "bench.seed_customers", "3000"], env, 300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    seeded = _run(["-m", "bench.seed_contracts", "1000"], env, 300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr

    run = _run(["run.py", "bench", "load", "--users", "5", "--seconds", "20", "--web", "1", "--workers", "1"], env, 400)

    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "Errors: 0 (target 0)" in out
    asked = _table(out)
    missing = [route for route in ROUTES if asked.get(route, (0, 0))[0] == 0]
    assert not missing, f"routes never asked for: {missing}\n{out}"
    assert all(errors == 0 for _requests, errors in asked.values()), out
    assert re.search(r"Throughput: [\d.]+ requests/s", out)
    assert re.search(r"Jobs: [\d,]+ finished, 0 failed", out)
    assert "load average before:" in out and "CPUs busy:" in out and "web (gunicorn)" in out
    assert re.search(r"Undone: [1-9][\d,]* contracts .* and [1-9][\d,]* interactions", out), out
    assert not _left_running(tmp_path / "instance")

    engine = create_engine(bench_database.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM contract WHERE title LIKE '压测%'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM interaction WHERE subject LIKE '压测%'")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM wf_instance")).scalar() == 0
        customer = table("customer", column("last_interaction_at", DateTime()))
        logged = _stored_time(None, LOGGED_AT)
        assert conn.execute(select(func.count()).select_from(customer)
                            .where(customer.c.last_interaction_at == logged)).scalar() == 0
    engine.dispose()

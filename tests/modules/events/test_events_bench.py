"""The events bench in its small form on PostgreSQL (a database of its own): events, registrations, customers and
orders seeded in the database, then every page, the check-in lookup and a few seconds of parallel registrations on
one event printed beside their targets — nothing failing, nothing overbooked."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(args, env, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_events_bench_small_run_prints_every_figure(bench_database, tmp_path):
    if not bench_database.startswith("postgresql"):
        pytest.skip("the events bench seeds with PostgreSQL's INSERT … SELECT")
    env = {k: v for k, v in os.environ.items() if k not in ("RQ_QUEUE", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development",
               ADMIN_PASSWORD="admin123")
    for args in (["run.py", "init"], ["-m", "bench.seed_events", "--events", "200", "--registrations", "20000",
                                      "--customers", "2000", "--orders", "5000"]):
        seeded = _run(args, env)
        assert seeded.returncode == 0, seeded.stdout[-2000:] + seeded.stderr[-3000:]
    assert "20,000 registrations" in seeded.stdout, seeded.stdout
    run = _run(["-m", "bench.bench_events", "3", "--seconds", "3", "--rate", "60", "--processes", "2"], env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "Data: 200 events, 20,000 registrations" in out, out
    for page in ("event list", "registration list", "event analysis", "event analysis one event",
                 "event schedule timeline"):
        assert re.search(rf"^{re.escape(page)} +admin +\d+ ", out, re.M), (page, out)
        assert re.search(rf"^{re.escape(page)} +marketer +\d+ .*(yes|NO)$", out, re.M), (page, out)
    assert "non-200" not in out, out
    assert re.search(r"^Check-in lookup \(\d+ codes.*target p95 < 50 ms", out, re.M), out
    assert "outcomes: {'registered': 144, 'waiting': 36}" in out, out
    assert "overbooked: no" in out, out

"""The invoices-and-collections bench in its small form on PostgreSQL (a database of its own): customers, invoices
with their lines and payments seeded in the database, then every page, an invoice's PDF and a batch print printed
beside their targets, with no page failing and no payment settling more than its invoice."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(args, env, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_invoices_bench_small_run_prints_every_figure(bench_database, tmp_path):
    if not bench_database.startswith("postgresql"):
        pytest.skip("the invoices bench seeds with PostgreSQL's INSERT … SELECT")
    env = {k: v for k, v in os.environ.items() if k not in ("RQ_QUEUE", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development",
               BENCH_INTERACTIONS_PER_CUSTOMER="1")
    for args in (["-m", "bench.seed_customers", "400"], ["-m", "bench.seed_invoices", "--invoices", "4000"]):
        seeded = _run(args, env)
        assert seeded.returncode == 0, seeded.stdout[-2000:] + seeded.stderr[-3000:]
    assert re.search(r"Seeded 4,000 invoices, 12,000 invoice lines and [\d,]+ payments", seeded.stdout), seeded.stdout
    run = _run(["-m", "bench.bench_invoices", "3", "20"], env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "4,000 invoices with 12,000 lines" in out, out
    for page in ("invoice list", "invoice list of a customer", "payment list", "customer statement",
                 "aging by customer", "aging by owner"):
        assert re.search(rf"^{re.escape(page)} +admin +\d+ ", out, re.M), (page, out)
    assert "non-200" not in out, out
    assert re.search(r"invoice PDF from its template: p50 \d+ ms, p95 \d+ ms \(target 300 ms\)", out), out
    assert re.search(r"batch print of 20 invoices into one PDF \(worker process\): [\d.]+ s \(target 180 s\), "
                     r"peak RSS \d+ MB \(target 500 MB\), 20 printed, 0 skipped", out), out

"""The purchasing bench in its small form on PostgreSQL (a database of its own): suppliers, quotes, purchase orders
with their lines and monthly ratings seeded in the database, the kept spend rebuilt, then every page printed
beside its target, none failing."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(args, env, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_purchasing_bench_small_run_prints_every_figure(bench_database, tmp_path):
    if not bench_database.startswith("postgresql"):
        pytest.skip("the purchasing bench seeds with PostgreSQL's INSERT … SELECT")
    env = {k: v for k, v in os.environ.items() if k not in ("RQ_QUEUE", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development",
               ADMIN_PASSWORD="admin123")
    for args in (["run.py", "init"], ["-m", "bench.seed_purchasing", "--suppliers", "200", "--quotes", "4000",
                                      "--orders", "2000"]):
        seeded = _run(args, env)
        assert seeded.returncode == 0, seeded.stdout[-2000:] + seeded.stderr[-3000:]
    assert "2,000 purchase orders with 8,000 lines" in seeded.stdout, seeded.stdout
    assert "spend kept per month rebuilt" in seeded.stdout, seeded.stdout
    run = _run(["-m", "bench.bench_purchasing", "2"], env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "200 suppliers, 4,000 quotes, 2,000 purchase orders with 8,000 lines" in out, out
    for page in ("purchase order list", "quote comparison", "analysis by month", "analysis by supplier",
                 "analysis by category", "analysis price trend", "analysis supplier ranking", "analysis savings",
                 "payables aging"):
        assert re.search(rf"^{re.escape(page)} +admin +\d+ ", out, re.M), (page, out)
        assert re.search(rf"^{re.escape(page)} +buyer +\d+ .*(yes|NO)$", out, re.M), (page, out)
    admin_lines = [line for line in out.splitlines() if re.match(r"^\S.* +(admin|buyer) +\d+ ", line)]
    assert admin_lines and not any("non-200" in line for line in admin_lines), out

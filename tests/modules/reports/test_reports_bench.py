"""The reports bench in its small form (on the session's database holding exactly `run.py init` and `run.py demo`,
conftest's `demo`, which the bench only reads): every report the centre draws, the management dashboard and the
home workbench are timed as an admin and as a Sales user, each printed beside its target, none answering anything
but 200."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run(args, env, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_reports_bench_small_run_prints_every_figure(demo):
    env = {k: v for k, v in os.environ.items() if k not in ("RQ_QUEUE", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=demo.config["SQLALCHEMY_DATABASE_URI"], ZWT_INSTANCE_DIR=demo.config["INSTANCE_DIR"],
               ZWT_ENV="development", ADMIN_PASSWORD="admin-pass-123", RQ_QUEUE=demo.config["RQ_QUEUE"])
    run = _run(["-m", "bench.bench_reports", "2"], env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert re.search(r"^Data \(\w+\): [\d,]+ customers, [\d,]+ orders, [\d,]+ invoices", out, re.M), out
    for page in ("home workbench", "role dashboard", "report orders.sales_month", "report collections.aging",
                 "report events.roi", "report inventory.turnover", "reports centre"):
        assert re.search(rf"^{re.escape(page)} +admin +\d+ .*(yes|NO)$", out, re.M), (page, out)
    for page in ("home workbench", "role dashboard", "report orders.sales_month", "report collections.aging"):
        assert re.search(rf"^{re.escape(page)} +sales +\d+ .*(yes|NO)$", out, re.M), (page, out)
        assert re.search(rf"^{re.escape(page)} +manager +\d+ .*(yes|NO)$", out, re.M), (page, out)
    # Sales may not read stock values: not timed for them
    assert not re.search(r"^report inventory.turnover +sales", out, re.M), out
    assert "non-200" not in out, out

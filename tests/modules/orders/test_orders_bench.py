"""The contracts-and-orders bench in its small form on PostgreSQL (a database of its own): customers, contracts,
their lines and orders seeded in the database, then every page, the contract PDF and the expiry job printed beside
their targets, with no page failing."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(args, env, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_orders_bench_small_run_prints_every_figure(bench_database, tmp_path):
    if not bench_database.startswith("postgresql"):
        pytest.skip("the orders bench seeds with PostgreSQL's INSERT … SELECT")
    env = {k: v for k, v in os.environ.items() if k not in ("RQ_QUEUE", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development",
               BENCH_INTERACTIONS_PER_CUSTOMER="1")
    for args in (["-m", "bench.seed_customers", "400"], ["-m", "bench.seed_contracts", "800"],
                 ["-m", "bench.seed_orders", "--orders", "3000", "--products", "300"]):
        seeded = _run(args, env)
        assert seeded.returncode == 0, seeded.stdout[-2000:] + seeded.stderr[-3000:]
    assert "Seeded 300 products, 2,400 contract lines, 3,000 orders and 9,000 order lines" in seeded.stdout
    run = _run(["-m", "bench.bench_orders", "3"], env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "800 contracts with 2,400 lines, 3,000 orders with 9,000 lines" in out, out
    assert "orders whose total is not the sum of their lines: 0" in out, out
    for page in ("contract list", "order list", "customer orders tab", "order analysis page", "analysis by_product",
                 "analysis conversion"):
        assert re.search(rf"^{re.escape(page)} +admin +3 ", out, re.M), (page, out)
    assert re.search(r"contract PDF from its template: p50 \d+ ms, p95 \d+ ms \(target 500 ms\)", out), out
    assert re.search(r"expiry job over 800 contracts: [\d.]+ s \(target 60 s\)", out), out
    for party in ("ours (password check included)", "the customer"):
        assert re.search(rf"signing one party, {re.escape(party)}: p50 \d+ ms, p95 \d+ ms \(target 1000 ms\)",
                         out), out

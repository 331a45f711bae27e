"""The stock bench in its small form on PostgreSQL (a database of its own, seconds): the seed loads with COPY,
and the bench prints every figure beside its target, with no negative level and no lost update."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def test_the_stock_bench_small_run_prints_every_figure_and_finds_no_lost_update(bench_database, tmp_path):
    if not bench_database.startswith("postgresql"):
        pytest.skip("the stock bench seeds with PostgreSQL's COPY")
    env = {k: v for k, v in os.environ.items() if k not in ("RQ_QUEUE",)}
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development")
    seed = subprocess.run([sys.executable, "-m", "bench.seed_inventory", "--products", "2000", "--moves", "40000"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert seed.returncode == 0, seed.stderr[-3000:]
    assert "Seeded 2,000 products, 20 warehouses with 2,000 bins, 6,000 stock levels and 40,000 stock moves" \
        in seed.stdout, seed.stdout
    run = subprocess.run([sys.executable, "-m", "bench.bench_inventory", "--runs", "20", "--rate", "40",
                          "--seconds", "4", "--workers", "4"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    out = run.stdout
    assert run.returncode == 0, run.stderr[-3000:] + out
    assert re.search(r"availability across warehouses: p95 [\d.]+ ms \(target 50 ms\)", out), out
    for page in ("库存 tab refresh", "GET /api/v1/stock/availability", "库存 list by warehouse + category, page 1",
                 "库存 list by warehouse + category, page 20", "库存 list by warehouse, page 20"):
        assert re.search(re.escape(page) + r".* [\d.]+ +[\d.]+ +(50|60) ms", out), (page, out)
    moves = re.search(r"stock moves: ([\d,]+) committed .* errors (\d+); negative levels (\d+); "
                      r"levels whose moves do not add up (\d+)", out)
    assert moves and int(moves.group(1).replace(",", "")) > 0, out
    assert moves.groups()[1:] == ("0", "0", "0"), out

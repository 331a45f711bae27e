"""The nightly safety-stock bench runs in its small form (a database of its own, seconds) and prints each
figure beside its target; its second run alerts nothing."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_safety_stock_bench_small_run_prints_time_and_rss_beside_the_targets(bench_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RQ_QUEUE",)}
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development")
    run = subprocess.run([sys.executable, "-m", "bench.bench_inventory_planning", "--small"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert run.returncode == 0, run.stderr[-3000:] + out
    assert re.search(r"300 products, .* 600 safety stock lines", out), out
    first = re.search(r"run 1: [\d.]+ s \(target < 300 s\) — 300 lines recomputed, 600 checked, (\d+) below the line, "
                      r"(\d+) alerted now", out)
    assert first and int(first.group(1)) > 0 and first.group(1) == first.group(2), out
    assert re.search(r"run 2: .* 0 alerted now", out), out
    assert re.search(r"RSS: \d+ MB with the app loaded, peak \d+ MB \(target < 500 MB\)", out), out

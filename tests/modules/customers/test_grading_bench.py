"""The grading benchmark runs at a small size and prints each figure beside its target: the run
from scratch, the run with nothing to change, and one customer graded again after its paid
amount or its start of cooperation changed."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_grading_bench_prints_every_figure_beside_its_target(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "bench.bench_grading", "--customers", "300"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "from scratch" in out and "again, nothing to change" in out and "target ≤ 60s" in out
    assert "paid amount (record_amounts) changes" in out and "start of cooperation (update_customer) changes" in out
    singles = [line for line in out.splitlines() if "change + its new grade" in line]
    assert len(singles) == 2 and all(line.endswith("target ≤ 1000  yes") for line in singles), out
    assert "load average" in out

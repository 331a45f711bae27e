"""The custom field benchmark runs end to end in a bounded form: 2,000 customers seeded into a
database of its own (a SQLite file, or a fresh PostgreSQL database beside DATABASE_URL's), its two
custom fields filled and indexed, and the list filtered on the native column and on the custom
field printed side by side with the ratio beside its 2× target. Every page must answer 200."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_custom_field_bench_prints_native_and_custom_filters_side_by_side(bench_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RQ_QUEUE", "DATABASE_URL")}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development",
               BENCH_INTERACTIONS_PER_CUSTOMER="0")
    run = subprocess.run([sys.executable, "run.py", "bench", "custom-fields", "--customers", "2000", "--requests", "5"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    out = run.stdout
    assert "answered" not in out, out + run.stderr[-3000:]
    assert re.search(r"Custom fields filled for 2,000 customers", out), out + run.stderr[-3000:]
    for label in ("native: industry", "custom: cf_bench_industry"):
        assert re.search(rf"^{re.escape(label)}.* +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+ +\d+$", out, re.M), out
    assert re.search(r"ratio custom / native p50: [\d.]+ \(SQL [\d.]+; sorted by name [\d.]+\) \(target <= 2\)", out), out
    assert re.search(r"load average [\d.]+", out), out
    # A second run reuses the customers and the filled fields.
    again = subprocess.run([sys.executable, "run.py", "bench", "custom-fields", "--requests", "2"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert "Reusing the 2,000 customers" in again.stdout, again.stdout + again.stderr[-3000:]
    assert "Custom fields filled for 0 customers" in again.stdout, again.stdout

"""The memory bench runs end to end in a bounded form: a small benchmark organisation in a SQLite
file of its own, one gunicorn worker started for real and sixty mixed requests. It must print the
worker's RSS along the way beside the 120 MB target, the HTML size of each list page beside the
40 KB target, the worker's CPU per request, the start-up stages, the packages loaded at start with
the module that imports them, and what grew while the requests ran; every request must answer 200
and the web process must be gone afterwards."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def _run(args, env, timeout):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_the_memory_bench_prints_the_worker_rss_the_page_sizes_and_what_the_memory_is_made_of(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RQ_QUEUE", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'rss.db'}", ZWT_INSTANCE_DIR=str(tmp_path / "instance"),
               ZWT_ENV="development", BENCH_INTERACTIONS_PER_CUSTOMER="2")
    seeded = _run(["-m", "bench.seed_customers", "3000"], env, 300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    seeded = _run(["-m", "bench.seed_contracts", "1000"], env, 300)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr

    run = _run(["run.py", "bench", "rss", "--requests", "60", "--stubs", "1", "--packages", "3"], env, 600)

    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert re.search(r"^after 60 requests +[\d.]+ +[\d.]+ +[\d.]+ +120 ", out, re.M), out
    assert re.search(r"RSS after 60 requests: [\d.]+ MB \(target 120 MB\)", out), out
    assert re.search(r"The worker's CPU per request [\d.]+ ms \(wall [\d.]+ ms", out), out
    assert re.search(r"The master process: RSS [\d.]+ MB; the app is loaded there once", out), out
    assert "did not answer 200" not in out, out
    for name in ("customers", "contacts", "contracts", "interactions"):
        assert re.search(rf"^{name} list, page 1 \(sales\) +[\d.]+ +[\d.]+ +40 ", out, re.M), out
    assert "+ create_app()" in out and "+ import app" in out
    packages = re.findall(r"^  (\w+) +[\d.-]+ +\d+  (app\.\S+|\S+)", out, re.M)
    assert any(by.startswith("app.") for _name, by in packages), out
    assert "SQLAlchemy compiled statements:" in out and "Jinja templates:" in out
    assert len(re.findall(r"^  without .+ MB .* saves", out, re.M)) == 2, out   # one package, and "all of them"
    left = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("ZWT_INSTANCE_DIR") == str(tmp_path / "instance"):
                left.append(proc.pid)
        except psutil.Error:
            continue
    assert not left

"""The approval engine's benchmark runs end to end in a bounded form: 50 contracts submitted and
approved through the four-step chain by two worker processes, in a database of its own (a fresh
SQLite file, or a fresh PostgreSQL database beside DATABASE_URL's). No action may fail, every
contract must end approved, and each figure must be printed beside its target."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def test_bench_workflow_small_run_approves_everything_and_prints_its_figures(bench_database, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RQ_QUEUE")}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development")
    run = subprocess.run([sys.executable, "run.py", "bench", "workflow", "--instances", "50", "--workers", "2"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert run.returncode == 0, run.stderr[-3000:] + out
    assert "errors: 0" in out, out
    # 50 submits and 4 approvals each, all of them timed.
    assert re.search(r"actions: 250 \(50 submits \+ 200 approvals\)", out), out
    assert "first and last instances approved: 2 of 2" in out, out
    assert re.search(r"actions/s \(target >= 500 with 2 workers\)", out), out
    assert re.search(r"approve latency ms: p50 [\d.]+  p95 [\d.]+  max [\d.]+ \(target p95 <= 20\)", out), out
    statements = re.search(r"statements per action: submit ([\d.]+), approve ([\d.]+)", out)
    assert statements and float(statements.group(1)) > 0 and float(statements.group(2)) > 0, out
    assert re.search(r"CPU ms per action inside the actions \(workers\): [\d.]+ \(target <= 4\)", out), out
    assert re.search(r"statements per action: .*\(and one COMMIT each; target approve <= 5\)", out), out
    # What the machine allows, from the CPU each action cost: the cores' ceiling and the workers'.
    assert re.search(r"ceiling: \d+ cores at [\d.]+ CPU ms per action = at most \d+ actions/s with nothing else "
                     r"running; 2 workers each waiting at least [\d.]+ ms per action .*= at most \d+ actions/s", out), out
    assert re.search(r"load average [\d.]+ at the start, [\d.]+ at the end", out), out


def test_bench_workflow_runs_the_newer_approver_kinds_to_the_end(bench_database, tmp_path):
    """`--kinds new`: the submitter picks step 1's approvers, step 2 asks a named department's head
    and step 4 the submitter's manager line; every contract still ends approved, with no error."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "RQ_QUEUE")}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(DATABASE_URL=bench_database, ZWT_INSTANCE_DIR=str(tmp_path / "instance"), ZWT_ENV="development")
    run = subprocess.run([sys.executable, "run.py", "bench", "workflow", "--instances", "20", "--workers", "2",
                          "--kinds", "new"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert run.returncode == 0, run.stderr[-3000:] + out
    assert "chain: the newer approver kinds" in out, out
    assert "errors: 0" in out, out
    assert re.search(r"actions: 100 \(20 submits \+ 80 approvals\)", out), out
    assert "first and last instances approved: 2 of 2" in out, out

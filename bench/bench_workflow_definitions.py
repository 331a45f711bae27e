"""Cost of reading approval chains and deciding routes (no database, no app needed).

    .venv/bin/python -m bench.bench_workflow_definitions [ROUNDS]

Prints, as median / p95 over ROUNDS runs: parsing and validating each shipped chain (what a
publish and an instance's first use cost; the engine caches parsed versions by digest),
compiling one condition, evaluating it, and routing a document through the contract chain.
"""
from __future__ import annotations

import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from app.workflow.conditions import compile_condition
from app.workflow.definitions import definition_files, parse_definition

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
CONTEXT = {"doc": {"amount": Decimal("150000.00"), "standard_terms": False, "notes": "", "owner_id": 3},
           "submitter": {"id": 3, "username": "zhangwei", "department": "销售部", "department_code": "SALES",
                         "roles": ["Sales"]}}
CONDITION = "doc.amount > 100000 && !doc.standard_terms || 'Finance' in submitter.roles"


def _measure(fn, rounds: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main(rounds: int = 200) -> None:
    rows = []
    for file in definition_files(WORKFLOWS):
        text = file.read_text(encoding="utf-8")
        rows.append((f"parse {file.name}", _measure(lambda: parse_definition(text, file.name), rounds)))
    condition = compile_condition(CONDITION)
    rows.append(("compile condition", _measure(lambda: compile_condition(CONDITION), rounds)))
    rows.append(("evaluate condition", _measure(lambda: condition.evaluate(CONTEXT), rounds)))
    contract = parse_definition((WORKFLOWS / "contract_approval.yaml").read_text(encoding="utf-8"))
    rows.append(("route contract (3 steps)", _measure(lambda: contract.route(CONTEXT), rounds)))
    width = max(len(name) for name, _ in rows)
    print(f"{'':{width}}  median ms   p95 ms   ({rounds} rounds)")
    for name, (median, p95) in rows:
        print(f"{name:{width}}  {median:9.3f}  {p95:7.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)

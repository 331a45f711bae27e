"""Server times of the approval screens on a large approvals table (DATABASE_URL, REDIS_URL):

    createdb -h 127.0.0.1 -U postgres zwt_wfui_bench
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_wfui_bench REDIS_URL=redis://127.0.0.1:6379/7 \
        .venv/bin/python -m bench.bench_approval_screens --instances 100000 --mine 2000

Seeds INSTANCES running approvals of draft contracts (bulk inserts, not the engine: the point is
the size of wf_instance / wf_task / wf_action), each with one pending task spread over 200
approvers, of which MINE wait for the measured user; every instance has a submit action. Then,
signed in as that user through the web app, prints p50 / p95 of: the navbar count query, the
inbox (each tab, and a title search), and the task page.
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid
from decimal import Decimal

ROUNDS = 30


def _seed(db, instances: int, mine: int, tag: str):
    from flask import current_app
    from sqlalchemy import insert, select

    from app.core.clock import utcnow
    from app.core.org import User
    from app.modules.contracts.models import Contract
    from app.modules.customers.models import Customer
    from app.workflow import publishing
    from app.workflow.models import ApprovalAction, ApprovalInstance, ApprovalTask

    sm = current_app.appbuilder.sm
    role = sm.find_role("Manager")
    people = []
    for i in range(200):
        name = f"wsb{tag}{i}"
        user = sm.add_user(name, name, "压测", f"{name}@bench.invalid", role, password="Bench12345")
        people.append(db.session.get(User, user.id))
    me, submitter = people[0], people[1]
    version = publishing.publish(None, f"""\
name: contract_approval
title: 合同审批（压测）
document: contracts
steps:
  - id: manager
    name: 部门经理审批
    approvers:
      - user: {me.username}
""")
    customer = Customer(code=f"KH-WSB-{tag}", name=f"压测客户{tag}", kind="company", status="active",
                        credit_limit=Decimal("0.00"), owner_id=submitter.id)
    db.session.add(customer)
    db.session.flush()
    now = utcnow()
    for start in range(0, instances, 5000):
        stop = min(start + 5000, instances)
        db.session.execute(insert(Contract), [
            {"code": f"HT-{tag}-{i:07d}", "title": f"压测合同{i}", "customer_id": customer.id,
             "amount": Decimal(10_000 + i), "standard_terms": True, "status": "in_approval",
             "owner_id": submitter.id, "department_id": None, "created_at": now, "updated_at": now}
            for i in range(start, stop)])
        ids = list(db.session.scalars(select(Contract.id).where(Contract.code.like(f"HT-{tag}-%"))
                                      .order_by(Contract.id).offset(start).limit(stop - start)))
        db.session.execute(insert(ApprovalInstance), [
            {"version_id": version.id, "document": "contracts", "record_id": cid, "title": f"合同 压测合同{start + n}",
             "submitter_id": submitter.id, "status": "running", "current_step": "manager", "round": 1,
             "returned": False, "lock_version": 1, "context": {}, "stale": False, "started_at": now}
            for n, cid in enumerate(ids)])
        instance_ids = list(db.session.scalars(select(ApprovalInstance.id).where(ApprovalInstance.record_id.in_(ids))
                                               .order_by(ApprovalInstance.id)))
        db.session.execute(insert(ApprovalTask), [
            {"instance_id": iid, "step_id": "manager", "round": 1, "seq": 0,
             "assignee_id": (me if start + n < mine else people[2 + (start + n) % 198]).id,
             "status": "pending", "kind": "normal", "version": 0, "created_at": now}
            for n, iid in enumerate(instance_ids)])
        db.session.execute(insert(ApprovalAction), [
            {"instance_id": iid, "step_id": "", "action": "submit", "actor_id": submitter.id, "at": now}
            for iid in instance_ids])
        db.session.commit()
    task_id = db.session.scalar(select(ApprovalTask.id).where(ApprovalTask.assignee_id == me.id).limit(1))
    return me, task_id


def _time(fn, rounds: int = ROUNDS) -> tuple[float, float]:
    fn()  # warm caches (parsed chain, templates)
    samples = []
    for _n in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main(instances: int, mine: int) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.workflow import inbox

    app = create_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        initialise()
        tag = uuid.uuid4().hex[:6]
        started = time.perf_counter()
        me, task_id = _seed(db, instances, mine, tag)
        print(f"seeded {instances} approvals ({mine} waiting for {me.username}) in {time.perf_counter() - started:.1f} s")
        client = app.test_client()
        resp = client.post("/login/", data={"username": me.username, "password": "Bench12345"})
        assert resp.status_code == 302, "login failed"

        def get(url):
            def run():
                r = client.get(url)
                assert r.status_code == 200, (url, r.status_code)
            return run

        def count():
            db.session.expire_all()
            inbox.waiting_count(me)

        print(f"{'what':42} {'p50 ms':>8} {'p95 ms':>8}")
        for label, fn in [
            ("navbar count (one COUNT)", count),
            ("inbox: waiting for me (page 1)", get("/approvals/")),
            ("inbox: waiting for me (page 50)", get("/approvals/?tab=waiting&page=49")),
            ("inbox: title search", get("/approvals/?tab=waiting&q=压测合同1999")),
            ("inbox: handled by me", get("/approvals/?tab=handled")),
            ("inbox: CC to me", get("/approvals/?tab=cc")),
            ("task page", get(f"/approvals/task/{task_id}")),
            ("approve link confirmation (GET)", get(f"/approvals/task/{task_id}/approve")),
        ]:
            p50, p95 = _time(fn)
            print(f"{label:42} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--mine", type=int, default=2_000)
    args = parser.parse_args()
    main(args.instances, args.mine)

"""审批统计: counts, median and 90th percentile time to decide, overdue and rejected share per chain
and step and per approver, filtered by period and chain; only admins and those granted the
permission see the page and its CSV."""
from __future__ import annotations

import datetime as dt

import yaml

from app.extensions import db
from app.workflow import publishing
from app.workflow.models import ApprovalInstance, ApprovalTask
from app.workflow.stats import median, percentile, period_bounds, statistics
from tests.conftest import unique


def _chain():
    name = unique("stats_").lower()
    doc = {"name": name, "title": "统计测试", "document": "contracts", "admin": "admin",
           "steps": [{"id": "manager", "name": "经理", "approvers": [{"manager_of": "submitter"}],
                      "sla": {"remind_after": "24h"}},
                     {"id": "finance", "name": "财务", "approvers": [{"role": "Finance"}]}]}
    return name, publishing.publish(None, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def _task(version, org, step_id, user, created, hours=None, status="approved"):
    instance = ApprovalInstance(version_id=version.id, document="contracts", record_id=1, title="t",
                                submitter_id=org.east_rep.id, status="running", round=1, context={},
                                started_at=created)
    db.session.add(instance)
    db.session.flush()
    db.session.add(ApprovalTask(instance_id=instance.id, step_id=step_id, round=1, assignee_id=user.id,
                                status=status, created_at=created,
                                decided_at=created + dt.timedelta(hours=hours) if hours is not None else None,
                                decided_by_id=user.id if hours is not None else None))
    db.session.commit()


def _data(org):
    name, version = _chain()
    base = dt.datetime(2026, 5, 10, 9)
    for hours in (1, 2, 3, 4, 30):
        _task(version, org, "manager", org.manager, base, hours)
    _task(version, org, "manager", org.manager, base, 5, status="rejected")
    _task(version, org, "manager", org.manager, base, status="pending")     # still open, long overdue
    _task(version, org, "finance", org.finance_user, base, 10)
    _task(version, org, "finance", org.finance_user, dt.datetime(2026, 4, 30, 9), 1)  # last month
    return name


def test_percentiles_and_periods():
    assert median([1, 2, 3, 4]) == 2.5 and median([5]) == 5 and median([]) is None
    assert percentile(list(range(1, 11)), 0.9) == 9 and percentile([7], 0.9) == 7
    assert period_bounds("last_month", dt.date(2026, 1, 15)) == (dt.date(2025, 12, 1), dt.date(2026, 1, 1))
    assert period_bounds("this_quarter", dt.date(2026, 11, 5)) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert period_bounds("custom", dt.date(2026, 1, 1), dt.date(2026, 2, 3), dt.date(2026, 2, 4)) == \
        (dt.date(2026, 2, 3), dt.date(2026, 2, 5))


def test_statistics_per_step_and_approver(org):
    name = _data(org)
    data = statistics(dt.date(2026, 5, 1), dt.date(2026, 6, 1), name, now=dt.datetime(2026, 5, 20))
    steps = {r.step: r for r in data["steps"]}
    manager = steps["manager"]
    assert (manager.count, manager.decided, manager.rejected, manager.open) == (7, 6, 1, 1)
    assert manager.median_hours == 3.5 and manager.p90_hours == 30
    assert manager.overdue == 2                         # 30 hours, and the open one, past 24h
    assert abs(manager.rejected_share - 1 / 6) < 1e-9
    finance = steps["finance"]
    assert (finance.count, finance.decided, finance.overdue) == (1, 1, 0) and finance.median_hours == 10
    approvers = {r.label: r for r in data["approvers"]}
    assert approvers[org.manager.username].decided == 6 and approvers[org.manager.username].open == 1
    assert approvers[org.finance_user.username].decided == 1
    other = statistics(dt.date(2026, 5, 1), dt.date(2026, 6, 1), "no_such_chain")
    assert other == {"steps": [], "approvers": []}


def test_the_page_and_csv_for_admins_and_not_for_clerks(org, login):
    name = _data(org)
    query = f"period=custom&start=2026-05-01&end=2026-05-31&chain={name}"
    client = login(org.admin)
    page = client.get(f"/approval-statistics/?{query}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "统计测试" in body and "data-chart-url" in body
    chart = client.get(f"/approval-statistics/chart?{query}")
    assert chart.status_code == 200 and chart.get_json()["option"]["series"][0]["data"] == [3.5, 10.0] or \
        sorted(chart.get_json()["option"]["series"][0]["data"]) == [3.5, 10.0]
    csv_text = client.get(f"/approval-statistics/export/steps.csv?{query}").get_data(as_text=True)
    assert "manager" in csv_text and "16.7%" in csv_text
    csv_text = client.get(f"/approval-statistics/export/approvers.csv?{query}").get_data(as_text=True)
    assert org.manager.username in csv_text
    bad = client.get("/approval-statistics/?period=custom&start=2026-05-31&end=2026-05-01")
    assert bad.status_code == 400
    for user in (org.east_rep, org.manager):
        clerk = login(user)
        assert clerk.get(f"/approval-statistics/?{query}").status_code == 403
        assert clerk.get(f"/approval-statistics/export/steps.csv?{query}").status_code == 403
        assert clerk.get(f"/approval-statistics/chart?{query}").status_code == 403


def test_a_manager_granted_the_permission_sees_the_statistics(org, login, app):
    from tests.factories import make_user

    sm = app.appbuilder.sm
    permission = sm.find_permission_view_menu("can_read", "ApprovalStatistics")
    assert permission is not None
    role = sm.add_role(unique("stats_reader_"))
    sm.add_permission_role(role, permission)
    user = make_user("Manager")
    user.roles.append(role)
    db.session.commit()
    try:
        client = login(user)
        assert client.get("/approval-statistics/").status_code == 200
        assert client.get("/approval-statistics/export/approvers.csv").status_code == 200
        assert client.get("/workflow-builder/").status_code == 403
    finally:
        user.roles.remove(role)
        db.session.delete(db.session.merge(role))
        db.session.commit()

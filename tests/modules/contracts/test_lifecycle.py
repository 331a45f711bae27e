"""A contract after approval: signed, 即将到期 within its type's notice, 已到期 after its end, 续签 into a new draft
that marks it 已续签 once signed, 终止 with a reason, archived from any ending; the daily job reminds the owner and
their manager once per reminder day even when it runs twice, also in a real worker; the progress bar follows."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from app.core.clock import company_today
from app.core.errors import DomainError, ValidationErrors
from app.core.notify import Notification
from app.extensions import db
from app.modules.contracts import lifecycle, lines, service
from app.modules.contracts.models import Contract, ContractInstalment, ContractLine, ContractType
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.modules.contracts.helpers import approved, make_contract
from tests.modules.inventory.helpers import product


def _fresh(contract) -> Contract:
    db.session.expire_all()
    return db.session.get(Contract, contract.id)


def _signed(owner, ends_in: int, term_days: int = 364, **fields) -> Contract:
    today = company_today()
    ends = today + dt.timedelta(days=ends_in)
    contract = approved(make_contract(owner, starts_on=ends - dt.timedelta(days=term_days), ends_on=ends, **fields))
    service.mark_signed(owner, [contract])
    return _fresh(contract)


def _reminders(user, contract) -> int:
    """Expiry reminders only (a record changed by the job also tells its owner, as any change does)."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.link == f"/contracts/show/{contract.id}",
        Notification.title.contains("到期")))


def test_signing_a_contract_near_its_end_makes_it_expiring_at_once(org):
    assert _signed(org.east_rep, ends_in=200).status == "signed"
    assert _signed(org.east_rep, ends_in=20).status == "expiring"


def test_the_job_moves_contracts_and_reminds_owner_and_manager_once_per_reminder_day(org):
    contract = _signed(org.east_rep, ends_in=200)
    with db.session.no_autoflush:
        db.session.get(Contract, contract.id).ends_on = company_today() + dt.timedelta(days=14)
    db.session.commit()
    first = lifecycle.watch_expiry()
    again = lifecycle.watch_expiry()                       # the job runs twice: nothing more
    assert first["reminded"] >= 1 and again["reminded"] == 0
    assert _fresh(contract).status == "expiring"
    assert _reminders(org.east_rep, contract) == 1 and _reminders(org.manager, contract) == 1
    text = db.session.scalar(select(Notification.title).where(Notification.user_id == org.east_rep.id,
                                                             Notification.title.contains("到期")))
    assert text == f"合同 {contract.code} 将在 14 天后到期"

    today = company_today()
    lifecycle.watch_expiry(today + dt.timedelta(days=7))   # the 7-day reminder, once
    lifecycle.watch_expiry(today + dt.timedelta(days=8))
    assert _reminders(org.east_rep, contract) == 2
    lifecycle.watch_expiry(today + dt.timedelta(days=14))  # on the day
    assert _reminders(org.east_rep, contract) == 3
    lifecycle.watch_expiry(today + dt.timedelta(days=15))  # the day after: 已到期, no more reminders
    assert _fresh(contract).status == "expired" and _reminders(org.east_rep, contract) == 3
    # each move is in the contract's history, made by the system
    from app.core.audit import history_of

    moves = [(entry.actor_id, entry.changes.get("status")) for entry in history_of(_fresh(contract))
             if "status" in entry.changes]
    assert (None, ["signed", "expiring"]) in moves and (None, ["expiring", "expired"]) in moves


def test_the_types_notice_and_reminder_days_decide(org):
    kind = service.save_type(org.admin, ContractType(name="长协", notice_days=90, reminder_days="90,60"))
    contract = _signed(org.east_rep, ends_in=80, type_id=kind.id)
    assert contract.status == "expiring"
    lifecycle.watch_expiry()
    assert _reminders(org.east_rep, contract) == 1       # the 90-day reminder (the nearest reached)
    lifecycle.watch_expiry(company_today() + dt.timedelta(days=10))
    assert _reminders(org.east_rep, contract) == 1       # 70 days left: no reminder day reached since


def test_the_expiry_job_runs_in_a_real_worker(app, org, job_env):  # noqa: F811
    from app.core import jobs
    from app.modules.contracts.jobs import watch_expiry

    contract = _signed(org.east_rep, ends_in=200)
    with db.session.no_autoflush:
        db.session.get(Contract, contract.id).ends_on = company_today() - dt.timedelta(days=1)
    db.session.commit()
    job = jobs.queue(app.config).enqueue(watch_expiry)
    run_worker_burst(job_env)
    job.refresh()
    assert job.is_finished, job.exc_info
    assert _fresh(contract).status == "expired" and _fresh(contract).ended_as == "expired"
    assert "contracts.expiry" in {entry["name"] for entry in jobs.cron_entries(__import__(
        "app.core.registry", fromlist=["registry"]).registry)}


def test_renewal_copies_lines_and_plan_with_the_term_moved_on_and_signing_it_renews_the_old(org):
    paper = product()
    today = company_today()
    contract = make_contract(org.east_rep, starts_on=dt.date(today.year, 1, 1), ends_on=dt.date(today.year, 12, 31))
    lines.save_line(org.east_rep, ContractLine(contract_id=contract.id, product_id=paper.id, quantity="10",
                                               unit_price="100.00", tax_rate="13"))
    lines.save_instalment(org.east_rep, ContractInstalment(contract_id=contract.id, name="首付", basis="date",
                                                           due_on=dt.date(today.year, 3, 1), percent="100"))
    approved(contract)
    service.mark_signed(org.east_rep, [_fresh(contract)])

    renewal = lifecycle.renew(org.east_rep, contract.id)
    renewal = _fresh(renewal)
    assert renewal.status == "draft" and renewal.renewed_from_id == contract.id
    assert (renewal.starts_on, renewal.ends_on) == (dt.date(today.year + 1, 1, 1), dt.date(today.year + 1, 12, 31))
    assert [(l.product_id, l.total) for l in renewal.lines] == [(paper.id, Decimal("1130.00"))]
    assert renewal.amount == Decimal("1130.00")
    assert [(i.name, i.due_on, i.amount) for i in renewal.instalments] == [
        ("首付", dt.date(today.year + 1, 3, 1), Decimal("1130.00"))]
    with pytest.raises(DomainError) as refused:             # one renewal at a time
        lifecycle.renew(org.east_rep, contract.id)
    assert renewal.code in refused.value.message
    db.session.rollback()

    approved(renewal)
    service.mark_signed(org.east_rep, [_fresh(renewal)])
    old = _fresh(contract)
    assert (old.status, old.ended_as) == ("renewed", "renewed")
    assert lifecycle.path(old)[-2:] == ["renewed", "archived"]
    service.archive(org.east_rep, [old])
    assert _fresh(contract).status == "archived" and lifecycle.path(_fresh(contract))[-2] == "renewed"


def test_termination_needs_a_reason_and_a_contract_in_force(org):
    draft = make_contract(org.east_rep)
    with pytest.raises(DomainError):
        lifecycle.terminate(org.east_rep, draft.id, "客户违约")
    db.session.rollback()
    contract = _signed(org.east_rep, ends_in=200)
    with pytest.raises(ValidationErrors):
        lifecycle.terminate(org.east_rep, contract.id, "  ")
    db.session.rollback()
    lifecycle.terminate(org.east_rep, contract.id, "客户违约，提前终止")
    contract = _fresh(contract)
    assert (contract.status, contract.terminate_reason) == ("terminated", "客户违约，提前终止")
    contract.amount = Decimal("1")                          # the terms stay as signed
    with pytest.raises(DomainError):
        service.update_contract(org.east_rep, contract)
    db.session.rollback()
    with pytest.raises(DomainError):                        # nobody else's contract
        lifecycle.terminate(org.south_rep, contract.id, "x")


def test_the_terminate_screen_asks_the_reason_and_refuses_others(org, login):
    contract = _signed(org.east_rep, ends_in=200)
    client = login(org.east_rep)
    page = client.get(f"/contracts_terminate/{contract.id}")
    assert page.status_code == 200 and "终止原因" in page.get_data(as_text=True)
    empty = client.post(f"/contracts_terminate/{contract.id}", data={"reason": ""})
    assert empty.status_code == 400 and "请说明终止合同的原因" in empty.get_data(as_text=True)
    assert _fresh(contract).status == "signed"
    done = client.post(f"/contracts_terminate/{contract.id}", data={"reason": "双方协商一致"})
    assert done.status_code == 302 and _fresh(contract).status == "terminated"
    other = login(org.south_rep)
    assert other.get(f"/contracts_terminate/{contract.id}").status_code == 404


def test_the_detail_page_draws_the_contracts_own_progress_bar(org, login):
    contract = _signed(org.east_rep, ends_in=20)
    html = login(org.east_rep).get(f"/contracts/show/{contract.id}").get_data(as_text=True)
    bar = html[html.index('id="zwt-lifecycle"'):]
    bar = bar[:bar.index("</ol>")]
    assert [s for s in ("签署中", "已签订", "即将到期", "已到期", "已归档") if s in bar] == \
        ["签署中", "已签订", "即将到期", "已到期", "已归档"]
    assert 'data-status="signed"' in bar and 'zwt-step-done" data-status="signed"' in bar


def test_the_job_runs_when_admins_have_removed_every_type(org):
    from app.modules.contracts.models import ContractType

    contract = _signed(org.east_rep, ends_in=200)
    with db.session.no_autoflush:
        db.session.get(Contract, contract.id).ends_on = company_today() - dt.timedelta(days=1)
    db.session.commit()
    kept = [(t.name, t.notice_days, t.reminder_days, t.active, t.sort_order)
            for t in db.session.scalars(select(ContractType))]
    db.session.execute(update(Contract).values(type_id=None))
    db.session.query(ContractType).delete(synchronize_session=False)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ContractType)) == 0
    try:
        lifecycle.watch_expiry()
        assert _fresh(contract).status == "expired"
    finally:
        for name, notice, days, active, order in kept:
            if db.session.scalar(select(ContractType).where(ContractType.name == name)) is None:
                db.session.add(ContractType(name=name, notice_days=notice, reminder_days=days, active=active,
                                            sort_order=order))
        db.session.commit()

"""A contract from approval to renewal in the browser, with both parties signing electronically: the manager
approves it on the task page, the rep sends it for signing from its 签署 tab, the manager (the type's authorised
signer) draws a signature and confirms with their password, the customer's contact opens the one-time link on a
phone, enters the SMS code and signs with a finger, the contract shows 已签订, and 续签 opens the renewal."""
from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import log_in, new_context
from tests.browser.test_signature_pad_browser import _mouse_stroke
from tests.factories import PASSWORD


@pytest.fixture
def deal(app):
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.contracts.models import Contract, ContractType
    from app.modules.customers.models import Contact
    from app.workflow import engine
    from tests.factories import make_department, make_user
    from tests.modules.contracts.helpers import make_contract
    from tests.workflow.helpers import publish_chain, step

    marker = uuid.uuid4().hex[:6]
    mobile = "139" + str(uuid.uuid4().int)[:8]
    with app.app_context():
        dept = make_department(f"签署组{marker}")
        manager = make_user("Manager", dept)
        rep = make_user("Sales", dept, manager)
        publish_chain([step("manager", [{"manager_of": "submitter"}])])
        with unit_of_work(None):
            kind = ContractType(name=f"电子签署合同{marker}", notice_days=30, reminder_days="30,0",
                                sign_order="ours_first", signer_id=manager.id)
            db.session.add(kind)
        contract = make_contract(rep, title=f"{marker}年度服务合同", amount="12000.00", type_id=kind.id)
        with unit_of_work(None):
            contact = Contact(customer_id=contract.customer_id, name=f"周{marker}", phone=mobile)
            db.session.add(contact)
            db.session.flush()
            db.session.get(Contract, contract.id).contact_id = contact.id
        engine.submit(rep, "contracts", contract.id)
        data = SimpleNamespace(rep=rep.username, manager=manager.username, manager_id=manager.id, id=contract.id,
                               title=contract.title, mobile=mobile, contact=f"周{marker}")
        db.session.remove()
    yield data
    with app.app_context():
        from tests.workflow.test_views import restore_shipped_chain

        restore_shipped_chain()


def _outbox(app, mobile: str, pattern: str) -> str:
    from app.extensions import db
    from app.security.sms import SmsMessage

    with app.app_context():
        text = db.session.scalars(select(SmsMessage.text).where(SmsMessage.mobile == mobile)
                                  .order_by(SmsMessage.id.desc())).first()
        db.session.remove()
    return re.search(pattern, text).group(1)


def test_approve_then_both_parties_sign_and_the_contract_is_renewed(page, browser, live_server, app, deal, shot):
    # the manager approves on the task page
    context, watch = new_context(browser, live_server)
    manager = context.new_page()
    try:
        log_in(manager, deal.manager, PASSWORD)
        manager.locator("#zwt-approvals").click()
        manager.locator("#zwt-inbox-list tr.zwt-inbox-row", has_text=deal.title).get_by_role(
            "link", name=deal.title).click()
        manager.locator(".zwt-decision .zwt-approve").click()
        expect(manager.locator(".alert-success")).to_contain_text(deal.title)

        # the rep sends it for signing from its 签署 tab
        log_in(page, deal.rep, PASSWORD)
        page.goto(f"/contracts/show/{deal.id}")
        page.locator("a[data-zwt-tab='signing']").click()
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("#zwt-signing-tab form button[type=submit]").click()
        expect(page.locator("#zwt-signing-record")).to_contain_text("待签署")
        shot("sent-for-signing")

        # our authorised signer draws and confirms with the password
        manager.goto(f"/contracts_sign/{deal.id}")
        manager.locator("input[name=picture][value=drawn]").check()
        canvas = manager.locator("[data-zwt-signature] canvas")
        canvas.scroll_into_view_if_needed()
        _mouse_stroke(manager, canvas, [(0.1, 0.6), (0.3, 0.2), (0.5, 0.7), (0.85, 0.3)])
        manager.fill("#secret", PASSWORD)
        manager.locator("#zwt-sign-submit").click()
        expect(manager.locator(".alert-success")).to_contain_text("您已签署合同")
        expect(manager.locator("#zwt-signing-record")).to_contain_text("密码 + 手写签名")
    finally:
        context.close()
    assert not watch.problems(), "\n".join(watch.problems())

    # the customer's contact on a phone: the link from the SMS, the code, a finger signature
    token = _outbox(app, deal.mobile, r"/sign/([A-Za-z0-9_-]+)")
    phone_context, phone_watch = new_context(browser, live_server)
    phone = phone_context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    try:
        phone.goto(f"/sign/{token}")
        expect(phone.locator(".zwt-public-sign")).to_contain_text(deal.contact)
        phone.locator("#zwt-send-code button[type=submit]").click()
        code = _outbox(app, deal.mobile, r"\b(\d{6})\b")
        phone.fill("#code", code)
        phone.locator("#zwt-check-code button[type=submit]").click()
        expect(phone.locator("#zwt-open-pdf")).to_be_visible()
        canvas = phone.locator("[data-zwt-signature] canvas")
        canvas.scroll_into_view_if_needed()
        _mouse_stroke(phone, canvas, [(0.15, 0.5), (0.4, 0.25), (0.6, 0.75), (0.9, 0.4)])
        phone.locator("#zwt-sign-submit").click()
        expect(phone.locator("#zwt-sign-message")).to_contain_text("您已签署合同")
        shot("customer-signed")
        phone.goto(f"/sign/{token}")                    # the link works once
        expect(phone.locator("#zwt-sign-message")).to_contain_text("已使用")
    finally:
        phone_context.close()
    assert not phone_watch.problems(), "\n".join(phone_watch.problems())

    with app.app_context():
        from app.core import signing as pdf_signing
        from app.core.files import store
        from app.extensions import db
        from app.modules.contracts.models import Contract

        contract = db.session.get(Contract, deal.id)
        assert contract.status in ("signed", "expiring") and contract.signing_state == "done"
        result = pdf_signing.verify_pdf(store().read(contract.signing_sha256))
        assert result.verdict == "ours" and len(result.signatures) == 2
        db.session.remove()

    # signed: the progress bar, then 续签
    page.goto(f"/contracts/show/{deal.id}")
    expect(page.locator("#zwt-lifecycle [data-status=signed]")).to_have_class(re.compile("zwt-step-(done|current)"))
    page.locator("#zwt-action-renew summary").click()
    page.locator("#zwt-action-renew form button[type=submit]").click()
    expect(page.locator("#zwt-lifecycle [aria-current=step]")).to_contain_text("草稿")
    with app.app_context():
        from app.extensions import db
        from app.modules.contracts.models import Contract

        renewal = db.session.scalar(select(Contract).where(Contract.renewed_from_id == deal.id))
        assert renewal is not None and re.search(rf"/contracts/show/{renewal.id}(\?|$)", page.url)
        db.session.remove()

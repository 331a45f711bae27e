"""The approval e-mail as an approver receives it: HTML with approve / reject buttons and a
plain-text part, links to the address the app is really served at, and a link that opens the
confirmation page when followed."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core.notify import MailMessage
from app.extensions import db
from app.workflow import engine, reading
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import publish_chain, step, task_of
from tests.workflow.test_views import restore_shipped_chain, shipped_chain_afterwards, status_of, text  # noqa: F401

MANAGER = {"manager_of": "submitter"}
HREF = re.compile(r'<a href="([^"]+)"')


def _mails_to(user, containing: str) -> list[MailMessage]:
    db.session.expire_all()
    return [m for m in db.session.scalars(select(MailMessage).where(MailMessage.to == user.email)
                                          .order_by(MailMessage.id)) if containing in m.subject]


def _hrefs(message: MailMessage) -> list[str]:
    return [h.replace("&amp;", "&") for h in HREF.findall(message.html)]


def login_at(app, user, base_url: str):
    """A client signed in as `user` at the address `base_url` (as a browser there would be)."""
    client = app.test_client()
    resp = client.post("/login/", data={"username": user.username, "password": "Passw0rd!"}, base_url=base_url)
    assert resp.status_code == 302, f"login failed for {user.username}"
    return client


@pytest.fixture
def public_url(app):
    """Set PUBLIC_URL for one test (the suite runs without it, like an unconfigured install)."""
    before = app.config.get("PUBLIC_URL")

    def _set(value):
        app.config["PUBLIC_URL"] = value

    yield _set
    app.config["PUBLIC_URL"] = before


def test_the_approver_follows_the_approve_link_of_the_mail_to_the_confirmation_page(org, app):
    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep)
    # submitted on the screen: the links take the address the submitter's browser used
    resp = login_at(app, org.east_rep, "http://zwt.lan:8080").post(f"/approvals/submit/contracts/{contract.id}",
                                                                   data={}, base_url="http://zwt.lan:8080")
    assert resp.status_code == 302
    run = reading.instances_of("contracts", contract.id)[0]
    task = task_of(run, org.manager)

    [mail] = _mails_to(org.manager, contract.title)
    links = _hrefs(mail)
    assert links == [f"http://zwt.lan:8080/approvals/task/{task.id}/approve",
                     f"http://zwt.lan:8080/approvals/task/{task.id}/reject",
                     f"http://zwt.lan:8080/approvals/task/{task.id}"]
    assert ":5000" not in mail.body + mail.html
    assert all(link in mail.body for link in links)          # the plain-text part has them too

    page = login_at(app, org.manager, "http://zwt.lan:8080").get(links[0])   # the full address, as a mail program
    assert page.status_code == 200 and 'id="zwt-confirm-form"' in text(page) and contract.title in text(page)
    assert task_of(run, org.manager).status == "pending"      # opening a link changes nothing
    assert status_of(contract) == "in_approval"


def test_mails_sent_without_a_request_use_the_configured_public_url(org, login, public_url):
    public_url("https://zwt.example.com/")
    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep)

    run = engine.submit(org.east_rep, "contracts", contract.id)      # as a job or the CLI would

    [mail] = _mails_to(org.manager, contract.title)
    task = task_of(run, org.manager)
    assert _hrefs(mail)[0] == f"https://zwt.example.com/approvals/task/{task.id}/approve"
    # the in-app notification keeps a path of the app, whatever address the user came by
    from app.core.notify import Notification
    note = db.session.scalars(select(Notification).where(Notification.user_id == org.manager.id)
                              .order_by(Notification.id.desc())).first()
    assert note.link == f"/approvals/task/{task.id}"


def test_without_public_url_and_without_a_request_links_use_the_port_the_app_was_started_on(org, monkeypatch):
    monkeypatch.setenv("PORT", "8080")
    publish_chain([step("manager", [MANAGER])])
    contract = make_contract(org.east_rep)

    run = engine.submit(org.east_rep, "contracts", contract.id)

    [mail] = _mails_to(org.manager, contract.title)
    assert _hrefs(mail)[0] == f"http://127.0.0.1:8080/approvals/task/{task_of(run, org.manager).id}/approve"


def test_the_api_gives_the_task_page_at_the_address_it_was_called_by(org, app, api_token):
    publish_chain([step("manager", [MANAGER])])
    run = engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)

    listed = app.test_client().get("/api/v1/approvals/tasks", headers=api_token(org.manager),
                                   base_url="https://zwt.lan").get_json()

    task = task_of(run, org.manager)
    [mine] = [t for t in listed["result"] if t["id"] == task.id]
    assert mine["links"]["page"] == f"https://zwt.lan/approvals/task/{task.id}"

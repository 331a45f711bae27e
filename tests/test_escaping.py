"""Text people type is shown as text, everywhere: a customer, contact, interaction, tag,
comment, contract, approval chain, department and user whose text is an HTML payload are opened
on every page, JSON answer, export and mail that shows them, and the payload never reaches the
page as markup (the escaped `&lt;img` form is what a page may carry; JSON carries the plain
string; exports the plain text)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import smtplib
import uuid
from decimal import Decimal
from email import message_from_bytes
from types import SimpleNamespace

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import select

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = '"><script>alert(1)</script>'
JS_LINK = "javascript:alert(1)"
BOTH = IMG + SCRIPT
ESCAPED = ("&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;")
RAW = (IMG, "<script>alert(1)</script>")
JS_ATTRIBUTE = re.compile(r"""(?i)\b(href|src|action|formaction|data-href|xlink:href)\s*=\s*["']?\s*javascript:alert""")
PASSWORD = "Passw0rd!"


def assert_shown_as_text(html: str, where: str) -> None:
    """The page carries the payload only in its escaped form, and does show it."""
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} reaches the page as markup"
    assert not JS_ATTRIBUTE.search(html), f"{where}: a javascript: link made of typed text"
    assert "&amp;lt;" not in html, f"{where}: typed text escaped twice (the user reads &lt;)"
    assert not re.search(r"&lt;span class=(&#34;|&quot;|\")", html), f"{where}: the app's own markup printed as text"
    assert any(e in html for e in ESCAPED), f"{where}: the typed text is not on the page at all"


# -- the data, as users type it --------------------------------------------------------------------
def _named(user, last: str, first: str):
    from app.extensions import db

    user.last_name, user.first_name = last, first
    db.session.commit()
    return user


def _chain(name: str, title: str, steps: list[dict], **extra) -> str:
    doc = {"name": name, "title": title, "document": "contracts", "admin": "admin",
           "settings": {"self_approval": "escalate_to_manager", "empty_approvers": "admin", "on_reject": "return_to_submitter",
                        "withdraw": "anytime", "comment_required": ["reject", "return"]},
           "steps": steps, **extra}
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def build_world(app) -> SimpleNamespace:
    """Everything a Sales user, their managers and the admin type, holding the payloads; ids and
    user names of the records to open."""
    from app.core import collab
    from app.core.notify import notify, send_mail
    from app.core.org import User
    from app.core.transaction import unit_of_work
    from app.extensions import db
    from app.modules.contracts.models import Contract
    from app.modules.contracts.service import create_contract
    from app.modules.customers.interactions import log_interaction
    from app.modules.customers.models import Contact, Customer, Interaction, Tag
    from app.modules.customers.service import create_contact, create_customer, local_today, update_customer
    from app.modules.customers.tags import create_tag, tag_customers, update_tag
    from app.security.apikeys import create_key
    from app.security.registration_models import Registration
    from app.workflow import engine, publishing
    from app.workflow.delegations import create_delegation
    from app.workflow.models import ApprovalTask
    from tests.factories import make_department, make_user

    marker = uuid.uuid4().hex[:4]
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        company = make_department(f"{IMG}公司{marker}")
        dept = make_department(f"{BOTH}销售部{marker}", company)
        boss = _named(make_user("Manager", dept), IMG, "总")
        mgr = _named(make_user("Manager", dept, boss), IMG, SCRIPT)
        mgr2 = _named(make_user("Manager", dept, boss), SCRIPT, "二")
        rep = _named(make_user("Sales", dept, mgr), BOTH, marker)

        customer = create_customer(rep, Customer(
            name=f"{BOTH}{JS_LINK}{marker}", kind="company", owner_id=rep.id, region=IMG,
            address=f"{JS_LINK} {SCRIPT}", email=f"esc{marker}@example.com", credit_limit=Decimal("100.00"),
            notes=f"{IMG}\n{SCRIPT}\n{JS_LINK}"))
        tags = [create_tag(admin, Tag(name=f"{IMG}{marker}", colour="danger", description=SCRIPT)),
                create_tag(admin, Tag(name=f"{SCRIPT}{marker}", colour="primary", description=IMG))]
        tag_customers(admin, [customer.id], [t.id for t in tags])
        tags[1].colour = "danger"
        update_tag(admin, tags[1])
        contact = create_contact(rep, Contact(customer_id=customer.id, name=BOTH, title=SCRIPT,
                                              notes=f"{IMG} {JS_LINK}"))
        interaction = log_interaction(rep, Interaction(
            customer_id=customer.id, contact_id=contact.id, kind="call", subject=BOTH,
            content=f"{IMG}\n{SCRIPT}\n{JS_LINK}", next_follow_up_on=local_today()))
        with unit_of_work(rep) as uow:
            send_mail(uow, customer.email, f"{IMG}报价", f"{SCRIPT}\n{JS_LINK}", customer_id=customer.id)
            notify(uow, [mgr], f"{IMG}提醒", f"{SCRIPT}\n{JS_LINK}", link="/customers/list/")
        collab.follow(mgr, "customers", customer.id)
        comment, _mentioned = collab.add_comment(rep, "customers", customer.id,
                                                 f"{IMG} @{mgr.username} {SCRIPT} {JS_LINK}")
        customer = db.session.get(Customer, customer.id)
        customer.notes = f"{SCRIPT} {IMG}"
        update_customer(rep, customer)
        # A duplicate as old data leaves it (the service refuses to make one), to be merged.
        with unit_of_work(None):
            duplicate = Customer(code=f"KH-ESC-{marker}", name=customer.name, owner_id=rep.id, department_id=dept.id,
                                 kind="company", status="potential", credit_limit=Decimal("0"), region=SCRIPT)
            db.session.add(duplicate)
        tag_customers(admin, [duplicate.id], [t.id for t in tags])

        chain_steps = [{"id": "first", "name": f"{SCRIPT}初审", "approvers": [{"user": mgr.username}], "mode": "any"},
                       {"id": "second", "name": f"{IMG}复核", "approvers": [{"user": mgr2.username}], "mode": "any"}]
        publishing.publish(admin, _chain("contract_approval", f"{IMG}合同审批", chain_steps,
                                         cc=[{"on": ["approved", "rejected"], "to": [{"field": "owner_id"}]}]),
                           note=SCRIPT)
        waiting = create_contract(rep, Contract(customer_id=customer.id, owner_id=rep.id, title=f"{BOTH}{marker}",
                                                amount=Decimal("5000.00"), notes=SCRIPT))
        rejected = create_contract(rep, Contract(customer_id=customer.id, owner_id=rep.id, title=f"{IMG}驳回{marker}",
                                                 amount=Decimal("6000.00")))
        run = engine.submit(rep, "contracts", waiting.id, comment=f"{IMG}请审批")
        first = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == run.id))
        engine.approve(mgr, first.id, comment=f"{SCRIPT}同意 {JS_LINK}")
        engine.comment(rep, run.id, f"{IMG}补充说明")
        engine.urge(rep, run.id, f"{SCRIPT}请尽快")
        open_task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == run.id,
                                                                 ApprovalTask.status == "pending"))
        other = engine.submit(rep, "contracts", rejected.id)
        other_task = db.session.scalar(select(ApprovalTask).where(ApprovalTask.instance_id == other.id))
        engine.reject(mgr, other_task.id, comment=f"{IMG}金额不对")
        collab.add_comment(mgr2, "contracts", waiting.id, f"{SCRIPT} {IMG}")

        editor_chain = f"esc_{marker}"
        publishing.publish(admin, _chain(editor_chain, f"{BOTH}流程", [
            {"id": "check", "name": f"{BOTH}审核", "approvers": [{"user": mgr.username}, {"user": IMG}],
             "mode": "any", "when": f'doc.title == "{IMG}"'}]), note=f"{IMG}首版")

        key, _raw_key = create_key(rep, f"{IMG}{marker}")
        soon = local_today() + dt.timedelta(days=300)
        create_delegation(mgr2, None, mgr.id, soon, soon + dt.timedelta(days=3), "contract_approval")
        registration = Registration(token=uuid.uuid4().hex, status="awaiting_approval", username=f"esc{marker}",
                                    first_name=SCRIPT, last_name=IMG, email=f"esc{marker}@example.net",
                                    mobile="13900000000", company=BOTH, activated_at=dt.datetime.utcnow())
        db.session.add(registration)
        db.session.commit()
        world = SimpleNamespace(
            marker=marker, customer=customer.id, duplicate=duplicate.id, contact=contact.id, interaction=interaction.id,
            tag=tags[0].id, tag2=tags[1].id, comment=comment.id, contract=waiting.id, rejected=rejected.id,
            instance=run.id, task=open_task.id, chain=editor_chain, dept=dept.id, company=company.id,
            key=key.uuid, registration=registration.id,
            rep=rep.username, mgr=mgr.username, mgr2=mgr2.username, rep_id=rep.id, mgr_id=mgr.id)
        db.session.remove()
    return world


def restore_shipped_chain(app) -> None:
    from app.extensions import db
    from app.workflow import engine, publishing

    with app.app_context():
        shipped = (publishing.WORKFLOWS_DIR / "contract_approval.yaml").read_text(encoding="utf-8")
        version, _definition = engine.active_definition("contract_approval")
        if version is None or version.source != shipped:
            publishing.publish(None, shipped, note="shipped version again")
        db.session.remove()


@pytest.fixture(scope="module")
def world(app):
    data = build_world(app)
    yield data
    restore_shipped_chain(app)


@pytest.fixture(scope="module")
def signed_in(app, world):
    """signed_in(username) → a client signed in as that user (one per user for the module)."""
    clients = {}

    def _client(username: str):
        if username not in clients:
            client = app.test_client()
            password = "admin-pass-123" if username == "admin" else PASSWORD
            resp = client.post("/login/", data={"username": username, "password": password},
                               headers={"User-Agent": f"Mozilla/5.0 {SCRIPT}"})
            assert resp.status_code == 302, f"login failed for {username}"
            clients[username] = client
        return clients[username]

    return _client


def page(signed_in, who: str, path: str) -> str:
    resp = signed_in(who).get(path)
    assert resp.status_code == 200, f"{path} as {who}: {resp.status_code}"
    return resp.get_data(as_text=True)


# -- pages -------------------------------------------------------------------------------------------
PAGES = [
    # customers: lists, the show page with its tabs (contacts, contracts, timeline, profile,
    # comments, history), its own timeline and profile pages, the edit form, lists by search
    ("admin", "/customers/list/"),
    ("rep", "/customers/list/"),
    ("admin", "/customers/list/?_flt_2_name={img}"),
    ("rep", "/customers/show/{customer}"),
    ("mgr", "/customers/show/{customer}"),
    ("rep", "/customers/edit/{customer}"),
    ("rep", "/customer_timeline/{customer}/"),
    ("rep", "/customer_timeline/{customer}/?kind=email"),
    ("rep", "/customer_profile/{customer}/"),
    ("rep", "/my_follow_ups/"),
    ("admin", "/customer_analysis/"),
    ("admin", "/customers/duplicates/"),
    ("admin", "/customers/duplicates/merge?id={customer}&id={duplicate}"),
    ("rep", "/contacts/list/"),
    ("rep", "/contacts/show/{contact}"),
    ("rep", "/contacts/edit/{contact}"),
    ("rep", "/interactions/list/"),
    ("rep", "/interactions/show/{interaction}"),
    ("rep", "/interactions/edit/{interaction}"),
    ("admin", "/tags/list/"),
    ("admin", "/tags/show/{tag}"),
    ("admin", "/tags/show/{tag2}"),
    ("admin", "/tags/edit/{tag}"),
    ("admin", "/customer_bulk/tags?ids={customer}"),
    ("rep", "/comments/{comment}/edit"),
    ("rep", "/comments/{comment}/delete"),
    ("admin", "/customer_bulk/transfer?ids={customer}"),
    # contracts and their approval: list, show page with the 审批 and comments tabs, the inbox
    # tabs of each person, the task page and the e-mail link confirmation
    ("rep", "/contracts/list/"),
    ("rep", "/contracts/show/{contract}"),
    ("mgr2", "/contracts/show/{contract}"),
    ("rep", "/contracts/edit/{rejected}"),
    ("mgr2", "/approvals/"),
    ("mgr2", "/approvals/?q={img}"),
    ("rep", "/approvals/?tab=submitted"),
    ("rep", "/approvals/?tab=cc"),
    ("mgr", "/approvals/?tab=handled"),
    ("mgr2", "/approvals/task/{task}"),
    ("mgr2", "/approvals/task/{task}/approve"),
    ("mgr2", "/approvals/task/{task}/reject"),
    ("rep", "/approvals/instance/{instance}"),
    ("mgr2", "/approvals/delegations/"),
    ("admin", "/approvals/delegations/"),
    # the approval chain editor
    ("admin", "/workflows/"),
    ("admin", "/workflows/{chain}/"),
    ("admin", "/workflows/{chain}/versions/1"),
    ("admin", "/workflows/contract_approval/"),
    # notices, mail, people and departments
    ("mgr", "/notifications/"),
    ("rep", "/notifications/"),
    ("admin", "/mail_outbox/list/"),
    ("admin", "/departments/list/?_flt_2_name={marker}"),
    ("admin", "/departments/show/{dept}"),
    ("admin", "/departments/edit/{dept}"),
    ("admin", "/users/list/?_flt_0_username={rep}"),
    ("admin", "/users/show/{rep_id}"),
    ("rep", "/users/userinfo/"),
    ("rep", "/"),
    ("rep", "/apikeys/"),
    ("admin", "/apikeys/all"),
    ("rep", "/apikeys/{key}/revoke"),
    ("admin", "/registrations/"),
    ("admin", "/registrations/{registration}/reject"),
    ("admin", "/login_history/list/"),
    ("rep", "/my-login-history/"),
]


def _path(world, template: str) -> str:
    from urllib.parse import quote

    return template.format(img=quote(IMG), **vars(world))


def _who(world, who: str) -> str:
    return {"rep": world.rep, "mgr": world.mgr, "mgr2": world.mgr2}.get(who, who)


@pytest.mark.parametrize("who,path", PAGES, ids=[f"{w}:{p}" for w, p in PAGES])
def test_a_page_shows_what_users_typed_as_text(world, signed_in, who, path):
    html = page(signed_in, _who(world, who), _path(world, path))
    assert_shown_as_text(html, f"{path} as {who}")


def test_no_page_without_parameters_carries_typed_text_as_markup(world, signed_in, app):
    """Every screen reachable without parameters (menus, settings, lists), as the admin and as
    the Sales user."""
    paths = sorted({rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and not rule.arguments and "static" not in rule.endpoint
                    and not rule.rule.startswith(("/api/", "/logout", "/swagger"))})
    assert len(paths) > 40
    for who in ("admin", world.rep):
        for path in paths:
            resp = signed_in(who).get(path)
            if resp.mimetype == "text/html":
                html = resp.get_data(as_text=True)
                for raw in RAW:
                    assert raw not in html, f"{path} as {who}: {raw!r} reaches the page as markup"
                assert "&amp;lt;" not in html, f"{path} as {who}: typed text escaped twice"


def test_the_navbar_shows_the_signed_in_users_name_as_text(world, signed_in):
    html = page(signed_in, world.mgr, "/approvals/delegations/")
    navbar = html[html.index('<header class="zwt-topbar"'):html.index("</header>")]
    assert 'id="zwt-user-menu"' in navbar
    assert_shown_as_text(navbar, "the navbar")


def test_the_mail_outbox_shows_mail_bodies_as_text(world, signed_in, app):
    from app.core.notify import MailMessage
    from app.extensions import db

    with app.app_context():
        ids = db.session.scalars(select(MailMessage.id).where(MailMessage.subject.startswith(IMG))
                                 .order_by(MailMessage.id.desc()).limit(3)).all()
        db.session.remove()
    assert ids
    for pk in ids:
        assert_shown_as_text(page(signed_in, "admin", f"/mail_outbox/show/{pk}"), f"mail {pk}")


def test_a_refused_customer_form_keeps_the_typed_text_as_text(world, signed_in):
    resp = signed_in(world.rep).post("/customers/add", data={
        "name": BOTH, "kind": "company", "phone": IMG, "region": SCRIPT, "notes": IMG, "credit_limit": "x"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert_shown_as_text(html, "the refused customer form")


def test_the_workflow_editor_shows_problems_with_typed_text_as_text(world, signed_in):
    source = _chain(world.chain, f"{BOTH}流程", [
        {"id": "check", "name": IMG, "approvers": [{"user": IMG}], "mode": IMG}])
    resp = signed_in("admin").post(f"/workflows/{world.chain}/", data={
        "source": source, "op": "validate", "note": SCRIPT, "doc": f'{{"title": "{IMG}"', "submitter": IMG})
    assert resp.status_code in (200, 400)
    assert_shown_as_text(resp.get_data(as_text=True), "the editor after validation")
    resp = signed_in("admin").post(f"/workflows/{world.chain}/", data={
        "source": source, "op": "dry_run", "doc": f'{{"title": "{IMG}"}}', "submitter": IMG})
    assert_shown_as_text(resp.get_data(as_text=True), "the editor's dry run")


def _bad_import(client, count: int = 1) -> dict:
    """An upload whose rows are named with the payload and have the payload as their phone."""
    from app.modules.customers import importing

    with client.application.test_request_context():
        headers = importing.headers()
    name_at, phone_at = 0, next(i for i, h in enumerate(headers) if "电话" in h or "Phone" in h)
    rows = [[""] * len(headers) for _n in range(count)]
    for row in rows:
        row[name_at], row[phone_at] = f"{BOTH}{uuid.uuid4().hex[:4]}", IMG
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *rows])
    return {"file": (io.BytesIO(buffer.getvalue().encode("utf-8")), "customers.csv")}


def test_import_problems_name_the_rows_as_text(world, signed_in):
    resp = signed_in("admin").post("/customers/import/upload", data=_bad_import(signed_in("admin")),
                                   content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="zwt-import-problems"' in html
    assert_shown_as_text(html, "the import problems")


def test_a_background_import_lists_its_problem_rows_as_text(world, signed_in, app, monkeypatch):
    from app.modules.customers.importing import import_job

    monkeypatch.setitem(app.config, "IMPORT_SYNC_ROWS", 1)
    client = signed_in("admin")
    resp = client.post("/customers/import/upload", data=_bad_import(client, 2), content_type="multipart/form-data")
    assert resp.status_code == 302
    token = re.search(r"/customers/import/([\w-]+)/$", resp.headers["Location"]).group(1)
    with app.app_context():
        import_job(token)
    status = _json(signed_in, "admin", f"/customers/import/{token}/status.json")
    assert status["status"] == "rejected"
    html = page(signed_in, "admin", f"/customers/import/{token}/")
    assert 'id="zwt-import-problems"' in html
    assert_shown_as_text(html, "the background import's problems")


# -- JSON: the plain string, for the page to insert as text ----------------------------------------
def _json(signed_in, who, path):
    resp = signed_in(who).get(path)
    assert resp.status_code == 200, f"{path}: {resp.status_code}"
    assert resp.mimetype == "application/json"
    return resp.get_json()


def test_search_as_you_type_answers_the_customer_name_as_a_plain_string(world, signed_in):
    from urllib.parse import quote

    data = _json(signed_in, world.rep, f"/contracts/customers/choices.json?q={quote(world.marker)}")
    texts = [r["text"] for r in data["results"]]
    assert any(t.startswith(f"{BOTH}{JS_LINK}{world.marker}（") for t in texts), texts


def test_chart_json_carries_typed_labels_as_plain_strings(world, signed_in):
    region = _json(signed_in, world.rep, "/customer_analysis/region.json")
    assert IMG in region["option"]["xAxis"]["data"]
    assert [IMG, "1"] in region["table"]
    owner = _json(signed_in, world.rep, "/customer_analysis/owner.json")
    names = owner["option"]["xAxis"]["data"] + owner["option"].get("series", [{}])[0].get("data", [])
    assert any(isinstance(n, str) and n.startswith(BOTH) for n in names), names


def test_user_statistics_json_carries_names_as_plain_strings(world, signed_in):
    departments = _json(signed_in, "admin", "/user_stats/data/departments")
    name = f"{BOTH}销售部{world.marker}"
    assert name in [d["name"] for d in departments["option"]["series"][0]["data"]]
    assert [name, 4] in departments["table"]


def test_the_api_answers_typed_text_as_plain_strings(world, signed_in, app):
    token_client = app.test_client()
    resp = token_client.post("/api/v1/security/login", json={"username": world.rep, "password": PASSWORD,
                                                             "provider": "db"})
    headers = {"Authorization": f"Bearer {resp.get_json()['access_token']}"}

    customer = token_client.get(f"/api/v1/customers/{world.customer}", headers=headers).get_json()["result"]
    assert customer["name"] == f"{BOTH}{JS_LINK}{world.marker}" and customer["region"] == IMG
    contact = token_client.get(f"/api/v1/contacts/{world.contact}", headers=headers).get_json()["result"]
    assert contact["name"] == BOTH
    interaction = token_client.get(f"/api/v1/interactions/{world.interaction}", headers=headers).get_json()["result"]
    assert interaction["subject"] == BOTH
    comments = token_client.get(f"/api/v1/comments/?spec=customers&record={world.customer}", headers=headers).get_json()
    bodies = [c["body"] for c in comments["result"]]
    assert any(b.startswith(f"{IMG} @") for b in bodies)
    tasks = token_client.get("/api/v1/approvals/tasks", headers=headers).get_json()
    assert "&lt;" not in repr(tasks)


# -- exports: the plain text -------------------------------------------------------------------------
def _csv_rows(resp) -> list[list[str]]:
    return list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))


@pytest.mark.parametrize("who,path,expected", [
    ("rep", "/customers/export/csv", "{name}"),
    ("rep", "/contacts/export/csv", BOTH),
    ("rep", "/interactions/export/csv", BOTH),
    ("rep", "/contracts/export/csv", "{contract_title}"),
    ("admin", "/customer_analysis/region.csv", IMG),
    ("admin", "/tags/export/csv", "{tag_name}"),
])
def test_csv_exports_hold_the_typed_text_as_plain_text(world, signed_in, who, path, expected):
    expected = expected.format(name=f"{BOTH}{JS_LINK}{world.marker}", contract_title=f"{BOTH}{world.marker}",
                               tag_name=f"{IMG}{world.marker}")
    resp = signed_in(_who(world, who)).get(path)
    assert resp.status_code == 200
    cells = [c for row in _csv_rows(resp) for c in row]
    assert expected in cells
    assert not any("&lt;" in c or "<span" in c for c in cells), "exports carry text, not HTML"


def test_excel_exports_hold_the_typed_text_as_plain_text(world, signed_in):
    resp = signed_in(world.rep).get("/customers/export/xlsx")
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.get_data()), read_only=True).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert f"{BOTH}{JS_LINK}{world.marker}" in cells
    assert not any("&lt;" in c or "<span" in c for c in cells)


# -- mail ------------------------------------------------------------------------------------------------
def test_a_notice_mail_carries_typed_text_as_text(world, app, monkeypatch):
    """A notice's mail, sent over SMTP: the plain part holds the text as typed, the HTML part
    (if any) escapes it."""
    from app.core.notify import QUEUED, MailMessage, deliver_mail, notify
    from app.core.org import User
    from app.core.transaction import unit_of_work
    from app.extensions import db

    sent = []

    class FakeSmtp:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            pass

        def login(self, *args):
            pass

        def send_message(self, message):
            sent.append(message.as_bytes())

    subject = f"{IMG}{uuid.uuid4().hex[:6]}"
    with app.test_request_context():
        user = db.session.get(User, world.mgr_id)
        with unit_of_work(None) as uow:
            notify(uow, [user], subject, f"{SCRIPT}\n{IMG}\n{JS_LINK}", link=f"/customers/show/{world.customer}")
        message = db.session.scalar(select(MailMessage).where(MailMessage.subject == subject))
        message.status = QUEUED
        db.session.commit()
        monkeypatch.setattr(smtplib, "SMTP", FakeSmtp)
        monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
        assert deliver_mail(message.id) == "sent"
        db.session.remove()

    mail = message_from_bytes(sent[0])
    parts = {part.get_content_type(): part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
             for part in mail.walk() if not part.is_multipart()}
    assert SCRIPT in parts["text/plain"] and IMG in parts["text/plain"]
    if "text/html" in parts:
        assert_shown_as_text(parts["text/html"], "the HTML part of the mail")


# -- the code that draws pages: no typed text becomes markup -----------------------------------------
APP = __import__("pathlib").Path(__file__).resolve().parents[1] / "app"
HTML_SINKS = re.compile(r"""\.innerHTML\s*\+?=(?!\s*["']{2}\s*;)|\.outerHTML\s*=|insertAdjacentHTML|document\.write|"""
                        r"""\.html\(\s*[^)\s]|"""
                        r"""escapeMarkup|templateResult|templateSelection|formatter\s*:|renderMode""")


def _scripts():
    """(where, text) of every script the app ships: its own files and the templates' inline scripts."""
    for path in sorted((APP / "static" / "js").rglob("*.js")):
        yield str(path.relative_to(APP)), path.read_text(encoding="utf-8")
    for path in sorted((APP / "templates").rglob("*.html")):
        for n, script in enumerate(re.findall(r"<script\b[^>]*>(.*?)</script>", path.read_text(encoding="utf-8"), re.S)):
            yield f"{path.relative_to(APP)} script {n + 1}", script


def test_the_apps_scripts_insert_text_never_html():
    """Scripts fill the page with textContent and createElement; Select2 and ECharts keep their
    own escaping (no escapeMarkup, templateResult or tooltip formatter overrides)."""
    found = [(where, m.group(0)) for where, text in _scripts() for m in HTML_SINKS.finditer(text)]
    assert found == []
    assert any(where == "static/js/charts.js" for where, _text in _scripts())


def test_templates_mark_only_rendered_widgets_safe():
    """`|safe` (no escaping) is for FAB widgets, which render their own escaped templates."""
    unsafe = []
    for path in sorted((APP / "templates").rglob("*.html")):
        for expression in re.findall(r"\{\{(.*?)\}\}", path.read_text(encoding="utf-8"), re.S):
            if re.search(r"\|\s*safe\b", expression) and not re.match(r"\s*widgets\.get\(", expression):
                unsafe.append((str(path.relative_to(APP)), expression.strip()))
    assert unsafe == []

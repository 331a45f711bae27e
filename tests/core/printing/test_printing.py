"""Printing records: the contract and the customer card read back from the PDF, permissions and
data scope, the templates admins edit (versions, default, compile errors, preview) and a batch
printed by a real RQ worker into one merged PDF in the file store."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.core.errors import DomainError
from app.core.notify import Notification
from app.core.printing import service
from app.core.printing.models import PrintTemplate, PrintTemplateVersion
from app.extensions import db
from tests.conftest import unique
from tests.core.printing.helpers import embedded_fonts, page_count, pdf_text
from tests.core.test_jobs import job_env, run_worker_burst  # noqa: F401 (fixture)
from tests.factories import make_customer
from tests.modules.contracts.helpers import make_contract


def _contract(org, amount="12345.67", **fields):
    customer = make_customer(org.east_rep, name=unique("杭州印刷客户"), address="杭州市西湖区文三路1号")
    return make_contract(org.east_rep, customer, title=unique("年度服务合同"), amount=Decimal(amount), **fields)


def test_a_contract_prints_with_its_chinese_text_amounts_and_an_embedded_font(org, login):
    contract = _contract(org)
    client = login(org.east_rep)
    resp = client.get(f"/printing/contracts/{contract.id}/pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    text = pdf_text(resp.data)
    assert contract.title in text and contract.code in text
    assert contract.customer.name in text and "杭州市西湖区文三路1号" in text
    assert "12,345.67" in text and "人民币壹万贰仟叁佰肆拾伍元陆角柒分" in text
    assert "草稿" in text or "Draft" in text
    assert page_count(resp.data) == 1
    assert any("WenQuanYi" in name and emb for name, emb in embedded_fonts(resp.data).items())
    assert "%E5%90%88%E5%90%8C-" in resp.headers["Content-Disposition"]     # 合同-<code>.pdf


def test_a_customer_card_lists_its_contacts(org, login):
    from app.modules.customers.models import Contact

    customer = make_customer(org.east_rep, name=unique("资料卡客户"), credit_limit="50000", phone="13900000001")
    db.session.add(Contact(customer_id=customer.id, name="王经理", title="采购经理", phone="13900000002", is_primary=True))
    db.session.commit()
    resp = login(org.east_rep).get(f"/printing/customers/{customer.id}/pdf")
    assert resp.status_code == 200
    text = pdf_text(resp.data)
    assert "客户资料卡" in text and customer.name in text and customer.code in text
    assert "王经理" in text and "采购经理" in text
    assert "50,000.00" in text and "伍万元整" in text


def test_printing_is_refused_outside_the_data_scope_and_without_read_permission(org, login, app):
    contract = _contract(org)
    # Another sales rep (own scope) does not see it: 404, as for its detail page.
    assert login(org.south_rep).get(f"/printing/contracts/{contract.id}/pdf").status_code == 404
    assert login(org.east_rep2).get(f"/printing/contracts/{contract.id}/pdf").status_code == 404
    # The manager of the department sees it.
    assert login(org.manager).get(f"/printing/contracts/{contract.id}/pdf").status_code == 200
    # Warehouse staff may not read contracts at all.
    from tests.factories import make_user

    warehouse = make_user("Warehouse", org.company)
    assert login(warehouse).get(f"/printing/contracts/{contract.id}/pdf").status_code == 403
    # Not signed in.
    assert app.test_client().get(f"/printing/contracts/{contract.id}/pdf").status_code in (302, 401)
    # A row that does not exist, a module that prints nothing.
    assert login(org.admin).get("/printing/contracts/99999999/pdf").status_code == 404
    assert login(org.admin).get("/printing/departments/1/pdf").status_code == 404


def test_the_print_action_on_one_record_opens_its_pdf(org, login):
    contract = _contract(org)
    client = login(org.east_rep)
    page = client.get(f"/contracts/show/{contract.id}").get_data(as_text=True)
    assert f"/contracts/action/print/{contract.id}" in page        # the record bar offers 打印
    resp = client.post(f"/contracts/action/print/{contract.id}")
    assert resp.status_code == 302
    follow = client.get(resp.headers["Location"])
    assert follow.status_code == 302 and follow.headers["Location"].endswith(f"/printing/contracts/{contract.id}/pdf")


def _templates(module, document):
    return db.session.scalars(select(PrintTemplate).where(PrintTemplate.module == module,
                                                         PrintTemplate.document == document)).all()


def test_init_seeds_the_shipped_templates_as_defaults(ctx):
    for module, document in (("contracts", "contract"), ("customers", "customer_card")):
        rows = _templates(module, document)
        assert any(row.is_default and row.version >= 1 for row in rows)
    assert service.seed_shipped() == []     # again: nothing new, nothing overwritten


def test_admins_edit_a_template_as_versions_restore_one_and_choose_the_default(org, login):
    admin = login(org.admin)
    name = unique("简版合同")
    resp = admin.post("/print-templates/new", data={"module": "contracts", "document": "contract", "name": name,
                                                   "body": "<p>简版 {{ record.code }} {{ record.amount|rmb_upper }}</p>"})
    assert resp.status_code == 302
    row = db.session.scalar(select(PrintTemplate).where(PrintTemplate.name == name))
    assert row.version == 1 and not row.is_default
    resp = admin.post(f"/print-templates/{row.id}/save", data={"body": "<p>第二版 {{ record.code }}</p>", "name": name,
                                                               "version": "1"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert row.version == 2 and "第二版" in row.body
    # A template that does not compile: 400 in Chinese with its line, nothing saved.
    resp = admin.post(f"/print-templates/{row.id}/save", data={"body": "<p>\n\n{{ record.code }\n</p>", "name": name,
                                                               "version": "2"})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "第 3 行" in page and "模板" in page
    db.session.expire_all()
    assert row.version == 2 and len(row.versions) == 2
    # A save based on an older version is refused.
    assert admin.post(f"/print-templates/{row.id}/save", data={"body": "<p>x</p>", "version": "1"}).status_code == 400
    # Version 1 is viewable and restorable, as a new version.
    page = admin.get(f"/print-templates/{row.id}/versions/1").get_data(as_text=True)
    assert "简版" in page
    assert admin.post(f"/print-templates/{row.id}/versions/1/restore").status_code == 302
    db.session.expire_all()
    assert row.version == 3 and "简版" in row.body
    assert [v.number for v in row.versions] == [3, 2, 1]
    # Made the default, it prints the contract; the old default is no longer one.
    assert admin.post(f"/print-templates/{row.id}/default").status_code == 302
    db.session.expire_all()
    defaults = [t for t in _templates("contracts", "contract") if t.is_default]
    assert [t.id for t in defaults] == [row.id]
    contract = _contract(org, amount="100")
    text = pdf_text(login(org.east_rep).get(f"/printing/contracts/{contract.id}/pdf").data)
    assert f"简版 {contract.code} 壹佰元整" in text
    # Back to the shipped one for the other tests.
    shipped = next(t for t in _templates("contracts", "contract") if t.id != row.id and t.name in ("Standard", "标准"))
    assert admin.post(f"/print-templates/{shipped.id}/default").status_code == 302


def test_a_sandbox_escape_in_a_saved_template_prints_nothing_secret(org, login, app):
    admin = login(org.admin)
    name = unique("越权")
    body = "<p>{{ config.SECRET_KEY }}</p>"
    assert admin.post("/print-templates/new", data={"module": "contracts", "document": "contract", "name": name,
                                                   "body": body}).status_code == 302
    row = db.session.scalar(select(PrintTemplate).where(PrintTemplate.name == name))
    contract = _contract(org)
    resp = login(org.east_rep).get(f"/printing/contracts/{contract.id}/pdf?template={row.id}")
    assert resp.status_code == 400
    assert app.config["SECRET_KEY"] not in resp.get_data(as_text=True)
    resp = admin.post("/print-templates/preview", data={"module": "contracts", "document": "contract",
                                                       "record": contract.id,
                                                       "body": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "第 1 行" in page
    assert "&lt;class" not in page and "<class" not in page      # no Python class list leaked


def test_the_preview_draws_the_unsaved_text_against_a_chosen_record_found_by_search(org, login):
    contract = _contract(org)
    admin = login(org.admin)
    found = admin.get(f"/printing/records/contracts?q={contract.code}").get_json()
    assert [r["id"] for r in found["results"]] == [contract.id]
    resp = admin.post("/print-templates/preview", data={"module": "contracts", "document": "contract",
                                                       "record": contract.id, "body": "<p>预览 {{ record.title }}</p>"})
    assert resp.status_code == 200 and f"预览 {contract.title}" in pdf_text(resp.data)
    # A sales rep may print but not edit templates.
    rep = login(org.east_rep)
    assert rep.get("/print-templates/").status_code in (302, 403)
    assert rep.post("/print-templates/preview", data={"module": "contracts", "document": "contract",
                                                     "record": contract.id, "body": "<p>x</p>"}).status_code in (302, 403)
    with pytest.raises(DomainError) as caught:
        service.create_template(org.admin, "contracts", "contract", unique("坏"), "{% for x in %}")
    assert caught.value.code == "printing.compile" and caught.value.params["line"] == 1


def test_many_records_print_as_one_merged_pdf_in_a_real_worker(org, login, app, job_env):
    contracts = [_contract(org, amount=str(1000 * (n + 1))) for n in range(3)]
    hidden = _contract(org)
    hidden_id = hidden.id
    # The south rep's contract is outside the east rep's scope: left out of the batch.
    other = make_contract(org.south_rep, make_customer(org.south_rep), title=unique("华南合同"), amount=Decimal("5"))
    client = login(org.east_rep)
    ids = ",".join(str(c.id) for c in contracts) + f",{other.id}"
    resp = client.post("/printing/contracts/batch", data={"ids": ids, "document": "contract"})
    assert resp.status_code == 302
    page_url = resp.headers["Location"]
    job_id = page_url.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(page_url).status_code == 200
    status = client.get(f"/printing/batches/{job_id}/status").get_json()
    assert status["total"] == 4 and status["done"] == 0
    run_worker_burst(job_env)
    status = client.get(f"/printing/batches/{job_id}/status").get_json()
    assert status["done"] == 4 and status["printed"] == 3 and status["skipped"] == 1
    download = client.get(status["download_url"])
    assert download.status_code == 200
    merged = download.data
    assert page_count(merged) == 3
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(merged)).pages]
    for page, contract in zip(pages, contracts):
        assert contract.code in page
    assert "壹仟元整" in pages[0] and "贰仟元整" in pages[1] and "叁仟元整" in pages[2]
    assert other.code not in "".join(pages)
    # Stored in the file store, announced in the notification centre with the link.
    from app.core.files import store

    assert store().exists(f"print/batch-{job_id}.pdf")
    db.session.expire_all()
    notes = db.session.scalars(select(Notification).where(Notification.user_id == org.east_rep.id)).all()
    assert any(note.link == f"/printing/batches/{job_id}" for note in notes)
    # Nobody else opens the batch or its file.
    assert login(org.east_rep2).get(status["download_url"]).status_code == 404
    assert login(org.manager).get(f"/printing/batches/{job_id}/status").status_code == 404
    assert hidden_id


def test_editing_templates_is_a_permission_of_the_roles_matrix(org, login, app):
    from app.security import matrix
    from tests.factories import make_user

    assert "print_templates" in [m.name for m in matrix.modules()]
    role_name = unique("模板管理员")
    role = app.appbuilder.sm.add_role(role_name)
    clerk = make_user(role_name, org.company)
    client = login(clerk)
    assert client.get("/print-templates/").status_code in (302, 403)
    matrix.apply(org.admin, {(role.id, "print_templates"): matrix.Cell.of({"read", "write"}, "all")})
    db.session.commit()
    page = client.get("/print-templates/")
    assert page.status_code == 200 and "打印模板" in page.get_data(as_text=True)
    name = unique("模板")
    assert client.post("/print-templates/new", data={"module": "customers", "document": "customer_card",
                                                    "name": name, "body": "<p>{{ record.name }}</p>"}).status_code == 302
    # Read only: may look, may not save.
    matrix.apply(org.admin, {(role.id, "print_templates"): matrix.Cell.of({"read"}, "all")})
    db.session.commit()
    row = db.session.scalar(select(PrintTemplate).where(PrintTemplate.name == name))
    assert client.get(f"/print-templates/{row.id}/").status_code == 200
    assert client.post(f"/print-templates/{row.id}/save", data={"body": "<p>x</p>"}).status_code in (302, 403)
    db.session.expire_all()
    assert row.version == 1


def test_selected_rows_of_the_list_go_to_the_print_page_of_all_of_them(org, login):
    first, second = _contract(org), _contract(org)
    client = login(org.east_rep)
    listing = client.get("/contracts/list/").get_data(as_text=True)
    # 打印 among the list's actions on selected rows (drawn from the row menu's template when it has them all)
    batch = re.search(r'<ul class="dropdown-menu" data-batch="([^"]*)">', listing)
    assert "print" in batch.group(1).split() if batch else 'data-zwt-batch="print"' in listing
    resp = client.post("/contracts/action_post", data={"action": "print", "rowid": [str(first.id), str(second.id)]})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'action="/printing/contracts/batch"' in html
    assert f'value="{first.id},{second.id}"' in html or f'value="{second.id},{first.id}"' in html

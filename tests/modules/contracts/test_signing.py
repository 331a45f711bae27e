"""电子签名 end to end: an approved contract sent for signing, our authorised signer signing in the app
(password or authenticator code; stored signature, company seal or a drawing), the customer's contact signing
through a one-time link after a 6-digit code. The PDF's signatures are checked with pyHanko's validator; a
tampered byte fails verification; the link expires and refuses reuse; forbidden users are refused."""
from __future__ import annotations

import base64
import datetime as dt
import io
import re
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select, update

from app.core import signing as pdf_signing
from app.core.files import store
from app.core.files.models import Attachment
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts import signing
from app.modules.contracts.models import (Contract, ContractSeal, ContractSigner, ContractType, SigningPicture)
from app.modules.customers.api import Contact
from app.security.sms import SmsMessage
from app.core.notify import MailMessage
from tests.conftest import unique
from tests.core.printing.helpers import page_count, pdf_text
from tests.modules.contracts.helpers import approved, make_contract

PASSWORD = "Passw0rd!"


def drawing(colour=(0, 0, 160, 255)) -> bytes:
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((10, 80, 150, 20, 290, 70), fill=colour, width=5)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def ready(org, sign_order="ours_first", phone="13800138000", email="li@example.com"):
    """An approved contract (PDF frozen) of a type whose authorised signer is the sales manager, with a contact
    who can receive the link."""
    with unit_of_work(None):
        kind = ContractType(name=unique("签署类型"), notice_days=30, reminder_days="30,0", sign_order=sign_order,
                            signer_id=org.manager.id)
        db.session.add(kind)
    contract = make_contract(org.east_rep, type_id=kind.id)
    with unit_of_work(None):
        contact = Contact(customer_id=contract.customer_id, name="李四", phone=phone, email=email)
        db.session.add(contact)
        db.session.flush()
        db.session.get(Contract, contract.id).contact_id = contact.id
    approved(db.session.get(Contract, contract.id))
    return db.session.get(Contract, contract.id)


def _token_from_outbox(mobile: str) -> str:
    text = db.session.scalars(select(SmsMessage.text).where(SmsMessage.mobile == mobile)
                              .order_by(SmsMessage.id.desc())).first()
    return re.search(r"/sign/([A-Za-z0-9_-]+)", text).group(1)


def _code_from_outbox(mobile: str) -> str:
    text = db.session.scalars(select(SmsMessage.text).where(SmsMessage.mobile == mobile)
                              .order_by(SmsMessage.id.desc())).first()
    return re.search(r"\b(\d{6})\b", text).group(1)


def _validate_with_pyhanko(data: bytes) -> list:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from concurrent.futures import ThreadPoolExecutor

    reader = PdfFileReader(io.BytesIO(data))
    context = ValidationContext(trust_roots=[pdf_signing.signer().signing_cert])
    with ThreadPoolExecutor(1) as pool:   # pyHanko runs its own event loop (a browser test may hold this thread's)
        return [pool.submit(validate_pdf_signature, sig, context).result() for sig in reader.embedded_signatures]


def _sign_ours(client, contract, **form):
    data = {"picture": "drawn", "signature": data_url(drawing()), "secret": PASSWORD}
    data.update(form)
    return client.post(f"/contracts_sign/{contract.id}", data=data)


def _customer_signs(app, token, mobile="13800138000", png=None):
    client = app.test_client()
    assert client.get(f"/sign/{token}").status_code == 200
    assert client.post(f"/sign/{token}/code").status_code == 302
    code = _code_from_outbox(mobile)
    assert client.post(f"/sign/{token}/verify", data={"code": code}).status_code == 302
    return client, client.post(f"/sign/{token}", data={"signature": data_url(png or drawing((160, 0, 0, 255)))},
                               headers={"User-Agent": "Mozilla/5.0 (iPhone) Safari/604.1"})


def test_both_parties_sign_and_the_pdf_carries_two_valid_pades_signatures(org, login, app):
    contract = ready(org)
    owner = login(org.east_rep)
    assert owner.post(f"/contracts_sign/{contract.id}/start").status_code == 302
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == "signing" and contract.signing_state == "ours"
    assert contract.pdf_sha256 and contract.signing_sha256 != contract.pdf_sha256
    sent = store().read(contract.signing_sha256)
    assert page_count(sent) == page_count(store().read(contract.pdf_sha256)) + 1
    assert "签署记录" in pdf_text(sent) and contract.pdf_sha256 in pdf_text(sent).replace("\n", "")

    # our signer: the sales manager, with a password and a drawing
    response = _sign_ours(login(org.manager), contract)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == "signing" and contract.signing_state == "customer"

    token = _token_from_outbox("13800138000")
    _client, response = _customer_signs(app, token)
    assert response.status_code == 200 and "您已签署合同" in response.get_data(as_text=True)

    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == "signed" and contract.signing_state == "done" and contract.signed_on is not None
    data = store().read(contract.signing_sha256)
    statuses = _validate_with_pyhanko(data)
    assert len(statuses) == 2
    assert all(s.intact and s.valid and s.trusted and s.bottom_line for s in statuses)
    assert statuses[-1].coverage.name == "ENTIRE_FILE"
    result = pdf_signing.verify_pdf(data)
    assert result.verdict == "ours" and [s.name for s in result.signatures] == [signing._person(org.manager), "李四"]
    # the record: who, when, IP, browser, method, hash before and after
    first, second = signing.signers_of(contract.id)
    assert first.party == "ours" and first.method == "password" and first.picture == "drawn" and first.ip
    assert second.party == "customer" and second.method == "code" and "iPhone" in second.user_agent
    assert second.document_sha256 == first.signed_sha256 and second.signed_sha256 == contract.signing_sha256
    # the signed PDF is kept among the contract's files
    names = list(db.session.scalars(select(Attachment.file_name).where(Attachment.spec == "contracts",
                                                                        Attachment.record_id == contract.id)))
    assert any("已签署" in name for name in names)
    page = owner.get(f"/contracts_sign/{contract.id}/record").get_data(as_text=True)
    assert "李四" in page and second.ip in page and "短信" in page and second.signed_sha256 in page


def test_a_tampered_byte_fails_verification_on_the_page_and_the_command_line(org, login, app, tmp_path):
    contract = ready(org)
    signing.start(org.east_rep, contract.id)
    signing.sign_ours(org.manager, contract.id, "drawn", drawing(), PASSWORD)
    data = store().read(db.session.get(Contract, contract.id).signing_sha256)
    assert pdf_signing.verify_pdf(data).verdict == "ours"
    tampered = bytearray(data)
    position = data.index(b"/Contents <") - 400      # inside the signed revision, away from the signature itself
    tampered[position] = tampered[position] ^ 0x01
    assert pdf_signing.verify_pdf(bytes(tampered)).verdict == "changed"
    appended = data + b"\n%% appended after signing\n"
    assert pdf_signing.verify_pdf(appended).verdict == "changed"

    reader = login(org.east_rep)
    ok = reader.post("/contracts_verify/", data={"file": (io.BytesIO(data), "合同.pdf")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-verdict="ours"' in ok and contract.code in ok
    bad = reader.post("/contracts_verify/", data={"file": (io.BytesIO(bytes(tampered)), "合同.pdf")},
                      content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-verdict="changed"' in bad
    refused = reader.post("/contracts_verify/", data={"file": (io.BytesIO(b"not a pdf"), "x.pdf")},
                          content_type="multipart/form-data")
    assert refused.status_code == 400 and "不是 PDF" in refused.get_data(as_text=True)

    good_file, bad_file = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good_file.write_bytes(data)
    bad_file.write_bytes(bytes(tampered))
    runner = app.test_cli_runner()
    from app.modules.contracts.cli import contracts_group

    result = runner.invoke(contracts_group, ["verify", str(good_file)])
    assert result.exit_code == 0 and contract.code in result.output
    result = runner.invoke(contracts_group, ["verify", str(bad_file)])
    assert result.exit_code == 1


def test_the_link_works_once_and_not_after_it_expires(org, app):
    contract = ready(org, sign_order="customer_first", phone="13900139000")
    signing.start(org.east_rep, contract.id)
    token = _token_from_outbox("13900139000")
    client = app.test_client()
    # no PDF and no signing before the code
    assert client.get(f"/sign/{token}/pdf").status_code == 403
    refused = client.post(f"/sign/{token}", data={"signature": data_url(drawing())})
    assert refused.status_code == 403 and db.session.get(Contract, contract.id).signing_state == "customer"
    # a wrong code counts and is refused with a message
    client.post(f"/sign/{token}/code")
    wrong = client.post(f"/sign/{token}/verify", data={"code": "000000" if _code_from_outbox("13900139000")
                                                       != "000000" else "111111"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.get_data(as_text=True)

    _client, done = _customer_signs(app, token, mobile="13900139000")
    assert done.status_code == 200
    again = app.test_client().get(f"/sign/{token}")
    assert again.status_code == 410 and "已使用" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).signing_state == "ours"   # our signer's turn now

    # an expired link of another contract
    other = ready(org, sign_order="customer_first", phone="13700137000")
    signing.start(org.east_rep, other.id)
    token = _token_from_outbox("13700137000")
    with unit_of_work(None):
        db.session.execute(update(ContractSigner).where(ContractSigner.contract_id == other.id)
                           .values(link_expires_at=dt.datetime(2000, 1, 1)))
    expired = app.test_client().get(f"/sign/{token}")
    assert expired.status_code == 410 and "已过期" in expired.get_data(as_text=True)
    assert app.test_client().get("/sign/not-a-real-token").status_code == 404
    # a new link from the record page replaces it
    with unit_of_work(None):
        db.session.execute(update(ContractSigner).where(ContractSigner.contract_id == other.id)
                           .values(link_expires_at=dt.datetime(2100, 1, 1)))
    signing.resend_link(org.east_rep, other.id)
    assert app.test_client().get(f"/sign/{token}").status_code == 404
    assert app.test_client().get(f"/sign/{_token_from_outbox('13700137000')}").status_code == 200


def test_only_the_authorised_signer_signs_for_us_and_only_with_the_right_password(org, login):
    contract = ready(org)
    signing.start(org.east_rep, contract.id)
    # someone else, even the owner, is refused and nothing changes
    refused = _sign_ours(login(org.east_rep), contract)
    assert refused.status_code in (403, 404) or "不是" in refused.get_data(as_text=True)
    assert db.session.get(Contract, contract.id).signing_state == "ours"
    # the signer with a wrong password
    wrong = _sign_ours(login(org.manager), contract, secret="wrong-password")
    assert wrong.status_code == 400 and "密码或验证码不正确" in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert signing.current_signer(contract.id).signed_at is None
    # no drawing
    empty = _sign_ours(login(org.manager), contract, signature="")
    assert empty.status_code == 400
    # a rep of another group, who may not see the contract
    outsider = login(org.south_rep)
    assert outsider.get(f"/contracts_sign/{contract.id}/record").status_code == 404
    assert outsider.get(f"/contracts_sign/{contract.id}/pdf").status_code == 404
    assert outsider.post(f"/contracts_sign/{contract.id}/resend").status_code in (403, 404, 409)


def test_the_signer_may_keep_a_drawing_and_sign_with_it_or_with_the_company_seal(org, login):
    first = ready(org)
    signing.start(org.east_rep, first.id)
    assert _sign_ours(login(org.manager), first, remember="1").status_code == 302
    assert db.session.get(SigningPicture, org.manager.id) is not None

    second = ready(org)
    signing.start(org.east_rep, second.id)
    page = login(org.manager).get(f"/contracts_sign/{second.id}").get_data(as_text=True)
    assert 'value="stored"' in page
    assert _sign_ours(login(org.manager), second, picture="stored", signature="").status_code == 302
    assert signing.signers_of(second.id)[0].picture == "stored"

    # a seal the admin set up, with its picture among its attachments
    from app.core.files.service import attach_generated

    with unit_of_work(None):
        seal = ContractSeal(name=unique("合同专用章"), active=True)
        db.session.add(seal)
        db.session.flush()
        attach_generated("contract_seals", seal.id, drawing((200, 0, 0, 255)), "seal.png", content_type="image/png")
    third = ready(org)
    signing.start(org.east_rep, third.id)
    assert f'value="seal:{seal.id}"' in login(org.manager).get(f"/contracts_sign/{third.id}").get_data(as_text=True)
    assert _sign_ours(login(org.manager), third, picture=f"seal:{seal.id}", signature="").status_code == 302
    assert signing.signers_of(third.id)[0].picture == "seal"


def test_signing_cannot_start_without_a_signer_or_a_reachable_contact(org, login):
    contract = ready(org, phone="010-1234", email="")
    owner = login(org.east_rep)
    response = owner.post(f"/contracts_sign/{contract.id}/start")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).status == "approved"
    assert "联系人" in owner.get(f"/contracts/show/{contract.id}").get_data(as_text=True)

    draft = make_contract(org.east_rep)
    assert owner.post(f"/contracts_sign/{draft.id}/start").status_code == 409
    assert db.session.get(Contract, draft.id).status == "draft"


def test_signing_status_shows_in_the_list_as_a_column_and_a_filter(org, login):
    waiting = ready(org)
    signing.start(org.east_rep, waiting.id)
    client = login(org.east_rep)
    listed = client.get("/contracts/list/").get_data(as_text=True)
    assert "签署状态" in listed and "待我方签署" in listed
    filtered = client.get("/contracts/list/?_flt_0_signing_state=customer").get_data(as_text=True)
    assert waiting.code not in filtered
    filtered = client.get("/contracts/list/?_flt_0_signing_state=ours").get_data(as_text=True)
    assert waiting.code in filtered
    tab = client.get(f"/contracts/show/{waiting.id}").get_data(as_text=True)
    assert "签署" in tab


def test_marking_signed_on_paper_calls_off_electronic_signing(org, app):
    from app.modules.contracts.service import mark_signed

    contract = ready(org, sign_order="customer_first", phone="13600136000")
    signing.start(org.east_rep, contract.id)
    token = _token_from_outbox("13600136000")
    mark_signed(org.east_rep, [db.session.get(Contract, contract.id)])
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == "signed" and contract.signing_state == "paper"
    assert app.test_client().get(f"/sign/{token}").status_code == 404

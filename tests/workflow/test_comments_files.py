"""Comments and decisions on the approval screens carry files and a handwritten signature; the
timeline shows them, only people who may see the approval download them; a reason the chain asks
for is marked on every action's form and refused when missing; the urge form says when the next
urge is possible."""
from __future__ import annotations

import base64
import io
import re

import pytest

from app.extensions import db
from app.workflow import engine
from app.workflow.comment_files import SIGNATURE_MAX_BYTES
from tests.modules.contracts.helpers import make_contract
from tests.workflow.helpers import shipped_chain_afterwards  # noqa: F401  (autouse fixture)
from tests.workflow.helpers import actions, publish_chain, step, task_of, user_rule

MANAGER = {"manager_of": "submitter"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submitted(org, steps=None, **chain):
    publish_chain(steps or [step("manager", [MANAGER])], **chain)
    return engine.submit(org.east_rep, "contracts", make_contract(org.east_rep).id)


def png_data_url(width=60, height=20) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    ImageDraw.Draw(image).line((2, 2, width - 2, height - 2), fill=(0, 0, 0, 255), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def shown(app):
    """shown(msgid, **params): the message as a page in the default language shows it."""
    from flask_babel import force_locale, gettext
    from markupsafe import escape

    def _shown(msgid, **params):
        with app.test_request_context(), force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
            return str(escape(gettext(msgid, **params)))

    return _shown


def text(resp) -> str:
    return resp.get_data(as_text=True)


def file_links(html: str) -> list[str]:
    return re.findall(r'href="(/approvals/file/\d+)"', html)


def test_a_comment_with_a_file_and_a_signature_shows_on_the_timeline_for_participants_only(org, login):
    run = submitted(org)
    manager = login(org.manager)

    resp = manager.post(f"/approvals/instance/{run.id}/comment", content_type="multipart/form-data", data={
        "comment": "请看附件", "files": [(io.BytesIO(PDF), "补充说明.pdf")], "signature": png_data_url()})
    assert resp.status_code == 302

    page = text(login(org.east_rep).get(f"/approvals/instance/{run.id}"))
    assert "补充说明.pdf" in page and "请看附件" in page
    assert 'class="zwt-entry-signature"' in page
    link = file_links(page)[0]
    assert login(org.east_rep).get(link).data == PDF
    assert login(org.south_rep).get(link).status_code == 404
    signature = re.search(r'<li class="zwt-entry-signature">.*?src="([^"]+)"', page).group(1).replace("&amp;", "&")
    shown = login(org.east_rep).get(signature)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/png"
    assert "sandbox" in shown.headers["Content-Security-Policy"]


def test_an_approval_with_a_file_puts_it_on_the_approve_entry(org, login):
    run = submitted(org)
    task = task_of(run, org.manager)

    resp = login(org.manager).post(f"/approvals/task/{task.id}/approve", content_type="multipart/form-data", data={
        "comment": "同意", "files": [(io.BytesIO(PDF), "意见.pdf")]})
    assert resp.status_code == 302
    page = text(login(org.manager).get(f"/approvals/task/{task.id}"))
    row = next(r for r in page.split('<tr class="zwt-timeline-entry">') if "意见.pdf" in r)
    assert "同意" in row


def test_a_refused_file_keeps_what_was_typed_and_records_nothing(org, login, shown):
    run = submitted(org)
    before = len(actions(run))

    resp = login(org.manager).post(f"/approvals/instance/{run.id}/comment", content_type="multipart/form-data",
                                   data={"comment": "看这个", "files": [(io.BytesIO(b"MZ\x90\x00" * 20), "合同.pdf")]})
    assert resp.status_code == 400
    assert "合同.pdf" in text(resp) and "看这个" in text(resp)
    bad = login(org.manager).post(f"/approvals/instance/{run.id}/comment",
                                  data={"comment": "签名", "signature": "data:image/gif;base64,R0lGOD"})
    assert bad.status_code == 400
    assert shown("The signature must be a PNG image drawn on the page, at most 512 KB.") in text(bad)
    assert len(actions(run)) == before


def test_a_signature_over_the_size_cap_is_refused(org, login):
    run = submitted(org)
    big = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * SIGNATURE_MAX_BYTES).decode()
    resp = login(org.manager).post(f"/approvals/instance/{run.id}/comment", data={"comment": "x", "signature": big})
    assert resp.status_code == 400


def test_the_reason_fields_the_chain_asks_for_are_marked_and_enforced(org, login, shown):
    run = submitted(org, [step("manager", [MANAGER]), step("finance", user_rule(org.finance_user))],
                    comment_required=["reject", "return", "transfer"])
    engine.approve(org.manager, task_of(run, org.manager).id)
    task = task_of(run, org.finance_user)
    client = login(org.finance_user)

    page = text(client.get(f"/approvals/task/{task.id}"))
    for form in ("zwt-return", "zwt-transfer", "zwt-reject-form"):
        chunk = page.split(f'class="{form}' if form != "zwt-reject-form" else 'zwt-sheet zwt-reject-form')[1]
        chunk = chunk.split("</form>")[0]
        assert re.search(r'<textarea[^>]*name="comment"[^>]*required', chunk), form
    approve = page.split('class="zwt-decision"')[1].split("</form>")[0]
    assert not re.search(r'<textarea[^>]*required', approve)

    refused = client.post(f"/approvals/task/{task.id}/transfer", data={"user": org.admin.id, "comment": ""})
    assert refused.status_code == 400 and shown("Please give a reason in the comment.") in text(refused)
    refused = client.post(f"/approvals/task/{task.id}/return", data={"step": "manager"})
    assert refused.status_code == 400 and shown("Please give a reason in the comment.") in text(refused)
    assert task_of(run, org.finance_user).status == "pending"


def test_after_an_urge_the_form_says_when_the_next_one_is_possible(org, login):
    run = submitted(org)
    client = login(org.east_rep)
    page = text(client.get(f"/approvals/instance/{run.id}"))
    assert "zwt-next-urge" not in page

    engine.urge(org.east_rep, run.id)
    page = text(client.get(f"/approvals/instance/{run.id}"))
    urge = page.split('class="zwt-urge"')[1].split("</form>")[0]
    assert f'id="zwt-next-urge-{run.id}"' in urge and "<time" in urge
    assert re.search(r'<button[^>]*type="submit"[^>]*disabled', urge)


def test_the_signature_pad_is_offered_where_a_signature_may_be_given(org, login):
    run = submitted(org)
    page = text(login(org.manager).get(f"/approvals/task/{task_of(run, org.manager).id}"))
    assert page.count("data-zwt-signature") >= 3      # approve, reject and comment
    assert "js/signature_pad.js" in page and 'enctype="multipart/form-data"' in page


def test_a_copied_approval_is_unread_in_the_inbox_until_marked_read(org, login):
    run = submitted(org, cc=[{"on": ["submitted"], "to": user_rule(org.finance_user)}])
    finance = login(org.finance_user)

    inbox = text(finance.get("/approvals/?tab=cc"))
    row = inbox.split(f'data-instance="{run.id}"')[1].split("</tr>")[0]
    assert "zwt-unread-tag" in row
    page = text(finance.get(f"/approvals/instance/{run.id}"))
    assert f'id="zwt-cc-read-{run.id}"' in page
    assert login(org.east_rep2).post(f"/approvals/instance/{run.id}/cc_read").status_code == 404
    assert login(org.manager).post(f"/approvals/instance/{run.id}/cc_read").status_code == 404   # not copied

    assert finance.post(f"/approvals/instance/{run.id}/cc_read").status_code == 302
    row = text(finance.get("/approvals/?tab=cc")).split(f'data-instance="{run.id}"')[1].split("</tr>")[0]
    assert "zwt-unread-tag" not in row
    assert f'id="zwt-cc-read-{run.id}"' not in text(finance.get(f"/approvals/instance/{run.id}"))

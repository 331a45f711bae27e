"""The handwritten signature on approvals, in real Chromium: drawn with the mouse on a desktop and
with a finger on a 390×844 touch phone, undo and clear, sent as a PNG with the decision or the
comment, and shown on the timeline as an image."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.test_approval_phone_browser import assert_fits, phone_context
from tests.factories import PASSWORD


@pytest.fixture
def signing(app):
    """A contract of a rep's waiting for their manager's decision."""
    from app.extensions import db
    from app.workflow import engine
    from tests.factories import make_department, make_user
    from tests.modules.contracts.helpers import make_contract
    from tests.workflow.helpers import publish_chain, step

    with app.app_context():
        dept = make_department("签名测试组")
        manager = make_user("Manager", dept)
        rep = make_user("Sales", dept, manager)
        publish_chain([step("manager", [{"manager_of": "submitter"}])])
        contract = make_contract(rep, title="杭州西溪仓库租赁合同")
        run = engine.submit(rep, "contracts", contract.id, "请审批")
        task = next(t for t in run.tasks if t.assignee_id == manager.id)
        data = SimpleNamespace(manager=manager.username, rep=rep.username, task_id=task.id, instance_id=run.id)
        db.session.remove()
    yield data
    with app.app_context():
        from tests.workflow.test_views import restore_shipped_chain

        restore_shipped_chain()


@pytest.fixture
def phone(browser, live_server):
    opened = []

    def _open(width=390, height=844):
        context, watch = phone_context(browser, live_server, width, height)
        opened.append((context, watch))
        return context.new_page()

    yield _open
    problems = []
    for context, watch in opened:
        context.close()
        problems += watch.problems()
    assert not problems, "\n".join(problems)


def _signature_entries(app, instance_id: int) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from app.core.files.models import Attachment
    from app.extensions import db
    from app.workflow.models import ApprovalAction

    with app.app_context():
        rows = db.session.execute(select(ApprovalAction.action, Attachment.content_type).join(
            Attachment, Attachment.record_id == ApprovalAction.id).where(
            ApprovalAction.instance_id == instance_id, Attachment.spec == "wf_signature")).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def _mouse_stroke(page, canvas, points):
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=4)
    page.mouse.up()


def _finger_stroke(page, canvas, points):
    """A finger drawing on the touch screen (Chrome turns the touches into pointer events)."""
    box = canvas.bounding_box()
    session = page.context.new_cdp_session(page)

    def at(x, y):
        return [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"], "id": 1}]

    session.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": at(*points[0])})
    for x, y in points[1:]:
        session.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": at(x, y)})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()
    page.wait_for_timeout(300)


def _inked(canvas) -> int:
    """How many pixels of the pad are drawn on."""
    return canvas.evaluate("""c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }""")


def _drawn(field) -> str:
    return field.evaluate("el => el.value")


def test_a_manager_signs_with_the_mouse_undoes_and_approves_with_the_signature(page, app, signing, zh):
    log_in(page, signing.manager, PASSWORD)
    page.goto(f"/approvals/task/{signing.task_id}")
    form = page.locator(f"#zwt-decision-{signing.task_id}")
    pad = form.locator("[data-zwt-signature]")
    pad.locator("summary").click()
    expect(pad.locator("summary")).to_contain_text(zh("Handwritten signature"))
    canvas, field = pad.locator("canvas"), pad.locator("input[name=signature]")
    expect(canvas).to_be_visible()
    assert _drawn(field) == ""

    _mouse_stroke(page, canvas, [(0.1, 0.5), (0.3, 0.2), (0.5, 0.7), (0.8, 0.4)])
    first = _drawn(field)
    assert first.startswith("data:image/png;base64,") and _inked(canvas) > 1000
    _mouse_stroke(page, canvas, [(0.2, 0.8), (0.7, 0.8)])
    assert _drawn(field) not in ("", first)
    pad.locator("[data-signature-undo]").click()
    assert _drawn(field) == first                              # undo takes the last stroke only
    pad.locator("[data-signature-clear]").click()
    assert _drawn(field) == ""
    _mouse_stroke(page, canvas, [(0.1, 0.3), (0.9, 0.6)])

    form.locator("textarea[name=comment]").fill("同意，已签字")
    form.locator(".zwt-approve").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert _signature_entries(app, signing.instance_id) == [("approve", "image/png")]
    image = page.locator(".zwt-timeline .zwt-entry-signature img")
    expect(image).to_have_count(1)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 600


def test_on_a_phone_the_submitter_signs_a_comment_with_a_finger(phone, app, signing, zh):
    page = phone(390, 844)
    log_in(page, signing.rep, PASSWORD)
    page.goto(f"/approvals/instance/{signing.instance_id}")
    comment = page.locator("form.zwt-approval-comment")
    comment.locator("xpath=ancestor::details[1]/summary").tap()
    pad = comment.locator("[data-zwt-signature]")
    pad.locator("summary").tap()
    canvas, field = pad.locator("canvas"), pad.locator("input[name=signature]")
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible()
    assert_fits(page, "the signature pad on a phone")
    before = page.evaluate("window.scrollY")

    _finger_stroke(page, canvas, [(0.1, 0.6), (0.25, 0.2), (0.4, 0.8), (0.6, 0.3), (0.85, 0.5)])
    assert _drawn(field).startswith("data:image/png;base64,")
    assert _inked(canvas) > 1000                                  # a line across the pad, not a dot
    assert page.evaluate("window.scrollY") == before              # drawing does not scroll the page
    # Touches sent through the DevTools protocol leave Chrome's tap detection unreliable for the
    # next tap (sometimes no click follows), so the buttons after a drawing are clicked.
    pad.locator("[data-signature-clear]").click()
    expect(field).to_have_value("")
    _finger_stroke(page, canvas, [(0.2, 0.5), (0.8, 0.5)])
    expect(field).to_have_value(re.compile(r"^data:image/png;base64,"))

    comment.locator("textarea[name=comment]").fill("已确认，签字为证")
    comment.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".zwt-timeline")).to_contain_text("已确认，签字为证")
    assert _signature_entries(app, signing.instance_id) == [("comment", "image/png")]
    expect(page.locator(".zwt-entry-signature img")).to_have_js_property("complete", True)
    assert page.locator(".zwt-entry-signature img").evaluate("img => img.naturalWidth") > 0
    assert re.search(r"/approvals/file/\d+", page.locator(".zwt-entry-signature img").get_attribute("src"))


def test_a_step_that_asks_for_a_signature_is_not_approved_unsigned(page, app, zh):
    from app.extensions import db
    from app.workflow import engine
    from tests.factories import make_department, make_user
    from tests.modules.contracts.helpers import make_contract
    from tests.workflow.helpers import publish_chain, step
    from tests.workflow.test_views import restore_shipped_chain

    with app.app_context():
        dept = make_department("签名必填组")
        manager = make_user("Manager", dept)
        rep = make_user("Sales", dept, manager)
        publish_chain([step("manager", [{"manager_of": "submitter"}], signature="required")])
        run = engine.submit(rep, "contracts", make_contract(rep, title="宁波港口装卸合同").id)
        task_id, instance_id, username = next(t.id for t in run.tasks), run.id, manager.username
        db.session.remove()
    try:
        log_in(page, username, PASSWORD)
        page.goto(f"/approvals/task/{task_id}")
        form = page.locator(f"#zwt-decision-{task_id}")
        pad = form.locator("[data-zwt-signature]")
        expect(pad.locator("canvas")).to_be_visible()             # open at once: this step asks for it
        form.locator(".zwt-approve").click()
        expect(pad.locator(".zwt-signature-missing")).to_have_text(
            zh("This step asks for your handwritten signature: sign in the box, then decide."))
        assert page.url.endswith(f"/approvals/task/{task_id}")

        _mouse_stroke(page, pad.locator("canvas"), [(0.1, 0.4), (0.5, 0.7), (0.9, 0.3)])
        expect(pad.locator(".zwt-signature-missing")).to_have_count(0)
        form.locator(".zwt-approve").click()
        expect(page.locator(".alert-success")).to_be_visible()
        assert _signature_entries(app, instance_id) == [("approve", "image/png")]
    finally:
        with app.app_context():
            restore_shipped_chain()

"""Notification centre (unread count in the navbar) and mail: outbox without SMTP, delivery
through SMTP when configured, HTML with clickable links next to the plain text, links to the
address the app is served at, and what users typed escaped wherever a notice shows it."""
import email
import email.policy
import socketserver
import threading

import pytest
from sqlalchemy import select

from app.core import notify
from app.core.transaction import unit_of_work
from app.extensions import db
from tests.factories import make_user


def _notify(user, title="新客户日报", link=""):
    with unit_of_work(None) as uow:
        notify.notify(uow, [user], title, "正文", link=link)


def test_unread_count_shows_in_the_navbar_and_clears_when_read(org, login):
    user = make_user("Sales", org.east)
    _notify(user, "第一条")
    _notify(user, "第二条", link="/customers/list/")
    client = login(user)
    html = client.get("/notifications/").get_data(as_text=True)
    assert 'id="zwt-unread-count">2<' in html and "第一条" in html and "第二条" in html
    second = db.session.scalars(select(notify.Notification).where(notify.Notification.user_id == user.id,
                                                                   notify.Notification.title == "第二条")).one()
    resp = client.post(f"/notifications/{second.id}/read")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/customers/list/")
    assert 'id="zwt-unread-count">1<' in client.get("/").get_data(as_text=True)
    client.post("/notifications/read-all")
    assert "zwt-unread-count" not in client.get("/").get_data(as_text=True)


def test_nobody_can_read_or_mark_someone_elses_notification(org, login):
    owner, other = make_user("Sales", org.east), make_user("Sales", org.east)
    _notify(owner, "私人通知")
    note = db.session.scalars(select(notify.Notification).where(notify.Notification.user_id == owner.id)).one()
    client = login(other)
    assert "私人通知" not in client.get("/notifications/").get_data(as_text=True)
    assert client.post(f"/notifications/{note.id}/read").status_code == 404
    db.session.expire_all()
    assert db.session.get(notify.Notification, note.id).is_read is False


def test_without_smtp_mail_waits_in_the_outbox_that_only_admins_can_read(org, login):
    user = make_user("Sales", org.east)
    _notify(user, "验证码 123456")
    message = db.session.scalars(select(notify.MailMessage).where(notify.MailMessage.to == user.email)).one()
    assert message.status == notify.OUTBOX
    assert "验证码 123456" in login(org.admin).get("/mail_outbox/list/").get_data(as_text=True)
    assert login(user).get("/mail_outbox/list/").status_code in (302, 403)


class _SMTPHandler(socketserver.StreamRequestHandler):
    received: list = []

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        data, in_data = [], False
        while line := self.rfile.readline():
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    self.received.append(b"".join(data))
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                in_data = True
                self.wfile.write(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _SMTPHandler.received = []
    yield server.server_address[1], _SMTPHandler.received
    server.shutdown()
    server.server_close()


XSS = "<img src=x onerror=alert(1)>"


def test_a_notice_mail_has_a_plain_text_part_and_an_html_part_with_a_clickable_link(org, app):
    user = make_user("Sales", org.east)
    app.config["PUBLIC_URL"] = "https://zwt.example.com"
    try:
        _notify(user, "跟进提醒", link="/customers/list/")
    finally:
        app.config["PUBLIC_URL"] = ""
    message = db.session.scalars(select(notify.MailMessage).where(notify.MailMessage.to == user.email)).one()

    assert "https://zwt.example.com/customers/list/" in message.body
    assert '<a href="https://zwt.example.com/customers/list/"' in message.html
    assert "跟进提醒" in message.html and "正文" in message.html


def test_what_users_typed_is_escaped_in_the_html_mail_and_the_notification_centre(org, login):
    user = make_user("Sales", org.east)
    with unit_of_work(None) as uow:
        notify.notify(uow, [user], f"合同 {XSS}", f"意见：{XSS}\n第二行", link="/customers/list/")
    message = db.session.scalars(select(notify.MailMessage).where(notify.MailMessage.to == user.email)).one()

    assert XSS not in message.html and "&lt;img src=x onerror=alert(1)&gt;" in message.html
    assert "<br>" in message.html                                  # the line break survives, as markup of ours
    assert XSS in message.body                                     # plain text is shown as text
    page = login(user).get("/notifications/").get_data(as_text=True)
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_subject_is_always_one_line(org):
    user = make_user("Sales", org.east)
    _notify(user, "第一行\r\nBcc: evil@example.com")
    message = db.session.scalars(select(notify.MailMessage).where(notify.MailMessage.to == user.email)).one()
    assert message.subject == "第一行 Bcc: evil@example.com"


def test_serve_tells_its_children_the_address_it_listens_on():
    import run

    assert run.served_address("127.0.0.1", 8080) == "http://127.0.0.1:8080"
    assert run.served_address("::1", 8080) == "http://[::1]:8080"
    assert run.served_address("0.0.0.0", 8080).endswith(":8080")
    assert "0.0.0.0" not in run.served_address("0.0.0.0", 8080)


def test_with_smtp_configured_a_notice_goes_out_as_text_and_html_alternatives(org, app, smtp_server):
    port, received = smtp_server
    user = make_user("Sales", org.east)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, PUBLIC_URL="https://zwt.example.com")
    try:
        with unit_of_work(None) as uow:
            notify.notify(uow, [user], f"待审批 {XSS}", "请审批", link="/approvals/task/1")
        message = db.session.scalars(select(notify.MailMessage).where(notify.MailMessage.to == user.email)).one()
        assert message.status == notify.QUEUED and message.html
        assert notify.deliver_mail(message.id) == "sent"
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25, PUBLIC_URL="")
    sent = email.message_from_bytes(received[0], policy=email.policy.default)
    assert sent.get_content_type() == "multipart/alternative"
    plain, html = sent.get_body(("plain",)).get_content(), sent.get_body(("html",)).get_content()
    assert "https://zwt.example.com/approvals/task/1" in plain
    assert '<a href="https://zwt.example.com/approvals/task/1"' in html and XSS not in html


def test_with_smtp_configured_mail_is_delivered_once_and_marked_sent(org, app, smtp_server):
    port, received = smtp_server
    user = make_user("Sales", org.east)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        with unit_of_work(None) as uow:
            message = notify.send_mail(uow, user.email, "Subject 主题", "Body 正文")
        assert message.status == notify.QUEUED
        assert notify.deliver_mail(message.id) == "sent"
        assert notify.deliver_mail(message.id) == "skipped"  # a repeated job sends nothing twice
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    db.session.expire_all()
    assert db.session.get(notify.MailMessage, message.id).status == notify.SENT
    assert len(received) == 1 and user.email.encode() in received[0]


def test_a_mail_with_an_attachment_is_sent_with_the_file(org, app, smtp_server):
    port, received = smtp_server
    user = make_user("Sales", org.east)
    pdf = b"%PDF-1.4 test document"
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        with unit_of_work(None) as uow:
            message = notify.send_mail(uow, user.email, "采购订单", "见附件",
                                       attachments=[("采购订单-CG-1.pdf", pdf, "application/pdf")])
        assert notify.mail_attachments(message) == [("采购订单-CG-1.pdf", pdf, "application/pdf")]
        assert notify.deliver_mail(message.id) == "sent"
    finally:
        app.config.update(MAIL_SERVER="", MAIL_PORT=25)
    sent = email.message_from_bytes(received[0], policy=email.policy.default)
    files = list(sent.iter_attachments())
    assert [(f.get_filename(), f.get_content_type(), f.get_content()) for f in files] == [
        ("采购订单-CG-1.pdf", "application/pdf", pdf)]

"""Comments with @mentions and followers on any record of any module: who may read and write
them, who is told about what, and the Comments tab, its forms and its REST API."""
import re

import pytest
from sqlalchemy import select

from app.core import collab
from app.core.collab import Comment, Follower
from app.core.errors import DomainError, Forbidden, NotFound
from app.core.notify import MailMessage, Notification
from app.extensions import db
from app.modules.customers.models import Contact, Customer
from app.modules.customers.service import create_contact, mark_lost, update_customer
from tests.conftest import unique
from tests.factories import make_customer, make_user


def _notes(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _named(first: str, family: str, **kwargs):
    user = make_user(**kwargs)
    user.first_name, user.last_name = first, family
    db.session.commit()
    return user


# -- service rules -----------------------------------------------------------------------------
def test_sales_rep_comments_on_own_customer_and_the_colleague_mentioned_by_user_name_is_told(org):
    customer = make_customer(org.east_rep)
    comment, unresolved = collab.add_comment(org.east_rep, "customers", customer.id,
                                             f"@{org.manager.username} 请帮忙确认报价")
    assert unresolved == []
    assert comment.author_id == org.east_rep.id and comment.spec == "customers"
    [note] = [n for n in _notes(org.manager) if "报价" in n.body]
    assert org.east_rep.display_name in note.title and customer.name in note.title
    assert note.link == f"/customers/show/{customer.id}#zwt-tab-comments"
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to == org.manager.email)
                              .order_by(MailMessage.id.desc())).first()
    assert mail is not None and "报价" in mail.body
    assert _notes(org.east_rep) == []  # the author is not told about their own comment


def test_mention_by_display_name_works_also_without_a_space_after_the_name(org):
    customer = make_customer(org.east_rep)
    colleague = _named("晓" + unique("")[:3], "欧阳", role="Manager", department=org.sales)
    collab.add_comment(org.east_rep, "customers", customer.id,
                       f"@{colleague.display_name}你看一下这个客户")
    assert [n for n in _notes(colleague) if "你看一下" in n.body]


def test_a_mention_at_the_end_of_a_sentence_still_names_the_user(org):
    customer = make_customer(org.east_rep)
    _comment, unresolved = collab.add_comment(org.east_rep, "customers", customer.id,
                                              f"Please check, @{org.manager.username}.")
    assert unresolved == [] and any("Please check" in n.body for n in _notes(org.manager))


def test_ambiguous_or_unknown_names_notify_nobody_and_are_reported_to_the_author(org):
    customer = make_customer(org.east_rep)
    given = "同" + unique("")[:4]
    twins = [_named(given, "王", role="Manager", department=org.sales) for _ in range(2)]
    _comment, unresolved = collab.add_comment(org.east_rep, "customers", customer.id,
                                              f"@王{given} 和 @nobody{unique('')} 请看")
    assert f"王{given}" in unresolved and len(unresolved) == 2
    assert all(_notes(twin) == [] for twin in twins)


def test_a_mentioned_user_who_may_not_see_the_record_is_not_told(org):
    customer = make_customer(org.east_rep)
    collab.add_comment(org.east_rep, "customers", customer.id, f"@{org.south_rep.username} 机密报价")
    assert _notes(org.south_rep) == []  # south_rep sees only their own customers


def test_nobody_reads_or_writes_comments_of_a_record_outside_their_scope(org):
    customer = make_customer(org.south_rep)
    collab.add_comment(org.south_rep, "customers", customer.id, "内部备注")
    with pytest.raises(NotFound):
        collab.comments_on(org.east_rep, "customers", customer.id)
    with pytest.raises(NotFound):
        collab.add_comment(org.east_rep, "customers", customer.id, "偷看")
    with pytest.raises(NotFound):
        collab.follow(org.east_rep, "customers", customer.id)
    # The manager of the whole sales department sees it.
    assert [c.body for c in collab.comments_on(org.manager, "customers", customer.id)] == ["内部备注"]


def test_a_module_the_user_may_not_read_is_forbidden_and_unknown_records_are_not_found(org):
    with pytest.raises(Forbidden):
        collab.comments_on(org.east_rep, "departments", org.east.id)  # sales may not read departments
    with pytest.raises(NotFound):
        collab.comments_on(org.admin, "customers", 999999999)
    with pytest.raises(NotFound):
        collab.comments_on(org.admin, "no_such_module", 1)


def test_comments_work_on_records_of_any_module(org):
    customer = make_customer(org.east_rep)
    contact = create_contact(org.east_rep, Contact(customer_id=customer.id, name="张三"))
    collab.add_comment(org.east_rep, "contacts", contact.id, "联系人备注")
    collab.add_comment(org.admin, "departments", org.east.id, "部门备注")
    assert [c.body for c in collab.comments_on(org.east_rep, "contacts", contact.id)] == ["联系人备注"]
    assert [c.body for c in collab.comments_on(org.admin, "departments", org.east.id)] == ["部门备注"]
    with pytest.raises(NotFound):  # a contact follows its customer's scope
        collab.comments_on(org.south_rep, "contacts", contact.id)


def test_empty_or_over_long_comments_are_refused_and_nothing_is_written(org):
    customer = make_customer(org.east_rep)
    for body in ("", "   \n ", "长" * (collab.BODY_MAX + 1)):
        with pytest.raises(DomainError) as refused:
            collab.add_comment(org.east_rep, "customers", customer.id, body)
        assert refused.value.field == "body"
    assert collab.comments_on(org.east_rep, "customers", customer.id) == []
    assert not collab.is_following(org.east_rep, "customers", customer.id)


def test_only_the_author_edits_or_deletes_a_comment_and_an_edit_tells_only_newly_mentioned(org):
    customer = make_customer(org.east_rep)
    comment, _u = collab.add_comment(org.east_rep, "customers", customer.id, f"@{org.manager.username} 初稿")
    with pytest.raises(Forbidden):
        collab.edit_comment(org.manager, comment.id, "改别人的")
    with pytest.raises(Forbidden):
        collab.delete_comment(org.manager, comment.id)
    with pytest.raises(NotFound):  # and someone who may not see the record learns nothing
        collab.edit_comment(org.south_rep, comment.id, "x")
    before = len(_notes(org.manager))
    colleague = make_user("Sales", org.east, org.manager)
    make_customer(colleague)
    edited, _u = collab.edit_comment(org.east_rep, comment.id,
                                     f"@{org.manager.username} @{org.admin.username} 定稿")
    assert edited.body.endswith("定稿") and edited.edited_at is not None
    assert len(_notes(org.manager)) == before  # already told about this comment
    assert any("定稿" in n.body for n in _notes(org.admin))
    collab.delete_comment(org.east_rep, comment.id)
    assert db.session.get(Comment, comment.id) is None


# -- followers ---------------------------------------------------------------------------------
def test_commenting_follows_the_record_and_followers_hear_of_each_change_once(org):
    customer = make_customer(org.east_rep)
    collab.add_comment(org.manager, "customers", customer.id, "我来跟进")
    assert collab.is_following(org.manager, "customers", customer.id)
    collab.follow(org.manager, "customers", customer.id)  # following twice changes nothing
    assert len(db.session.scalars(select(Follower).where(Follower.spec == "customers",
                                                         Follower.record_id == customer.id)).all()) == 1

    customer.status, customer.region, customer.address = "active", "上海", "浦东新区张江路1号"
    update_customer(org.east_rep, customer)
    notes = [n for n in _notes(org.manager) if n.link == f"/customers/show/{customer.id}"]
    assert len(notes) == 1, [n.title for n in _notes(org.manager)]  # one per change set, not per field
    assert customer.name in notes[0].title and "上海" in notes[0].body and "浦东新区张江路1号" in notes[0].body
    assert notes[0].link == f"/customers/show/{customer.id}"


def test_the_owner_hears_of_changes_made_by_others_but_nobody_of_their_own(org):
    customer = make_customer(org.east_rep)
    collab.follow(org.east_rep, "customers", customer.id)
    customer.region = "杭州"
    update_customer(org.east_rep, customer)
    assert _notes(org.east_rep) == []  # own change
    mark_lost(org.manager, [customer])
    [note] = _notes(org.east_rep)
    assert org.manager.display_name in note.title and customer.name in note.title


def test_a_follower_who_can_no_longer_see_the_record_is_not_told(org):
    customer = make_customer(org.east_rep)
    east_lead = make_user("Manager", org.east)  # sees the east group's customers only
    collab.follow(east_lead, "customers", customer.id)
    customer = db.session.get(Customer, customer.id)  # loaded, as the edit screen has it
    customer.owner_id, customer.department_id = org.south_rep.id, org.south.id
    update_customer(org.manager, customer)
    assert _notes(east_lead) == []  # the record left their scope with this very change
    assert len(_notes(org.south_rep)) == 1  # the new owner is told
    [note] = _notes(org.east_rep)  # and so is the previous one, who no longer sees it
    assert customer.name in note.title and org.south_rep.display_name in note.body


def test_a_bulk_change_of_many_followed_records_sends_one_summary(org):
    customers = [make_customer(org.east_rep) for _ in range(collab.SUMMARY_AFTER + 2)]
    mark_lost(org.manager, customers)
    [note] = _notes(org.east_rep)
    assert str(len(customers)) in note.title and all(c.name in note.body for c in customers)


def test_comments_and_followers_of_a_deleted_record_go_with_it(org):
    from app.modules.customers.service import delete_customer

    customer = make_customer(org.east_rep)
    collab.add_comment(org.manager, "customers", customer.id, "即将删除")
    record_id = customer.id
    delete_customer(org.manager, customer)
    assert db.session.scalars(select(Comment).where(Comment.spec == "customers", Comment.record_id == record_id)).all() == []
    assert db.session.scalars(select(Follower).where(Follower.spec == "customers",
                                                     Follower.record_id == record_id)).all() == []
    assert any("即将删除" not in n.title and n.link == "" for n in _notes(org.east_rep))  # the owner is told


def test_a_rolled_back_change_tells_nobody(org):
    customer = make_customer(org.east_rep)
    collab.follow(org.manager, "customers", customer.id)
    other = make_customer(org.east_rep)
    customer.name = other.name  # a duplicate: the service refuses
    with pytest.raises(DomainError):
        update_customer(org.east_rep, customer)
    db.session.rollback()
    assert _notes(org.manager) == []


def test_unfollowing_stops_the_notices(org):
    customer = make_customer(org.east_rep)
    collab.follow(org.manager, "customers", customer.id)
    assert collab.unfollow(org.manager, "customers", customer.id) is True
    customer.region = "苏州"
    update_customer(org.east_rep, customer)
    assert _notes(org.manager) == []


# -- screens -----------------------------------------------------------------------------------
def test_the_comments_tab_shows_the_conversation_and_posting_keeps_the_input_on_error(org, login):
    customer = make_customer(org.east_rep)
    collab.add_comment(org.manager, "customers", customer.id, f"@{org.east_rep.username} 记得回访")
    client = login(org.east_rep)
    html = client.get(f"/customers/show/{customer.id}?tab=comments").get_data(as_text=True)
    assert 'id="zwt-tab-comments"' in html and "记得回访" in html and 'class="zwt-mention"' in html
    assert 'id="zwt-follow"' in html  # not following yet

    resp = client.post(f"/comments/customers/{customer.id}/add", data={"body": "已回访，客户满意"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/customers/show/{customer.id}#zwt-tab-comments")
    html = client.get(f"/customers/show/{customer.id}?tab=comments").get_data(as_text=True)
    assert html.index("记得回访") < html.index("已回访，客户满意")  # newest last
    assert 'id="zwt-unfollow"' in html  # commenting follows

    too_long = "很长的评论" * 1001
    resp = client.post(f"/comments/customers/{customer.id}/add", data={"body": too_long})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert too_long in page and 'data-field="body"' in page


def test_screens_refuse_records_outside_the_scope_and_other_peoples_comments(org, login):
    theirs = make_customer(org.south_rep)
    mine = make_customer(org.east_rep)
    comment, _u = collab.add_comment(org.manager, "customers", mine.id, "经理的评论")
    client = login(org.east_rep)
    assert client.post(f"/comments/customers/{theirs.id}/add", data={"body": "x"}).status_code == 404
    assert client.post(f"/comments/customers/{theirs.id}/follow").status_code == 404
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert client.post(f"/comments/{comment.id}/delete").status_code == 403
    html = client.get(f"/customers/show/{mine.id}/tab/comments").get_data(as_text=True)
    assert "经理的评论" in html and f"/comments/{comment.id}/edit" not in html
    assert db.session.scalar(select(Comment.id).where(Comment.record_id == theirs.id, Comment.spec == "customers")) is None


def test_edit_and_delete_through_the_screens_with_a_confirmation_page(org, login):
    customer = make_customer(org.east_rep)
    comment, _u = collab.add_comment(org.east_rep, "customers", customer.id, "原文")
    client = login(org.east_rep)
    assert "原文" in client.get(f"/comments/{comment.id}/edit").get_data(as_text=True)
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "改过"}).status_code == 302
    confirm = client.get(f"/comments/{comment.id}/delete").get_data(as_text=True)
    assert "改过" in confirm and 'id="zwt-delete-comment"' in confirm
    db.session.expire_all()
    assert db.session.get(Comment, comment.id) is not None  # the question deletes nothing
    assert client.post(f"/comments/{comment.id}/delete").status_code == 302
    assert db.session.scalar(select(Comment.id).where(Comment.id == comment.id)) is None


def test_follow_and_unfollow_buttons(org, login):
    customer = make_customer(org.east_rep)
    client = login(org.manager)
    assert client.post(f"/comments/customers/{customer.id}/follow").status_code == 302
    assert collab.is_following(org.manager, "customers", customer.id)
    html = client.get(f"/customers/show/{customer.id}?tab=comments").get_data(as_text=True)
    assert org.manager.display_name in re.search(r'id="zwt-followers">(.*?)</span>', html, re.S).group(1)
    assert client.post(f"/comments/customers/{customer.id}/unfollow").status_code == 302
    assert not collab.is_following(org.manager, "customers", customer.id)


# -- REST API ----------------------------------------------------------------------------------
def test_api_lists_posts_edits_and_deletes_comments(org, app, api_token):
    customer = make_customer(org.east_rep)
    client = app.test_client()
    headers = api_token(org.east_rep)
    resp = client.post("/api/v1/comments/", json={"spec": "customers", "record": customer.id,
                                                  "body": f"@{org.manager.username} 接口评论"}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    pk = resp.get_json()["id"]
    listed = client.get(f"/api/v1/comments/?spec=customers&record={customer.id}", headers=headers).get_json()
    assert listed["count"] == 1 and listed["result"][0]["body"].endswith("接口评论")
    assert listed["result"][0]["author"]["username"] == org.east_rep.username and listed["result"][0]["mine"]
    assert any("接口评论" in n.body for n in _notes(org.manager))

    resp = client.put(f"/api/v1/comments/{pk}", json={"body": "改了"}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["result"]["body"] == "改了"
    resp = client.post("/api/v1/comments/", json={"spec": "customers", "record": customer.id, "body": ""},
                       headers=headers)
    assert resp.status_code == 400 and "body" in resp.get_json()["message"]
    assert client.delete(f"/api/v1/comments/{pk}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/comments/?spec=customers&record={customer.id}", headers=headers).get_json()["count"] == 0


def test_api_answers_403_and_404_for_forbidden_records_and_401_without_a_token(org, app, api_token):
    theirs = make_customer(org.south_rep)
    comment, _u = collab.add_comment(org.south_rep, "customers", theirs.id, "别人的秘密")
    client = app.test_client()
    headers = api_token(org.east_rep)
    resp = client.get(f"/api/v1/comments/?spec=customers&record={theirs.id}", headers=headers)
    assert resp.status_code == 404 and "别人的秘密" not in resp.get_data(as_text=True)
    assert client.post("/api/v1/comments/", json={"spec": "customers", "record": theirs.id, "body": "x"},
                       headers=headers).status_code == 404
    assert client.put(f"/api/v1/comments/{comment.id}", json={"body": "x"}, headers=headers).status_code == 404
    assert client.delete(f"/api/v1/comments/{comment.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/comments/?spec=departments&record={org.east.id}", headers=headers).status_code == 403
    manager_headers = api_token(org.manager)  # sees the record, but the comment is not theirs
    assert client.put(f"/api/v1/comments/{comment.id}", json={"body": "x"}, headers=manager_headers).status_code == 403
    assert client.get(f"/api/v1/comments/?spec=customers&record={theirs.id}").status_code == 401
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body == "别人的秘密"


def test_merging_records_moves_their_comments_and_followers(org):
    keep, gone = make_customer(org.east_rep), make_customer(org.east_rep)
    collab.add_comment(org.manager, "customers", gone.id, "旧记录的评论")
    collab.follow(org.manager, "customers", keep.id)
    collab.follow(org.east_rep, "customers", gone.id)
    moved = collab.move_references(["customers"], gone.id, keep.id)
    db.session.commit()
    assert moved["comments"] == 1
    assert [c.body for c in collab.comments_on(org.manager, "customers", keep.id)] == ["旧记录的评论"]
    followers = db.session.scalars(select(Follower).where(Follower.record_id.in_([keep.id, gone.id]),
                                                          Follower.spec == "customers")).all()
    # The manager followed both and now follows the survivor once; the rep moved along.
    assert sorted((f.record_id, f.user_id) for f in followers) == sorted(
        [(keep.id, org.manager.id), (keep.id, org.east_rep.id)])


# -- typed HTML stays text -----------------------------------------------------------------------
PAYLOAD = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _shown_as_text(html: str, where: str) -> None:
    assert PAYLOAD not in html, f"{where}: the payload reaches the page as markup"
    assert "&amp;lt;" not in html, f"{where}: escaped twice"
    assert ESCAPED in html, f"{where}: the text is not shown"


def test_html_in_comments_and_customer_names_is_shown_as_text_everywhere(org, login):
    customer = make_customer(org.east_rep, name=f"{PAYLOAD}{unique('客户')}")
    collab.add_comment(org.east_rep, "customers", customer.id, f"@{org.manager.username}{PAYLOAD} 请看")
    client = login(org.east_rep)
    pages = {
        "list": f"/customers/list/?_flt_2_name={customer.name[-8:]}",
        "show": f"/customers/show/{customer.id}",
        "comments tab": f"/customers/show/{customer.id}?tab=comments",
        "timeline": f"/customer_timeline/{customer.id}/",
        "profile": f"/customer_profile/{customer.id}/",
    }
    for where, url in pages.items():
        resp = client.get(url)
        assert resp.status_code == 200, where
        _shown_as_text(resp.get_data(as_text=True), where)
    html = client.get(f"/customers/show/{customer.id}?tab=comments").get_data(as_text=True)
    tab = html[html.index('id="zwt-collab"'):]
    tab = tab[:tab.index('id="zwt-comment-form"')]
    # The mention is emphasised and the text after it is whole, not cut into a broken entity.
    assert f'<span class="zwt-mention">@{org.manager.username}</span>{ESCAPED} 请看' in tab


def test_a_mention_notice_and_its_mail_carry_the_text_not_markup(org, login):
    customer = make_customer(org.east_rep, name=f"{PAYLOAD}{unique('客户')}")
    collab.add_comment(org.east_rep, "customers", customer.id, f"@{org.manager.username} {PAYLOAD}")
    [note] = [n for n in _notes(org.manager) if PAYLOAD in n.body]
    assert customer.name in note.title   # stored as typed; escaped where it is drawn
    page = login(org.manager).get("/notifications/").get_data(as_text=True)
    _shown_as_text(page, "notifications")
    mail = db.session.scalars(select(MailMessage).where(MailMessage.to == org.manager.email)
                              .order_by(MailMessage.id.desc())).first()
    assert PAYLOAD in mail.body   # the plain-text part is the text as typed
    if mail.html:
        assert PAYLOAD not in mail.html and ESCAPED in mail.html


def test_a_mention_highlight_never_cuts_an_entity():
    shown = str(collab.highlight_mentions('@lina"& <b>@张伟</b>'))
    assert shown == ('<span class="zwt-mention">@lina</span>&#34;&amp; &lt;b&gt;'
                     '<span class="zwt-mention">@张伟</span>&lt;/b&gt;')

"""The customer detail page: its tabs, and only the actions the user may take on that customer
in its current state."""
import re

from flask_babel import force_locale, gettext

from tests.factories import make_customer


def _tab_labels(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", label).split())
            for label in re.findall(r'<a href="\?tab=[^"]+"[^>]* data-toggle="tab"[^>]*>(.*?)</a>', html, re.S)]


def test_the_profile_tab_is_called_customer_profile(org, login):
    customer = make_customer(org.east_rep)
    html = login(org.east_rep).get(f"/customers/show/{customer.id}").get_data(as_text=True)
    labels = _tab_labels(html)
    assert "客户画像" in labels, labels
    assert not any("个人信息" in label for label in labels)
    with force_locale("en"):
        assert gettext("Customer profile") == "Customer profile"


def _bar(html: str) -> set[str]:
    """The buttons of the detail page's action bar: action names, "edit" and "delete"."""
    start = html.find('id="zwt-record-bar"')
    if start < 0:
        return set()
    bar = html[start:html.index('id="zwt-show-tabs"')]
    names = set(re.findall(r'id="zwt-action-(\w+)"', bar))
    names |= {what for what in ("edit", "delete") if f'id="zwt-{what}"' in bar}
    return names


def _page(client, customer) -> str:
    resp = client.get(f"/customers/show/{customer.id}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _pooled(org):
    from app.modules.customers import pool
    from tests.modules.customers.test_follow_ups_and_pool import _age, _fresh

    customer = make_customer(org.east_rep)
    _age(customer, 60)
    pool.release_to_pool(org.east_rep, [_fresh(customer)])
    return _fresh(customer)


def test_a_pooled_customer_offers_a_sales_user_only_claiming(org, login):
    customer = _pooled(org)
    html = _page(login(org.south_rep), customer)
    assert _bar(html) == {"claim", "print"}                 # printing the card needs reading only
    # FAB's own action links under the fields are gone: one bar, checked per record.
    assert "btn-action-CustomerView" not in html


def test_an_owned_customer_offers_its_owner_editing_and_actions_but_no_claim(org, login):
    customer = make_customer(org.east_rep)
    bar = _bar(_page(login(org.east_rep), customer))
    assert "claim" not in bar and "release_to_pool" not in bar   # not in the pool, not inactive
    assert {"edit", "transfer", "mark_lost", "tag"} <= bar
    assert "delete" not in bar                                    # Sales may not delete customers


def test_a_manager_may_delete_after_confirming_in_the_page(org, login):
    customer = make_customer(org.east_rep)
    html = _page(login(org.manager), customer)
    assert {"edit", "delete"} <= _bar(html) and "claim" not in _bar(html)
    box = html[html.index('id="zwt-delete"'):]
    box = box[:box.index("</details>")]
    assert f'action="/customers/delete/{customer.id}"' in box and 'method="post"' in box
    assert f"确定删除“{customer.name}”吗" in box


def test_a_lost_customer_is_not_offered_mark_as_lost_again(org, login):
    customer = make_customer(org.east_rep, status="lost")
    assert "mark_lost" not in _bar(_page(login(org.east_rep), customer))


def test_read_only_users_are_offered_nothing_but_printing(org, login):
    customer = make_customer(org.east_rep)
    html = _page(login(org.readonly), customer)
    assert _bar(html) == {"print"}
    assert 'class="btn btn-primary"' not in html[html.index('id="zwt-record-bar"'):html.index('id="zwt-show-tabs"')]


def test_an_admin_sees_claim_and_edit_on_a_pooled_customer(org, login):
    customer = _pooled(org)
    bar = _bar(_page(login(org.admin), customer))
    assert {"claim", "edit", "delete"} <= bar and "mark_lost" in bar


def test_the_customer_name_in_the_delete_confirmation_is_escaped(org, login):
    customer = make_customer(org.east_rep, name='<img src=x onerror=alert(1)>删除确认')
    html = _page(login(org.manager), customer)
    box = html[html.index('id="zwt-delete"'):]
    assert "<img src=x" not in box[:box.index("</details>")]


def _form_action(html: str, element_id: str) -> str:
    part = html[html.index(f'id="{element_id}"'):]
    return re.search(r'<form method="post" action="([^"]+)"', part).group(1)


def test_the_claim_and_delete_buttons_do_what_they_say(org, login):
    from app.extensions import db
    from app.modules.customers.models import Customer

    customer = _pooled(org)
    client = login(org.south_rep)
    resp = client.post(_form_action(_page(client, customer), "zwt-action-claim"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).owner_id == org.south_rep.id
    manager = login(org.manager)
    customer_id = customer.id
    assert manager.post(_form_action(_page(manager, customer), "zwt-delete")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, customer_id) is None

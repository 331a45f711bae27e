"""`next=` only ever leads to a path of this site: at the login form, for a browser already
signed in, after the second factor, after the idle sign-out, and wherever FAB follows `next`."""
from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest

from app.security.redirects import is_safe_path, safe_next
from tests.factories import make_user
from tests.security.signin import client, clock, enrol_totp, post_login, totp_now  # noqa: F401

OFF_SITE = [
    "http://localhost:1@evil.example/",
    "http://localhost@evil.example/",
    "http://127.0.0.1:5000@evil.example/x",
    "//evil.example",
    "//evil.example/customers/list/",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "http://localhost:1/customers/list/",    # another port is another site
    "http://localhost.evil.example/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "/%255Cevil.example",
    "/%09/evil.example",
    "/%252F%252Fevil.example",
    "%2F%2Fevil.example",
    "evil.example",
    "customers/list/",
    "",
]
ON_SITE = ["/", "/customers/list/", "/customers/list/?_flt_0_name=%E5%BC%A0&page_CustomerView=2", "/notifications/#top"]


@pytest.mark.parametrize("url", OFF_SITE)
def test_off_site_and_disguised_targets_are_refused(url):
    assert not is_safe_path(url)


@pytest.mark.parametrize("url", ON_SITE)
def test_paths_of_this_site_are_accepted(url):
    assert is_safe_path(url)


def test_an_absolute_url_of_this_very_host_is_cut_down_to_its_path(app):
    with app.test_request_context("/", base_url="http://zwt.example:8080"):
        assert safe_next("http://zwt.example:8080/customers/list/?page=2") == "/customers/list/?page=2"
        assert safe_next("https://zwt.example:8080") == "/"
        for url in ("http://zwt.example/customers/list/", "http://zwt.example:8080@evil.example/",
                    "http://zwt.example:8080//evil.example/", "http://zwt.example:8080/\\evil.example"):
            assert safe_next(url, "HOME") == "HOME", url


def test_a_page_opened_before_signing_in_is_shown_after_signing_in(app, org):
    c = client(app)
    resp = c.get("/customers/list/?_flt_0_name=x")
    assert resp.status_code == 302 and "/login/" in resp.headers["Location"]
    resp = c.post(resp.headers["Location"], data={"username": org.east_rep.username, "password": "Passw0rd!"})
    assert resp.headers["Location"] == "/customers/list/?_flt_0_name=x"


def _next_param(url):
    return "?next=" + quote(url, safe="")


def _lands_on(resp, expected_path):
    assert resp.status_code == 302, resp.status_code
    location = resp.headers["Location"]
    parts = urlsplit(location)
    assert not parts.netloc or parts.netloc == "localhost", location
    assert parts.path == expected_path, location


@pytest.mark.parametrize("url", OFF_SITE)
def test_the_login_form_sends_off_site_targets_home(app, org, url):
    c = client(app)
    resp = c.post("/login/" + _next_param(url), data={"username": org.east_rep.username, "password": "Passw0rd!"})
    _lands_on(resp, "/")


def test_the_login_form_keeps_a_path_of_this_site(app, org):
    c = client(app)
    resp = c.post("/login/" + _next_param(ON_SITE[2]), data={"username": org.east_rep.username, "password": "Passw0rd!"})
    assert resp.headers["Location"] == ON_SITE[2]


@pytest.mark.parametrize("url", OFF_SITE)
def test_a_signed_in_browser_opening_the_login_page_is_sent_home(app, org, url):
    c = client(app)
    post_login(c, org.east_rep.username)
    _lands_on(c.get("/login/" + _next_param(url)), "/")


def test_a_signed_in_browser_opening_the_login_page_goes_to_a_path_of_this_site(app, org):
    c = client(app)
    post_login(c, org.east_rep.username)
    assert c.get("/login/" + _next_param("/customers/list/")).headers["Location"] == "/customers/list/"


@pytest.fixture
def totp_user(app, org, clock):
    user = make_user("Sales", org.east)
    c = client(app)
    post_login(c, user.username)
    secret, _codes = enrol_totp(c, clock)
    clock.advance(seconds=30)
    return user, secret


@pytest.mark.parametrize("url", ["http://localhost:1@evil.example/", "/\\evil.example", "//evil.example"])
def test_after_the_second_factor_off_site_targets_lead_home(app, totp_user, clock, url):
    user, secret = totp_user
    c = client(app)
    resp = post_login(c, user.username, next_url=quote(url, safe=""))
    assert resp.headers["Location"].endswith("/login/verify")
    _lands_on(c.post("/login/verify", data={"code": totp_now(secret, clock.now)}), "/")


def test_after_the_second_factor_a_target_written_into_the_cookie_is_checked_again(app, totp_user, clock):
    """The pending login's target lives in the signed cookie; it is checked when followed too."""
    user, secret = totp_user
    c = client(app)
    post_login(c, user.username, next_url=quote("/customers/list/", safe=""))
    with c.session_transaction() as sess:
        pending = dict(sess["zwt_pending"])
        pending["next"] = "http://localhost:1@evil.example/"
        sess["zwt_pending"] = pending
    _lands_on(c.post("/login/verify", data={"code": totp_now(secret, clock.now)}), "/")


def test_after_the_second_factor_a_path_of_this_site_is_kept(app, totp_user, clock):
    user, secret = totp_user
    c = client(app)
    post_login(c, user.username, next_url=quote("/customers/list/", safe=""))
    resp = c.post("/login/verify", data={"code": totp_now(secret, clock.now)})
    assert resp.headers["Location"] == "/customers/list/"


def test_the_idle_sign_out_asks_to_come_back_to_a_path(app, org, clock):
    c = client(app)
    post_login(c, org.east_rep.username)
    clock.advance(minutes=31)
    resp = c.get("/customers/list/?_flt_0_name=x")
    assert resp.status_code == 302
    target = parse_qs(urlsplit(resp.headers["Location"]).query)["next"][0]
    assert target == "/customers/list/?_flt_0_name=x", "a path of this site"
    resp = c.post(resp.headers["Location"], data={"username": org.east_rep.username, "password": "Passw0rd!"})
    assert resp.headers["Location"] == target


@pytest.mark.parametrize("url", ["http://localhost:1@evil.example/", "/\\evil.example", "//evil.example"])
def test_flask_appbuilders_own_next_handling_follows_the_same_rule(app, url):
    from flask_appbuilder.utils.base import get_safe_redirect

    with app.test_request_context("/"):
        assert get_safe_redirect(url) == app.appbuilder.get_url_for_index
        assert get_safe_redirect("/customers/list/") == "/customers/list/"


@pytest.mark.parametrize("url", OFF_SITE)
def test_the_small_forms_back_links_refuse_the_same_targets(app, url):
    """The customers' and the approvals' small forms (transfer, tags, timeline, approve …)
    return to `next` as well."""
    from app.modules.customers.views import _safe_next
    from app.workflow.views_common import safe_next as workflow_next

    assert _safe_next(url) == ""
    with app.test_request_context("/", method="POST", data={"next": url}):
        assert workflow_next("HOME") == "HOME"

"""Response headers and cookie flags as a browser sees them: a Content-Security-Policy allowing only
this site (scripts only with the page's nonce), no framing, nosniff, a Referrer-Policy; cookies
HttpOnly and SameSite=Lax, and Secure whenever the request came in over HTTPS; and generated
pages with nothing the policy would block (inline handlers, javascript: links, scripts without
the nonce)."""
from __future__ import annotations

import re

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.factories import make_user
from tests.security.signin import client, clock, enrol_totp, post_login, totp_now  # noqa: F401

TAG = re.compile(r"<[a-zA-Z][^>]*>", re.S)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=""", re.I)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
SCRIPT = re.compile(r"<script\b([^>]*)>", re.I)


def policy_of(resp) -> dict:
    return {part.split()[0]: part.split()[1:] for part in resp.headers["Content-Security-Policy"].split(";")
            if part.strip()}


@pytest.mark.parametrize("url", ["/login/", "/register/", "/", "/api/v1/customers/", "/static/css/zwt.css",
                                 "/no-such-page"])
def test_every_response_carries_the_security_headers(app, url):
    resp = client(app).get(url)
    policy = policy_of(resp)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and len(policy["script-src"]) == 2
    assert policy["script-src"][1].startswith("'nonce-")
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    # Only this site: no other origin, scheme or wildcard anywhere in the policy.
    sources = {s for values in policy.values() for s in values}
    assert not {s for s in sources if "://" in s or s in ("*", "http:", "https:", "'unsafe-eval'")}
    assert "'unsafe-inline'" not in policy["script-src"]
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def _cookies(resp) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in resp.headers.getlist("Set-Cookie")}


def _login(c, user, **kwargs):
    return c.post("/login/", data={"username": user.username, "password": "Passw0rd!"}, **kwargs)


def test_cookies_over_plain_http_are_httponly_and_lax_but_not_secure(app, org):
    cookie = _cookies(_login(client(app), org.east_rep))["session"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookies_are_secure_when_the_request_came_in_over_https(app, org):
    c = client(app)
    cookie = _cookies(_login(c, org.east_rep, base_url="https://localhost"))["session"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_forwarded_https_counts_only_from_a_trusted_proxy(app, org, monkeypatch):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    untrusted = _cookies(_login(client(app), org.east_rep, headers=forwarded))["session"]
    assert "Secure" not in untrusted, "without PROXY_COUNT anyone could claim https"
    # What create_app sets up when PROXY_COUNT=1.
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1))
    trusted = _cookies(_login(client(app), org.east_rep, headers=forwarded))["session"]
    assert "Secure" in trusted and "HttpOnly" in trusted


def test_the_remembered_device_cookie_is_httponly_lax_and_secure_over_https(app, org, clock):
    user = make_user("Sales", org.east)
    web = client(app)
    post_login(web, user.username)
    secret, _codes = enrol_totp(web, clock)
    clock.advance(seconds=30)
    c = client(app)
    _login(c, user, base_url="https://localhost")
    resp = c.post("/login/verify", data={"method": "totp", "code": totp_now(secret, clock.now), "remember": "1"},
                  base_url="https://localhost")
    cookies = _cookies(resp)
    for name in ("zwt_device", "session"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name] and "Secure" in cookies[name], name


PUBLIC_PAGES = ["/login/", "/register/"]


def _problems(url, resp) -> list:
    """What the Content-Security-Policy would block on this page."""
    html = resp.get_data(as_text=True)
    problems = []
    tags = TAG.findall(html)
    problems += [(url, "inline handler", t[:120]) for t in tags
                 if INLINE_HANDLER.search(re.sub(r'"[^"]*"|\'[^\']*\'', '""', t))]
    if JS_URL.search(html):
        problems.append((url, "javascript: link"))
    nonce = policy_of(resp)["script-src"][1][len("'nonce-"):-1]
    problems += [(url, "script without the nonce", attrs[:120]) for attrs in SCRIPT.findall(html)
                 if f'nonce="{nonce}"' not in attrs]
    return problems


def _pages(app) -> list[str]:
    """Every page of the app that takes no argument."""
    skipped = ("/static", "/api/", "/appbuilder", "/swagger", "/logout", "/back", "/lang")
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith(skipped)})


def _html_pages(c, urls):
    for url in urls:
        resp = c.get(url)
        if resp.status_code == 200 and resp.mimetype == "text/html":
            yield url, resp


def test_public_pages_have_nothing_the_policy_would_block(app):
    problems = [p for url, resp in _html_pages(client(app), PUBLIC_PAGES) for p in _problems(url, resp)]
    assert not problems, problems


@pytest.mark.parametrize("who", ["admin", "east_rep"])
def test_every_page_has_nothing_the_policy_would_block(app, org, who):
    from tests.factories import make_customer

    user = getattr(org, who)
    customer = make_customer(org.east_rep)
    c = client(app)
    post_login(c, user.username)
    urls = _pages(app) + ["/swagger/v1", f"/customers/show/{customer.id}", f"/users/show/{user.id}"]
    seen, problems = 0, []
    for url, resp in _html_pages(c, urls):
        seen += 1
        problems += _problems(url, resp)
    assert seen >= (30 if who == "admin" else 8), seen
    assert not problems, problems

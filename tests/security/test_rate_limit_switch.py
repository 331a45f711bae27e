"""One switch, RATE_LIMITS_ENABLED, turns every rate limit on or off: the sign-in and code limits,
the registration limits, and Flask-Limiter's own setting."""
from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.security.signin import client, post_login
from tests.security.test_registration import applicant, fixed_challenge, sign_up, token_of  # noqa: F401


@pytest.mark.parametrize("given, expected", [(None, True), ("true", True), ("false", False), ("0", False)])
def test_flask_limiters_setting_follows_rate_limits_enabled(monkeypatch, given, expected):
    from config import build_config

    if given is None:
        monkeypatch.delenv("RATE_LIMITS_ENABLED", raising=False)
    else:
        monkeypatch.setenv("RATE_LIMITS_ENABLED", given)
    monkeypatch.setenv("RATELIMIT_ENABLED", "true" if not expected else "false")  # not a setting of ours
    cfg = build_config(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="k" * 40)
    assert cfg["RATE_LIMITS_ENABLED"] is expected and cfg["RATELIMIT_ENABLED"] is expected
    assert build_config(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="k" * 40,
                        RATE_LIMITS_ENABLED=False)["RATELIMIT_ENABLED"] is False


def test_the_app_starts_with_flask_limiter_following_the_switch(app):
    assert app.config["RATELIMIT_ENABLED"] is app.config["RATE_LIMITS_ENABLED"] is True
    assert app.appbuilder.sm.limiter.enabled is True


def test_switched_off_neither_sign_in_nor_registration_is_limited(app, org, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMITS_ENABLED", False)
    user = make_user("Sales", org.east)
    c = client(app)
    for _ in range(12):  # more than RATE_LIMIT_LOGIN_IP and RATE_LIMIT_LOGIN_ACCOUNT allow
        assert post_login(c, user.username, "Wrong-pass-1").status_code == 302
    visitor = client(app)
    for _ in range(6):  # more than RATE_LIMIT_REGISTRATION allows per address
        token_of(sign_up(visitor, applicant(org.east)))


def test_switched_on_both_are_limited(app, org):
    user = make_user("Sales", org.east)
    c = client(app)
    answers = [post_login(c, user.username, "Wrong-pass-1").status_code for _ in range(12)]
    assert 429 in answers
    visitor = client(app)
    answers = [sign_up(visitor, applicant(org.east)).status_code for _ in range(6)]
    assert answers[-1] == 429

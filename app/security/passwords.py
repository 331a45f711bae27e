"""The password policy: long enough, not a common password, not the user name, letters and
digits. Used by the user forms, the reset-password forms, the user API and registration.

FAB calls FAB_PASSWORD_COMPLEXITY_VALIDATOR(password) from its own forms without the user
name; `fab_password_validator` finds the user name the form is about in the request.
"""
from __future__ import annotations

import functools
from pathlib import Path

from flask import current_app, g, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_babel import gettext as _

COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with open(COMMON_FILE, encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, username: str | None = None) -> list[str]:
    """The policy's complaints about `password` (translated); empty when it is acceptable."""
    password = password or ""
    problems = []
    min_length = current_app.config.get("PASSWORD_MIN_LENGTH", 8)
    if len(password) < min_length:
        problems.append(_("The password must have at least %(n)d characters.", n=min_length))
    if password.lower() in common_passwords():
        problems.append(_("This password is one of the most common ones; choose one that is harder to guess."))
    name = (username or "").strip().lower()
    if name and name in password.lower():
        problems.append(_("The password must not be or contain the user name."))
    if not (any(c.isalpha() for c in password) and any(c.isdigit() for c in password)):
        problems.append(_("The password must contain both letters and digits."))
    return problems


def _username_of_request() -> str | None:
    """The user name whose password the current form or API call sets, when it can be told."""
    if not has_request_context():
        return None
    if request.form.get("username"):
        return request.form["username"]
    data = request.get_json(silent=True) if request.is_json else None
    if isinstance(data, dict) and data.get("username"):
        return str(data["username"])
    sm = current_app.appbuilder.sm
    pk = request.args.get("pk") or (request.view_args or {}).get("pk")
    if pk is not None:
        try:
            user = sm.get_user_by_id(int(pk))
        except (TypeError, ValueError):
            user = None
        return user.username if user is not None else None
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.username
    return None


def fab_password_validator(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR: raises with every complaint, one sentence each."""
    problems = check_password_policy(password, _username_of_request())
    if problems:
        raise PasswordComplexityValidationError(" ".join(problems))

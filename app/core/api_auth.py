"""Who is calling a frame API of its own (comments, attachments): an API key or a JWT, never a
session cookie (the API is exempt from CSRF)."""
from __future__ import annotations

import functools

from flask import current_app

from app.core.datamodel import current_actor


def api_user():
    """The user behind the request's API key or JWT; None (→ 401) without a valid one."""
    from flask_jwt_extended import verify_jwt_in_request

    sm = current_app.appbuilder.sm
    if current_app.config.get("FAB_API_KEY_ENABLED"):
        raw_key = sm.extract_api_key_from_request()
        if raw_key is not None:
            return sm.validate_api_key(raw_key)
    verify_jwt_in_request()
    return current_actor()


def token_required(fn):
    """An API method answers 401 unless the caller brings a valid API key or JWT."""
    @functools.wraps(fn)
    def wrapper(self, *args, **kwargs):
        if api_user() is None:
            return self.response_401()
        return fn(self, *args, **kwargs)

    return wrapper

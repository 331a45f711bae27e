"""Where the app may send a browser after signing in, after a form, or back to a page: only
to paths of this site.

A `next` value is accepted when it is a path such as `/customers/list/?page=2`. Refused,
whatever the encoding: other hosts (`//evil.example`, `https://evil.example`, the userinfo
form `http://localhost:1@evil.example/`), backslashes (`/\\evil.example`, which browsers read
as `//`), control characters (browsers drop tabs and newlines, so `/<tab>/evil.example`
becomes `//evil.example`; Werkzeug writes it that way into the Location header too), and
other schemes (`javascript:`, `data:`). An absolute URL of exactly the host this request was
made to (FAB's login redirect passes `request.url`) is cut down to its path, so a redirect
always goes to a path. That host is the one the visitor's own browser used: a link can set
`next`, but not the Host header of someone else's request.
"""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import has_request_context, request

MAX_LENGTH = 2048
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")
# Enough rounds of percent-decoding to undo what a proxy or a second redirect might decode.
_DECODE_ROUNDS = 3


def _path_like(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//") or _CONTROL.search(text):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def is_safe_path(url) -> bool:
    """Whether `url` is a path of this site (see the module's description)."""
    if not isinstance(url, str) or not url or len(url) > MAX_LENGTH:
        return False
    candidate = url
    for _ in range(_DECODE_ROUNDS + 1):
        if not _path_like(candidate):
            return False
        decoded = unquote(candidate)
        if decoded == candidate:
            return True
        candidate = decoded
    return False


def _path_of_own_url(url: str) -> str | None:
    """The path of an absolute http(s) URL of the host this request came to, else None."""
    if not has_request_context() or _CONTROL.search(url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or "@" in parts.netloc or parts.netloc.lower() != request.host.lower():
        return None
    return urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))


def safe_next(url, default: str | None = None) -> str | None:
    """The path to go to for `url`: itself when it is a path of this site, its path when it is
    an absolute URL of this very host, else `default`."""
    if is_safe_path(url):
        return url
    if isinstance(url, str) and url and len(url) <= MAX_LENGTH:
        path = _path_of_own_url(url)
        if path is not None and is_safe_path(path):
            return path
    return default


def _fab_get_safe_redirect(url):
    from flask import current_app

    return safe_next(url, current_app.appbuilder.get_url_for_index)


def install() -> None:
    """Make Flask-AppBuilder's own `next` handling use the same rule: its check lets `/\\host`
    through and, with wildcard hosts such as `localhost:*`, the userinfo form."""
    from flask_appbuilder.security import views
    from flask_appbuilder.utils import base

    base.is_safe_redirect_url = lambda url: safe_next(url) is not None
    base.get_safe_redirect = views.get_safe_redirect = _fab_get_safe_redirect

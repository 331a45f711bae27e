"""Request-level glue for the web app: template context (unread notifications, local time),
security headers and error pages."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context, jsonify, render_template, request, send_from_directory
from flask_babel import gettext as _

from app.core import notify


def user_zone() -> ZoneInfo:
    """The signed-in user's time zone when they chose one (a `time_zone` on the user), else the
    company's (TIME_ZONE, default Asia/Shanghai)."""
    user = getattr(g, "user", None) if has_request_context() else None
    chosen = getattr(user, "time_zone", None) if user is not None else None
    if chosen:
        try:
            return ZoneInfo(chosen)
        except (ValueError, KeyError):   # a zone name the system does not know
            pass
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time (naive UTC, or aware) in the user's time zone, to the minute."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(user_zone()).strftime(fmt)


def install_web_hooks(app, appbuilder) -> None:
    from app.core import localise
    from app.extensions import csrf

    localise.install(app, appbuilder)
    app.jinja_env.filters["local_time"] = local_time
    # Browsers ask for /favicon.ico on their own (and for pages without a <link rel="icon">).
    app.add_url_rule("/favicon.ico", "favicon",
                     lambda: send_from_directory(app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                                 max_age=86400))
    # Every form is CSRF-protected; the REST API authenticates with tokens, not cookies.
    csrf.init_app(app)
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api/"):
            csrf.exempt(blueprint)

    @app.context_processor
    def _navbar_counts():
        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return {"unread_notifications": notify.unread_count(user)}
        return {"unread_notifications": 0}

    def _wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    def _error_page(code: int, short: str, long: str):
        if _wants_json():
            return jsonify(message=short), code
        return render_template("zwt/error.html", code=code, message=long,
                               base_template=appbuilder.base_template, appbuilder=appbuilder), code

    _api_token_messages(appbuilder)

    pages = {
        403: (lambda: _("Forbidden"), lambda: _("You do not have permission to do this.")),
        404: (lambda: _("Not found"), lambda: _("The page or record does not exist, or you may not see it.")),
        500: (lambda: _("Internal error"), lambda: _("Something went wrong on our side. Please try again.")),
    }
    for code, (short, long) in pages.items():
        app.register_error_handler(code, lambda _error, c=code, s=short, l=long: _error_page(c, s(), l()))

    from flask_wtf.csrf import CSRFError

    # A form posted without its security token, or from a page open too long (Flask-WTF's own
    # message is English): say what to do.
    app.register_error_handler(CSRFError, lambda _error: _error_page(
        400, _("The form has expired."),
        _("The form has expired or was not sent from this site. Go back, reload the page and try again.")))


def _api_token_messages(appbuilder) -> None:
    """The REST API's answers about missing, malformed and expired tokens, in the user's language
    (Flask-JWT-Extended's own are English); status codes stay as the API describes them."""
    jwt_manager = getattr(appbuilder.sm, "jwt_manager", None)
    if jwt_manager is None:
        return

    def answer(message: str, status: int):
        return jsonify(message=message), status

    jwt_manager.unauthorized_loader(lambda _reason: answer(
        _("Please log in first: send the token as the header “Authorization: Bearer <token>”."), 401))
    jwt_manager.invalid_token_loader(lambda _reason: answer(_("The token is not valid. Please log in again."), 422))
    jwt_manager.expired_token_loader(lambda _header, _payload: answer(
        _("The token has expired. Please log in again or refresh it."), 401))
    jwt_manager.needs_fresh_token_loader(lambda _header, _payload: answer(
        _("This needs a fresh token: please log in again."), 401))
    jwt_manager.user_lookup_error_loader(lambda _header, _payload: answer(
        _("The user of this token no longer exists."), 401))
